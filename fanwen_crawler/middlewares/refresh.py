"""Downloader middleware for `--refresh`: refetch stored articles conditionally (ETag, 304).

`SkipStoredMiddleware` is what makes re-runs incremental and resumed crawls cheap: list
pages are fetched again, but an article whose canonical URL is already stored costs no
request. `fanwen crawl --refresh` turns it off (FANWEN_SKIP_STORED = False) and turns on
`ConditionalRefreshMiddleware`, which refetches stored articles conditionally.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from fanwen_crawler.extensions.corpus import crawl_corpus
from fanwen_crawler.failures import AlreadyStored
from fanwen_crawler.urls import canonical_of

logger = logging.getLogger(__name__)



class NotModified(AlreadyStored):
    """The server answered 304 to a conditional refresh: the stored article is current."""


class ConditionalRefreshMiddleware:
    """On --refresh, ask for stored articles conditionally (If-None-Match / If-Modified-Since).

    The corpus keeps each article's ETag and Last-Modified; a 304 answer counts as an
    unchanged article (`fanwen/refresh/not_modified`) and costs no body. Servers that
    ignore the headers answer 200 and the article is compared by content as usual.
    Off unless FANWEN_SKIP_STORED is off (i.e. --refresh) and FANWEN_CONDITIONAL is on.
    """

    def __init__(self, validators: dict[str, tuple[str | None, str | None]], stats: Any) -> None:
        self.validators = validators
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRefreshMiddleware:
        settings = crawler.settings
        if settings.getbool("FANWEN_SKIP_STORED", True):
            raise NotConfigured
        if not settings.getbool("FANWEN_CONDITIONAL", True):
            raise NotConfigured
        validators = crawl_corpus(crawler).validators()
        logger.info("%d stored articles have ETag/Last-Modified for conditional refresh",
                    len(validators))
        return cls(validators, crawler.stats)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("fanwen_kind") == "continuation":
            return
        etag, modified = self.validators.get(canonical_of(request), (None, None))
        if etag:
            request.headers.setdefault(b"If-None-Match", etag.encode("latin-1"))
        if modified:
            request.headers.setdefault(b"If-Modified-Since", modified.encode("latin-1"))

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:
        if response.status == 304 and (
            b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers
        ):
            self.stats.inc_value("fanwen/refresh/not_modified")
            raise NotModified(f"not modified: {request.url}")
        return response
