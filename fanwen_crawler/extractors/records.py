"""Repeated dated records: comment threads, reply lists and dated link lists.

A comment thread is a run of sibling blocks that share one markup signature (tag
and first class) and each carry a small element holding only a time stamp with a
clock or relative time (2023-05-08 10:10, 3天前, 昨天 12:30) next to a user name
and a short text. Such
records are never the article's own prose, however much text they add up to, so
`find_records` returns them and line scoring treats their lines as chrome. The
test is structural: no class names or labels of any CMS are involved.
"""

from __future__ import annotations

import re
from collections import defaultdict

from lxml import etree

from fanwen_crawler.extractors.text import node_text

# A date with a clock time: data tables and dated lists show days, comments show minutes.
DATE_STAMP = re.compile(
    r"(?<!\d)(?:(?:19|20)\d\d\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"\s*\d{1,2}:\d{2}(?::\d{2})?(?!\d)"
)
# Relative times count only as (almost) the element's whole text.
BARE_TIME = re.compile(
    r"^\s*(?:(?:今天|昨天|前天)\s*\d{1,2}:\d{2}|\d+\s*(?:秒|分钟|小时|天|周|个月|年)前|刚刚)\s*$"
)
# Characters besides the date a time element may hold ("发表于", "·", "楼").
TIME_LABEL_MAX_CHARS = 8
TIME_LEAF_MAX_CHARS = 40
# Text after the time inside the same parent: comments keep their text in a sibling element.
TIME_TAIL_MAX_CHARS = 4
# Childless elements whose short text has a clock time or a relative time (XPath prefilter).
TIME_LEAF_CANDIDATES = etree.XPath(
    "//*[not(*)][string-length(text()) <= 40]"
    "[contains(text(), ':') or contains(text(), '前') or contains(text(), '刚刚')]"
)
MIN_RECORDS = 3
MIN_DATED_SHARE = 0.6
MAX_RECORD_CHARS = 1000
ANCESTOR_DEPTH = 6


def _signature(el: etree._Element) -> str:
    cls = el.get("class")
    return f"{el.tag}.{cls.split()[0]}" if cls and cls.split() else str(el.tag)


def _time_leaves(candidates: list[etree._Element]) -> list[etree._Element]:
    leaves = []
    for el in candidates:
        text = el.text
        if not text or len(text) > TIME_LEAF_MAX_CHARS:
            continue
        if not BARE_TIME.match(text):
            match = DATE_STAMP.search(text)
            if match is None or len(text.strip()) - len(match.group(0)) > TIME_LABEL_MAX_CHARS:
                continue
        tail = (el.tail or "").strip()
        if len(tail) > TIME_TAIL_MAX_CHARS:
            continue  # a date opening a sentence ("2023年5月1日，召开…") is prose
        leaves.append(el)
    return leaves


def find_records(
    root: etree._Element, candidates: list[etree._Element] | None = None
) -> set[etree._Element]:
    """Elements that are one record of a repeated, time-stamped sibling group.

    `candidates` are childless elements whose short text has a ":" or "前" (what
    `linearise` collects on its walk); without them the tree is searched.
    """
    if candidates is None:
        candidates = TIME_LEAF_CANDIDATES(root)
    groups: dict[tuple[etree._Element, str], set[etree._Element]] = defaultdict(set)
    signatures: dict[etree._Element, str] = {}  # the leaves of one thread share ancestors

    def signature(el: etree._Element) -> str:
        sig = signatures.get(el)
        if sig is None:
            sig = signatures[el] = _signature(el)
        return sig

    walked: dict[etree._Element, int] = {}  # levels already walked up from an element
    for leaf in _time_leaves(candidates):
        node = leaf
        for level in range(ANCESTOR_DEPTH):
            if walked.get(node, 0) >= ANCESTOR_DEPTH - level:
                break  # another leaf of this thread walked on from here as far: nothing new
            walked[node] = ANCESTOR_DEPTH - level
            parent = node.getparent()
            if parent is None or parent.tag in ("body", "html"):
                break
            groups[(parent, signature(node))].add(node)
            node = parent
    records: set[etree._Element] = set()
    for (parent, sig), dated in groups.items():
        if len(dated) < MIN_RECORDS:
            continue
        siblings = sum(1 for child in parent if isinstance(child.tag, str)
                       and signature(child) == sig)
        if len(dated) < MIN_DATED_SHARE * siblings:
            continue
        short = [el for el in dated if len(node_text(el)) <= MAX_RECORD_CHARS
                 and next(el.iter("h1"), None) is None]
        if len(short) >= MIN_RECORDS:
            records.update(short)
    return records
