"""Splitting a multi-essay 范文 page (篇一/篇二, 精选3篇 …) into sections.

Explicit essay markers (篇一, 第二篇, 范文3, 【篇四】) always split. Markup headings
(<h2>–<h4>) or bold numbered lines split only when the title announces several
essays, so that a single speech's "一、…" headings stay inside one essay.
"""

from __future__ import annotations

import re

from fanwen_crawler.extractors.blocks import Line
from fanwen_crawler.extractors.text import visible_length
from fanwen_crawler.items import Section

NUMERAL = r"[一二三四五六七八九十百\d]+"
ESSAY_MARKER = re.compile(
    rf"^[【\[（(]?\s*(?:篇\s*{NUMERAL}|第\s*{NUMERAL}\s*篇|(?:精选)?范文\s*{NUMERAL}|"
    rf"(?:精选|优秀|通用)?(?:范文|作文|文章)?\s*{NUMERAL}\s*[篇]?[:：])\s*[】\]）)]?"
)
STRICT_MARKER = re.compile(rf"^[【\[（(]?\s*(?:篇\s*{NUMERAL}|第\s*{NUMERAL}\s*篇)")
MULTI_ESSAY_TITLE = re.compile(rf"{NUMERAL}\s*篇|合集|汇编|大全|精选|范文集")
NUMBERED_HEADING = re.compile(r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[、.．]")
HEADING_MAX_CHARS = 60
MARKUP_HEADINGS = frozenset({"h2", "h3", "h4"})


def _is_heading(text: str, line: Line, multi: bool) -> bool:
    if visible_length(text) > HEADING_MAX_CHARS:
        return False
    if STRICT_MARKER.match(text):
        return True
    if not multi:
        return False
    if line.heading in MARKUP_HEADINGS or ESSAY_MARKER.match(text):
        return True
    return line.strong and bool(NUMBERED_HEADING.match(text))


def split_sections(paragraphs: list[tuple[str, Line]], title: str | None) -> list[Section]:
    """Sections of a multi-essay page; [] when the page holds one essay."""
    multi = bool(title and MULTI_ESSAY_TITLE.search(title))
    marks = [i for i, (text, line) in enumerate(paragraphs) if _is_heading(text, line, multi)]
    if len(marks) < 2:
        return []
    strict = [i for i in marks if STRICT_MARKER.match(paragraphs[i][0])]
    if len(strict) >= 2:
        marks = strict  # 篇一/篇二 markers outrank sub-headings inside each essay
    sections = []
    for n, start in enumerate(marks):
        end = marks[n + 1] if n + 1 < len(marks) else len(paragraphs)
        sections.append(Section(
            heading=paragraphs[start][0],
            paragraphs=[text for text, _ in paragraphs[start + 1:end]],
        ))
    return sections
