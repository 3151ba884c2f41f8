"""The corpus's headline figures, defined once: the crawl summary and `fanwen stats` use these.

Counts per site, per keyword (and per category, in `fanwen_crawler.analysis.overview`) are
over unique articles — duplicates point at the article they repeat and are counted only in
`duplicates`. A keyword counts the unique articles having it among their top keywords of
one method (`tfidf` unless asked), so `fanwen keywords --rebuild` with three methods does
not count an article three times.
"""

from __future__ import annotations

import sqlite3
from typing import Any

DEFAULT_METHOD = "tfidf"
TOP_KEYWORDS = 20
EXACT_DUPLICATES_SQL = (
    "SELECT count(*) FROM articles d JOIN articles o ON o.id = d.duplicate_of "
    "WHERE d.content_hash = o.content_hash"
)
SITES_SQL = "SELECT site, count(*) FROM unique_articles GROUP BY site ORDER BY 2 DESC, 1"
ERRORS_SQL = ("SELECT reason, count(*) FROM crawl_errors WHERE resolved_at IS NULL "
              "GROUP BY reason ORDER BY 2 DESC, 1")
SKIPPED_SQL = "SELECT reason, count(*) FROM skipped GROUP BY reason ORDER BY 2 DESC, 1"
TOP_KEYWORDS_SQL = (
    "SELECT k.keyword, count(*) FROM keywords k JOIN unique_articles a ON a.id = k.article_id "
    "WHERE k.method = ? GROUP BY k.keyword ORDER BY 2 DESC, 1 LIMIT ?"
)


def top_keywords(conn: sqlite3.Connection, n: int = TOP_KEYWORDS,
                 method: str = DEFAULT_METHOD) -> list[tuple[str, int]]:
    """(keyword, unique articles having it) for the `n` most frequent keywords of `method`."""
    return [(str(k), int(c)) for k, c in conn.execute(TOP_KEYWORDS_SQL, [method, n])]


def corpus_figures(conn: sqlite3.Connection, n_keywords: int = TOP_KEYWORDS) -> dict[str, Any]:
    """Articles, unique, duplicates (exact / near), unresolved errors and policy skips by
    reason, sites, top keywords."""
    def one(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0] or 0)

    articles = one("SELECT count(*) FROM articles")
    duplicates = one("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")
    exact = one(EXACT_DUPLICATES_SQL)
    return {
        "articles": articles,
        "unique": articles - duplicates,
        "duplicates": duplicates,
        "exact": exact,
        "near": duplicates - exact,
        "errors": dict(conn.execute(ERRORS_SQL).fetchall()),
        "skipped": dict(conn.execute(SKIPPED_SQL).fetchall())
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'skipped'").fetchone() else {},
        "sites": dict(conn.execute(SITES_SQL).fetchall()),
        "top_keywords": top_keywords(conn, n_keywords),
    }
