"""Downloader middleware: fail a redirect that loops back into its own chain, with a reason.

Scrapy's duplicate filter silently drops the second hop of a redirect loop, so the
linked URL would vanish without a trace; `RedirectLoopMiddleware` fails it with a
reason instead. It sees the 3xx before Scrapy's RedirectMiddleware builds the next hop.
Where a hop may go at all (same site, no private addresses) is `site_policy`'s job.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from fanwen_crawler.urls import canonical_of, canonical_url


class RedirectLoop(IgnoreRequest):
    """A redirect pointed back into its own chain."""

    reason = "redirect_loop"


class RedirectLoopMiddleware:
    """Raise RedirectLoop when a 3xx Location is already in the request's redirect chain."""

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        location = response.headers.get(b"Location")
        if not (300 <= response.status < 400 and location):
            return response
        target = canonical_url(urljoin(request.url, location.decode("latin-1")))
        earlier = request.meta.get("redirect_urls", [])
        if target == canonical_of(request) or target in {canonical_url(str(u)) for u in earlier}:
            raise RedirectLoop(f"redirect loop: {request.url} redirects back to {target}")
        return response
