"""Downloader middleware: every request, redirect hops included, obeys the crawl's site policy.

The link filter decides which discovered links are followed; a redirect bypasses it,
because Scrapy's RedirectMiddleware schedules the next hop itself. `SitePolicyMiddleware`
runs before anything else touches a request (before robots.txt, which would otherwise
fetch `/robots.txt` from wherever a redirect points), and refuses:

- a redirect hop to another site (`offsite_redirect`): a 302 from an article to another
  host, or to another port of the same loopback address;
- any request to a loopback, link-local (169.254.169.254, the cloud metadata address),
  private or reserved address (`blocked_address`), unless a start URL is on an address
  of that same kind — which keeps crawls of one's own mirror and the loopback test
  portals working. Host names are resolved once each (Scrapy's cached resolver) and
  judged by their address.

A refused request fails with an `IgnoreRequest` whose `reason` the failure mapper
records; no connection is made.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError

from fanwen_crawler.urls import address_kind, host_of, same_site

logger = logging.getLogger(__name__)
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class OffsiteRedirect(IgnoreRequest):
    """A redirect pointed to another site; the hop was not requested."""

    reason = "offsite_redirect"


class BlockedAddress(IgnoreRequest):
    """The request would go to a loopback, link-local, private or reserved address."""

    reason = "blocked_address"


class SitePolicyMiddleware:
    """Refuse off-site redirect hops and requests to non-public addresses (see module doc)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.addresses: dict[str, str | None] = {}  # host → address kind (None: public)
        self.allowed: set[str] | None = None  # address kinds the start URLs are on

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SitePolicyMiddleware:
        return cls(crawler)

    def _sites(self) -> list[str]:
        return list(getattr(self.crawler.spider, "start_urls", None) or [])

    async def process_request(self, request: Request, spider: Any = None) -> None:
        chain = request.meta.get("redirect_urls")
        # robots.txt may redirect to another authority (RFC 9309 §2.3.1.2); addresses still count.
        if chain and not request.meta.get("dont_obey_robotstxt") and not any(
                same_site(request.url, site) for site in self._sites()):
            self._inc("offsite_redirect")
            logger.info("refused off-site redirect %s -> %s", chain[-1], request.url)
            raise OffsiteRedirect(f"offsite redirect: {chain[-1]} -> {request.url}")
        if self.allowed is None:
            self.allowed = set()
            for site in self._sites():
                if kind := await self._kind(host_of(site)):
                    self.allowed.add(kind)
        kind = await self._kind(host_of(request.url))
        if kind is not None and kind not in self.allowed:
            self._inc("blocked_address")
            logger.warning("refused request to a %s address: %s", kind, request.url)
            raise BlockedAddress(f"refused address ({kind.replace('_', '-')}): {request.url}")

    async def _kind(self, host: str) -> str | None:
        """The address kind of `host` (resolved once per host; None: public or unknown)."""
        if host in self.addresses:
            return self.addresses[host]
        kind = address_kind(host)
        if kind is None and host in LOCAL_NAMES:
            kind = "loopback"
        elif kind is None and host:  # also "2130706433", "127.1": resolved as the download would
            from twisted.internet import reactor

            try:
                ip = await maybe_deferred_to_future(reactor.resolve(host))  # type: ignore[attr-defined]
            except (DNSLookupError, OSError):
                ip = None  # the download reports the failure itself
            kind = address_kind(ip) if ip else None
        self.addresses[host] = kind
        return kind

    def _inc(self, what: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"fanwen/site_policy/{what}")
