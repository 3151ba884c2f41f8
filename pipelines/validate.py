"""Validation: drop articles that must not enter the corpus, each with a counted reason.

`validate_article` returns a short reason code ("empty_body", "short_body", "no_title",
"bad_url", "bad_date") or None; `ValidatePipeline` raises `DropItem(reason)` so the storage
pipeline can record the drop in `crawl_errors` as ``dropped:<reason>``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from fanwen_crawler.items import ArticleItem

DEFAULT_MIN_BODY_CHARS = 50
REASONS = ("empty_body", "short_body", "no_title", "bad_url", "bad_date")
WHITESPACE = re.compile(r"\s+")


def is_iso_datetime(value: str) -> bool:
    """True for an ISO 8601 date ("2020-12-25") or date-time ("2023-08-11T15:33:05")."""
    if len(value) == 10:
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True
    if len(value) < 16 or value[10] not in "T ":
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def validate_article(item: ArticleItem, min_body_chars: int = DEFAULT_MIN_BODY_CHARS) -> str | None:
    """Return why `item` must be dropped, or None if it is fit to store."""
    parts = urlsplit(item.url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "bad_url"
    if not (item.title or "").strip():
        return "no_title"
    chars = len(WHITESPACE.sub("", item.body or ""))
    if chars == 0:
        return "empty_body"
    if chars < min_body_chars:
        return "short_body"
    if item.published_at is not None and not is_iso_datetime(item.published_at):
        return "bad_date"
    return None


class ValidatePipeline:
    """Scrapy adapter: drop invalid articles, counting `fanwen/validate/dropped/<reason>`.

    Setting: FANWEN_MIN_BODY_CHARS (default 50) — body length (whitespace excluded) below
    which an article is dropped as "short_body".
    """

    def __init__(self, crawler: Crawler, min_body_chars: int = DEFAULT_MIN_BODY_CHARS) -> None:
        self.crawler = crawler
        self.min_body_chars = min_body_chars

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(
            crawler,
            crawler.settings.getint("FANWEN_MIN_BODY_CHARS", DEFAULT_MIN_BODY_CHARS),
        )

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        reason = validate_article(item, self.min_body_chars)
        if reason is None:
            return item
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"fanwen/validate/dropped/{reason}")
        raise DropItem(reason)
