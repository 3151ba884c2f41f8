"""The post-crawl stages, run when the spider closes: keywords, then the search index.

So every entry point leaves the same corpus: `fanwen crawl`, `scrapy crawl portal …` and
a scrapyd job all end with jieba TF-IDF keywords for the new articles
(`fanwen_crawler.corpus.keywords`) and the word-level search index brought up to date
(`fanwen_crawler.corpus.search_index`). jieba is imported only here, after the crawl: the
crawl itself never pays for it. Off with FANWEN_KEYWORDS = False (`--no-keywords`), and
skipped after an interrupted crawl (reason "shutdown": a resumed run does it).
Stats: `fanwen/keywords/computed`, `fanwen/search/indexed`, `fanwen/postcrawl/seconds`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from fanwen_crawler.corpus.storage import Corpus
from fanwen_crawler.extensions.corpus import crawl_corpus

logger = logging.getLogger(__name__)


class PostCrawl:
    """Compute keywords and sync the search index at spider_closed."""

    def __init__(self, crawler: Crawler, corpus: Corpus, progress: bool) -> None:
        self.crawler = crawler
        self.corpus = corpus
        self.progress = progress

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PostCrawl:
        if not crawler.settings.getbool("FANWEN_KEYWORDS", True):
            raise NotConfigured
        ext = cls(crawler, crawl_corpus(crawler), crawler.settings.getbool("FANWEN_PROGRESS"))
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Any = None, reason: str = "finished") -> None:
        if reason == "shutdown":
            return
        stats = self.crawler.stats
        if stats is not None and stats.get_value("fanwen/store/fatal"):
            return  # the corpus cannot be written (disk full, read-only …): nothing to add
        from fanwen_crawler.corpus.keywords import compute_keywords
        from fanwen_crawler.corpus.search_index import sync_search_index

        started = time.monotonic()
        computed = compute_keywords(self.corpus, progress=self.progress)
        indexed = sync_search_index(self.corpus.db.conn)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("fanwen/keywords/computed", computed)
            self.crawler.stats.set_value("fanwen/search/indexed", indexed)
            self.crawler.stats.set_value("fanwen/postcrawl/seconds",
                                         round(time.monotonic() - started, 3))
