"""The store pipeline: the Scrapy adapter that writes items into the corpus in batches.

Settings: FANWEN_DB_PATH (required), FANWEN_BATCH_SIZE, FANWEN_FLUSH_SECONDS. Articles are
buffered and written by `Corpus.write_articles` in one transaction per batch; CrawlError
items and dropped items go to `crawl_errors`; a `crawl_runs` row spans the crawl.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from fanwen_crawler.corpus.storage import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_FLUSH_SECONDS,
    DROP_REASON,
    Corpus,
    open_corpus,
)
from fanwen_crawler.failures import linked_url
from fanwen_crawler.items import ArticleItem, CrawlError
from fanwen_crawler.urls import canonical_url

logger = logging.getLogger(__name__)


# --- the Scrapy pipeline ------------------------------------------------------------------


class StoragePipeline:
    """Scrapy adapter: buffer articles and errors, write them in batches to the corpus.

    Settings: FANWEN_DB_PATH (required, else NotConfigured), FANWEN_BATCH_SIZE (default 50),
    FANWEN_FLUSH_SECONDS (default 5: the buffer is written at least this often, so a kill
    loses little). Dropped items are recorded as crawl_errors "dropped:<reason>".
    Stats: fanwen/store/inserted, …/updated, …/unchanged, …/errors, …/failed.
    """

    def __init__(self, crawler: Crawler, db_path: str, batch_size: int = DEFAULT_BATCH_SIZE,
                 flush_seconds: float = DEFAULT_FLUSH_SECONDS) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.corpus: Corpus | None = None
        self.run_id: int | None = None
        self.articles: list[ArticleItem] = []
        self.errors: list[CrawlError] = []
        self.unresolved: set[str] = set()  # URLs with an unresolved error from earlier runs
        self.succeeded: set[str] = set()  # … that answered with a success status this run
        self.last_flush = time.monotonic()
        self._task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        path = crawler.settings.get("FANWEN_DB_PATH")
        if not path:
            raise NotConfigured("FANWEN_DB_PATH is not set")
        pipeline = cls(
            crawler,
            str(path),
            crawler.settings.getint("FANWEN_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            crawler.settings.getfloat("FANWEN_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS),
        )
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.response_received, signal=signals.response_received)
        return pipeline

    def _inc(self, key: str, count: int = 1) -> None:
        if count and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def open_spider(self, spider: Any = None) -> None:
        self.corpus = open_corpus(self.db_path)
        spider = spider or self.crawler.spider
        self.run_id = self.corpus.start_run(getattr(spider, "start_urls", None) or [])
        self.unresolved = set(self.corpus.unresolved_errors([], ["%"]))
        self.last_flush = time.monotonic()

    def spider_opened(self, spider: Any = None) -> None:
        # Started from the signal (inside the running event loop), not from open_spider.
        from scrapy.utils.asyncio import create_looping_call

        if self.flush_seconds > 0:
            self._task = create_looping_call(self.flush_if_due)
            self._task.start(self.flush_seconds, now=False)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            self.articles.append(item)
        elif isinstance(item, CrawlError):
            self.errors.append(item)
        else:
            return item
        if len(self.articles) + len(self.errors) >= self.batch_size:
            self.flush()
        else:
            self.flush_if_due()
        return item

    def response_received(self, response: Any, request: Any, spider: Any = None) -> None:
        """A URL that failed in an earlier run answered now: its errors get resolved.

        (Stored articles resolve their URLs in `Corpus.write_articles`; this covers list
        pages, start URLs and the like.) An error recorded for it again is a new row.
        """
        if not self.unresolved or not 200 <= response.status < 300:
            return
        for url in {linked_url(request.meta, request.url), canonical_url(response.url)}:
            if url in self.unresolved:
                self.unresolved.discard(url)
                self.succeeded.add(url)

    def item_dropped(self, item: Any, exception: BaseException, **kwargs: Any) -> None:
        if not isinstance(item, ArticleItem):
            return
        message = str(exception)
        reason = f"dropped:{message}" if DROP_REASON.match(message) else "dropped"
        response = kwargs.get("response")
        referer = None
        if response is not None and response.request is not None:
            referer = response.request.headers.get("Referer", b"").decode("latin-1") or None
        self.errors.append(CrawlError(url=item.url, reason=reason, detail=message,
                                      referer=referer))

    def flush_if_due(self) -> None:
        if time.monotonic() - self.last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the buffered articles (one transaction) and errors."""
        self.last_flush = time.monotonic()
        if self.corpus is None:
            return
        articles, self.articles = self.articles, []
        if articles:
            self._write(articles)  # may add "store_failed" errors
        succeeded, self.succeeded = self.succeeded, set()
        if succeeded:
            self._inc("fanwen/store/resolved", len(succeeded))
            self.corpus.resolve_errors(sorted(succeeded))
        errors, self.errors = self.errors, []
        if errors:
            self._inc("fanwen/store/errors", self.corpus.record_errors(errors, self.run_id))
            for e in errors:  # policy skips (robots, max-articles) went to `skipped`
                if e.is_skip:
                    self._inc(f"fanwen/skipped/{e.reason.removeprefix('dropped:')}")

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
            self.errors.extend(failed)
        for r in results:
            self._inc("fanwen/store/versioned", r.versioned)
            self._inc("fanwen/store/inserted", r.inserted)
            self._inc("fanwen/store/updated", r.updated)
            self._inc("fanwen/store/unchanged", r.unchanged)

    def close_spider(self, spider: Any = None) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        if self.corpus is None:
            return
        try:
            self.flush()
            if self.run_id is not None:
                stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
                self.corpus.finish_run(self.run_id, "closed", stats)
        finally:
            self.corpus.close()
            self.corpus = None

    def spider_closed(self, spider: Any = None, reason: str = "finished") -> None:
        # Sent after close_spider, once Scrapy knows the finish reason: record it.
        if self.run_id is None:
            return
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        stats.setdefault("finish_reason", reason)
        with open_corpus(self.db_path) as corpus:
            corpus.finish_run(self.run_id, reason, stats)
