"""The store pipeline: the Scrapy adapter that writes items into the corpus in batches.

Settings: FANWEN_BATCH_SIZE, FANWEN_FLUSH_SECONDS. Articles are buffered and written by
`Corpus.write_articles` in one transaction per batch, into the crawl's corpus
(`crawler.corpus`, opened once by `fanwen_crawler.extensions.corpus.CrawlCorpus`, which
also keeps the `crawl_runs` row). Failures and dropped items are recorded by
`fanwen_crawler.extensions.failures.FailureRecorder`, not here.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from fanwen_crawler.corpus.storage import DEFAULT_BATCH_SIZE, DEFAULT_FLUSH_SECONDS, Corpus
from fanwen_crawler.extensions.corpus import crawl_corpus, crawl_run_id
from fanwen_crawler.items import ArticleItem, CrawlError

logger = logging.getLogger(__name__)


class StoragePipeline:
    """Scrapy adapter: buffer articles, write them in batches to the crawl's corpus.

    Settings: FANWEN_BATCH_SIZE (default 50), FANWEN_FLUSH_SECONDS (default 5: the buffer
    is written at least this often, so a kill loses little). Off (NotConfigured) when the
    crawl has no corpus (FANWEN_DB_PATH unset).
    Stats: fanwen/store/inserted, …/updated, …/unchanged, …/versioned, …/failed.
    """

    def __init__(self, crawler: Crawler, corpus: Corpus, batch_size: int = DEFAULT_BATCH_SIZE,
                 flush_seconds: float = DEFAULT_FLUSH_SECONDS) -> None:
        self.crawler = crawler
        self.corpus: Corpus | None = corpus
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.articles: list[ArticleItem] = []
        self.last_flush = time.monotonic()
        self._task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        pipeline = cls(
            crawler,
            crawl_corpus(crawler),
            crawler.settings.getint("FANWEN_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            crawler.settings.getfloat("FANWEN_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS),
        )
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        return pipeline

    def _inc(self, key: str, count: int = 1) -> None:
        if count and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def open_spider(self, spider: Any = None) -> None:
        self.last_flush = time.monotonic()

    def spider_opened(self, spider: Any = None) -> None:
        # Started from the signal (inside the running event loop), not from open_spider.
        from scrapy.utils.asyncio import create_looping_call

        if self.flush_seconds > 0:
            self._task = create_looping_call(self.flush_if_due)
            self._task.start(self.flush_seconds, now=False)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        self.articles.append(item)
        if len(self.articles) >= self.batch_size:
            self.flush()
        else:
            self.flush_if_due()
        return item

    def flush_if_due(self) -> None:
        if time.monotonic() - self.last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the buffered articles (one transaction)."""
        self.last_flush = time.monotonic()
        articles, self.articles = self.articles, []
        if articles and self.corpus is not None:
            self._write(articles)

    def _write(self, articles: list[ArticleItem]) -> None:
        assert self.corpus is not None
        try:
            results = [self.corpus.write_articles(articles)]
        except sqlite3.Error:
            # One bad article must not lose its batch: retry one by one, record the failures.
            logger.exception("corpus: batch of %d failed; retrying one by one", len(articles))
            results, failed = [], []
            for item in articles:
                try:
                    results.append(self.corpus.write_articles([item]))
                except sqlite3.Error as exc:
                    logger.exception("corpus: cannot store %s", item.url)
                    failed.append(CrawlError(url=item.url, reason="store_failed", detail=str(exc)))
            self._inc("fanwen/store/failed", len(failed))
            self._inc("fanwen/store/errors",
                      self.corpus.record_errors(failed, crawl_run_id(self.crawler)))
        for r in results:
            self._inc("fanwen/store/versioned", r.versioned)
            self._inc("fanwen/store/inserted", r.inserted)
            self._inc("fanwen/store/updated", r.updated)
            self._inc("fanwen/store/unchanged", r.unchanged)

    def close_spider(self, spider: Any = None) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        self.flush()
        self.corpus = None  # CrawlCorpus closes it
