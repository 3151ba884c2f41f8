"""Extraction: pure functions of (page bytes, URL, optional HTTP headers) → `Page`.

No Scrapy import, no network, no settings, no clock. The spider and the tests call
the same `extract_page`. (Interface placeholder; the real implementation replaces it.)
"""

from __future__ import annotations

from collections.abc import Mapping

from fanwen_crawler.items import Page
from fanwen_crawler.profiles import Profile


class ExtractionError(Exception):
    """The page is of a known kind but its layout broke extraction."""


def extract_page(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    profile: Profile | None = None,
) -> Page:
    """Decode and extract one page. `headers` may carry Content-Type (charset)."""
    raise NotImplementedError
