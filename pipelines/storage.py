"""The SQLite corpus: schema, migrations, batched transactional writes, and the store pipeline.

One database file holds the corpus. `open_corpus` opens it once (WAL, busy_timeout,
foreign keys) and applies the registered, idempotent migrations recorded in
`schema_migrations`. `Corpus.write_articles` writes a batch in one transaction: an article
and all its child rows (sections, tags, related_links, page_urls, minhashes) commit
together or not at all, so a killed crawl never leaves a partial article. Articles are
upserted by canonical URL: a re-crawl updates the row in place (same id) and replaces its
children. `duplicate_of_url` from the dedupe pipeline is resolved to the id of the first
article of the chain. `articles.char_count` counts non-whitespace characters of the body.

Chinese full-text search (a later issue, deliberately not built here): SQLite's default
`unicode61` FTS5 tokenizer treats a run of Han characters as one token, and the `trigram`
tokenizer cannot match one- or two-character words (教育 has two) and triples the index.
The plan is an external-content FTS5 table over a jieba-segmented copy of title and body
(words joined by spaces, segmented with `pipelines.keywords`' own tokenizer in the
post-crawl batch stage), queried with the same segmentation.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


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

from fanwen_crawler.items import ArticleItem, CrawlError, Link, Section  # noqa: E402

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 50
DEFAULT_FLUSH_SECONDS = 5.0
BUSY_TIMEOUT_MS = 10_000
WHITESPACE = re.compile(r"\s+")
DROP_REASON = re.compile(r"^[a-z0-9_]+$")

ARTICLE_COLUMNS = (
    "url", "site", "category", "title", "published_at", "published_raw", "source", "author",
    "body", "char_count", "pages", "content_hash", "duplicate_of", "similarity", "encoding",
)  # fmt: skip
"""Columns written from an item (besides id, crawled_at, updated_at); compared on re-crawl."""


EXACT_DUPLICATES = (
    "SELECT count(*) FROM articles d JOIN articles o ON o.id = d.duplicate_of "
    "WHERE d.content_hash = o.content_hash"
)


class CorpusError(RuntimeError):
    """The corpus database cannot be opened or written (bad path, permissions, locked)."""


@dataclass(slots=True)
class WriteResult:
    """Outcome counts of one `write_articles` call."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    versioned: int = 0
    """Updates whose content hash changed: the old text was kept in `article_versions`."""


def _now() -> str:
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
    from pipelines.dedupe import minhash_of, serialise_minhash

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
                       [version, name, _now()])
            if db.execute("SELECT changes()").fetchone()[0] == 0:
                continue
            fn(db)
        applied.append(version)
        logger.info("corpus: applied migration %d (%s)", version, name)
    return applied


# --- the corpus ---------------------------------------------------------------------------


def _char_count(body: str) -> int:
    return len(WHITESPACE.sub("", body))


def _children(item: ArticleItem) -> dict[str, list[tuple[Any, ...]]]:
    related: dict[str, str] = {}
    for link in item.related:
        related.setdefault(link.url, link.title)
    return {
        "sections": [(i, s.heading, "\n".join(s.paragraphs)) for i, s in enumerate(item.sections)],
        "tags": [(t,) for t in dict.fromkeys(item.tags)],
        "related_links": list(related.items()),
        "page_urls": list(enumerate(item.page_urls)),
        "url_aliases": [(u,) for u in dict.fromkeys(item.aliases) if u != item.url],
        "minhashes": [(item.minhash,)] if item.minhash is not None else [],
    }


CHILD_COLUMNS = {
    "sections": ("position", "heading", "body"),
    "tags": ("tag",),
    "related_links": ("url", "title"),
    "page_urls": ("position", "url"),
    "url_aliases": ("url",),
    "minhashes": ("signature",),
}
CHILD_ORDER = {"sections": "position", "tags": "rowid", "related_links": "rowid",
               "page_urls": "position", "url_aliases": "rowid", "minhashes": "article_id"}


class Corpus:
    """An open corpus database. Use `open_corpus`; close with `close()` or a `with` block."""

    def __init__(self, db: Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.db.close()

    # writes

    def write_articles(self, items: list[ArticleItem]) -> WriteResult:
        """Upsert a batch of articles (and their child rows) in one transaction."""
        result = WriteResult()
        with self.db.atomic():
            for item in items:
                outcome = self._write_article(item, result)
                setattr(result, outcome, getattr(result, outcome) + 1)
        return result

    def _resolve_duplicate(self, item: ArticleItem, own_id: int | None) -> int | None:
        target = item.duplicate_of
        if target is None and item.duplicate_of_url and item.duplicate_of_url != item.url:
            row = self.db.execute(
                "SELECT id FROM articles WHERE url = ?", [item.duplicate_of_url]
            ).fetchone()
            if row is None:
                logger.warning("corpus: %s duplicates %s, which is not stored",
                               item.url, item.duplicate_of_url)
                return None
            target = row[0]
        # Follow the chain to its first-stored article, so C → B → A is stored as C → A.
        seen = set()
        while target is not None and target not in seen:
            seen.add(target)
            row = self.db.execute("SELECT duplicate_of FROM articles WHERE id = ?",
                                  [target]).fetchone()
            if row is None or row[0] is None:
                break
            target = row[0]
        return None if target == own_id else target

    def _write_article(self, item: ArticleItem, result: WriteResult | None = None) -> str:
        conn = self.db.conn
        existing = conn.execute(
            f"SELECT id, {', '.join(ARTICLE_COLUMNS)} FROM articles WHERE url = ?", [item.url]
        ).fetchone()
        own_id = existing[0] if existing else None
        duplicate_of = self._resolve_duplicate(item, own_id)
        values = {
            "url": item.url, "site": item.site, "category": item.category, "title": item.title,
            "published_at": item.published_at, "published_raw": item.published_raw,
            "source": item.source, "author": item.author, "body": item.body,
            "char_count": _char_count(item.body), "pages": item.pages,
            "content_hash": item.content_hash, "duplicate_of": duplicate_of,
            "similarity": item.similarity if duplicate_of is not None else None,
            "encoding": item.encoding,
        }  # fmt: skip
        children = _children(item)
        now = _now()
        if existing is None:
            columns = (*ARTICLE_COLUMNS, "crawled_at", "updated_at")
            cursor = conn.execute(
                f"INSERT INTO articles ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [*values.values(), item.crawled_at or now, now],
            )
            self._write_children(cursor.lastrowid, children)
            self._write_validators(cursor.lastrowid, item)
            return "inserted"
        self._write_validators(own_id, item)
        if tuple(values.values()) == tuple(existing[1:]) and self._children_of(own_id) == children:
            return "unchanged"
        old_hash = existing[ARTICLE_COLUMNS.index("content_hash") + 1]
        if old_hash is not None and old_hash != item.content_hash:
            conn.execute(
                "INSERT INTO article_versions (article_id, content_hash, title, body, crawled_at, "
                "replaced_at) SELECT id, content_hash, title, body, crawled_at, ? FROM articles "
                "WHERE id = ?", [now, own_id])
            if result is not None:
                result.versioned += 1
        assignments = ", ".join(f"{c} = ?" for c in (*ARTICLE_COLUMNS, "crawled_at", "updated_at"))
        conn.execute(f"UPDATE articles SET {assignments} WHERE id = ?",
                     [*values.values(), item.crawled_at or now, now, own_id])
        if existing[ARTICLE_COLUMNS.index("body") + 1] != item.body:
            conn.execute("DELETE FROM keywords WHERE article_id = ?", [own_id])
        for table in CHILD_COLUMNS:
            conn.execute(f"DELETE FROM {table} WHERE article_id = ?", [own_id])
        self._write_children(own_id, children)
        return "updated"

    def _write_validators(self, article_id: int | None, item: ArticleItem) -> None:
        if item.etag is not None or item.last_modified is not None:
            self.db.conn.execute("UPDATE articles SET etag = ?, last_modified = ? WHERE id = ?",
                                 [item.etag, item.last_modified, article_id])

    def _write_children(
        self, article_id: int | None, children: dict[str, list[tuple[Any, ...]]]
    ) -> None:
        for table, rows in children.items():
            if not rows:
                continue
            columns = ("article_id", *CHILD_COLUMNS[table])
            self.db.conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [(article_id, *row) for row in rows],
            )

    def _children_of(self, article_id: int) -> dict[str, list[tuple[Any, ...]]]:
        return {
            table: [
                tuple(r)
                for r in self.db.conn.execute(
                    f"SELECT {', '.join(columns)} FROM {table} WHERE article_id = ? "
                    f"ORDER BY {CHILD_ORDER[table]}",
                    [article_id],
                )
            ]
            for table, columns in CHILD_COLUMNS.items()
        }

    def record_errors(self, errors: Iterable[CrawlError], run_id: int | None = None) -> int:
        """Store failed/skipped URLs in `crawl_errors`; return how many were written."""
        now = _now()
        rows = [(run_id, e.url, e.status, e.reason, e.detail, e.referer, now) for e in errors]
        if rows:
            with self.db.atomic():
                self.db.conn.executemany(
                    "INSERT INTO crawl_errors (run_id, url, status, reason, detail, referer, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        return len(rows)

    def start_run(self, start_urls: Iterable[str] = ()) -> int:
        """Open a `crawl_runs` row (status "running"); return its id."""
        with self.db.atomic():
            cursor = self.db.conn.execute(
                "INSERT INTO crawl_runs (started_at, start_urls, status) VALUES (?, ?, ?)",
                [_now(), json.dumps(list(start_urls), ensure_ascii=False), "running"],
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any] | None = None) -> None:
        """Close a `crawl_runs` row with its final status and the crawl stats as JSON."""
        with self.db.atomic():
            self.db.conn.execute(
                "UPDATE crawl_runs SET finished_at = ?, status = ?, stats = ? WHERE id = ?",
                [_now(), status,
                 json.dumps(stats or {}, ensure_ascii=False, default=str, sort_keys=True), run_id],
            )

    def write_keywords(self, rows: Iterable[tuple[int, list[tuple[str, float]]]],
                       method: str) -> int:
        """Replace the `method` keywords of each (article_id, [(keyword, weight)]); return rows."""
        n = 0
        with self.db.atomic():
            for article_id, keywords in rows:
                self.db.conn.execute(
                    "DELETE FROM keywords WHERE article_id = ? AND method = ?", [article_id, method]
                )
                self.db.conn.executemany(
                    "INSERT OR REPLACE INTO keywords (article_id, keyword, weight, method) "
                    "VALUES (?, ?, ?, ?)",
                    [(article_id, k, w, method) for k, w in keywords],
                )
                n += len(keywords)
        return n

    # reads

    def stored_urls(self, site: str | None = None) -> set[str]:
        """Canonical URLs of the stored articles and their aliases (of one site if given)."""
        if site is None:
            return {r[0] for r in self.db.execute(
                "SELECT url FROM articles UNION SELECT url FROM url_aliases")}
        return {r[0] for r in self.db.execute(
            "SELECT url FROM articles WHERE site = ? UNION SELECT u.url FROM url_aliases u "
            "JOIN articles a ON a.id = u.article_id WHERE a.site = ?", [site, site])}

    def dedupe_state(self, *, with_duplicate_of: bool = False) -> Iterator[tuple[Any, ...]]:
        """(url, content_hash, signature) of every stored article, oldest first.

        With `with_duplicate_of`, a fourth element: the URL of the article it duplicates.
        """
        if not with_duplicate_of:
            yield from self.db.execute(
                "SELECT a.url, a.content_hash, m.signature FROM articles a "
                "LEFT JOIN minhashes m ON m.article_id = a.id ORDER BY a.id"
            )
            return
        yield from self.db.execute(
            "SELECT a.url, a.content_hash, m.signature, o.url FROM articles a "
            "LEFT JOIN minhashes m ON m.article_id = a.id "
            "LEFT JOIN articles o ON o.id = a.duplicate_of ORDER BY a.id"
        )

    def validators(self) -> dict[str, tuple[str | None, str | None]]:
        """url → (etag, last_modified) of the stored articles that have either."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT url, etag, last_modified FROM articles "
            "WHERE etag IS NOT NULL OR last_modified IS NOT NULL")}

    def unresolved_errors(self, reasons: Iterable[str],
                          reason_like: Iterable[str] = ()) -> list[str]:
        """URLs with unresolved errors of the given reasons (or LIKE patterns), not stored."""
        reasons, patterns = list(reasons), list(reason_like)
        clauses = [f"reason IN ({', '.join('?' * len(reasons))})"] if reasons else []
        clauses += ["reason LIKE ?"] * len(patterns)
        if not clauses:
            return []
        sql = (f"SELECT DISTINCT url FROM crawl_errors WHERE resolved_at IS NULL "
               f"AND ({' OR '.join(clauses)}) "
               "AND url NOT IN (SELECT url FROM articles) ORDER BY url")
        return [r[0] for r in self.db.execute(sql, [*reasons, *patterns])]

    def resolve_errors(self, urls: Iterable[str]) -> int:
        """Mark the unresolved errors of these URLs resolved (now); return rows marked."""
        now, n = _now(), 0
        with self.db.atomic():
            for url in urls:
                cursor = self.db.conn.execute(
                    "UPDATE crawl_errors SET resolved_at = ? WHERE url = ? AND resolved_at IS NULL",
                    [now, url])
                n += cursor.rowcount
        return n

    def iter_articles(self) -> Iterator[ArticleItem]:
        """Every stored article as an ArticleItem with its child rows, oldest crawl first.

        Dedupe fields (content_hash, duplicate_of …) are left unset: a reader re-derives them.
        """
        columns = ("id", "url", "site", "title", "body", "category", "published_at",
                   "published_raw", "source", "author", "pages", "encoding", "crawled_at",
                   "etag", "last_modified")
        rows = self.db.conn.execute(
            f"SELECT {', '.join(columns)} FROM articles ORDER BY crawled_at, id").fetchall()
        for row in rows:
            data = dict(zip(columns, row, strict=True))
            children = self._children_of(data.pop("id"))
            yield ArticleItem(
                **data, paragraphs=data["body"].split("\n") if data["body"] else [],
                sections=[Section(heading=h, paragraphs=b.split("\n"))
                          for _, h, b in children["sections"]],
                tags=[t for (t,) in children["tags"]],
                related=[Link(url=u, title=t) for u, t in children["related_links"]],
                page_urls=[u for _, u in children["page_urls"]],
                aliases=[u for (u,) in children["url_aliases"]],
            )

    def articles_missing_keywords(self, method: str, *, only_missing: bool = True) -> list[int]:
        """Ids of the articles without keywords of `method` (all ids if not only_missing)."""
        sql = "SELECT id FROM articles"
        if only_missing:
            sql += " WHERE NOT EXISTS (SELECT 1 FROM keywords k WHERE k.article_id = articles.id " \
                   "AND k.method = ?)"
            return [r[0] for r in self.db.execute(sql + " ORDER BY id", [method])]
        return [r[0] for r in self.db.execute(sql + " ORDER BY id")]

    def bodies(self, ids: list[int]) -> list[tuple[int, str, str]]:
        """(id, title, body) of the given articles."""
        marks = ", ".join("?" * len(ids))
        return [tuple(r) for r in self.db.execute(  # type: ignore[misc]
            f"SELECT id, title, body FROM articles WHERE id IN ({marks}) ORDER BY id", ids)]

    def article_count(self) -> int:
        """Number of stored articles (duplicates included)."""
        return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def summary(self, top_keywords: int = 20) -> dict[str, Any]:
        """Corpus overview: counts, duplicates, errors by reason, sites, top keywords."""
        one = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "articles": one("SELECT count(*) FROM articles"),
            "unique": one("SELECT count(*) FROM unique_articles"),
            "duplicates": one("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"),
            "exact": one(EXACT_DUPLICATES),
            "near": one("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")
            - one(EXACT_DUPLICATES),
            "errors": dict(self.db.execute(
                "SELECT reason, count(*) FROM crawl_errors GROUP BY reason ORDER BY 2 DESC, 1"
            ).fetchall()),
            "sites": dict(self.db.execute(
                "SELECT site, count(*) FROM articles GROUP BY site ORDER BY 2 DESC, 1"
            ).fetchall()),
            "top_keywords": [tuple(r) for r in self.db.execute(
                "SELECT keyword, count(*) FROM keywords GROUP BY keyword "
                "ORDER BY 2 DESC, 1 LIMIT ?", [top_keywords])],
        }  # fmt: skip


def open_corpus(path: str | Path) -> Corpus:
    """Open (creating if needed) the corpus at `path` and bring its schema up to date."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    except (OSError, sqlite3.Error) as exc:
        raise CorpusError(f"cannot open corpus database {path}: {exc}") from exc
    db = Database(conn)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        # WAL + NORMAL survives a killed process; only power loss may drop the last commits.
        db.execute("PRAGMA synchronous = NORMAL")
        apply_migrations(db)
    except sqlite3.Error as exc:
        conn.close()
        raise CorpusError(f"cannot use corpus database {path}: {exc}") from exc
    return Corpus(db, path)


def load_dedupe_state(path: str | Path) -> list[tuple[Any, ...]]:
    """(url, content_hash, signature, duplicate_of_url) of every article stored at `path`.

    Empty if the database does not exist yet (it is not created).
    """
    if not Path(path).exists():
        return []
    with open_corpus(path) as corpus:
        return list(corpus.dedupe_state(with_duplicate_of=True))


# --- the Scrapy pipeline ------------------------------------------------------------------


class StoragePipeline:
    """Scrapy adapter: buffer articles and errors, write them in batches to the corpus.

    Settings: FANWEN_DB_PATH (required, else NotConfigured), FANWEN_BATCH_SIZE (default 50),
    FANWEN_FLUSH_SECONDS (default 5: the buffer is written at least this often, so a kill
    loses little). Dropped items are recorded as crawl_errors "dropped:<reason>".
    Stats: fanwen/store/inserted, …/updated, …/unchanged, …/errors, …/failed.
    """

    def __init__(self, crawler: Crawler, db_path: str, batch_size: int = DEFAULT_BATCH_SIZE,
                 flush_seconds: float = DEFAULT_FLUSH_SECONDS) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.corpus: Corpus | None = None
        self.run_id: int | None = None
        self.articles: list[ArticleItem] = []
        self.errors: list[CrawlError] = []
        self.last_flush = time.monotonic()
        self._task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        path = crawler.settings.get("FANWEN_DB_PATH")
        if not path:
            raise NotConfigured("FANWEN_DB_PATH is not set")
        pipeline = cls(
            crawler,
            str(path),
            crawler.settings.getint("FANWEN_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            crawler.settings.getfloat("FANWEN_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS),
        )
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def _inc(self, key: str, count: int = 1) -> None:
        if count and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def open_spider(self, spider: Any = None) -> None:
        self.corpus = open_corpus(self.db_path)
        spider = spider or self.crawler.spider
        self.run_id = self.corpus.start_run(getattr(spider, "start_urls", None) or [])
        self.last_flush = time.monotonic()

    def spider_opened(self, spider: Any = None) -> None:
        # Started from the signal (inside the running event loop), not from open_spider.
        from scrapy.utils.asyncio import create_looping_call

        if self.flush_seconds > 0:
            self._task = create_looping_call(self.flush_if_due)
            self._task.start(self.flush_seconds, now=False)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            self.articles.append(item)
        elif isinstance(item, CrawlError):
            self.errors.append(item)
        else:
            return item
        if len(self.articles) + len(self.errors) >= self.batch_size:
            self.flush()
        else:
            self.flush_if_due()
        return item

    def item_dropped(self, item: Any, exception: BaseException, **kwargs: Any) -> None:
        if not isinstance(item, ArticleItem):
            return
        message = str(exception)
        reason = f"dropped:{message}" if DROP_REASON.match(message) else "dropped"
        response = kwargs.get("response")
        referer = None
        if response is not None and response.request is not None:
            referer = response.request.headers.get("Referer", b"").decode("latin-1") or None
        self.errors.append(CrawlError(url=item.url, reason=reason, detail=message,
                                      referer=referer))

    def flush_if_due(self) -> None:
        if time.monotonic() - self.last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the buffered articles (one transaction) and errors."""
        self.last_flush = time.monotonic()
        if self.corpus is None:
            return
        articles, self.articles = self.articles, []
        if articles:
            self._write(articles)  # may add "store_failed" errors
        errors, self.errors = self.errors, []
        if errors:
            self._inc("fanwen/store/errors", self.corpus.record_errors(errors, self.run_id))

    def _write(self, articles: list[ArticleItem]) -> None:
        assert self.corpus is not None
        try:
            results = [self.corpus.write_articles(articles)]
        except sqlite3.Error:
            # One bad article must not lose its batch: retry one by one, record the failures.
            logger.exception("corpus: batch of %d failed; retrying one by one", len(articles))
            results, failed = [], []
            for item in articles:
                try:
                    results.append(self.corpus.write_articles([item]))
                except sqlite3.Error as exc:
                    logger.exception("corpus: cannot store %s", item.url)
                    failed.append(CrawlError(url=item.url, reason="store_failed", detail=str(exc)))
            self._inc("fanwen/store/failed", len(failed))
            self.errors.extend(failed)
        for r in results:
            self._inc("fanwen/store/versioned", r.versioned)
            self._inc("fanwen/store/inserted", r.inserted)
            self._inc("fanwen/store/updated", r.updated)
            self._inc("fanwen/store/unchanged", r.unchanged)

    def close_spider(self, spider: Any = None) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        if self.corpus is None:
            return
        try:
            self.flush()
            if self.run_id is not None:
                stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
                self.corpus.finish_run(self.run_id, "closed", stats)
        finally:
            self.corpus.close()
            self.corpus = None

    def spider_closed(self, spider: Any = None, reason: str = "finished") -> None:
        # Sent after close_spider, once Scrapy knows the finish reason: record it.
        if self.run_id is None:
            return
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        stats.setdefault("finish_reason", reason)
        with open_corpus(self.db_path) as corpus:
            corpus.finish_run(self.run_id, reason, stats)
