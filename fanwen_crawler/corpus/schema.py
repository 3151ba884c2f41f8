"""The corpus schema: registered, idempotent migrations recorded in `schema_migrations`.

Each migration runs once per database, in version order, inside its own write
transaction; `apply_migrations` is called by `open_corpus` on every open. Never edit a
released migration: add a new version. This module is also where `sqlite_utils` is first
imported, without pandas (see `_import_sqlite_utils_without_pandas`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime

logger = logging.getLogger(__name__)


def _import_sqlite_utils_without_pandas() -> None:
    """Import sqlite_utils without letting it import pandas (+~96 MB resident).

    `sqlite_utils.db` imports pandas at import time whenever it is installed, only to map
    `pandas.Timestamp` to TEXT when it infers a column type. Our schema is explicit and the
    project never inserts pandas values through sqlite_utils, so a crawl (or any process that
    imports this module first) must not pay for pandas. While `sqlite_utils` is imported,
    `sys.modules["pandas"]` is None (Python's documented way to make an import fail); the
    entry is removed right after, so `import pandas` keeps working later in the process.
    Consequence: in such a process sqlite_utils does not know `pandas.Timestamp` as a column
    type. Nothing is blocked if pandas or sqlite_utils is already imported.
    """
    if "sqlite_utils.db" in sys.modules or "pandas" in sys.modules:
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]
    try:
        import sqlite_utils.db  # noqa: F401
    finally:
        if "pandas" in sys.modules and sys.modules["pandas"] is None:
            del sys.modules["pandas"]


_import_sqlite_utils_without_pandas()
from sqlite_utils import Database  # noqa: E402


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- migrations ---------------------------------------------------------------------------

Migration = Callable[[Database], None]
MIGRATIONS: dict[int, tuple[str, Migration]] = {}
"""version → (name, function); applied in version order, each once, in its own transaction."""


def migration(version: int, name: str) -> Callable[[Migration], Migration]:
    """Register a schema migration. Never edit a released one: add a new version."""

    def register(fn: Migration) -> Migration:
        if version in MIGRATIONS:
            raise ValueError(f"duplicate migration version {version}")
        MIGRATIONS[version] = (name, fn)
        return fn

    return register


@migration(1, "initial corpus schema")
def _initial_schema(db: Database) -> None:
    db["articles"].create(
        {
            "id": int, "url": str, "site": str, "category": str, "title": str,
            "published_at": str, "published_raw": str, "source": str, "author": str,
            "body": str, "char_count": int, "pages": int, "content_hash": str,
            "duplicate_of": int, "similarity": float, "encoding": str,
            "crawled_at": str, "updated_at": str,
        },
        pk="id",
        not_null={"url", "title", "body"},
        foreign_keys=[("duplicate_of", "articles", "id")],
    )
    db["articles"].create_index(["url"], unique=True, index_name="idx_articles_url")
    for column in ("content_hash", "duplicate_of", "site", "published_at"):
        db["articles"].create_index([column], index_name=f"idx_articles_{column}")
    fk = [("article_id", "articles", "id")]
    db["sections"].create(
        {"article_id": int, "position": int, "heading": str, "body": str},
        pk=("article_id", "position"), foreign_keys=fk, not_null={"body"},
    )
    db["keywords"].create(
        {"article_id": int, "keyword": str, "weight": float, "method": str},
        pk=("article_id", "keyword", "method"), foreign_keys=fk,
    )
    db["keywords"].create_index(["keyword"], index_name="idx_keywords_keyword")
    db["tags"].create({"article_id": int, "tag": str}, pk=("article_id", "tag"), foreign_keys=fk)
    db["tags"].create_index(["tag"], index_name="idx_tags_tag")
    db["related_links"].create(
        {"article_id": int, "url": str, "title": str}, pk=("article_id", "url"), foreign_keys=fk
    )
    db["page_urls"].create(
        {"article_id": int, "position": int, "url": str},
        pk=("article_id", "position"), foreign_keys=fk, not_null={"url"},
    )
    db["minhashes"].create({"article_id": int, "signature": bytes}, pk="article_id",
                           foreign_keys=fk, not_null={"signature"})
    db["crawl_runs"].create(
        {"id": int, "started_at": str, "finished_at": str, "start_urls": str, "status": str,
         "stats": str},
        pk="id",
    )
    db["crawl_errors"].create(
        {"id": int, "run_id": int, "url": str, "status": int, "reason": str, "detail": str,
         "referer": str, "created_at": str},
        pk="id", foreign_keys=[("run_id", "crawl_runs", "id")], not_null={"url", "reason"},
    )
    db["crawl_errors"].create_index(["url"], index_name="idx_crawl_errors_url")
    db["crawl_errors"].create_index(["reason"], index_name="idx_crawl_errors_reason")
    db.create_view("unique_articles", "SELECT * FROM articles WHERE duplicate_of IS NULL")


@migration(2, "article versions, HTTP validators, resolved errors")
def _versions_and_validators(db: Database) -> None:
    # --refresh keeps the text an update replaces; ETag / Last-Modified make refreshes
    # conditional; --retry-failed marks the errors it fixed instead of deleting them.
    db["article_versions"].create(
        {"id": int, "article_id": int, "content_hash": str, "title": str, "body": str,
         "crawled_at": str, "replaced_at": str},
        pk="id", foreign_keys=[("article_id", "articles", "id")], not_null={"article_id"},
    )
    db["article_versions"].create_index(["article_id"], index_name="idx_article_versions_article")
    db["articles"].add_column("etag", str)
    db["articles"].add_column("last_modified", str)
    db["crawl_errors"].add_column("resolved_at", str)


@migration(3, "URL aliases (redirect sources) of articles")
def _url_aliases(db: Database) -> None:
    # A link that redirects to an article is an alias of it: stored once, under the URL the
    # redirect ended at, and the alias is skipped on re-crawls like the article's own URL.
    db["url_aliases"].create({"article_id": int, "url": str}, pk=("article_id", "url"),
                             foreign_keys=[("article_id", "articles", "id")], not_null={"url"})
    db["url_aliases"].create_index(["url"], index_name="idx_url_aliases_url")


@migration(4, "MinHash signatures recomputed with rensa")
def _rensa_signatures(db: Database) -> None:
    # pipelines.dedupe switched from datasketch's MinHash to rensa's RMinHash: same format
    # (128 little-endian uint32), different values, so signatures stored before cannot be
    # compared with new ones. Recompute each from its article's stored body (what the dedupe
    # pipeline hashed), in chunks so a large corpus is not read into memory at once.
    from fanwen_crawler.corpus.dedupe import minhash_of, serialise_minhash

    conn, last, n = db.conn, -1, 0
    while True:
        rows = conn.execute(
            "SELECT m.article_id, a.body FROM minhashes m JOIN articles a ON a.id = m.article_id "
            "WHERE m.article_id > ? ORDER BY m.article_id LIMIT 500", [last]).fetchall()
        if not rows:
            break
        conn.executemany("UPDATE minhashes SET signature = ? WHERE article_id = ?",
                         [(serialise_minhash(minhash_of(body or "")), article_id)
                          for article_id, body in rows])
        last, n = rows[-1][0], n + len(rows)
    if n:
        logger.info("corpus: recomputed %d MinHash signatures (rensa)", n)


@migration(5, "LSH band index of MinHash signatures")
def _lsh_band_index(db: Database) -> None:
    # Near-duplicate candidates are looked up in the database instead of an in-memory index
    # loaded at every crawl start (fanwen_crawler.corpus.dedupe): one row per band of each
    # signature, key = the band's 16 bytes (12 bands x 4 uint32 values = the first 192 of
    # the 512 bytes). Triggers on minhashes keep it in step with any writer, so neither the
    # store nor a merge has to know about it. Self-contained: the band layout is fixed here;
    # other band parameters need a new migration.
    bands, width = 12, 16
    conn = db.conn
    conn.execute("CREATE TABLE lsh_bands (key BLOB NOT NULL, article_id INTEGER NOT NULL, "
                 "PRIMARY KEY (key, article_id)) WITHOUT ROWID")
    slices = [f"substr({{row}}.signature, {b * width + 1}, {width})" for b in range(bands)]
    insert = ("INSERT OR IGNORE INTO lsh_bands (key, article_id) VALUES "
              + ", ".join(f"({s.format(row='new')}, new.article_id)" for s in slices) + ";")
    delete = ("DELETE FROM lsh_bands WHERE article_id = old.article_id AND key IN ("
              + ", ".join(s.format(row="old") for s in slices) + ");")
    for name, event, action in (("insert", "INSERT", insert), ("delete", "DELETE", delete)):
        conn.execute(f"CREATE TRIGGER minhashes_lsh_{name} AFTER {event} ON minhashes "
                     f"BEGIN {action} END")
    conn.execute("CREATE TRIGGER minhashes_lsh_update AFTER UPDATE OF signature ON minhashes "
                 f"BEGIN {delete} {insert} END")
    for s in slices:
        conn.execute("INSERT OR IGNORE INTO lsh_bands (key, article_id) "
                     f"SELECT {s.format(row='minhashes')}, article_id FROM minhashes")


def apply_migrations(db: Database) -> list[int]:
    """Apply the registered migrations not yet recorded; return the versions applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
    )
    db.commit()
    applied = []
    for version in sorted(MIGRATIONS):
        name, fn = MIGRATIONS[version]
        with db.atomic():
            # Checked inside the write transaction: two processes opening a new file at once
            # must not both run a migration.
            db.execute("INSERT OR IGNORE INTO schema_migrations VALUES (?, ?, ?)",
                       [version, name, utc_now()])
            if db.execute("SELECT changes()").fetchone()[0] == 0:
                continue
            fn(db)
        applied.append(version)
        logger.info("corpus: applied migration %d (%s)", version, name)
    return applied
