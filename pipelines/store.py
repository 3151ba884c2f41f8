"""The store pipeline: the Scrapy adapter that writes items into the corpus in batches.

Settings: FANWEN_DB_PATH (required), FANWEN_BATCH_SIZE, FANWEN_FLUSH_SECONDS. Articles are
buffered and written by `Corpus.write_articles` in one transaction per batch; CrawlError
items and dropped items go to `crawl_errors`; a `crawl_runs` row spans the crawl.

Nothing is lost silently. An article whose write fails (after the corpus's own busy
retries) stays pending and is written again when the spider closes; one still not stored
is recorded as `store_failed` and counted in `fanwen/store/failed`, which makes the crawl
exit non-zero. A write that cannot succeed by retrying (disk full, read-only database, I/O
error: `CorpusWriteError`) stops the crawl at once: the spider closes with reason
`corpus_write_failed`, the stat `fanwen/store/fatal` holds the reason, and the run's
`crawl_runs` row is marked `failed` with it.
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
    CorpusWriteError,
    open_corpus,
)
from fanwen_crawler.items import ArticleItem, CrawlError
from fanwen_crawler.urls import canonical_url
from fanwen_crawler.urls import linked_canonical as linked_url

logger = logging.getLogger(__name__)

CLOSE_REASON = "corpus_write_failed"
"""The spider's close reason after a write that retrying cannot fix (exit code 3)."""
PENDING_RETRY_DELAY_S = 1.0


# --- the Scrapy pipeline ------------------------------------------------------------------


class StoragePipeline:
    """Scrapy adapter: buffer articles and errors, write them in batches to the corpus.

    Settings: FANWEN_DB_PATH (required, else NotConfigured), FANWEN_BATCH_SIZE (default 50),
    FANWEN_FLUSH_SECONDS (default 5: the buffer is written at least this often, so a kill
    loses little). Dropped items are recorded as crawl_errors "dropped:<reason>".
    Stats: fanwen/store/inserted, …/updated, …/unchanged, …/errors, …/failed (never stored),
    …/retried (stored on the retry at close), …/fatal (the reason a write could not succeed),
    …/not_stored (articles that arrived after that).
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
        self.pending: list[ArticleItem] = []
        """Articles whose write failed; written again when the spider closes."""
        self.fatal: CorpusWriteError | None = None
        self.unresolved: set[str] = set()  # URLs with an unresolved error from earlier runs
        self.succeeded: set[str] = set()  # … that answered with a success status this run
        self.last_flush = time.monotonic()
        self._task: Any = None
        self._closing: Any = None

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
        if self.fatal is not None:
            if isinstance(item, ArticleItem):
                self._inc("fanwen/store/not_stored")
            return item
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
        if self.corpus is None or self.fatal is not None:
            return
        try:
            articles, self.articles = self.articles, []
            if articles:
                self._write(articles)  # failures stay pending
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
        except CorpusWriteError as exc:
            self._stop(exc)

    def _write(self, articles: list[ArticleItem]) -> list[ArticleItem]:
        """Write a batch; return (and keep pending) the articles that could not be written."""
        assert self.corpus is not None
        try:
            results = [self.corpus.write_articles(articles)]
            failed: list[ArticleItem] = []
        except sqlite3.Error as exc:
            # One bad article must not lose its batch: retry one by one, keep the failures.
            logger.warning("corpus: batch of %d failed (%s); retrying one by one",
                           len(articles), exc)
            results, failed = [], []
            for item in articles:
                try:
                    results.append(self.corpus.write_articles([item]))
                except sqlite3.Error as item_exc:
                    logger.warning("corpus: cannot store %s yet (%s); retried at close",
                                   item.url, item_exc)
                    failed.append(item)
            self.pending.extend(failed)
        self._count(results)
        return failed

    def _retry_pending(self) -> None:
        """Write the pending articles again; record those still failing as store_failed."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        time.sleep(PENDING_RETRY_DELAY_S)
        stored = 0
        assert self.corpus is not None
        for i, item in enumerate(pending):
            try:
                self._count([self.corpus.write_articles([item])])
                stored += 1
            except CorpusWriteError as exc:
                self.pending = pending[i:]
                self._inc("fanwen/store/retried", stored)
                self._stop(exc)
                return
            except sqlite3.Error as exc:
                logger.error("corpus: cannot store %s: %s", item.url, exc)
                self.errors.append(CrawlError(url=item.url, reason="store_failed",
                                              detail=str(exc)))
        self._inc("fanwen/store/retried", stored)
        self._inc("fanwen/store/failed", len(pending) - stored)

    def _stop(self, exc: CorpusWriteError) -> None:
        """Stop the crawl after a write that cannot succeed (disk full, read-only …)."""
        if self.fatal is not None:
            return
        self.fatal = exc
        self._inc("fanwen/store/not_stored", len(self.articles) + len(self.pending))
        self.articles, self.pending = [], []
        logger.error("corpus: %s (%s); stopping the crawl", exc, exc.reason)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("fanwen/store/fatal", f"{exc.reason}: {exc}")
        try:
            engine = self.crawler.engine
        except RuntimeError:  # not crawling (the pipeline used on its own)
            return
        if engine is not None and getattr(engine, "running", False):
            from scrapy.utils.defer import deferred_from_coro

            self._closing = deferred_from_coro(engine.close_spider_async(reason=CLOSE_REASON))

    def _count(self, results: list[Any]) -> None:
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
            if self.fatal is None:
                self._retry_pending()
                self.flush()  # the store_failed errors
            if self.run_id is not None:
                self._finish_run("closed")
        finally:
            self.corpus.close()
            self.corpus = None

    def _finish_run(self, status: str) -> None:
        """Close the run's row: "failed" with the reason after a fatal write error."""
        assert self.corpus is not None and self.run_id is not None
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        if self.fatal is None:
            try:
                self.corpus.finish_run(self.run_id, status, stats)
            except CorpusWriteError as exc:
                self._stop(exc)
            else:
                return
        reason = f"{self.fatal.reason}: {self.fatal}" if self.fatal else None
        try:
            self.corpus.finish_run(self.run_id, "failed", stats, reason=reason)
        except (sqlite3.Error, CorpusWriteError):
            # A full disk may leave no room for the row's new version in the WAL: fold the
            # WAL into the database (which frees its pages) and try once more.
            try:
                self.corpus.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self.corpus.finish_run(self.run_id, "failed", stats, reason=reason)
            except (sqlite3.Error, CorpusWriteError) as exc:
                logger.error("corpus: cannot mark run %s failed (%s); the next crawl marks it "
                             "killed", self.run_id, exc)

    def spider_closed(self, spider: Any = None, reason: str = "finished") -> None:
        # Sent after close_spider, once Scrapy knows the finish reason: record it.
        if self.run_id is None or self.fatal is not None:
            return  # a failed run stays "failed", with its reason
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        stats.setdefault("finish_reason", reason)
        try:
            with open_corpus(self.db_path) as corpus:
                corpus.finish_run(self.run_id, reason, stats)
        except CorpusWriteError as exc:
            logger.error("corpus: cannot record the finish reason of run %s: %s",
                         self.run_id, exc)
