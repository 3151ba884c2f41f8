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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from fanwen_crawler.corpus.keywords import SEGMENTER
from fanwen_crawler.corpus.transactions import write_transaction

logger = logging.getLogger(__name__)

BATCH_SIZE = 200

SEGMENTER_KEY = "search_segmenter"
"""corpus_meta key: the segmenter that built `articles_fts` (queries must segment the same way)."""


class Segmenter(Protocol):
    """What the index needs from a tokenizer: search-mode and precise segmentation."""

    def cut_for_search(self, text: str) -> Iterable[str]: ...

    def cut(self, text: str) -> Iterable[str]: ...


class _TokenizerSegmenter:
    """A `Segmenter` over a tokenizer that has `cut` and `cut_for_search` (jieba's API)."""

    name: str

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def cut(self, text: str) -> list[str]:
        return list(self._tokenizer.cut(text))

    def cut_for_search(self, text: str) -> list[str]:
        return list(self._tokenizer.cut_for_search(text))


class RjiebaSegmenter(_TokenizerSegmenter):
    """Segmentation with the keywords module's own rjieba tokenizer (dictionary + user words)."""

    name = SEGMENTER

    def __init__(self) -> None:
        from fanwen_crawler.corpus.keywords import rjieba_tokenizer

        super().__init__(rjieba_tokenizer())


class JiebaSegmenter(_TokenizerSegmenter):
    """jieba's own segmentation (with our user words): reads an index that jieba built."""

    name = "jieba"

    def __init__(self) -> None:
        from fanwen_crawler.corpus.keywords import jieba_tokenizer

        super().__init__(jieba_tokenizer())


SEGMENTERS: dict[str, Callable[[], Segmenter]] = {
    RjiebaSegmenter.name: RjiebaSegmenter, JiebaSegmenter.name: JiebaSegmenter}
_segmenters: dict[str, Segmenter] = {}


def default_segmenter(name: str = SEGMENTER) -> Segmenter:
    """One segmenter of each kind per process (a dictionary takes ~0.3-1 s to load)."""
    if name not in _segmenters:
        _segmenters[name] = SEGMENTERS[name]()
    return _segmenters[name]


def index_segmenter(conn: sqlite3.Connection) -> str | None:
    """The segmenter that built this corpus's word index (None: the index is empty).

    An index built before the segmenter was recorded was built by jieba.
    """
    try:
        row = conn.execute("SELECT value FROM corpus_meta WHERE key = ?",
                           [SEGMENTER_KEY]).fetchone()
    except sqlite3.OperationalError:  # no corpus_meta: a corpus older than the record
        row = None
    if row is not None:
        return str(row[0])
    has_rows = conn.execute("SELECT 1 FROM articles_fts LIMIT 1").fetchone() is not None
    return "jieba" if has_rows else None


def query_segmenter(conn: sqlite3.Connection) -> Segmenter:
    """The segmenter queries on this corpus must use: the one its word index was built with."""
    name = index_segmenter(conn) or SEGMENTER
    if name != SEGMENTER:
        if name not in SEGMENTERS:
            raise ValueError(f"the search index was built by an unknown segmenter {name!r}")
        logger.info("search index built with %s: queries segmented with it too "
                    "(`fanwen index --rebuild` re-segments the corpus with %s)", name, SEGMENTER)
    return default_segmenter(name)


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
    """Segment and index the queued articles, one transaction per batch; return how many.

    With the default segmenter, an index built by another one (jieba, before rjieba) is
    queued whole first and re-segmented: one index never mixes two segmentations.
    """
    with _connection(db) as conn:
        if segmenter is None:
            migrate_segmenter(conn)
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
            docs = segment_rows(rows, seg)
            written = write_transaction(conn, partial(write_index, conn, docs, seg))
            if not written:
                break  # everything read changed meanwhile: leave it for the next sync
            done += written
        logger.info("search index: %d articles indexed", done)
        return done


def migrate_segmenter(conn: sqlite3.Connection) -> int:
    """Queue the whole index again if another segmenter built it; return articles queued."""
    built = index_segmenter(conn)
    if built is None or built == SEGMENTER:
        return 0

    def requeue() -> int:
        conn.execute("DELETE FROM articles_fts")
        queued = conn.execute(
            "INSERT OR IGNORE INTO fts_pending (article_id) SELECT id FROM articles").rowcount
        _record_segmenter(conn, SEGMENTER)
        return int(queued)

    queued = write_transaction(conn, requeue)
    logger.warning("search index: built with %s; re-segmenting every article with %s",
                   built, SEGMENTER)
    return queued


def _record_segmenter(conn: sqlite3.Connection, name: str | None) -> None:
    if name is not None:
        conn.execute("INSERT OR REPLACE INTO corpus_meta (key, value) VALUES (?, ?)",
                     [SEGMENTER_KEY, name])


Doc = tuple[int, str | None, str | None, str, str]
"""(article id, title and body as read, segmented title, segmented body)."""


def segment_rows(rows: Iterable[tuple[int, str | None, str | None]],
                 segmenter: Segmenter) -> list[Doc]:
    """The index rows of (id, title, body) rows."""
    return [(i, t, b, segment(t or "", segmenter), segment(b or "", segmenter))
            for i, t, b in rows]


def write_index(conn: sqlite3.Connection, docs: list[Doc],
                segmenter: Segmenter | None = None) -> int:
    """Write the segmented docs still queued and current (inside the caller's write transaction).

    A doc whose article changed (or was already indexed) since it was read is skipped:
    a changed article stays queued for the next round. The article's row in the
    character-trigram index (`articles_trigram`, external content) is added here too,
    unless it has one. Returns the docs written.
    """
    trigram = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_trigram'"
                           ).fetchone() is not None
    written = 0
    for article_id, title, body, seg_title, seg_body in docs:
        queued = conn.execute("SELECT 1 FROM fts_pending WHERE article_id = ?",
                              [article_id]).fetchone()
        if queued is None:
            continue
        now = conn.execute("SELECT title, body FROM articles WHERE id = ?",
                           [article_id]).fetchone()
        if (now is None) != (title is None and body is None) or (
                now is not None and tuple(now) != (title, body)):
            continue
        conn.execute("DELETE FROM articles_fts WHERE rowid = ?", [article_id])
        if now is not None:
            conn.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                         [article_id, seg_title, seg_body])
            if trigram and conn.execute("SELECT 1 FROM articles_trigram_docsize WHERE id = ?",
                                        [article_id]).fetchone() is None:
                conn.execute("INSERT INTO articles_trigram (rowid, title, body) "
                             "VALUES (?, ?, ?)", [article_id, *now])
        conn.execute("DELETE FROM fts_pending WHERE article_id = ?", [article_id])
        written += 1
    if written:
        _record_segmenter(conn, getattr(segmenter, "name", None))
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
    from fanwen_crawler.corpus.storage import open_corpus

    with open_corpus(db) as corpus:
        yield corpus.db.conn
