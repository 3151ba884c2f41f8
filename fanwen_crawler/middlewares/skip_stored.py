"""Downloader middleware for incremental crawls: a stored article costs no request.

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

from fanwen_crawler.extensions.corpus import crawl_corpus
from fanwen_crawler.failures import AlreadyStored
from fanwen_crawler.urls import canonical_of

logger = logging.getLogger(__name__)
# Start URLs are always fetched (they are hubs); continuation pages belong to an article
# being assembled right now. Any other request for a stored article URL is skipped.
ALWAYS_FETCH_KINDS = frozenset({"start", "continuation"})


class SkipStoredMiddleware:
    def __init__(self, stored: set[str], stats: Any) -> None:
        self.stats = stats
        self.stored = stored

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipStoredMiddleware:
        if not crawler.settings.getbool("FANWEN_SKIP_STORED", True):
            raise NotConfigured  # --refresh: nothing to skip
        mw = cls(crawl_corpus(crawler).stored_urls(), crawler.stats)
        logger.info("%d stored articles will not be fetched again", len(mw.stored))
        return mw

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("fanwen_kind") not in ALWAYS_FETCH_KINDS and (
            canonical_of(request) in self.stored
        ) and not request.meta.get("fanwen_refetch"):  # a sitemap says it changed
            self.stats.inc_value("fanwen/skipped/stored")
            raise AlreadyStored(f"already stored: {request.url}")
