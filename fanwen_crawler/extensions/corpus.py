"""The corpus of one crawl, opened once: `crawler.corpus`, and the crawl's `crawl_runs` row.

`CrawlCorpus` opens FANWEN_DB_PATH when the crawler is built (before any middleware or
pipeline), puts the `Corpus` on the crawler, opens a `crawl_runs` row when the spider
opens and closes it, with the finish reason and the final stats, once the engine has
stopped (after every spider_closed handler has written what it had). Components take the
corpus with `crawl_corpus(crawler)`; none opens the database itself.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from fanwen_crawler.corpus.storage import Corpus, CorpusWriteError, open_corpus

logger = logging.getLogger(__name__)

articles_stored = object()
"""Signal the store pipeline sends after each committed batch, with `ids`: the articles it
inserted or changed (the `Enrich` extension computes their keywords and index rows)."""


def crawl_corpus(crawler: Crawler) -> Corpus:
    """The crawl's corpus; NotConfigured (component off) when the crawl has none."""
    corpus = getattr(crawler, "corpus", None)
    if corpus is None:
        raise NotConfigured("no corpus: FANWEN_DB_PATH is unset or CrawlCorpus is disabled")
    return corpus


def crawl_run_id(crawler: Crawler) -> int | None:
    """The id of this crawl's `crawl_runs` row (None before the spider opened)."""
    return getattr(crawler, "crawl_run_id", None)


class CrawlCorpus:
    """Open the corpus once per crawl and keep its `crawl_runs` row."""

    def __init__(self, crawler: Crawler, corpus: Corpus) -> None:
        self.crawler = crawler
        self.corpus: Corpus | None = corpus

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlCorpus:
        path = crawler.settings.get("FANWEN_DB_PATH")
        if not path:
            raise NotConfigured("FANWEN_DB_PATH is not set")
        ext = cls(crawler, open_corpus(path))
        crawler.corpus = ext.corpus  # type: ignore[attr-defined]
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider: Any) -> None:
        assert self.corpus is not None
        run_id = self.corpus.start_run(getattr(spider, "start_urls", None) or [])
        self.crawler.crawl_run_id = run_id  # type: ignore[attr-defined]

    def engine_stopped(self) -> None:
        self.close()

    def close(self) -> None:
        """Record the run's finish reason and stats, then close the corpus (idempotent)."""
        if self.corpus is None:
            return
        try:
            if (run_id := crawl_run_id(self.crawler)) is not None:
                self._finish_run(self.corpus, run_id)
        finally:
            self.corpus.close()
            self.corpus = None
            self.crawler.corpus = None  # type: ignore[attr-defined]

    def _finish_run(self, corpus: Corpus, run_id: int) -> None:
        """Close the run's row: "failed" with the reason after a fatal write error."""
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        fatal = stats.get("fanwen/store/fatal")
        try:
            if fatal is None:
                corpus.finish_run(run_id, str(stats.get("finish_reason", "closed")), stats)
                return
        except CorpusWriteError as exc:
            fatal = f"{exc.reason}: {exc}"
        try:
            corpus.finish_run(run_id, "failed", stats, reason=str(fatal))
        except (sqlite3.Error, CorpusWriteError):
            # A full disk may leave no room for the row's new version in the WAL: fold the
            # WAL into the database (which frees its pages) and try once more.
            try:
                corpus.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                corpus.finish_run(run_id, "failed", stats, reason=str(fatal))
            except (sqlite3.Error, CorpusWriteError) as exc:
                logger.error("corpus: cannot mark run %s failed (%s); the next crawl marks it "
                             "killed", run_id, exc)
