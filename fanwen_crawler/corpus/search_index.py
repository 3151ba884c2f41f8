"""The word-level Chinese full-text index: schema, triggers and the batch segmentation stage.

SQLite's FTS5 tokenizers cannot split Chinese into words (`unicode61` keeps a run of Han
characters as one token; `trigram` misses one- and two-character words such as 教育), so
the index holds a *segmented copy* of each article: jieba's search-mode segmentation
(`cut_for_search`, so 职业教育 is indexed as 职业 / 教育 / 职业教育) with words joined by
spaces, which `unicode61` then tokenizes. `articles_fts(title, body)` is an ordinary
(content-storing) FTS5 table with rowid = `articles.id`: it stores the segmented text so
that `snippet()` and `highlight()` work from any SQL client. (A contentless table cannot
produce snippets, and deleting from one needs SQLite 3.43.)

The tables, triggers and the `articles_overview` view are created by the schema
migrations (`fanwen_crawler.corpus.schema`, "0005_search_index"). Segmentation is jieba, so
it cannot run inside SQL. Pure-SQL triggers on `articles` keep the index honest from any
client: an insert, or an update that changes title or body, queues the id in `fts_pending`
(an update also drops the stale index row at once); a delete removes the index row.
`sync_search_index` segments the queued articles in batches — the post-crawl stage,
`fanwen keywords` and `fanwen index` call it (read commands never write: `fanwen search`
reads the index as it is). Queries are segmented the same way (`fts_query`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Protocol

from fanwen_crawler.corpus.storage import open_corpus
from fanwen_crawler.corpus.transactions import write_transaction

logger = logging.getLogger(__name__)

BATCH_SIZE = 200

class Segmenter(Protocol):
    """What the index needs from a tokenizer: search-mode and precise segmentation."""

    def cut_for_search(self, text: str) -> Iterable[str]: ...

    def cut(self, text: str) -> Iterable[str]: ...


class JiebaSegmenter:
    """Segmentation with the keywords module's own tokenizer (dictionary + user words)."""

    def __init__(self) -> None:
        from fanwen_crawler.corpus.keywords import KeywordExtractor

        self._extractor = KeywordExtractor()
        # `cut` loads the tokenizer and our user dictionary; search mode then reuses them.
        self._extractor.cut("")

    def cut(self, text: str) -> list[str]:
        return self._extractor.cut(text)

    def cut_for_search(self, text: str) -> list[str]:
        return list(self._extractor.tokenizer.cut_for_search(text))


_segmenter: JiebaSegmenter | None = None


def default_segmenter() -> JiebaSegmenter:
    """One segmenter per process (jieba takes ~1 s to load its dictionary)."""
    global _segmenter
    if _segmenter is None:
        _segmenter = JiebaSegmenter()
    return _segmenter


def segment(text: str, segmenter: Segmenter | None = None) -> str:
    """Search-mode words of `text` joined by single spaces (what the index stores)."""
    seg = segmenter or default_segmenter()
    return " ".join(w for word in seg.cut_for_search(text or "") if (w := word.strip()))


def _fts_phrase(words: list[str]) -> str:
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def fts_query(query: str, segmenter: Segmenter | None = None) -> str:
    """An FTS5 MATCH expression for a user's query: every whitespace-separated term must occur.

    A term is segmented in precise mode and matched as a phrase: the index already holds
    the search-mode sub-words, so 教育 finds 职业教育 and 职业教育 finds itself, not
    every text with 职业 and 教育 apart. Returns "" when the query has no words.
    """
    seg = segmenter or default_segmenter()
    phrases = []
    for term in query.split():
        words = [w for word in seg.cut(term) if (w := word.strip()) and any(c.isalnum() for c in w)]
        if words:
            phrases.append(_fts_phrase(words))
    return " AND ".join(phrases)


def pending_count(conn: sqlite3.Connection) -> int:
    """Articles waiting to be (re)indexed."""
    return int(conn.execute("SELECT count(*) FROM fts_pending").fetchone()[0])


def sync_search_index(
    db: sqlite3.Connection | str | Path,
    *,
    segmenter: Segmenter | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Segment and index the queued articles, one transaction per batch; return how many."""
    with _connection(db) as conn:
        if not pending_count(conn):
            return 0
        seg = segmenter or default_segmenter()
        done = 0
        while True:
            rows = conn.execute(
                "SELECT p.article_id, a.title, a.body FROM fts_pending p "
                "LEFT JOIN articles a ON a.id = p.article_id ORDER BY p.article_id LIMIT ?",
                [batch_size],
            ).fetchall()
            if not rows:
                break
            # Segment outside the write transaction: a crawl may be writing meanwhile, so a
            # row that changed since it was read stays queued for the next round.
            docs = [(i, t, b, segment(t or "", seg), segment(b or "", seg)) for i, t, b in rows]
            written = write_transaction(conn, partial(_index, conn, docs))
            if not written:
                break  # everything read changed meanwhile: leave it for the next sync
            done += written
        logger.info("search index: %d articles indexed", done)
        return done


def _index(conn: sqlite3.Connection, docs: list[tuple[int, str, str, str, str]]) -> int:
    """Write the segmented docs still current (inside the caller's write transaction)."""
    written = 0
    for article_id, title, body, seg_title, seg_body in docs:
        now = conn.execute("SELECT title, body FROM articles WHERE id = ?",
                           [article_id]).fetchone()
        if (now is None) != (title is None and body is None) or (
                now is not None and tuple(now) != (title, body)):
            continue
        conn.execute("DELETE FROM articles_fts WHERE rowid = ?", [article_id])
        if now is not None:
            conn.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                         [article_id, seg_title, seg_body])
        conn.execute("DELETE FROM fts_pending WHERE article_id = ?", [article_id])
        written += 1
    return written


def rebuild_search_index(db: sqlite3.Connection | str | Path, **kwargs: object) -> int:
    """Queue every article and index it again (after a dictionary change, say)."""
    def requeue(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM articles_fts")
        conn.execute("INSERT OR IGNORE INTO fts_pending (article_id) SELECT id FROM articles")

    with _connection(db) as conn:
        write_transaction(conn, lambda: requeue(conn))
        return sync_search_index(conn, **kwargs)  # type: ignore[arg-type]


@contextmanager
def _connection(db: sqlite3.Connection | str | Path) -> Iterator[sqlite3.Connection]:
    """The given connection, or the corpus at a path opened for writing (schema migrated)."""
    if isinstance(db, sqlite3.Connection):
        yield db
        return
    with open_corpus(db) as corpus:
        yield corpus.db.conn
