"""The SQLite corpus: opening it, batched transactional writes, and reads.

One database file holds the corpus. `open_corpus` opens it for writing (WAL, busy_timeout,
foreign keys) after checking that the file is a corpus of ours (`corpus.access`), and applies
the schema migrations of `fanwen_crawler.corpus.schema`; `open_corpus_readonly` opens it for
reading only, never writing a byte. Every write transaction starts with `BEGIN IMMEDIATE`
(it takes the write lock first, so the busy timeout applies; a deferred transaction that
reads first fails at once with SQLITE_BUSY when another writer commits in between) and is
retried with backoff while the database stays busy (`corpus.transactions`). A write that
fails for a reason retrying cannot fix — disk full, read-only file, I/O error — raises
`CorpusWriteError`. `Corpus.write_articles` writes a batch in one transaction: an article
and all its child rows (sections, tags, related_links, page_urls, url_aliases, minhashes)
commit together or not at all, so a killed crawl never leaves a partial article. Articles
are upserted by canonical URL: a re-crawl updates the row in place (same id) and replaces
its children.
`duplicate_of_url` from the dedupe pipeline is resolved to the id of the first article of
the chain. `articles.char_count` counts non-whitespace characters of the body. The Scrapy
adapter is `pipelines.store.StoragePipeline`.

Chinese full-text search is word-level: `fanwen_crawler.corpus.search_index` keeps an FTS5 table of
jieba-segmented title and body (SQLite's `unicode61` tokenizer treats a run of Han
characters as one token, and `trigram` cannot match two-character words such as 教育).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fanwen_crawler.corpus.access import (
    CorpusError,
    NotACorpus,
    check_writable,
    connect_readonly,
)
from fanwen_crawler.corpus.figures import corpus_figures
from fanwen_crawler.corpus.schema import (
    Database,
    NewerSchema,
    apply_migrations,
    article_columns,
    utc_now,
)
from fanwen_crawler.corpus.transactions import (
    CorpusWriteError,
    fatal_reason,
    write_transaction,
)
from fanwen_crawler.items import ArticleItem, CrawlError, Link, Section

__all__ = ["Corpus", "CorpusError", "CorpusWriteError", "NotACorpus", "fatal_reason",
           "open_corpus", "open_corpus_readonly", "write_transaction"]
T = TypeVar("T")

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 50
DEFAULT_FLUSH_SECONDS = 5.0
BUSY_TIMEOUT_MS = 10_000
WHITESPACE = re.compile(r"\s+")
DROP_REASON = re.compile(r"^[a-z0-9_]+$")

STAMPS = ("crawled_at", "updated_at", "etag", "last_modified")
ARTICLE_COLUMNS = tuple(c for c in article_columns() if c not in STAMPS)
"""Columns written from an item (besides id and STAMPS); compared on re-crawl. From ArticleItem."""
READ_COLUMNS = tuple(c for c in article_columns() if c not in (
    "char_count", "content_hash", "duplicate_of", "similarity", "updated_at"))
"""ArticleItem fields read back by `iter_articles` (dedupe fields are re-derived by a reader)."""




@dataclass(slots=True)
class WriteResult:
    """Outcome counts of one `write_articles` call."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    versioned: int = 0
    """Updates whose content hash changed: the old text was kept in `article_versions`."""
    ids: list[int] = field(default_factory=list)
    """Ids of the articles inserted or updated (what keywords and the search index follow)."""


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

        def write() -> WriteResult:
            result = WriteResult()
            now = utc_now()
            for item in items:
                outcome = self._write_article(item, result)
                setattr(result, outcome, getattr(result, outcome) + 1)
                # Stored now: earlier failures of its URLs are resolved, whatever the run.
                self.db.conn.executemany(
                    "UPDATE crawl_errors SET resolved_at = ? WHERE url = ? "
                    "AND resolved_at IS NULL",
                    [(now, url) for url in {item.url, *item.page_urls, *item.aliases}])
            return result

        return self.write(write)

    def write(self, fn: Callable[[], T]) -> T:
        """Run `fn` in one write transaction (BEGIN IMMEDIATE, retried while busy)."""
        return write_transaction(self.db.conn, fn)

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
        if item.duplicate_of is None and item.duplicate_of_url is None and item.minhash:
            # Looked up again inside the write transaction: another writer's commits count.
            from fanwen_crawler.corpus.dedupe import find_stored_duplicate

            if match := find_stored_duplicate(conn, item):
                item.duplicate_of_url, item.similarity = match.url, match.similarity
        duplicate_of = self._resolve_duplicate(item, own_id)
        derived = {"char_count": _char_count(item.body), "duplicate_of": duplicate_of,
                   "similarity": item.similarity if duplicate_of is not None else None}
        values = {c: derived[c] if c in derived else getattr(item, c) for c in ARTICLE_COLUMNS}
        children = _children(item)
        now = utc_now()
        if existing is None:
            columns = (*ARTICLE_COLUMNS, "crawled_at", "updated_at")
            cursor = conn.execute(
                f"INSERT INTO articles ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [*values.values(), item.crawled_at or now, now],
            )
            self._write_children(cursor.lastrowid, children)
            self._write_validators(cursor.lastrowid, item)
            if result is not None and cursor.lastrowid is not None:
                result.ids.append(cursor.lastrowid)
            return "inserted"
        assert own_id is not None
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
        if result is not None:
            result.ids.append(own_id)
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
        """Store failed URLs in `crawl_errors` and policy skips in `skipped`.

        An unresolved error of the same URL and reason, or a skip seen before, is counted
        again on its row (`times`, `last_run_id`, `last_seen_at`) instead of adding a row.
        Returns how many errors (not skips) were recorded.
        """
        now = utc_now()
        errors = list(errors)
        if not errors:
            return 0

        def record() -> int:
            n = 0
            conn = self.db.conn
            for e in errors:
                if e.is_skip:
                    conn.execute(
                        "INSERT INTO skipped (url, reason, detail, referer, first_run_id, "
                        "last_run_id, times, first_seen_at, last_seen_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (url, reason) DO UPDATE "
                        "SET times = times + 1, last_run_id = excluded.last_run_id, "
                        "last_seen_at = excluded.last_seen_at, detail = excluded.detail",
                        [e.url, e.reason, e.detail, e.referer, run_id, run_id, now, now])
                    continue
                n += 1
                cursor = conn.execute(
                    "UPDATE crawl_errors SET times = coalesce(times, 1) + 1, last_run_id = ?, "
                    "last_seen_at = ?, status = ?, detail = ? WHERE id = (SELECT id FROM "
                    "crawl_errors WHERE url = ? AND reason = ? AND resolved_at IS NULL "
                    "ORDER BY id DESC LIMIT 1)",
                    [run_id, now, e.status, e.detail, e.url, e.reason])
                if cursor.rowcount == 0:
                    conn.execute(
                        "INSERT INTO crawl_errors (run_id, url, status, reason, detail, referer, "
                        "created_at, times, last_run_id, last_seen_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                        [run_id, e.url, e.status, e.reason, e.detail, e.referer, now, run_id,
                         now])
            return n

        return self.write(record)

    def start_run(self, start_urls: Iterable[str] = ()) -> int:
        """Open a `crawl_runs` row (status "running", this host and pid); return its id.

        Rows left "running" by a process of this host that no longer exists (a SIGKILLed
        crawl) are marked "killed" first.
        """
        host, now = socket.gethostname(), utc_now()

        def start() -> int:
            self._mark_killed_runs(host, now)
            cursor = self.db.conn.execute(
                "INSERT INTO crawl_runs (started_at, start_urls, status, host, pid) "
                "VALUES (?, ?, ?, ?, ?)",
                [now, json.dumps(list(start_urls), ensure_ascii=False), "running", host,
                 os.getpid()],
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

        return self.write(start)

    def _mark_killed_runs(self, host: str, now: str) -> int:
        stale = [run_id for run_id, pid in self.db.conn.execute(
            "SELECT id, pid FROM crawl_runs WHERE status = 'running' AND host = ? "
            "AND pid IS NOT NULL", [host]) if not pid_alive(pid)]
        for run_id in stale:
            self.db.conn.execute(
                "UPDATE crawl_runs SET status = 'killed', finished_at = ?, reason = ? "
                "WHERE id = ?", [now, "the crawl process ended without closing its run", run_id])
        if stale:
            logger.warning("corpus: marked %d crawl run(s) of dead processes as killed: %s",
                           len(stale), stale)
        return len(stale)

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any] | None = None,
                   reason: str | None = None) -> None:
        """Close a `crawl_runs` row with its final status (and why), the crawl stats as JSON."""
        self.write(lambda: self.db.conn.execute(
            "UPDATE crawl_runs SET finished_at = ?, status = ?, stats = ?, reason = ? "
            "WHERE id = ?",
            [utc_now(), status,
             json.dumps(stats or {}, ensure_ascii=False, default=str, sort_keys=True), reason,
             run_id]))

    def write_keywords(self, rows: Iterable[tuple[int, list[tuple[str, float]]]],
                       method: str) -> int:
        """Replace the `method` keywords of each (article_id, [(keyword, weight)]); return rows."""
        rows = list(rows)

        def write() -> int:
            n = 0
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

        return self.write(write)

    # reads

    def stored_urls(self, site: str | None = None) -> set[str]:
        """Canonical URLs of the stored articles and their aliases (of one site if given)."""
        if site is None:
            return {r[0] for r in self.db.execute(
                "SELECT url FROM articles UNION SELECT url FROM url_aliases")}
        return {r[0] for r in self.db.execute(
            "SELECT url FROM articles WHERE site = ? UNION SELECT u.url FROM url_aliases u "
            "JOIN articles a ON a.id = u.article_id WHERE a.site = ?", [site, site])}

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
        now, urls = utc_now(), list(urls)

        def write() -> int:
            return sum(self.db.conn.execute(
                "UPDATE crawl_errors SET resolved_at = ? WHERE url = ? AND resolved_at IS NULL",
                [now, url]).rowcount for url in urls)

        return self.write(write)

    def iter_articles(self) -> Iterator[ArticleItem]:
        """Every stored article as an ArticleItem with its child rows, oldest crawl first.

        Dedupe fields (content_hash, duplicate_of …) are left unset: a reader re-derives them.
        """
        columns = ("id", *READ_COLUMNS)
        rows = self.db.conn.execute(  # streamed: a merge of 1M articles never holds them all
            f"SELECT {', '.join(columns)} FROM articles ORDER BY crawled_at, id")
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
        return [tuple(r) for r in self.db.execute(
            f"SELECT id, title, body FROM articles WHERE id IN ({marks}) ORDER BY id", ids)]

    def article_count(self) -> int:
        """Number of stored articles (duplicates included)."""
        return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def summary(self, top_keywords: int = 20) -> dict[str, Any]:
        """Corpus overview: counts, duplicates, errors by reason, sites, top keywords."""
        return corpus_figures(self.db.conn, top_keywords)


def open_corpus(path: str | Path) -> Corpus:
    """Open (creating if needed) the corpus at `path` for writing; bring its schema up to date.

    Raises NotACorpus, without writing, for a file that is not a fanwen corpus (or is
    newer), and CorpusError when it cannot be opened or written.
    """
    path = Path(path)
    try:
        state = check_writable(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    except OSError as exc:
        raise CorpusError(f"cannot open corpus database {path}: {exc}") from exc
    except sqlite3.Error as exc:
        raise CorpusError(f"cannot open corpus database {path}: {exc}") from exc
    db = Database(conn)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        if state == "new" or db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.enable_wal()
        # WAL + NORMAL survives a killed process; only power loss may drop the last commits.
        db.execute("PRAGMA synchronous = NORMAL")
        apply_migrations(db)
        _check_signature_algorithm(db, path)
    except NewerSchema as exc:
        conn.close()
        raise NotACorpus(f"{path} was {exc}; upgrade fanwen-crawler") from exc
    except sqlite3.Error as exc:
        conn.close()
        reason = fatal_reason(exc)
        if reason is not None:
            raise CorpusWriteError(f"cannot use corpus database {path}: {exc}", reason) from exc
        raise CorpusError(f"cannot use corpus database {path}: {exc}") from exc
    except CorpusError:
        conn.close()
        raise
    return Corpus(db, path)


def _check_signature_algorithm(db: Database, path: Path) -> None:
    """Refuse to add signatures of another MinHash implementation to the stored ones."""
    from fanwen_crawler.corpus.dedupe import SIGNATURE_ALGORITHM

    row = db.execute("SELECT value FROM corpus_meta WHERE key = 'signature_algorithm'").fetchone()
    if row is not None and row[0] != SIGNATURE_ALGORITHM:
        raise CorpusError(f"{path} holds MinHash signatures made by {row[0]}, this version "
                          f"makes {SIGNATURE_ALGORITHM}: they cannot be compared")


def open_corpus_readonly(path: str | Path) -> Corpus:
    """Open the corpus at `path` for reading only: nothing is ever written to the file.

    Raises NotACorpus (one-line message) for a missing file, garbage, another application's
    database, an empty one, or a corpus written by a newer or older fanwen-crawler.
    """
    from fanwen_crawler.corpus.access import check_readable

    check_readable(path)
    try:
        conn = connect_readonly(path)
    except sqlite3.Error as exc:
        raise NotACorpus(f"cannot read {path}: {exc}") from exc
    return Corpus(Database(conn, execute_plugins=False), Path(path))


def pid_alive(pid: int) -> bool:
    """Whether a process `pid` exists on this host (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

