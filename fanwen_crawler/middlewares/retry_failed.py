"""Spider middleware for `--retry-failed`: re-request URLs whose recorded error was transient.

A plain setting (FANWEN_RETRY_FAILED), so the CLI, `scrapy crawl -s …` and scrapyd's
`-d setting=…` drive it the same way. `RetryFailedMiddleware` appends the URLs whose
recorded error is transient (timeout, connection, truncated, 5xx, 429) to the start
requests, and marks their crawl_errors rows resolved once a response for them is parsed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from fanwen_crawler.corpus.storage import Corpus
from fanwen_crawler.extensions.corpus import crawl_corpus
from fanwen_crawler.urls import canonical_url

logger = logging.getLogger(__name__)

TRANSIENT_REASONS = ("timeout", "connection_refused", "connection_lost", "truncated", "dns",
                     "http_429", "http_408")
TRANSIENT_REASON_PATTERNS = ("http_5%",)
RETRY_KIND = "retry"
RETRY_META = "fanwen_retry"


class RetryFailedMiddleware:
    """Re-request URLs whose last error was transient; mark the errors resolved on success."""

    def __init__(self, crawler: Crawler, corpus: Corpus) -> None:
        self.crawler = crawler
        self.corpus = corpus
        self.urls: list[str] = []
        self.succeeded: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryFailedMiddleware:
        if not crawler.settings.getbool("FANWEN_RETRY_FAILED"):
            raise NotConfigured
        mw = cls(crawler, crawl_corpus(crawler))
        mw.urls = failed_urls(mw.corpus)
        logger.info("retrying %d URLs whose last error was transient", len(mw.urls))
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item_or_request in start:
            yield item_or_request
        spider = self.crawler.spider
        assert spider is not None
        for url in self.urls:
            self._inc("fanwen/retry_failed/requested")
            yield spider.request_for(url, RETRY_KIND, meta={RETRY_META: url})

    def process_spider_input(self, response: Response) -> None:
        if url := response.meta.get(RETRY_META):
            self.succeeded.add(url)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def spider_closed(self, spider: Any = None, reason: str = "") -> None:
        if not self.succeeded:
            return
        n = self.corpus.resolve_errors(sorted(self.succeeded))
        self._inc("fanwen/retry_failed/resolved", len(self.succeeded))
        logger.info("retry-failed: %d URLs succeeded, %d error rows resolved",
                    len(self.succeeded), n)


def failed_urls(corpus: Corpus) -> list[str]:
    """URLs in crawl_errors with an unresolved transient reason and no stored article."""
    return [canonical_url(u) for u in
            corpus.unresolved_errors(TRANSIENT_REASONS, TRANSIENT_REASON_PATTERNS)]
