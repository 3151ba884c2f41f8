"""The dedupe pipeline: mark exact and near duplicates as articles pass (kept, not dropped).

The hashing, MinHash signatures and the lookups live in `fanwen_crawler.corpus.dedupe`;
this module is the Scrapy adapter around them.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from fanwen_crawler.corpus.dedupe import DuplicateFinder
from fanwen_crawler.corpus.storage import Corpus
from fanwen_crawler.items import ArticleItem

logger = logging.getLogger(__name__)


class DedupePipeline:
    """Scrapy adapter: mark exact and near duplicates (kept, not dropped).

    Sets `content_hash`, `minhash` and, for duplicates, `duplicate_of_url` + `similarity`;
    counts `fanwen/dedupe/exact` and `fanwen/dedupe/near`. With a corpus (the crawl's,
    `crawler.corpus`), every lookup also asks the corpus database (its LSH band table), so
    articles stored by earlier runs, or by another crawl writing the same database right
    now, are found; nothing is loaded at start.
    """

    def __init__(self, crawler: Crawler | None = None, corpus: Corpus | None = None) -> None:
        self.crawler = crawler
        self.corpus = corpus
        self.finder = DuplicateFinder(corpus.db.conn if corpus is not None else None)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler, getattr(crawler, "corpus", None))

    def open_spider(self, spider: Any = None) -> None:
        if self.corpus is not None:
            logger.info("dedupe: looking up duplicates in the corpus database")

    def _inc(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        kind = self.finder.mark(item)
        if kind is not None:
            self._inc(f"fanwen/dedupe/{kind}")
        return item
