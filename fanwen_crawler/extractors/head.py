"""Page-level metadata read before the tree is pruned: <title>, <meta>, JSON-LD dates.

These are the most reliable signals on a page (machine-written), so they are read
first; visible markup only fills what they leave open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from fanwen_crawler.extractors.text import clean_text, node_text

# Meta names/properties carrying the publication time, most reliable first.
DATE_META_KEYS = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "pubdate", "publishdate", "publish_date", "publish-date", "publishtime", "published_time",
    "dc.date.issued", "dc.date", "dcterms.created", "date", "sailthru.date",
    "weibo:article:create_at",
    "og:release_date", "datepublished",
)
TITLE_META_KEYS = ("og:title", "twitter:title", "title", "articletitle")
JSON_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')


@dataclass(slots=True)
class HeadInfo:
    """What the document head (and machine-readable markup) says about the page."""

    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    date_values: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)


def read_head(root: etree._Element) -> HeadInfo:
    """Collect <title>, <meta> values, <time datetime> and JSON-LD dates."""
    info = HeadInfo()
    for el in root.iter("title", "meta", "time", "script"):
        tag = el.tag
        if tag == "title" and not info.title:
            info.title = clean_text(node_text(el))
        elif tag == "meta":
            key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
            value = el.get("content")
            if key and value and key not in info.meta:
                info.meta[key] = clean_text(value)
        elif tag == "time" and el.get("datetime"):
            info.meta.setdefault("time[datetime]", el.get("datetime", ""))
        elif tag == "script" and "ld+json" in (el.get("type") or "") and el.text:
            match = JSON_LD_DATE.search(el.text)
            if match:
                info.meta.setdefault("ld:datepublished", match.group(1))
    for key in (*DATE_META_KEYS, "ld:datepublished", "time[datetime]"):
        if info.meta.get(key):
            info.date_values.append(info.meta[key])
    raw_keywords = info.meta.get("keywords", "")
    info.keywords = [k for k in re.split(r"[,，、;；|\s]+", raw_keywords) if k]
    return info


def meta_title(info: HeadInfo) -> str | None:
    """The og:/twitter: title if the page declares one."""
    for key in TITLE_META_KEYS:
        if info.meta.get(key):
            return info.meta[key]
    return None
