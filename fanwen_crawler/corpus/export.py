"""Streaming exports of the corpus: JSON lines, Parquet and CSV.

`export_corpus` reads articles through a read-only connection (`mode=ro`, plus
`query_only`), so an analyst's `where` condition — SQL text placed in a WHERE clause —
can read but never write. Memory stays constant: articles are fetched in chunks of
`chunk_size`, their child rows (tags, related links, sections, keywords) fetched for that
chunk only, and each chunk written out (one Parquet row group per chunk). Records use the
field names of `fanwen extract` where they exist (title, published_at, published_raw,
source, author, category, body, paragraphs, sections, tags, related, url) plus the
corpus's own (id, site, char_count, pages, duplicate_of, similarity, keywords …).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

FORMATS = ("jsonl", "parquet", "csv")
CHUNK_SIZE = 500
ARTICLE_FIELDS = (
    "id", "url", "site", "category", "title", "published_at", "published_raw", "source",
    "author", "body", "char_count", "pages", "content_hash", "duplicate_of", "similarity",
    "encoding", "crawled_at", "updated_at",
)  # fmt: skip
LIST_FIELDS = ("paragraphs", "sections", "tags", "related", "keywords")
RECORD_FIELDS = (*ARTICLE_FIELDS[:10], *LIST_FIELDS, *ARTICLE_FIELDS[10:])
INT_FIELDS = {"id", "char_count", "pages", "duplicate_of"}


class ExportError(ValueError):
    """The export cannot run: unknown format, bad WHERE condition, missing database."""


def connect_read_only(db: str | Path) -> sqlite3.Connection:
    """A connection that cannot write: opened with `mode=ro` and `PRAGMA query_only`."""
    from fanwen_crawler.corpus.access import CorpusError, connect_readonly

    if not Path(db).exists():
        raise ExportError(f"no database at {db}")
    try:
        return connect_readonly(db)
    except (CorpusError, sqlite3.Error) as exc:
        raise ExportError(str(exc)) from exc


def _children(conn: sqlite3.Connection, ids: list[int]) -> dict[str, dict[int, list[Any]]]:
    marks = ", ".join("?" * len(ids))
    out: dict[str, dict[int, list[Any]]] = {k: defaultdict(list) for k in
                                            ("tags", "related", "sections", "keywords")}
    for aid, tag in conn.execute(
            f"SELECT article_id, tag FROM tags WHERE article_id IN ({marks}) ORDER BY rowid", ids):
        out["tags"][aid].append(tag)
    for aid, url, title in conn.execute(
            f"SELECT article_id, url, title FROM related_links WHERE article_id IN ({marks}) "
            "ORDER BY rowid", ids):
        out["related"][aid].append({"url": url, "title": title})
    for aid, heading, body in conn.execute(
            f"SELECT article_id, heading, body FROM sections WHERE article_id IN ({marks}) "
            "ORDER BY article_id, position", ids):
        out["sections"][aid].append({"heading": heading, "paragraphs": (body or "").split("\n")})
    for aid, keyword in conn.execute(
            f"SELECT article_id, keyword FROM keywords WHERE article_id IN ({marks}) "
            "AND method = 'tfidf' ORDER BY article_id, weight DESC", ids):
        out["keywords"][aid].append(keyword)
    return out


def iter_records(
    conn: sqlite3.Connection, *, unique_only: bool = False, where: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[list[dict[str, Any]]]:
    """Chunks of article records (dicts in RECORD_FIELDS order), in id order."""
    table = "unique_articles" if unique_only else "articles"
    sql = f"SELECT {', '.join(ARTICLE_FIELDS)} FROM {table} AS articles"
    if where:
        sql += f" WHERE ({where})"
    sql += " ORDER BY id"
    try:
        cursor = conn.execute(sql)
    except sqlite3.Error as exc:
        raise ExportError(f"bad --where condition {where!r}: {exc}") from exc
    while rows := cursor.fetchmany(chunk_size):
        children = _children(conn, [r[0] for r in rows])
        chunk = []
        for row in rows:
            rec = dict(zip(ARTICLE_FIELDS, row, strict=True))
            aid = rec["id"]
            rec["paragraphs"] = [p for p in (rec["body"] or "").split("\n") if p]
            for name in ("sections", "tags", "related", "keywords"):
                rec[name] = children[name].get(aid, [])
            chunk.append({k: rec[k] for k in RECORD_FIELDS})
        yield chunk


def _write_jsonl(chunks: Iterator[list[dict[str, Any]]], out: TextIO) -> int:
    n = 0
    for chunk in chunks:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in chunk)
        n += len(chunk)
    return n


def _write_csv(chunks: Iterator[list[dict[str, Any]]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=RECORD_FIELDS)
    writer.writeheader()
    n = 0
    for chunk in chunks:
        writer.writerows({k: json.dumps(v, ensure_ascii=False) if k in LIST_FIELDS else v
                          for k, v in r.items()} for r in chunk)
        n += len(chunk)
    return n


def parquet_schema() -> Any:
    """The Arrow schema of a Parquet export."""
    import pyarrow as pa

    link = pa.struct([("url", pa.string()), ("title", pa.string())])
    section = pa.struct([("heading", pa.string()), ("paragraphs", pa.list_(pa.string()))])
    fields = []
    for name in RECORD_FIELDS:
        if name in INT_FIELDS:
            typ = pa.int64()
        elif name == "similarity":
            typ = pa.float64()
        elif name in ("paragraphs", "tags", "keywords"):
            typ = pa.list_(pa.string())
        elif name == "related":
            typ = pa.list_(link)
        elif name == "sections":
            typ = pa.list_(section)
        else:
            typ = pa.string()
        fields.append(pa.field(name, typ))
    return pa.schema(fields)


def _write_parquet(chunks: Iterator[list[dict[str, Any]]], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    n = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for chunk in chunks:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            n += len(chunk)
    return n


def export_corpus(db: str | Path, out: str | Path, fmt: str, *, unique_only: bool = False,
                  where: str | None = None, chunk_size: int = CHUNK_SIZE) -> int:
    """Write the corpus's articles to `out` in `fmt` (jsonl, parquet, csv); return how many."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    out = Path(out)
    conn = connect_read_only(db)
    try:
        chunks = iter_records(conn, unique_only=unique_only, where=where, chunk_size=chunk_size)
        first = next(chunks, None)  # fails here, before the output file is created
        stream = _chain(first, chunks)
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            return _write_parquet(stream, out)
        with out.open("w", encoding="utf-8", newline="") as fh:
            return _write_jsonl(stream, fh) if fmt == "jsonl" else _write_csv(stream, fh)
    finally:
        conn.close()


def _chain(first: list[dict[str, Any]] | None,
           rest: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    if first is not None:
        yield first
        yield from rest
