"""Downloader middleware: wait what a 429/503 asked for (Retry-After) before the retry.

Scrapy's duplicate filter silently drops the second hop of a redirect loop, so the
linked URL would vanish without a trace; `RedirectLoopMiddleware` fails it with a
reason instead. Scrapy's retry middleware retries 429/503 at once; `RetryAfterMiddleware`
first waits what the server asked for (bounded by FANWEN_MAX_RETRY_AFTER), without
blocking the other requests.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

RETRY_AFTER_STATUSES = frozenset({429, 503})



def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    """Wait a 429/503's Retry-After (at most FANWEN_MAX_RETRY_AFTER s) before it is retried."""

    def __init__(self, max_wait: float, stats: Any) -> None:
        self.max_wait = max_wait
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler.settings.getfloat("FANWEN_MAX_RETRY_AFTER", 60.0), crawler.stats)

    async def process_response(self, request: Request, response: Response,
                               spider: Any = None) -> Response:
        if response.status in RETRY_AFTER_STATUSES:
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            if wait is not None and 0 < wait <= self.max_wait:
                self.stats.inc_value("fanwen/retry_after/waits")
                await asyncio.sleep(wait)
        return response

