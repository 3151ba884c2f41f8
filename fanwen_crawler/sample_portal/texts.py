"""Load the hand-written article texts (articles.txt) into article specifications.

The text file is data: headers, one paragraph per line, "===" between pages, and
two markers ({hid}, {vis}) where the templates inject watermarks. This module
resolves the two derived articles (the near-duplicate and the exact re-post) and
offers `clean` to turn a marked paragraph into ground-truth text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

TEXT_FILE = Path(__file__).with_name("articles.txt")
HIDDEN_MARK = "{hid}"
VISIBLE_MARK = "{vis}"
PAGE_BREAK = "==="
SECTION_HEADING = re.compile(r"^篇[一二三四五六七八九十]+：")


@dataclass(kw_only=True, slots=True)
class ArticleSpec:
    """One article as written in articles.txt, derived articles resolved."""

    key: str
    id: int
    category: str
    layout: str | None
    date: str
    source: str
    author: str | None
    title: str
    tags: list[str]
    pages: list[list[str]]
    """Raw paragraphs (markers included) per page."""
    duplicate_of: str | None = None
    """Key of the original article."""
    near_duplicate: bool = False
    edits: list[tuple[str, str]] = field(default_factory=list)


def clean(raw: str) -> str:
    """Ground-truth text of a marked paragraph: markers removed, ends stripped."""
    return raw.replace(HIDDEN_MARK, "").replace(VISIBLE_MARK, "").strip()


def _parse_block(key: str, lines: list[str]) -> tuple[dict[str, str], list[tuple[str, str]],
                                                      list[list[str]]]:
    headers: dict[str, str] = {}
    edits: list[tuple[str, str]] = []
    body_at = len(lines)
    for i, line in enumerate(lines):
        if not line.strip():
            body_at = i + 1
            break
        name, _, value = line.partition(":")
        if name == "edit":
            old, _, new = value.strip().partition(" => ")
            edits.append((old, new))
        else:
            headers[name.strip()] = value.strip()
    pages: list[list[str]] = [[]]
    for line in lines[body_at:]:
        if line.strip() == PAGE_BREAK:
            pages.append([])
        elif line.strip():
            pages[-1].append(line.strip())
    if not headers.get("title"):
        raise ValueError(f"{key}: no title")
    return headers, edits, pages


def _apply_edits(key: str, paragraphs: list[str], edits: list[tuple[str, str]]) -> list[str]:
    out = list(paragraphs)
    for old, new in edits:
        hits = [i for i, p in enumerate(out) if old in p]
        if len(hits) != 1 or out[hits[0]].count(old) != 1:
            raise ValueError(f"{key}: edit {old!r} must match exactly once")
        out[hits[0]] = out[hits[0]].replace(old, new)
    return out


def load_specs(path: Path = TEXT_FILE) -> list[ArticleSpec]:
    """Parse the text file; derived articles get their source's paragraphs."""
    blocks: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("@@ "):
            blocks.append((line[3:].strip(), []))
        elif blocks:
            blocks[-1][1].append(line)
    specs: dict[str, ArticleSpec] = {}
    for key, lines in blocks:
        headers, edits, pages = _parse_block(key, lines)
        origin = headers.get("derive") or headers.get("repost")
        if origin:
            source_paras = [p for page in specs[origin].pages for p in page]
            pages = [_apply_edits(key, source_paras, edits)]
        specs[key] = ArticleSpec(
            key=key,
            id=int(headers["id"]),
            category=headers["category"],
            layout=headers.get("layout"),
            date=headers["date"],
            source=headers["source"],
            author=headers.get("author") or None,
            title=headers["title"],
            tags=headers.get("tags", "").split(),
            pages=pages,
            duplicate_of=origin,
            near_duplicate=bool(headers.get("derive")),
            edits=edits,
        )
    ids = [s.id for s in specs.values()]
    if len(ids) != len(set(ids)):
        raise ValueError("article ids must be unique")
    return list(specs.values())
