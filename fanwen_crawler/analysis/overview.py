"""Read-only corpus figures for analysts: the overview table and the series behind charts.

Every function takes a database path (or an open connection) and returns plain Python
data — lists of tuples and dicts — so the CLI prints them, `charts` plots them and a
notebook turns them into DataFrames. Counts are over unique articles (duplicates left
out) unless a function says otherwise; the figures the crawl summary shows too (sites,
duplicates, errors, top keywords) come from `fanwen_crawler.corpus.figures`, their one
definition.
"""

from __future__ import annotations

import sqlite3
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fanwen_crawler.corpus import figures
from fanwen_crawler.corpus.access import connect_readonly

DbLike = str | Path | sqlite3.Connection
TOP_N = 20
MONTH_GLOB = "[12][0-9][0-9][0-9]-[01][0-9]*"


@contextmanager
def _connection(db: DbLike) -> Iterator[sqlite3.Connection]:
    if isinstance(db, sqlite3.Connection):
        yield db
        return
    path = Path(db).resolve()
    if not path.exists():
        raise FileNotFoundError(f"no database at {db}")
    conn = connect_readonly(path)
    try:
        yield conn
    finally:
        conn.close()


def corpus_overview(db: DbLike) -> dict[str, Any]:
    """Articles, unique, duplicates (exact / near) and rate, sites, categories, date range,
    characters, errors by reason and top keywords."""
    with _connection(db) as conn:
        one = lambda sql: conn.execute(sql).fetchone()  # noqa: E731
        base = figures.corpus_figures(conn, TOP_N)
        first, last = one("SELECT min(published_at), max(published_at) FROM unique_articles")
        chars = [r[0] or 0 for r in conn.execute("SELECT char_count FROM unique_articles")]
        categories = dict(conn.execute(
            "SELECT coalesce(category, '(none)'), count(*) FROM unique_articles "
            "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall())
    articles = base["articles"]
    return {
        "articles": articles,
        "unique": base["unique"],
        "duplicates": base["duplicates"],
        "exact": base["exact"],
        "near": base["near"],
        "duplicate_rate": round(base["duplicates"] / articles, 4) if articles else 0.0,
        "sites": base["sites"],
        "categories": categories,
        "first_published": first,
        "last_published": last,
        "characters": sum(chars),
        "mean_characters": round(statistics.mean(chars)) if chars else 0,
        "median_characters": round(statistics.median(chars)) if chars else 0,
        "errors": base["errors"],
        "top_keywords": base["top_keywords"],
    }


def format_overview(ov: dict[str, Any]) -> list[str]:
    """The overview as an aligned two-column table ("no articles yet" for an empty corpus)."""
    def counts(d: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in d.items()) or "-"

    if not ov["articles"]:
        rows = [("articles", "0 (no articles yet: run `fanwen crawl`)")]
    else:
        rows = [
            ("articles", str(ov["articles"])),
            ("unique", str(ov["unique"])),
            ("duplicates", f"{ov['duplicates']} ({ov['duplicate_rate']:.1%}; exact "
                           f"{ov['exact']}, near {ov['near']})"),
            ("sites", f"{len(ov['sites'])}: {counts(ov['sites'])}"),
            ("categories", f"{len(ov['categories'])}: {counts(ov['categories'])}"),
            ("published", f"{ov['first_published'] or '-'} … {ov['last_published'] or '-'}"),
            ("characters", f"{ov['characters']:,} (mean {ov['mean_characters']:,}, "
                           f"median {ov['median_characters']:,} per article)"),
            ("keywords", "、".join(f"{k} {n}" for k, n in ov["top_keywords"][:10]) or "-"),
        ]
    rows.append(("errors", counts(ov["errors"])))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    if ov["articles"]:
        lines.append("(sites, categories and keywords count unique articles; keywords: "
                     "articles with the word among their top tfidf keywords)")
    return lines


def articles_per_month(db: DbLike, *, fill: bool = True) -> list[tuple[str, int]]:
    """(YYYY-MM, unique articles published that month) from the first month to the last;
    months without articles are there with 0 (`fill=False` leaves them out)."""
    with _connection(db) as conn:
        counted = [(str(m), int(n)) for m, n in conn.execute(
            "SELECT substr(published_at, 1, 7) AS month, count(*) FROM unique_articles "
            "WHERE published_at GLOB ? GROUP BY month ORDER BY month", [MONTH_GLOB])]
    if not fill or not counted:
        return counted
    by_month = dict(counted)
    year, month = map(int, counted[0][0].split("-"))
    series = []
    while (key := f"{year:04d}-{month:02d}") <= counted[-1][0]:
        series.append((key, by_month.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return series


def body_lengths(db: DbLike) -> list[int]:
    """Body length (non-whitespace characters) of every unique article."""
    with _connection(db) as conn:
        return [r[0] or 0 for r in conn.execute("SELECT char_count FROM unique_articles")]


def top_keywords(db: DbLike, n: int = TOP_N,
                 method: str = figures.DEFAULT_METHOD) -> list[tuple[str, int]]:
    """(keyword, unique articles having it) for the `n` most frequent keywords of `method`."""
    with _connection(db) as conn:
        return figures.top_keywords(conn, n, method)


def keyword_trends(db: DbLike, n: int = 10, method: str = "tfidf") -> list[tuple[str, str, int]]:
    """(year, keyword, articles) for the `n` most frequent keywords, per publication year."""
    words = [k for k, _ in top_keywords(db, n, method)]
    if not words:
        return []
    marks = ", ".join("?" * len(words))
    with _connection(db) as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            "SELECT substr(a.published_at, 1, 4) AS year, k.keyword, count(*) "
            "FROM keywords k JOIN unique_articles a ON a.id = k.article_id "
            f"WHERE k.method = ? AND k.keyword IN ({marks}) AND a.published_at IS NOT NULL "
            "GROUP BY year, k.keyword ORDER BY year, 3 DESC, k.keyword", [method, *words])]


def duplicate_clusters(db: DbLike) -> list[dict[str, Any]]:
    """Each first-stored article with its duplicates: id, title, size, members (id, similarity)."""
    with _connection(db) as conn:
        rows = conn.execute(
            "SELECT o.id, o.title, d.id, d.title, d.similarity FROM articles d "
            "JOIN articles o ON o.id = d.duplicate_of ORDER BY o.id, d.id").fetchall()
    clusters: dict[int, dict[str, Any]] = {}
    for oid, otitle, did, dtitle, sim in rows:
        c = clusters.setdefault(oid, {"id": oid, "title": otitle, "size": 1, "members": []})
        c["members"].append({"id": did, "title": dtitle, "similarity": sim})
        c["size"] += 1
    return sorted(clusters.values(), key=lambda c: (-c["size"], c["id"]))
