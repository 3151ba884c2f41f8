"""Item pipeline for `--max-articles`: store at most N new articles, then close the spider.

A plain setting (FANWEN_MAX_ARTICLES), so the CLI, `scrapy crawl -s …` and scrapyd's
`-d setting=…` drive it the same way. `ArticleLimitPipeline` (before dedupe) counts
articles not yet in the corpus; the Nth closes the spider (reason "max_articles"). Pages
already downloading when it closes still produce articles: those are dropped with reason
"max_articles" (recorded in crawl_errors, fetched again by the next run), so exactly N
new articles are stored.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from fanwen_crawler.items import ArticleItem

logger = logging.getLogger(__name__)




class ArticleLimitPipeline:
    """Store at most FANWEN_MAX_ARTICLES new articles, then close the spider."""

    def __init__(self, crawler: Crawler, limit: int) -> None:
        self.crawler = crawler
        self.limit = limit
        self.seen: set[str] = set()
        self.count = 0
        self._closing: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleLimitPipeline:
        limit = crawler.settings.getint("FANWEN_MAX_ARTICLES", 0)
        if limit <= 0:
            raise NotConfigured
        return cls(crawler, limit)

    def open_spider(self, spider: Any = None) -> None:
        # With --refresh stored articles are fetched again; they are not "new".
        corpus = getattr(self.crawler, "corpus", None)
        self.seen = corpus.stored_urls() if corpus is not None else set()

    def process_item(self, item: ArticleItem) -> ArticleItem:
        if item.url in self.seen:
            return item
        if self.count >= self.limit:
            raise DropItem("max_articles", log_level="DEBUG")
        self.count += 1
        self.seen.add(item.url)
        if self.count == self.limit and self.crawler.engine is not None:
            logger.info("max articles (%d) reached: closing the spider", self.limit)
            self._closing = deferred_from_coro(
                self.crawler.engine.close_spider_async(reason="max_articles"))
        return item

