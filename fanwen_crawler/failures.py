"""Turn a failed request (a Twisted Failure) into a `CrawlError` with a short reason."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.web._newclient import ResponseFailed

from fanwen_crawler.items import CrawlError
from fanwen_crawler.urls import canonical_url


class AlreadyStored(IgnoreRequest):
    """The article is in the corpus already; the request was skipped on purpose."""


def describe_failure(failure: Any) -> CrawlError | None:
    """A CrawlError for a failed request, or None when the skip was deliberate."""
    request = failure.request
    exc = failure.value
    referer = request.headers.get("Referer")
    ref = referer.decode("latin-1") if isinstance(referer, bytes) else None
    url = canonical_url(request.url)
    status: int | None = None
    if isinstance(exc, AlreadyStored):
        return None
    if isinstance(exc, HttpError):
        status = exc.response.status
        reason = f"http_{status}"
    elif isinstance(exc, DNSLookupError):
        reason = "dns"
    elif isinstance(exc, TimeoutError | TCPTimedOutError):
        reason = "timeout"
    elif isinstance(exc, ConnectionRefusedError):
        reason = "connection_refused"
    elif isinstance(exc, ConnectionLost | ResponseFailed):
        reason = "connection_lost"
    elif isinstance(exc, IgnoreRequest):
        text = str(exc)
        reason = "robots" if "robots.txt" in text else "ignored"
    else:
        reason = type(exc).__name__
    detail = str(exc)[:500] or type(exc).__name__
    return CrawlError(url=url, reason=reason, status=status, detail=detail, referer=ref)
