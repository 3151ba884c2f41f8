"""Record why URLs produced no article, in the corpus's `crawl_errors` table.

Failures never travel through the item pipelines. The spider reports each one with the
`request_failed` signal (`fanwen_crawler.failures`): from its errback (download errors,
HTTP errors, skipped requests — those carry no error) and for responses that hold no
article (not HTML, soft 404, extraction error, bad continuation page). Items dropped by a
pipeline come from Scrapy's `item_dropped` signal and are recorded as "dropped:<reason>".
Each error is written at once, in its own short transaction, so a killed crawl keeps them.
Counts `fanwen/store/errors`.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from fanwen_crawler.corpus.storage import DROP_REASON, Corpus
from fanwen_crawler.extensions.corpus import crawl_corpus, crawl_run_id
from fanwen_crawler.failures import request_failed
from fanwen_crawler.items import CrawlError


class FailureRecorder:
    """Write reported failures and dropped items to `crawl_errors`."""

    def __init__(self, crawler: Crawler, corpus: Corpus) -> None:
        self.crawler = crawler
        self.corpus = corpus

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureRecorder:
        ext = cls(crawler, crawl_corpus(crawler))
        crawler.signals.connect(ext.request_failed, signal=request_failed)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        return ext

    def record(self, error: CrawlError) -> None:
        written = self.corpus.record_errors([error], crawl_run_id(self.crawler))
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
