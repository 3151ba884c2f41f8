"""The store pipeline: the Scrapy adapter that writes items into the corpus in batches.

Settings: FANWEN_BATCH_SIZE, FANWEN_FLUSH_SECONDS. Articles are buffered and written by
`Corpus.write_articles` in one transaction per batch, into the crawl's corpus
(`crawler.corpus`, opened once by `fanwen_crawler.extensions.corpus.CrawlCorpus`, which
also keeps the `crawl_runs` row). Failures and dropped items are recorded by
`fanwen_crawler.extensions.failures.FailureRecorder`, not here.

Nothing is lost silently. An article whose write fails (after the corpus's own busy
retries) stays pending and is written again when the spider closes; one still not stored
is recorded as `store_failed` and counted in `fanwen/store/failed`, which makes the crawl
exit non-zero. A write that cannot succeed by retrying (disk full, read-only database, I/O
error: `CorpusWriteError`) stops the crawl at once: the spider closes with reason
`corpus_write_failed`, the stat `fanwen/store/fatal` holds the reason, and `CrawlCorpus`
marks the run's `crawl_runs` row `failed` with it.

After each committed batch the pipeline sends the signal `articles_stored`
(`fanwen_crawler.extensions.corpus`) with the ids of
the articles it inserted or changed (`ids=[…]`): the `Enrich` extension
(`fanwen_crawler.extensions.enrich`) computes their keywords and search-index rows while
the crawl goes on.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from fanwen_crawler.corpus.storage import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_FLUSH_SECONDS,
    Corpus,
    CorpusWriteError,
)
from fanwen_crawler.extensions.corpus import articles_stored, crawl_corpus, crawl_run_id
from fanwen_crawler.items import ArticleItem, CrawlError

logger = logging.getLogger(__name__)

CLOSE_REASON = "corpus_write_failed"
"""The spider's close reason after a write that retrying cannot fix."""
PENDING_RETRY_DELAY_S = 1.0


class StoragePipeline:
    """Scrapy adapter: buffer articles, write them in batches to the crawl's corpus.

    Settings: FANWEN_BATCH_SIZE (default 50), FANWEN_FLUSH_SECONDS (default 5: the buffer
    is written at least this often, so a kill loses little). Off (NotConfigured) when the
    crawl has no corpus (FANWEN_DB_PATH unset).
    Stats: fanwen/store/inserted, …/updated, …/unchanged, …/versioned, …/failed (never
    stored), …/retried (stored on the retry at close), …/fatal (the reason a write could
    not succeed), …/not_stored (articles that arrived after that).
    """

    def __init__(self, crawler: Crawler, corpus: Corpus, batch_size: int = DEFAULT_BATCH_SIZE,
                 flush_seconds: float = DEFAULT_FLUSH_SECONDS) -> None:
        self.crawler = crawler
        self.corpus: Corpus | None = corpus
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.articles: list[ArticleItem] = []
        self.pending: list[ArticleItem] = []
        """Articles whose write failed; written again when the spider closes."""
        self.fatal: CorpusWriteError | None = None
        self.last_flush = time.monotonic()
        self._task: Any = None
        self._closing: Any = None

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
        if self.fatal is not None:
            self._inc("fanwen/store/not_stored")
            return item
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
        """Write the buffered articles (one transaction); failures stay pending."""
        self.last_flush = time.monotonic()
        if self.corpus is None or self.fatal is not None:
            return
        articles, self.articles = self.articles, []
        if not articles:
            return
        try:
            self._write(articles)
        except CorpusWriteError as exc:
            self._stop(exc)

    def _write(self, articles: list[ArticleItem]) -> list[ArticleItem]:
        """Write a batch; return (and keep pending) the articles that could not be written."""
        assert self.corpus is not None
        try:
            results = [self.corpus.write_articles(articles)]
            failed: list[ArticleItem] = []
        except CorpusWriteError:
            raise
        except sqlite3.Error as exc:
            # One bad article must not lose its batch: retry one by one, keep the failures.
            logger.warning("corpus: batch of %d failed (%s); retrying one by one",
                           len(articles), exc)
            results, failed = [], []
            for item in articles:
                try:
                    results.append(self.corpus.write_articles([item]))
                except CorpusWriteError:
                    raise
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
        if not pending or self.corpus is None:
            return
        time.sleep(PENDING_RETRY_DELAY_S)
        stored, failed = 0, []
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
                failed.append(CrawlError(url=item.url, reason="store_failed", detail=str(exc)))
        self._inc("fanwen/store/retried", stored)
        self._inc("fanwen/store/failed", len(failed))
        if failed:
            try:
                self._inc("fanwen/store/errors",
                          self.corpus.record_errors(failed, crawl_run_id(self.crawler)))
            except (sqlite3.Error, CorpusWriteError) as exc:
                logger.error("corpus: cannot record %d store_failed errors: %s", len(failed), exc)

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
        ids = [i for r in results for i in r.ids]
        if ids:
            self.crawler.signals.send_catch_log(articles_stored, ids=ids)
        for r in results:
            self._inc("fanwen/store/versioned", r.versioned)
            self._inc("fanwen/store/inserted", r.inserted)
            self._inc("fanwen/store/updated", r.updated)
            self._inc("fanwen/store/unchanged", r.unchanged)

    def close_spider(self, spider: Any = None) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        self.flush()
        if self.fatal is None:
            self._retry_pending()
        self.corpus = None  # CrawlCorpus closes it
