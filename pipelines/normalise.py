"""Text normalisation of articles with the extractor's own normaliser, never NFKC.

`normalise_text` is `fanwen_crawler.extractors.text.normalise_text`, the one normaliser
(so `fanwen extract` prints what is stored): NFC, leftover HTML entities decoded, U+3000 /
NBSP / tabs turned into plain spaces and runs collapsed, zero-width characters removed,
full-width ASCII letters and digits (Ａ-Ｚ ａ-ｚ ０-９) turned into ASCII. Chinese full-width
punctuation (，：（！？。“”《》) is left alone: blanket NFKC would rewrite it.
"""

from __future__ import annotations

from dataclasses import replace

from fanwen_crawler.extractors.text import normalise_text
from fanwen_crawler.items import ArticleItem, Section

__all__ = ["NormalisePipeline", "normalise_article", "normalise_paragraphs", "normalise_text"]


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
