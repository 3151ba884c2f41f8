"""Word-level full-text search over the corpus: `search(db, query) -> list[SearchHit]`.

The index (`articles_fts`, kept by `fanwen_crawler.corpus.search_index`) holds jieba-segmented text;
the query is segmented the same way (`fts_query`), ranked by FTS5's bm25 with the title
weighted above the body, and filtered by site, date and duplicates on `articles`.
Snippets are cut from the original text (the index's copy has spaces between words and
search-mode sub-words), with every query word highlighted.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fanwen_crawler.corpus.search_index import (
    Segmenter,
    default_segmenter,
    fts_query,
    sync_search_index,
)

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 20
SNIPPET_CHARS = 80
TITLE_WEIGHT = 5.0
BODY_WEIGHT = 1.0
MARK = ("<mark>", "</mark>")
SEARCH_SQL = f"""
SELECT a.id, a.url, a.title, a.site, a.category, a.published_at, a.duplicate_of, a.body,
       bm25(articles_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS rank
FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
WHERE articles_fts MATCH ?
"""


class SearchError(ValueError):
    """The query cannot be run (no words in it, or the database has no articles table)."""


@dataclass(slots=True)
class SearchHit:
    """One search result; `rank` is bm25 (lower is better), `snippet` marks words with MARK."""

    id: int
    url: str
    title: str
    site: str | None
    category: str | None
    published_at: str | None
    duplicate_of: int | None
    snippet: str
    rank: float

    def to_dict(self) -> dict[str, Any]:
        """The hit as a JSON-ready dict."""
        return asdict(self)


def query_terms(query: str, segmenter: Segmenter | None = None) -> list[str]:
    """The whitespace-separated terms of a query that contain a word (for highlighting)."""
    seg = segmenter or default_segmenter()
    return [t for t in query.split() if fts_query(t, seg)]


def make_snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS,
                 mark: tuple[str, str] = MARK) -> str:
    """A window of `text` around the first term found, every term occurrence marked."""
    flat = re.sub(r"\s+", " ", text).strip()
    found = [(i, t) for t in terms if (i := flat.lower().find(t.lower())) >= 0]
    start = max(0, min(found)[0] - width // 3) if found else 0
    window = flat[start : start + width]
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
                             re.IGNORECASE)
        window = pattern.sub(lambda m: f"{mark[0]}{m.group(0)}{mark[1]}", window)
    return ("…" if start else "") + window + ("…" if start + width < len(flat) else "")


def _connect(db: str | Path) -> sqlite3.Connection:
    from fanwen_crawler.corpus.access import connect_readonly

    return connect_readonly(db)  # a search never writes the corpus


def search(
    db: str | Path,
    query: str,
    *,
    limit: int = DEFAULT_LIMIT,
    site: str | None = None,
    since: str | None = None,
    unique: bool = False,
    sync: bool = False,
    segmenter: Segmenter | None = None,
    mark: tuple[str, str] = MARK,
) -> list[SearchHit]:
    """Articles matching every term of `query`, best first.

    `since` is an ISO date compared with `published_at`; `unique` leaves out duplicates.
    With `sync` queued articles are indexed first (a write); by default the index is
    searched as it is, read-only.
    """
    seg = segmenter or default_segmenter()
    match = fts_query(query, seg)
    if not match:
        raise SearchError(f"the query {query!r} has no words to search for")
    if sync:
        try:
            sync_search_index(db, segmenter=seg)
        except sqlite3.OperationalError as exc:
            logger.warning("search index not updated (%s); results may be stale", exc)
    conn = _connect(db)
    try:
        sql, params = SEARCH_SQL, [match]
        if site:
            sql += " AND a.site = ?"
            params.append(site)
        if since:
            sql += " AND a.published_at >= ?"
            params.append(since)
        if unique:
            sql += " AND a.duplicate_of IS NULL"
        sql += " ORDER BY rank, a.id LIMIT ?"
        params.append(limit)
        try:
            rows = conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise SearchError(f"cannot search {db}: {exc}") from exc
    finally:
        conn.close()
    terms = query_terms(query, seg)
    return [
        SearchHit(id=r[0], url=r[1], title=r[2], site=r[3], category=r[4], published_at=r[5],
                  duplicate_of=r[6], snippet=make_snippet(r[7], terms, mark=mark),
                  rank=round(float(r[8]), 6))
        for r in rows
    ]
