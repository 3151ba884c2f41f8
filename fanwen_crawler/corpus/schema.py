"""The corpus schema: every table, index, trigger and view, created by sqlite-utils migrations.

`MIGRATIONS` is a `sqlite_utils.Migrations` set named "fanwen"; sqlite-utils records the
applied ones in `_sqlite_migrations`. `apply_migrations` (called by `open_corpus`) runs the
pending ones inside one `BEGIN IMMEDIATE` transaction, so two processes opening a new file at
once never both run a migration. Corpora made before sqlite-utils' migrations recorded their
versions in our own `schema_migrations` table: `_adopt_legacy_registry` copies those records
over (same migrations, same order) and drops the old table. Never edit a released migration:
add a new one. A database that records a migration of ours this version does not know was
written by a newer fanwen-crawler (`NewerSchema`).

The articles table's columns come from `ArticleItem` (`article_columns`): migration 1 is the
historical first schema, and a test checks that the migrated table matches the item.

`sqlite_utils.db` imports pandas at import time whenever it is installed, only to map
`pandas.Timestamp` to TEXT when it infers a column type. With the `analysis` extra installed
(and so in `make test` / `make demo`) that would cost a crawl ~96 MB resident for nothing: our
schema is explicit and nothing inserts pandas values through sqlite_utils. So this module,
which is where `sqlite_utils` is first imported, hides pandas during that import (see
`_import_sqlite_utils_without_pandas`); `import pandas` keeps working afterwards.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import sys
import types
import typing
from datetime import UTC, datetime

from fanwen_crawler.items import ArticleItem

logger = logging.getLogger(__name__)


def _import_sqlite_utils_without_pandas() -> None:
    """Import sqlite_utils while `sys.modules["pandas"]` is None (Python's way to fail an import).

    The entry is removed right after. Consequence: in such a process sqlite_utils does not
    know `pandas.Timestamp` as a column type. Nothing is blocked if pandas or sqlite_utils
    is already imported.
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
from sqlite_utils import Database, Migrations  # noqa: E402

MIGRATION_SET = "fanwen"
MIGRATIONS_TABLE = Migrations.migrations_table
LEGACY_TABLE = "schema_migrations"
MIGRATIONS = Migrations(MIGRATION_SET)


class NewerSchema(RuntimeError):
    """The database was written by a newer fanwen-crawler: this version must not touch it."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- column lists from the item -----------------------------------------------------------

NOT_COLUMNS = frozenset({"duplicate_of_url", "minhash"})
"""Scalar ArticleItem fields stored elsewhere: resolved to `duplicate_of`, `minhashes` table."""
DERIVED_COLUMNS = {"char_count": int, "updated_at": str}
"""Article columns the store computes (char_count) or stamps (updated_at)."""


def _scalar_fields(cls: type) -> dict[str, type]:
    """name → Python type of the dataclass's scalar (str/int/float/bytes) fields, in order."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        kinds = [a for a in args if a in (str, int, float, bytes)]
        if len(kinds) == 1 and all(a in (kinds[0], type(None)) for a in args):
            out[f.name] = kinds[0]
    return out


def article_columns() -> dict[str, type]:
    """The `articles` table's columns besides `id`: ArticleItem's scalar fields + derived ones."""
    cols = {n: t for n, t in _scalar_fields(ArticleItem).items() if n not in NOT_COLUMNS}
    return {**cols, **DERIVED_COLUMNS}


# --- migrations ---------------------------------------------------------------------------
# Names sort in order; the four first ones were versions 1–4 of our former registry.


@MIGRATIONS(name="0001_initial_schema")
def _initial_schema(db: Database) -> None:
    db.table("articles").create(
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
    )  # fmt: skip
    db.table("articles").create_index(["url"], unique=True, index_name="idx_articles_url")
    for column in ("content_hash", "duplicate_of", "site", "published_at"):
        db.table("articles").create_index([column], index_name=f"idx_articles_{column}")
    fk = [("article_id", "articles", "id")]
    db.table("sections").create(
        {"article_id": int, "position": int, "heading": str, "body": str},
        pk=("article_id", "position"), foreign_keys=fk, not_null={"body"},
    )
    db.table("keywords").create(
        {"article_id": int, "keyword": str, "weight": float, "method": str},
        pk=("article_id", "keyword", "method"), foreign_keys=fk,
    )
    db.table("keywords").create_index(["keyword"], index_name="idx_keywords_keyword")
    db.table("tags").create({"article_id": int, "tag": str}, pk=("article_id", "tag"),
                            foreign_keys=fk)
    db.table("tags").create_index(["tag"], index_name="idx_tags_tag")
    db.table("related_links").create(
        {"article_id": int, "url": str, "title": str}, pk=("article_id", "url"), foreign_keys=fk
    )
    db.table("page_urls").create(
        {"article_id": int, "position": int, "url": str},
        pk=("article_id", "position"), foreign_keys=fk, not_null={"url"},
    )
    db.table("minhashes").create({"article_id": int, "signature": bytes}, pk="article_id",
                           foreign_keys=fk, not_null={"signature"})
    db.table("crawl_runs").create(
        {"id": int, "started_at": str, "finished_at": str, "start_urls": str, "status": str,
         "stats": str},
        pk="id",
    )
    db.table("crawl_errors").create(
        {"id": int, "run_id": int, "url": str, "status": int, "reason": str, "detail": str,
         "referer": str, "created_at": str},
        pk="id", foreign_keys=[("run_id", "crawl_runs", "id")], not_null={"url", "reason"},
    )
    db.table("crawl_errors").create_index(["url"], index_name="idx_crawl_errors_url")
    db.table("crawl_errors").create_index(["reason"], index_name="idx_crawl_errors_reason")
    db.create_view("unique_articles", "SELECT * FROM articles WHERE duplicate_of IS NULL")


@MIGRATIONS(name="0002_versions_validators_resolved")
def _versions_and_validators(db: Database) -> None:
    # --refresh keeps the text an update replaces; ETag / Last-Modified make refreshes
    # conditional; --retry-failed marks the errors it fixed instead of deleting them.
    db.table("article_versions").create(
        {"id": int, "article_id": int, "content_hash": str, "title": str, "body": str,
         "crawled_at": str, "replaced_at": str},
        pk="id", foreign_keys=[("article_id", "articles", "id")], not_null={"article_id"},
    )
    db.table("article_versions").create_index(["article_id"],
                                              index_name="idx_article_versions_article")
    db.table("articles").add_column("etag", str)
    db.table("articles").add_column("last_modified", str)
    db.table("crawl_errors").add_column("resolved_at", str)


@MIGRATIONS(name="0003_url_aliases")
def _url_aliases(db: Database) -> None:
    # A link that redirects to an article is an alias of it: stored once, under the URL the
    # redirect ended at, and the alias is skipped on re-crawls like the article's own URL.
    db.table("url_aliases").create({"article_id": int, "url": str}, pk=("article_id", "url"),
                             foreign_keys=[("article_id", "articles", "id")], not_null={"url"})
    db.table("url_aliases").create_index(["url"], index_name="idx_url_aliases_url")


@MIGRATIONS(name="0004_rensa_signatures")
def _rensa_signatures(db: Database) -> None:
    # The dedupe stage switched from datasketch's MinHash to rensa's RMinHash: same format
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


SEARCH_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, body, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS fts_pending (article_id INTEGER PRIMARY KEY);
CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT OR IGNORE INTO fts_pending (article_id) VALUES (new.id);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE OF id, title, body ON articles
WHEN old.id IS NOT new.id OR old.title IS NOT new.title OR old.body IS NOT new.body BEGIN
    DELETE FROM articles_fts WHERE rowid = old.id;
    DELETE FROM fts_pending WHERE article_id = old.id;
    INSERT OR IGNORE INTO fts_pending (article_id) VALUES (new.id);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.id;
    DELETE FROM fts_pending WHERE article_id = old.id;
END;
CREATE VIEW IF NOT EXISTS articles_overview AS
SELECT id, title, site, category, substr(published_at, 1, 4) AS year,
       substr(published_at, 1, 7) AS month, published_at, author, source, char_count,
       duplicate_of, url
FROM articles;
"""
"""The word-level search index (see `search_index`) and the overview view for Datasette facets.
`IF NOT EXISTS`: corpora searched before this migration already have them."""


@MIGRATIONS(name="0005_search_index")
def _search_index(db: Database) -> None:
    # Triggers queue every inserted/changed article in fts_pending; `sync_search_index`
    # segments the queue with jieba (which cannot run inside SQL). A new index queues every
    # stored article, so a corpus crawled before the index existed gets indexed completely.
    existed = db["articles_fts"].exists()
    for statement in _statements(SEARCH_SCHEMA):
        db.execute(statement)
    if not existed:
        db.execute("INSERT OR IGNORE INTO fts_pending (article_id) SELECT id FROM articles")


@MIGRATIONS(name="0006_run_owner_and_reason")
def _run_owner_and_reason(db: Database) -> None:
    # A crawl records its host and pid, so the next crawl can tell a row left "running" by a
    # killed process (marked "killed") from one of a crawl still running; `reason` says why
    # a run "failed" (disk full, database read-only …).
    for column in ("host", "reason"):
        db.table("crawl_runs").add_column(column, str)
    db.table("crawl_runs").add_column("pid", int)


@MIGRATIONS(name="0007_corpus_meta")
def _corpus_meta(db: Database) -> None:
    # Facts about the stored data that code must check before adding to it, e.g. which
    # MinHash implementation made the stored signatures (only comparable with its own).
    from fanwen_crawler.corpus.dedupe import SIGNATURE_ALGORITHM

    db.table("corpus_meta").create({"key": str, "value": str}, pk="key")
    db.table("corpus_meta").insert({"key": "signature_algorithm", "value": SIGNATURE_ALGORITHM})


@MIGRATIONS(name="0008_trigram_index")
def _trigram_index(db: Database) -> None:
    # The word index (articles_fts, jieba) misses single characters and words that jieba
    # segments differently in the text; `fanwen search` decides matches at character level
    # (fanwen_crawler.analysis.query) and looks terms of 3+ characters up here. External
    # content (no second copy of the text), kept by pure-SQL triggers from any client.
    # SQLite before 3.34 has no trigram tokenizer: search then scans with LIKE instead.
    conn = db.conn
    try:
        conn.execute("CREATE VIRTUAL TABLE articles_trigram USING fts5(title, body, "
                     "content='articles', content_rowid='id', tokenize='trigram')")
    except sqlite3.OperationalError as exc:
        logger.warning("corpus: no trigram index (%s); search scans the text instead", exc)
        return
    for statement in (
        "CREATE TRIGGER articles_trigram_insert AFTER INSERT ON articles BEGIN "
        "INSERT INTO articles_trigram (rowid, title, body) VALUES (new.id, new.title, new.body); "
        "END",
        "CREATE TRIGGER articles_trigram_delete AFTER DELETE ON articles BEGIN "
        "INSERT INTO articles_trigram (articles_trigram, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); END",
        "CREATE TRIGGER articles_trigram_update AFTER UPDATE OF id, title, body ON articles "
        "WHEN old.id IS NOT new.id OR old.title IS NOT new.title OR old.body IS NOT new.body "
        "BEGIN INSERT INTO articles_trigram (articles_trigram, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); "
        "INSERT INTO articles_trigram (rowid, title, body) VALUES (new.id, new.title, new.body); "
        "END",
        "INSERT INTO articles_trigram (articles_trigram) VALUES ('rebuild')",
    ):
        conn.execute(statement)


# Policy skips (robots, --max-articles, --until) apart from errors; repeated errors counted.
@MIGRATIONS(name="0009_skipped_and_error_counts")
def _skipped_and_error_counts(db: Database) -> None:
    # A policy skip (robots.txt, --max-articles, --until) is no error: one `skipped` row per
    # (url, reason), counted on every run that skips it again. An unresolved error seen
    # again is counted on its row (`times`, `last_run_id`) instead of adding a row per run.
    db.table("skipped").create(
        {"id": int, "url": str, "reason": str, "detail": str, "referer": str,
         "first_run_id": int, "last_run_id": int, "times": int, "first_seen_at": str,
         "last_seen_at": str},
        pk="id", not_null={"url", "reason"},
        foreign_keys=[("first_run_id", "crawl_runs", "id"), ("last_run_id", "crawl_runs", "id")],
    )
    db.table("skipped").create_index(["url", "reason"], index_name="idx_skipped_url_reason",
                               unique=True)
    db.table("crawl_errors").add_column("times", int)
    db.table("crawl_errors").add_column("last_run_id", int)
    db.table("crawl_errors").add_column("last_seen_at", str)
    conn = db.conn
    conn.execute("UPDATE crawl_errors SET times = 1, last_run_id = run_id, "
                 "last_seen_at = created_at")
    policy = ("robots", "dropped:max_articles")  # the policy reasons as of this version
    marks = ", ".join("?" * len(policy))
    conn.execute(
        "INSERT INTO skipped (url, reason, detail, referer, first_run_id, last_run_id, times, "
        "first_seen_at, last_seen_at) "
        "SELECT url, reason, max(detail), max(referer), min(run_id), max(run_id), count(*), "
        f"min(created_at), max(created_at) FROM crawl_errors WHERE reason IN ({marks}) "
        "GROUP BY url, reason", policy)
    conn.execute(f"DELETE FROM crawl_errors WHERE reason IN ({marks})", policy)


@MIGRATIONS(name="0010_lsh_band_index")
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
    for s in _lsh_band_triggers(conn, bands, width):
        conn.execute("INSERT OR IGNORE INTO lsh_bands (key, article_id) "
                     f"SELECT {s.format(row='minhashes')}, article_id FROM minhashes")


def _lsh_band_triggers(conn: sqlite3.Connection, bands: int, width: int) -> list[str]:
    """Create the triggers that keep `lsh_bands` in step with `minhashes`; return the slices."""
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
    return slices


@MIGRATIONS(name="0011_lsh_bands_16x4")
def _lsh_bands_16x4(db: Database) -> None:
    # 12 bands x 4 values made a candidate of any article sharing one band. Texts built from
    # common phrases share a 4-value band now and then (J 0.1-0.3), so the candidates, and
    # the signatures read to discard them, grew with the corpus: 0.6 per lookup at 10k
    # articles, 2.4 at 50k. Now 16 bands x 4 values (the first 256 of the 512 bytes), and a
    # candidate must share at least 2 of them (fanwen_crawler.corpus.dedupe.MIN_BANDS):
    # P(candidate) = 0.997 at Jaccard 0.8, 0.007 at 0.3. The table is rebuilt from the
    # stored signatures, sorted, so a large corpus is re-banded in one pass. Self-contained
    # like 0010: the layout is fixed here.
    bands, width = 16, 16
    conn = db.conn
    for name in ("insert", "delete", "update"):
        conn.execute(f"DROP TRIGGER IF EXISTS minhashes_lsh_{name}")
    conn.execute("DROP TABLE IF EXISTS lsh_bands")
    conn.execute("CREATE TABLE lsh_bands (key BLOB NOT NULL, article_id INTEGER NOT NULL, "
                 "PRIMARY KEY (key, article_id)) WITHOUT ROWID")
    slices = _lsh_band_triggers(conn, bands, width)
    every = " UNION ALL ".join(f"SELECT {s.format(row='minhashes')} AS key, article_id "
                               "FROM minhashes" for s in slices)
    conn.execute(f"INSERT OR IGNORE INTO lsh_bands (key, article_id) SELECT key, article_id "
                 f"FROM ({every}) ORDER BY key, article_id")


@MIGRATIONS(name="0012_trigram_by_worker")
def _trigram_by_worker(db: Database) -> None:
    # Trigram-indexing every body inside the store's write transaction cost the crawl process
    # ~0.4 ms of CPU per 500 characters (a quarter of its CPU per page). The articles in
    # `fts_pending` now get their trigram rows where their word-index rows are made
    # (`search_index.write_index`: the crawl's worker, `fanwen index`); search scans the
    # pending ones with LIKE. An update or delete removes the old row only from an article
    # that has one (its `_docsize` row: FTS5's own record of what it holds).
    conn = db.conn
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_trigram'").fetchone() \
            is None:
        return  # SQLite without the trigram tokenizer: search scans with LIKE anyway
    held = "EXISTS (SELECT 1 FROM articles_trigram_docsize WHERE id = old.id)"
    delete = ("INSERT INTO articles_trigram (articles_trigram, rowid, title, body) "
              "VALUES ('delete', old.id, old.title, old.body);")
    for name in ("insert", "update", "delete"):
        conn.execute(f"DROP TRIGGER IF EXISTS articles_trigram_{name}")
    conn.execute("CREATE TRIGGER articles_trigram_update AFTER UPDATE OF id, title, body ON "
                 "articles WHEN (old.id IS NOT new.id OR old.title IS NOT new.title OR "
                 f"old.body IS NOT new.body) AND {held} BEGIN {delete} END")
    conn.execute(f"CREATE TRIGGER articles_trigram_delete AFTER DELETE ON articles "
                 f"WHEN {held} BEGIN {delete} END")


def _statements(script: str) -> list[str]:
    import sqlite3

    out, buf = [], ""
    for line in script.strip().splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out


# --- applying them ------------------------------------------------------------------------

LEGACY_NAMES = {1: "0001_initial_schema", 2: "0002_versions_validators_resolved",
                3: "0003_url_aliases", 4: "0004_rensa_signatures"}
"""Version in the former `schema_migrations` registry → the same migration's name here."""


def known_names() -> list[str]:
    """Names of this version's migrations, in order."""
    return [m.name for m in MIGRATIONS._migrations]


def applied_names(db: Database) -> list[str]:
    """Our migrations recorded in the database (either registry); reads only."""
    names = [m.name for m in MIGRATIONS.applied(db)]
    if db[LEGACY_TABLE].exists():
        for (version,) in db.execute(f"SELECT version FROM {LEGACY_TABLE} ORDER BY version"):
            names.append(LEGACY_NAMES.get(version, f"legacy version {version}"))
    return list(dict.fromkeys(names))


def unknown_names(db: Database) -> list[str]:
    """Recorded migrations this version does not know: the database is newer than the code."""
    known = set(known_names())
    return [n for n in applied_names(db) if n not in known]


def pending_names(db: Database) -> list[str]:
    """This version's migrations not yet recorded in the database; reads only."""
    applied = set(applied_names(db))
    return [n for n in known_names() if n not in applied]


def _adopt_legacy_registry(db: Database) -> None:
    """Record the former registry's versions as sqlite-utils migrations; drop its table."""
    if not db[LEGACY_TABLE].exists():
        return
    rows = db.execute(f"SELECT version, applied_at FROM {LEGACY_TABLE} ORDER BY version").fetchall()
    MIGRATIONS.ensure_migrations_table(db)
    done = {m.name for m in MIGRATIONS.applied(db)}
    for version, applied_at in rows:
        name = LEGACY_NAMES[version]
        if name not in done:
            db.table(MIGRATIONS_TABLE).insert({"migration_set": MIGRATION_SET, "name": name,
                                         "applied_at": applied_at or utc_now()})
    db.table(LEGACY_TABLE).drop()
    logger.info("corpus: adopted %d migrations of the former schema_migrations registry",
                len(rows))


def apply_migrations(db: Database) -> list[str]:
    """Apply the pending migrations in one BEGIN IMMEDIATE transaction; return their names.

    Raises NewerSchema, without writing, if the database records a migration this version
    does not know.
    """
    if unknown := unknown_names(db):
        raise NewerSchema(f"written by a newer fanwen-crawler (schema {unknown[-1]})")
    if not pending_names(db) and not db[LEGACY_TABLE].exists():
        return []
    db.execute("BEGIN IMMEDIATE")
    try:
        # Checked again under the write lock: another process may have migrated meanwhile.
        if unknown := unknown_names(db):
            raise NewerSchema(f"written by a newer fanwen-crawler (schema {unknown[-1]})")
        _adopt_legacy_registry(db)
        pending = [m.name for m in MIGRATIONS.pending(db)]
        MIGRATIONS.apply(db)  # each migration in a savepoint of this transaction
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    for name in pending:
        logger.info("corpus: applied migration %s", name)
    return pending
