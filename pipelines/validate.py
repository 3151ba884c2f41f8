"""Validation: drop articles that must not enter the corpus, each with a counted reason.

`validate_article` returns a short reason code ("empty_body", "short_body", "no_title",
"bad_url", "bad_date") or None; `ValidatePipeline` raises `DropItem(reason)` so the storage
pipeline can record the drop in `crawl_errors` as ``dropped:<reason>``.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from fanwen_crawler.items import ArticleItem

logger = logging.getLogger(__name__)
DEFAULT_MIN_BODY_CHARS = 50
# "(精选3篇)", "（通用十四篇）", "【5篇】": how many essays the title promises.
ANNOUNCED_SECTIONS = re.compile(
    r"[（(【\[]\s*(?:精选|通用|优选|优秀|热门|最新|推荐|经典)?\s*([0-9]{1,3}|[一二三四五六七八九十两]{1,3})\s*篇"
)
CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                  "八": 8, "九": 9}
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


def _chinese_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return CHINESE_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return CHINESE_DIGITS.get(tens, 1) * 10 + CHINESE_DIGITS.get(ones, 0)


def announced_sections(title: str | None) -> int | None:
    """How many essays a title like "…(精选3篇)" announces, or None."""
    match = ANNOUNCED_SECTIONS.search(title or "")
    return _chinese_number(match.group(1)) if match else None


def sections_mismatch(item: ArticleItem) -> str | None:
    """A message when the essays found differ from the number the title announces."""
    announced = announced_sections(item.title)
    if announced is None or announced < 2 or len(item.sections) == announced:
        return None
    return f"title announces {announced} essays, {len(item.sections)} sections found"


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

    def process_item(self, item: ArticleItem) -> ArticleItem:
        reason = validate_article(item, self.min_body_chars)
        if reason is None:
            if mismatch := sections_mismatch(item):
                # Kept: the body is whole either way; the count flags a split to review.
                logger.warning("%s: %s", item.url, mismatch)
                if self.crawler.stats is not None:
                    self.crawler.stats.inc_value("fanwen/validate/sections_mismatch")
            return item
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"fanwen/validate/dropped/{reason}")
        raise DropItem(reason)
