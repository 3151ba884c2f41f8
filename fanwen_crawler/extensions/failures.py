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

import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from fanwen_crawler.corpus.storage import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_FLUSH_SECONDS,
    DROP_REASON,
    Corpus,
)
from fanwen_crawler.extensions.corpus import crawl_corpus, crawl_run_id
from fanwen_crawler.failures import request_failed
from fanwen_crawler.items import CrawlError


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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureRecorder:
        ext = cls(crawler, crawl_corpus(crawler))
        crawler.signals.connect(ext.request_failed, signal=request_failed)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.flush, signal=signals.spider_closed)
        return ext

    def record(self, error: CrawlError) -> None:
        self.errors.append(error)
        if (len(self.errors) >= self.batch_size
                or time.monotonic() - self.last_flush >= self.flush_seconds):
            self.flush()

    def flush(self, **kwargs: Any) -> None:
        """Write the buffered errors (one transaction)."""
        self.last_flush = time.monotonic()
        errors, self.errors = self.errors, []
        if errors:
            written = self.corpus.record_errors(errors, crawl_run_id(self.crawler))
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("fanwen/store/errors", written)

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
