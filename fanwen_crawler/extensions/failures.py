"""Record why URLs produced no article, in the corpus's `crawl_errors` table.

Failures never travel through the item pipelines. The spider reports each one with the
`request_failed` signal (`fanwen_crawler.failures`): from its errback (download errors,
HTTP errors, skipped requests — those carry no error) and for responses that hold no
article (not HTML, soft 404, extraction error, bad continuation page). Items dropped by a
pipeline come from Scrapy's `item_dropped` signal and are recorded as "dropped:<reason>".
Errors are written in batches (FANWEN_BATCH_SIZE, or after FANWEN_FLUSH_SECONDS, and when
the spider closes), one transaction each: a killed crawl loses at most one batch.
Counts `fanwen/store/errors`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from fanwen_crawler.corpus.storage import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_FLUSH_SECONDS,
    DROP_REASON,
    Corpus,
    CorpusWriteError,
)
from fanwen_crawler.extensions.corpus import crawl_corpus, crawl_run_id
from fanwen_crawler.failures import request_failed
from fanwen_crawler.items import CrawlError
from fanwen_crawler.urls import canonical_url, linked_canonical

logger = logging.getLogger(__name__)


class FailureRecorder:
    """Write reported failures and dropped items to `crawl_errors`."""

    def __init__(self, crawler: Crawler, corpus: Corpus) -> None:
        self.crawler = crawler
        self.corpus = corpus
        self.batch_size = max(1, crawler.settings.getint("FANWEN_BATCH_SIZE", DEFAULT_BATCH_SIZE))
        self.flush_seconds = crawler.settings.getfloat("FANWEN_FLUSH_SECONDS",
                                                       DEFAULT_FLUSH_SECONDS)
        self.errors: list[CrawlError] = []
        self.last_flush = time.monotonic()
        self.unresolved: set[str] = set()  # URLs with an unresolved error from earlier runs
        self.succeeded: set[str] = set()  # … that answered with a success status this run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureRecorder:
        ext = cls(crawler, crawl_corpus(crawler))
        crawler.signals.connect(ext.request_failed, signal=request_failed)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.flush, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def spider_opened(self, spider: Any = None) -> None:
        self.unresolved = set(self.corpus.unresolved_errors([], ["%"]))

    def response_received(self, response: Any, request: Any, spider: Any = None) -> None:
        """A URL that failed in an earlier run answered now: its errors get resolved.

        (Stored articles resolve their URLs in `Corpus.write_articles`; this covers list
        pages, start URLs and the like.) An error recorded for it again is a new row.
        """
        if not self.unresolved or not 200 <= response.status < 300:
            return
        for url in {linked_canonical(request.meta, request.url), canonical_url(response.url)}:
            if url in self.unresolved:
                self.unresolved.discard(url)
                self.succeeded.add(url)

    def record(self, error: CrawlError) -> None:
        self.errors.append(error)
        if (len(self.errors) >= self.batch_size
                or time.monotonic() - self.last_flush >= self.flush_seconds):
            self.flush()

    def flush(self, **kwargs: Any) -> None:
        """Write the buffered errors (one transaction)."""
        self.last_flush = time.monotonic()
        errors, self.errors = self.errors, []
        succeeded, self.succeeded = self.succeeded, set()
        try:
            if succeeded:
                self._inc("fanwen/store/resolved", self.corpus.resolve_errors(sorted(succeeded)))
            if errors:
                self._inc("fanwen/store/errors",
                          self.corpus.record_errors(errors, crawl_run_id(self.crawler)))
        except CorpusWriteError as exc:  # the store pipeline stops the crawl on these
            logger.error("corpus: cannot record %d errors: %s", len(errors), exc)
            return
        for e in errors:  # policy skips (robots, max-articles) went to `skipped`
            if e.is_skip:
                self._inc(f"fanwen/skipped/{e.reason.removeprefix('dropped:')}")

    def _inc(self, key: str, count: int = 1) -> None:
        if count and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def request_failed(self, error: CrawlError | None = None, **kwargs: Any) -> None:
        if error is not None:
            self.record(error)

    def item_dropped(self, item: Any, exception: BaseException, **kwargs: Any) -> None:
        message = str(exception)
        reason = f"dropped:{message}" if DROP_REASON.match(message) else "dropped"
        response = kwargs.get("response")
        referer = None
        if response is not None and response.request is not None:
            referer = response.request.headers.get("Referer", b"").decode("latin-1") or None
        self.record(CrawlError(url=item.url, reason=reason, detail=message, referer=referer))
