"""Downloader middleware: `--max-pages N` stops promptly, after about N page requests.

Scrapy's CLOSESPIDER_PAGECOUNT closes the spider after N *responses*; by then the
engine has already handed up to CONCURRENT_REQUESTS more requests to the downloader,
where they wait out the download delay one by one, so a polite crawl fetched 22 pages
for `--max-pages 8` and kept going 18 s after "Closing spider". `PageBudgetMiddleware`
counts requests as they are sent instead: the Nth pauses the engine (the frontier keeps
everything not yet sent, for a resume), later ones already past the scheduler are
dropped without a record, and the spider closes ("closespider_pagecount") as soon as
the N requests sent have come back. robots.txt fetches are not pages and never count.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

REASON = "closespider_pagecount"


class OverBudget(IgnoreRequest):
    """The page budget is spent: the request was not sent (deliberate; not recorded)."""

    silent = True


class PageBudgetMiddleware:
    """Send at most CLOSESPIDER_PAGECOUNT page requests, then close when they are back."""

    def __init__(self, crawler: Crawler, budget: int) -> None:
        self.crawler = crawler
        self.budget = budget
        self.sent = 0
        self.inflight: set[int] = set()
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudgetMiddleware:
        budget = crawler.settings.getint("CLOSESPIDER_PAGECOUNT")
        if budget <= 0:
            raise NotConfigured
        return cls(crawler, budget)

    def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return  # robots.txt: not a page
        if self.sent >= self.budget:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("fanwen/max_pages/not_sent")
            raise OverBudget(f"--max-pages {self.budget} reached")
        self.sent += 1
        self.inflight.add(id(request))
        if self.sent >= self.budget and self.crawler.engine is not None:
            self.crawler.engine.pause()  # the frontier keeps the rest

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        self._back(request)
        return response

    def process_exception(self, request: Request, exception: Exception,
                          spider: Any = None) -> None:
        self._back(request)

    def _back(self, request: Request) -> None:
        self.inflight.discard(id(request))
        if self.sent >= self.budget and not self.inflight and not self.closing:
            self.closing = True
            engine = self.crawler.engine
            if engine is not None:
                deferred_from_coro(engine.close_spider_async(reason=REASON))
