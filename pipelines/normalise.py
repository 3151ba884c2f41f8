"""Text normalisation of articles: one explicit, reversible-in-spirit clean-up, never NFKC.

NFC, leftover HTML entities decoded, U+3000 / NBSP / tabs turned into plain spaces and
runs collapsed, zero-width characters removed, full-width ASCII letters and digits
(Ａ-Ｚ ａ-ｚ ０-９) turned into ASCII. Chinese full-width punctuation (，：（！？。“”《》)
is left alone: blanket NFKC would rewrite it and change the corpus.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import replace

from fanwen_crawler.items import ArticleItem, Section

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
FULLWIDTH_ALNUM = str.maketrans(
    {
        **{chr(0xFF21 + i): chr(ord("A") + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(ord("a") + i) for i in range(26)},
        **{chr(0xFF10 + i): chr(ord("0") + i) for i in range(10)},
        **{c: None for c in ZERO_WIDTH},
    }
)
# Horizontal whitespace only: "\n" separates paragraphs and is handled by the caller.
SPACE_RUN = re.compile(r"[ \t\u00a0\u3000\u2002-\u200a\u202f\u205f\f\v]+")
MAX_UNESCAPE_ROUNDS = 4
HTML_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def normalise_text(s: str) -> str:
    """Normalise one string (title, paragraph, …): see the module docstring."""
    # Unescape until nothing is left (double-escaped "&amp;lt;" included), so a second
    # pass never changes the text; translate before composing, for the same reason.
    for _ in range(MAX_UNESCAPE_ROUNDS):
        if not HTML_ENTITY.search(s):
            break
        s = html.unescape(s)
    s = unicodedata.normalize("NFC", s.translate(FULLWIDTH_ALNUM))
    s = "\n".join(SPACE_RUN.sub(" ", line).strip() for line in s.split("\n"))
    return s.strip()


def normalise_paragraphs(paragraphs: list[str]) -> list[str]:
    """Normalise each paragraph and drop the ones left empty."""
    out = []
    for p in paragraphs:
        text = normalise_text(p)
        if text:
            out.append(text)
    return out


def _optional(s: str | None) -> str | None:
    if s is None:
        return None
    return normalise_text(s) or None


def normalise_article(item: ArticleItem) -> ArticleItem:
    """Return a normalised copy of `item` (body re-joined from the normalised paragraphs)."""
    paragraphs = normalise_paragraphs(item.paragraphs or item.body.split("\n"))
    sections = [
        Section(heading=normalise_text(s.heading), paragraphs=normalise_paragraphs(s.paragraphs))
        for s in item.sections
    ]
    tags = []
    for t in item.tags:
        tag = normalise_text(t)
        if tag and tag not in tags:
            tags.append(tag)
    return replace(
        item,
        title=normalise_text(item.title),
        paragraphs=paragraphs,
        body="\n".join(paragraphs),
        sections=sections,
        source=_optional(item.source),
        author=_optional(item.author),
        category=_optional(item.category),
        tags=tags,
    )


class NormalisePipeline:
    """Scrapy adapter: normalise every `ArticleItem`."""

    def process_item(self, item: ArticleItem) -> ArticleItem:
        return normalise_article(item)
