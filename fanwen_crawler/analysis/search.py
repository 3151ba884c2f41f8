"""Full-text search over the corpus: `search(db, query) -> list[SearchHit]`.

Which articles match is decided at character level (`fanwen_crawler.analysis.query`: every
term a substring of title or body, with OR, -word and quoted phrases), so one-character
queries and words the segmenter splits differently in the text are found too. The order comes
from the word index (`articles_fts`, rjieba-segmented, kept by
`fanwen_crawler.corpus.search_index`): FTS5's bm25 with the title weighted above the body;
articles the word index does not match (or has not indexed yet) follow, by id.
Snippets are cut from the original text with every query term highlighted.
"""

from __future__ import annotations

import html
import logging
import re
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fanwen_crawler.analysis.query import (
    Query,
    QueryError,
    has_trigram_index,
    match_condition,
    parse_query,
)
from fanwen_crawler.corpus.search_index import (
    Segmenter,
    fts_query,
    query_segmenter,
    sync_search_index,
)

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 20
SNIPPET_CHARS = 80
TITLE_WEIGHT = 5.0
BODY_WEIGHT = 1.0
MARK = ("<mark>", "</mark>")
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m", "%Y")
WORD_RANK_SQL = f"""
SELECT rowid, bm25(articles_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS rank
FROM articles_fts WHERE articles_fts MATCH ?
"""
"""Rank of the articles the word index matches (bm25: lower is better)."""


class SearchError(ValueError):
    """The query cannot be run (no words in it, a bad date, or no articles table)."""


@dataclass(slots=True)
class SearchHit:
    """One search result; `rank` is bm25 (lower is better; 0 when only characters matched),
    `snippet` marks the query's terms with MARK."""

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


def parse(query: str) -> Query:
    """The parsed query; SearchError when it has nothing to search for."""
    try:
        return parse_query(query)
    except QueryError as exc:
        raise SearchError(str(exc)) from exc


def query_terms(query: str) -> list[str]:
    """The terms of a query that are searched for (for highlighting); [] if none."""
    try:
        return parse_query(query).terms
    except QueryError:
        return []


def validate_date(value: str) -> str:
    """`value` if it is a date (YYYY-MM-DD, YYYY-MM or YYYY); SearchError otherwise."""
    for fmt in DATE_FORMATS:
        try:
            datetime.strptime(value, fmt)
        except ValueError:
            continue
        return value
    raise SearchError(f"not a date (YYYY-MM-DD, YYYY-MM or YYYY): {value!r}")


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


def snippet_html(snippet: str, mark: tuple[str, str] = MARK) -> str:
    """A snippet as safe HTML: its text escaped, its `mark` tags kept as <mark> elements."""
    escaped = html.escape(snippet)
    return escaped.replace(html.escape(mark[0]), "<mark>").replace(html.escape(mark[1]),
                                                                   "</mark>")


def _connect(db: str | Path) -> sqlite3.Connection:
    from fanwen_crawler.corpus.access import connect_readonly

    return connect_readonly(db)  # a search never writes the corpus


def _has_word_index(conn: sqlite3.Connection) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone() is not None


def search_sql(conn: sqlite3.Connection, query: Query, segmenter: Segmenter | None = None,
               ) -> tuple[str, list[Any]]:
    """SELECT of (id, url, title, site, category, published_at, duplicate_of, body, rank)
    for the articles matching `query`, best first; filters may be appended with AND."""
    sql = ("SELECT a.id, a.url, a.title, a.site, a.category, a.published_at, a.duplicate_of, "
           "a.body, coalesce(w.rank, 0.0) AS rank FROM articles a ")
    params: list[Any] = []
    words: list[str] = []
    if _has_word_index(conn):
        # Segmented as the index was: an index jieba built is read with jieba.
        seg = segmenter or query_segmenter(conn)
        words = [e for t in query.terms if (e := fts_query(t, seg))]
    if words:
        sql += f"LEFT JOIN ({WORD_RANK_SQL}) w ON w.rowid = a.id "
        params.append(" OR ".join(f"({e})" for e in words))
    else:
        sql += "LEFT JOIN (SELECT NULL AS rowid, NULL AS rank) w ON 0 "
    condition, condition_params = match_condition(query, trigram=has_trigram_index(conn))
    return sql + f"WHERE {condition}", params + condition_params


def search(
    db: str | Path,
    query: str,
    *,
    limit: int | None = DEFAULT_LIMIT,
    site: str | None = None,
    since: str | None = None,
    unique: bool = False,
    sync: bool = False,
    segmenter: Segmenter | None = None,
    mark: tuple[str, str] = MARK,
) -> list[SearchHit]:
    """Articles matching `query` (see `fanwen_crawler.analysis.query`), best first.

    `since` is a date (YYYY-MM-DD, YYYY-MM or YYYY) compared with `published_at`;
    `unique` leaves out duplicates; `limit=None` returns every match. The corpus is only
    read: articles queued for the word index are still found (matches are decided at
    character level), only ranked last. With `sync` they are indexed first (a write).
    """
    parsed = parse(query)
    if since is not None:
        validate_date(since)
    if sync:
        try:
            sync_search_index(db, segmenter=segmenter)
        except sqlite3.OperationalError as exc:
            logger.warning("search index not updated (%s); results may be stale", exc)
    conn = _connect(db)
    try:
        try:
            sql, params = search_sql(conn, parsed, segmenter)
            if site:
                sql += " AND a.site = ?"
                params.append(site)
            if since:
                sql += " AND a.published_at >= ?"
                params.append(since)
            if unique:
                sql += " AND a.duplicate_of IS NULL"
            sql += " ORDER BY rank, a.id"
            if limit is not None:
                sql += " LIMIT ?"
                params.append(limit)
            rows = conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise SearchError(f"cannot search {db}: {exc}") from exc
    finally:
        conn.close()
    terms = parsed.terms
    return [
        SearchHit(id=r[0], url=r[1], title=r[2], site=r[3], category=r[4], published_at=r[5],
                  duplicate_of=r[6], snippet=make_snippet(r[7], terms, mark=mark),
                  rank=round(float(r[8]), 6))
        for r in rows
    ]


def read_only_connection(db: str | Path, *, immutable: bool = False) -> sqlite3.Connection:
    """A connection that cannot write `db` (`mode=ro`; `immutable=1` for read-only storage)."""
    from fanwen_crawler.corpus.access import connect_readonly

    if not immutable:
        return connect_readonly(db)
    path = Path(db).resolve()
    return sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True, timeout=10)


def search_ids(db: str | Path, query: str, *, limit: int | None = None,
               immutable: bool = False) -> list[int]:
    """Ids of the articles matching `query`, best first, read through a read-only connection
    (what Datasette's search box and canned query show)."""
    parsed = parse(query)
    conn = read_only_connection(db, immutable=immutable)
    try:
        sql, params = search_sql(conn, parsed)
        sql += " ORDER BY rank, a.id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        try:
            return [r[0] for r in conn.execute(sql, params)]
        except sqlite3.OperationalError as exc:
            raise SearchError(f"cannot search {db}: {exc}") from exc
    finally:
        conn.close()
