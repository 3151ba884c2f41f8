"""Downloader middleware: robots.txt per RFC 9309, on top of Scrapy's RobotsTxtMiddleware.

Scrapy parses whatever body robots.txt answered with, so a 503 error page or a timeout
means "allow everything". RFC 9309 §2.3.1 says otherwise, and this subclass does it:

- 2xx: the rules (Protego) apply, as in Scrapy.
- 4xx (404, 403 …): robots.txt is "unavailable": everything is allowed.
  Counted as `fanwen/robots/allow_4xx`.
- 5xx, or unreachable (timeout, refused, reset): robots.txt is "unreachable": the site
  is completely disallowed, and no request to it is sent. Counted as
  `fanwen/robots/unreachable`.
  - After a 5xx the site's requests are held and robots.txt is fetched again later in
    the run (after FANWEN_ROBOTS_RETRY seconds, then twice that); after ROBOTS_ATTEMPTS
    failed fetches each request is recorded as `robots_unavailable`.
  - When the site could not be reached at all, each request is recorded with the
    network error itself (`timeout`, `connection_refused` …, transient, so
    `--retry-failed` asks again), and robots.txt is tried again for a request that comes
    after FANWEN_ROBOTS_RETRY seconds.
- The robots.txt request is bounded: FANWEN_ROBOTS_TIMEOUT seconds, one retry.
- `Crawl-delay` larger than DOWNLOAD_DELAY becomes the site's delay (no jitter, and
  AutoThrottle may not lower it), capped at CRAWL_DELAY_MAX; off with DOWNLOAD_DELAY 0
  (`--delay 0`).

Set in DOWNLOADER_MIDDLEWARES in place of Scrapy's RobotsTxtMiddleware (priority 100).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
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
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)
ROBOTS_ATTEMPTS = 3  # robots.txt fetches (each with one retry) before a 5xx site is given up
CRAWL_DELAY_MAX = 60.0  # a hostile "Crawl-delay: 86400" must not stall a run for a day


@dataclass(frozen=True, slots=True)
class Down:
    """Why a site's robots.txt is unusable, until when, and the network error if unreached."""

    why: str
    at: float
    error: Exception | None = None


class RobotsUnavailable(IgnoreRequest):
    """robots.txt answered 5xx or could not be fetched: the site is disallowed for now."""

    reason = "robots_unavailable"


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    """RFC 9309 status handling, a bounded robots.txt fetch and Crawl-delay (module doc)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.timeout = settings.getfloat("FANWEN_ROBOTS_TIMEOUT", 10.0)
        self.retry_seconds = settings.getfloat("FANWEN_ROBOTS_RETRY", 30.0)
        self.min_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.unreachable: dict[str, Down] = {}  # netloc → why its robots.txt is unusable now
        self.failures: dict[str, int] = {}  # netloc → robots.txt fetches that failed
        self.delays: dict[str, float] = {}  # download slot → Crawl-delay in force

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("dont_obey_robotstxt") or request.url.startswith(("data:", "file:")):
            return
        netloc = urlparse_cached(request).netloc
        if (down := self.unreachable.get(netloc)) and down.error and time.monotonic() >= down.at:
            self._forget(netloc, down)  # a site that was down: try its robots.txt again
        rp = await self.robot_parser(request)
        while (down := self.unreachable.get(netloc)) is not None:
            if down.error is not None:
                # The site itself is unreachable: the request fails as it would have (and is
                # recorded as timeout, dns, connection_refused …), without being sent.
                raise down.error
            if self.failures.get(netloc, 0) >= ROBOTS_ATTEMPTS:
                raise RobotsUnavailable(f"robots.txt {down.why}: site disallowed (RFC 9309)")
            # 5xx: hold the request; robots.txt is fetched again later in the run.
            if (wait := down.at - time.monotonic()) > 0:
                await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
            self._forget(netloc, down)
            rp = await self.robot_parser(request)
        if rp is not None:
            self._crawl_delay(request, rp)
        self.process_request_2(rp, request)

    def _forget(self, netloc: str, down: Down) -> None:
        """Drop an unusable robots.txt so that the next request fetches it again (once)."""
        if self.unreachable.get(netloc) is down:
            del self.unreachable[netloc]
            self._parsers.pop(netloc, None)

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
        failures = self.failures[netloc] = self.failures.get(netloc, 0) + 1
        wait = self.retry_seconds * failures
        self.unreachable[netloc] = Down(why, time.monotonic() + wait, error)
        self._stats.inc_value("fanwen/robots/unreachable")
        again = (f"fetched again in {wait:.0f} s" if error or failures < ROBOTS_ATTEMPTS
                 else "not fetched again")
        logger.warning("robots.txt of %s %s: the site is disallowed (RFC 9309); robots.txt is "
                       "%s", netloc, why, again)

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

