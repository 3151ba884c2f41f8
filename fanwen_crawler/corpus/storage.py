"""The SQLite corpus: opening it, batched transactional writes, and reads.

One database file holds the corpus. `open_corpus` opens it once (WAL, busy_timeout,
foreign keys) and applies the schema migrations of `fanwen_crawler.corpus.schema`.
`Corpus.write_articles` writes a batch in one transaction: an article and all its child
rows (sections, tags, related_links, page_urls, url_aliases, minhashes) commit together or
not at all, so a killed crawl never leaves a partial article. Articles are upserted by
canonical URL: a re-crawl updates the row in place (same id) and replaces its children.
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
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fanwen_crawler.corpus.schema import Database, apply_migrations, utc_now
from fanwen_crawler.items import ArticleItem, CrawlError, Link, Section

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
        if item.duplicate_of is None and item.duplicate_of_url is None and item.minhash:
            # Looked up again inside the write transaction: another writer's commits count.
            from fanwen_crawler.corpus.dedupe import find_stored_duplicate

            if match := find_stored_duplicate(conn, item):
                item.duplicate_of_url, item.similarity = match.url, match.similarity
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
        now = utc_now()
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
                [utc_now(), json.dumps(list(start_urls), ensure_ascii=False), "running"],
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any] | None = None) -> None:
        """Close a `crawl_runs` row with its final status and the crawl stats as JSON."""
        with self.db.atomic():
            self.db.conn.execute(
                "UPDATE crawl_runs SET finished_at = ?, status = ?, stats = ? WHERE id = ?",
                [utc_now(), status,
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
        now, n = utc_now(), 0
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
