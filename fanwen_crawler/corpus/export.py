"""Streaming exports of the corpus: JSON lines, Parquet and CSV, to a file or a stream.

`export_corpus` reads articles through a read-only connection (`mode=ro`, plus
`query_only`), so an analyst's `where` condition — SQL text placed in a WHERE clause —
can read but never write; the condition only selects ids (`id IN (SELECT id … WHERE …)`),
so text that closes the parenthesis and appends a UNION cannot change the records' shape.
Memory stays constant: articles are fetched in chunks of `chunk_size`, their child rows
(tags, related links, sections, keywords) fetched for that chunk only, and each chunk
written out (one Parquet row group per chunk). Records use the field names of
`fanwen extract` where they exist (title, published_at, published_raw, source, author,
category, body, paragraphs, sections, tags, related, url) plus the corpus's own (id, site,
char_count, pages, duplicate_of, similarity, keywords with weight and method …).

A file is written atomically: into a temporary file in the target directory, renamed over
the target only when complete, so a failed export (bad condition, full disk, read-only
directory) leaves any previous file as it was. An existing file is replaced only with
`force`. The format follows the file's extension unless given.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TextIO

FORMATS = ("jsonl", "parquet", "csv")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
              ".pq": "parquet", ".csv": "csv"}
CHUNK_SIZE = 500
UTF8_BOM = "\ufeff"
ARTICLE_FIELDS = (
    "id", "url", "site", "category", "title", "published_at", "published_raw", "source",
    "author", "body", "char_count", "pages", "content_hash", "duplicate_of", "similarity",
    "encoding", "crawled_at", "updated_at",
)  # fmt: skip
LIST_FIELDS = ("paragraphs", "sections", "tags", "related", "keywords")
RECORD_FIELDS = (*ARTICLE_FIELDS[:10], *LIST_FIELDS, *ARTICLE_FIELDS[10:])
INT_FIELDS = {"id", "char_count", "pages", "duplicate_of"}


class ExportError(ValueError):
    """The export cannot run: unknown format, bad WHERE condition, missing database,
    or a target that exists (without `force`)."""


class ExportWriteError(ExportError):
    """The output could not be written (read-only directory, full disk …); nothing replaced."""


def infer_format(out: str | Path) -> str:
    """The export format for a file name, from its extension."""
    suffix = Path(out).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ExportError(f"cannot tell the format of {str(out)!r} from its extension "
                          f"(use {', '.join(sorted(EXTENSIONS))} or --format)")
    return EXTENSIONS[suffix]


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
    for aid, keyword, weight, method in conn.execute(
            f"SELECT article_id, keyword, weight, method FROM keywords WHERE article_id IN "
            f"({marks}) ORDER BY article_id, method, weight DESC, keyword", ids):
        out["keywords"][aid].append({"keyword": keyword, "weight": weight, "method": method})
    return out


def iter_records(
    conn: sqlite3.Connection, *, unique_only: bool = False, where: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[list[dict[str, Any]]]:
    """Chunks of article records (dicts in RECORD_FIELDS order), in id order."""
    table = "unique_articles" if unique_only else "articles"
    sql = f"SELECT {', '.join(ARTICLE_FIELDS)} FROM {table} AS articles"
    if where:
        # Newlines end a trailing `--` comment; the condition only picks ids.
        sql += f" WHERE id IN (SELECT id FROM {table} AS articles WHERE (\n{where}\n))"
    sql += " ORDER BY id"
    try:
        cursor = conn.execute(sql)
        rows = cursor.fetchmany(chunk_size)
    except sqlite3.Error as exc:
        raise ExportError(f"bad --where condition {where!r}: {exc}") from exc
    while rows:
        children = _children(conn, [r[0] for r in rows])
        chunk = []
        for row in rows:
            rec = dict(zip(ARTICLE_FIELDS, row, strict=True))
            aid = rec["id"]
            rec["paragraphs"] = [p for p in str(rec["body"] or "").split("\n") if p]
            for name in ("sections", "tags", "related", "keywords"):
                rec[name] = children[name].get(aid, [])
            chunk.append({k: rec[k] for k in RECORD_FIELDS})
        yield chunk
        try:
            rows = cursor.fetchmany(chunk_size)
        except sqlite3.Error as exc:
            raise ExportError(f"reading articles failed: {exc}") from exc


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
    keyword = pa.struct([("keyword", pa.string()), ("weight", pa.float64()),
                         ("method", pa.string())])
    fields = []
    for name in RECORD_FIELDS:
        if name in INT_FIELDS:
            typ = pa.int64()
        elif name == "similarity":
            typ = pa.float64()
        elif name in ("paragraphs", "tags"):
            typ = pa.list_(pa.string())
        elif name == "keywords":
            typ = pa.list_(keyword)
        elif name == "related":
            typ = pa.list_(link)
        elif name == "sections":
            typ = pa.list_(section)
        else:
            typ = pa.string()
        fields.append(pa.field(name, typ))
    return pa.schema(fields)


def _write_parquet(chunks: Iterator[list[dict[str, Any]]], out: IO[bytes]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    n = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for chunk in chunks:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            n += len(chunk)
    return n


def _writer(fmt: str, bom: bool) -> Callable[[Iterator[list[dict[str, Any]]], IO[bytes]], int]:
    if fmt == "parquet":
        return _write_parquet

    def write_text(chunks: Iterator[list[dict[str, Any]]], out: IO[bytes]) -> int:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        try:
            if bom:
                text.write(UTF8_BOM)
            n = _write_jsonl(chunks, text) if fmt == "jsonl" else _write_csv(chunks, text)
            text.flush()
        finally:
            text.detach()
        return n

    return write_text


def _check_options(fmt: str | None, out: str | Path | None, bom: bool) -> str:
    fmt = fmt or (infer_format(out) if out is not None else "jsonl")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if bom and fmt != "csv":
        raise ExportError("a byte order mark (--bom / --excel) is for CSV only")
    return fmt


def _records(conn: sqlite3.Connection, unique_only: bool, where: str | None,
             chunk_size: int) -> Iterator[list[dict[str, Any]]]:
    chunks = iter_records(conn, unique_only=unique_only, where=where, chunk_size=chunk_size)
    first = next(chunks, None)  # a bad condition fails here, before any output exists
    return _chain(first, chunks)


def export_to_stream(db: str | Path, stream: IO[bytes], fmt: str = "jsonl", *,
                     unique_only: bool = False, where: str | None = None,
                     chunk_size: int = CHUNK_SIZE, bom: bool = False) -> int:
    """Write the articles to a binary stream (stdout, say); return how many."""
    fmt = _check_options(fmt, None, bom)
    conn = connect_read_only(db)
    try:
        return _writer(fmt, bom)(_records(conn, unique_only, where, chunk_size), stream)
    finally:
        conn.close()


def export_corpus(db: str | Path, out: str | Path, fmt: str | None = None, *,
                  unique_only: bool = False, where: str | None = None,
                  chunk_size: int = CHUNK_SIZE, force: bool = False, bom: bool = False) -> int:
    """Write the corpus's articles to the file `out` atomically; return how many.

    `fmt` (jsonl, parquet, csv) defaults to the one of `out`'s extension; `bom` starts a
    CSV with a UTF-8 byte order mark (for Excel); `force` replaces an existing file.
    """
    fmt = _check_options(fmt, out, bom)
    out = Path(out)
    if out.is_dir():
        raise ExportError(f"{out} is a directory")
    if out.exists() and not force:
        raise ExportError(f"{out} exists (use --force to replace it)")
    conn = connect_read_only(db)
    try:
        records = _records(conn, unique_only, where, chunk_size)
        return _atomic_write(out, lambda fh: _writer(fmt, bom)(records, fh))
    finally:
        conn.close()


def _atomic_write(out: Path, write: Callable[[IO[bytes]], int]) -> int:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    except OSError as exc:
        raise ExportWriteError(f"cannot write {out}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            n = write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, out.stat().st_mode & 0o777 if out.exists() else _default_mode())
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportWriteError(f"cannot write {out}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _chain(first: list[dict[str, Any]] | None,
           rest: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    if first is not None:
        yield first
        yield from rest
