"""Optional scrubbing of personal data that portals leave in 范文 bodies.

Contracts and 述职报告 copied onto portals often keep a real phone number, e-mail
address, QQ number or ID-card number. With FANWEN_SCRUB_PII (`fanwen crawl
--scrub-pii`) each is replaced by a placeholder such as `[电话]`, and every replacement
is counted in the crawl stats (`fanwen/scrub/<kind>`). Off by default: the corpus
keeps the page's text unless asked otherwise.

Bare digit runs are ambiguous (amounts, document numbers), so QQ numbers are taken only
after a QQ label, and 18-digit ID numbers only when their checksum is valid.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from fanwen_crawler.items import ArticleItem, Section

PLACEHOLDERS = {"email": "[邮箱]", "id_card": "[身份证号]", "qq": "[QQ]", "phone": "[电话]"}
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
ID_CARD = re.compile(r"(?<![0-9])[1-9]\d{16}[0-9Xx](?![0-9A-Za-z])")
QQ = re.compile(r"(?i)(QQ|扣扣)(\s*(?:号码|号)?\s*[:：]?\s*)([1-9]\d{4,10})(?!\d)")
MOBILE = re.compile(r"(?<![0-9])(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?![0-9])")
LANDLINE = re.compile(r"(?<![0-9])(?:\(0\d{2,3}\)|0\d{2,3}-)\d{7,8}(?:-\d{1,5})?(?![0-9])")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def valid_id_card(number: str) -> bool:
    """True when an 18-character PRC resident ID number has a valid check character."""
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17].upper()


def scrub_text(text: str, counts: Counter[str] | None = None) -> str:
    """Replace personal data in `text` with placeholders, counting each kind in `counts`."""
    counts = counts if counts is not None else Counter()

    def _sub(kind: str) -> Any:
        def repl(match: re.Match[str]) -> str:
            counts[kind] += 1
            return PLACEHOLDERS[kind]
        return repl

    def _id(match: re.Match[str]) -> str:
        if not valid_id_card(match.group(0)):
            return match.group(0)
        counts["id_card"] += 1
        return PLACEHOLDERS["id_card"]

    def _qq(match: re.Match[str]) -> str:
        counts["qq"] += 1
        return f"{match.group(1)}{match.group(2)}{PLACEHOLDERS['qq']}"

    text = EMAIL.sub(_sub("email"), text)
    text = ID_CARD.sub(_id, text)
    text = QQ.sub(_qq, text)
    text = MOBILE.sub(_sub("phone"), text)
    return LANDLINE.sub(_sub("phone"), text)


def scrub_article(item: ArticleItem, counts: Counter[str]) -> ArticleItem:
    """A copy of `item` with personal data scrubbed from title, body, paragraphs and sections."""
    paragraphs = [scrub_text(p, counts) for p in item.paragraphs]
    sections = [Section(heading=scrub_text(s.heading, counts),
                        paragraphs=[scrub_text(p, counts) for p in s.paragraphs])
                for s in item.sections]
    return replace(item, title=scrub_text(item.title, counts), paragraphs=paragraphs,
                   body="\n".join(paragraphs), sections=sections)


class ScrubPipeline:
    """Scrapy adapter, enabled by FANWEN_SCRUB_PII; counts `fanwen/scrub/<kind>`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScrubPipeline:
        if not crawler.settings.getbool("FANWEN_SCRUB_PII"):
            raise NotConfigured  # off by default: no warning in the log
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        counts: Counter[str] = Counter()
        item = scrub_article(item, counts)
        if self.crawler.stats is not None:
            for kind, n in counts.items():
                self.crawler.stats.inc_value(f"fanwen/scrub/{kind}", n)
            if counts:
                self.crawler.stats.inc_value("fanwen/scrub/articles")
        return item
