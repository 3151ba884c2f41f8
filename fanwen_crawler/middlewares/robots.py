"""Downloader middleware: robots.txt per RFC 9309, on top of Scrapy's RobotsTxtMiddleware.

Scrapy parses whatever body robots.txt answered with, so a 503 error page or a timeout
means "allow everything". RFC 9309 §2.3.1 says otherwise, and this subclass does it:

- 2xx: the rules (Protego) apply, as in Scrapy.
- 4xx (404, 403 …): robots.txt is "unavailable": everything is allowed.
  Counted as `fanwen/robots/allow_4xx`.
- 5xx, or unreachable (timeout, refused, reset): robots.txt is "unreachable": the site
  is completely disallowed. Each refused request is recorded: `robots_unavailable`
  after a 5xx, the network error itself (`timeout`, `connection_refused` …) when the
  site could not be reached at all; none is sent. robots.txt is fetched again, later in
  the run, when a request for the site comes after FANWEN_ROBOTS_RETRY seconds.
  Counted as `fanwen/robots/unreachable`.
- The robots.txt request is bounded: FANWEN_ROBOTS_TIMEOUT seconds, one retry.
- `Crawl-delay` larger than DOWNLOAD_DELAY becomes the site's delay (no jitter, and
  AutoThrottle may not lower it), capped at CRAWL_DELAY_MAX; off with DOWNLOAD_DELAY 0
  (`--delay 0`).

Set in DOWNLOADER_MIDDLEWARES in place of Scrapy's RobotsTxtMiddleware (priority 100).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)
CRAWL_DELAY_MAX = 60.0  # a hostile "Crawl-delay: 86400" must not stall a run for a day


class RobotsUnavailable(IgnoreRequest):
    """robots.txt answered 5xx or could not be fetched: the site is disallowed for now."""

    reason = "robots_unavailable"


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    """RFC 9309 status handling, a bounded robots.txt fetch and Crawl-delay (module doc)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.timeout = settings.getfloat("FANWEN_ROBOTS_TIMEOUT", 10.0)
        self.retry_seconds = settings.getfloat("FANWEN_ROBOTS_RETRY", 60.0)
        self.min_delay = settings.getfloat("DOWNLOAD_DELAY")
        # netloc → (why, retry at, the network error when robots.txt was not reached at all)
        self.unreachable: dict[str, tuple[str, float, Exception | None]] = {}
        self.delays: dict[str, float] = {}  # download slot → Crawl-delay in force

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("dont_obey_robotstxt") or request.url.startswith(("data:", "file:")):
            return
        netloc = urlparse_cached(request).netloc
        if (down := self.unreachable.get(netloc)) and time.monotonic() >= down[1]:
            del self.unreachable[netloc]  # fetch robots.txt again, later in the run
            self._parsers.pop(netloc, None)
        rp = await self.robot_parser(request)
        if down := self.unreachable.get(netloc):
            if down[2] is not None:
                # The site itself is unreachable: the request fails as it would have (and is
                # recorded as timeout, dns, connection_refused …), without being sent.
                raise down[2]
            raise RobotsUnavailable(f"robots.txt {down[0]}: site disallowed (RFC 9309)")
        if rp is not None:
            self._crawl_delay(request, rp)
        self.process_request_2(rp, request)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        # Scrapy's, with a bounded robots.txt request.
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robotsreq = Request(
                f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True, "download_timeout": self.timeout,
                      "max_retry_times": 1},
                callback=NO_CALLBACK)
            try:
                resp = await self.crawler.engine.download_async(robotsreq)  # type: ignore[union-attr]
                await self._parse_robots(resp, netloc, request)
            except Exception as exc:
                network = None if isinstance(exc, IgnoreRequest) else exc
                self._unreachable(netloc, f"unreachable ({type(exc).__name__}: {exc})"[:200],
                                  network)
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if 200 <= status < 300:
            await super()._parse_robots(response, netloc, request)
            return
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{status}")
        if 400 <= status < 500:
            self._stats.inc_value("fanwen/robots/allow_4xx")
            logger.info("robots.txt of %s answered %d: everything allowed (RFC 9309)",
                        netloc, status)
        else:
            self._unreachable(netloc, f"answered {status}")
        rp_dfd = self._parsers[netloc]
        self._parsers[netloc] = None
        if isinstance(rp_dfd, Deferred):
            rp_dfd.callback(None)

    def _unreachable(self, netloc: str, why: str, error: Exception | None = None) -> None:
        self.unreachable[netloc] = (why, time.monotonic() + self.retry_seconds, error)
        self._stats.inc_value("fanwen/robots/unreachable")
        logger.warning("robots.txt of %s %s: the site is disallowed; robots.txt is fetched "
                       "again after %.0f s (RFC 9309)", netloc, why, self.retry_seconds)

    def _crawl_delay(self, request: Request, rp: RobotParser) -> None:
        """Slow the request's download slot to the site's Crawl-delay, when that is larger."""
        if self.min_delay <= 0:
            return  # --delay 0: unthrottled on purpose
        useragent = self._robotstxt_useragent or request.headers.get(
            b"User-Agent", self._default_useragent)
        delay = rp.crawl_delay(useragent or "")  # type: ignore[attr-defined]
        if not delay or delay <= self.min_delay:
            return
        delay = min(float(delay), CRAWL_DELAY_MAX)
        downloader = self.crawler.engine.downloader  # type: ignore[union-attr]
        key = downloader.get_slot_key(request)
        request.meta["autothrottle_dont_adjust_delay"] = True
        if self.delays.get(key) == delay:
            return
        self.delays[key] = delay
        downloader.per_slot_settings[key] = {
            **downloader.per_slot_settings.get(key, {}), "delay": delay, "jitter": 0}
        if slot := downloader.slots.get(key):
            slot.delay, slot.jitter = delay, 0
        self._stats.set_value("fanwen/robots/crawl_delay", delay)
        logger.info("robots.txt Crawl-delay: %.1f s between requests to %s", delay, key)

