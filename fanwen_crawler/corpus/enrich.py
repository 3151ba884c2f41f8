"""Keywords and search-index segmentation of stored articles, in a worker process during a crawl.

The store pipeline commits articles in batches; the crawl's `Enrich` extension hands the
ids of each committed batch to one `EnrichWorker`: a *spawned* process (the crawl holds
SQLite connections and threads, which a fork must not copy) that reads the texts from
the corpus by id (only ids cross the process boundary: the crawl process pays nothing
per article), computes TF-IDF keywords (`fanwen_crawler.corpus.keywords`) and the
search-mode segmentation (`fanwen_crawler.corpus.search_index`), and writes both in one
short `BEGIN IMMEDIATE` transaction per round (`write_transaction`, busy retries).
An article changed since it was read is left alone: its next batch, or the closing
catch-up (`articles missing keywords`, `fts_pending`), does it again.

A worker that dies is reported (`WorkerDied`), never silently lost: the ids it had not
done are whatever the catch-up finds missing. Library code: no Scrapy here.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from fanwen_crawler.corpus.keywords import DEFAULT_TOPK, METHOD, KeywordExtractor, article_text

logger = logging.getLogger(__name__)

ROUND_MAX_IDS = 400
"""Ids written in one transaction at most when batches queue up (keeps the write lock short)."""
BUSY_TIMEOUT_S = 30.0
POLL_S = 0.5


@dataclass(slots=True)
class Progress:
    """What the worker has done so far (summed over its rounds)."""

    keywords: int = 0
    """Articles whose keywords were written."""
    indexed: int = 0
    """Articles written to the search index."""
    rounds: int = 0
    seconds: float = 0.0
    """Worker time spent reading, computing and writing (not waiting for work)."""
    errors: list[str] = field(default_factory=list)


def enrich_ids(conn: sqlite3.Connection, ids: Sequence[int], extractor: KeywordExtractor,
               segmenter: Any, topk: int = DEFAULT_TOPK) -> tuple[int, int]:
    """Keywords and index rows for those of `ids` lacking them; return (keywords, indexed).

    Texts are read, then keywords and segmentation computed outside any transaction; the
    write transaction keeps only the results whose article is still as read.
    """
    from fanwen_crawler.corpus.search_index import segment_rows, write_index
    from fanwen_crawler.corpus.transactions import write_transaction

    if not ids:
        return 0, 0
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT a.id, a.title, a.body, "
        f"NOT EXISTS (SELECT 1 FROM keywords k WHERE k.article_id = a.id AND k.method = ?), "
        f"EXISTS (SELECT 1 FROM fts_pending p WHERE p.article_id = a.id) "
        f"FROM articles a WHERE a.id IN ({marks}) ORDER BY a.id", [METHOD, *ids]).fetchall()
    keywords = [(i, t, b, extractor.extract(article_text(t, b), topk))
                for i, t, b, need, _ in rows if need]
    docs = segment_rows(((i, t, b) for i, t, b, _, pending in rows if pending), segmenter)
    if not keywords and not docs:
        return 0, 0

    def write() -> tuple[int, int]:
        written = 0
        for article_id, title, body, words in keywords:
            now = conn.execute("SELECT title, body FROM articles WHERE id = ?",
                               [article_id]).fetchone()
            if now is None or tuple(now) != (title, body):
                continue  # changed since read: its next batch or the catch-up redoes it
            conn.execute("DELETE FROM keywords WHERE article_id = ? AND method = ?",
                         [article_id, METHOD])
            conn.executemany("INSERT OR REPLACE INTO keywords (article_id, keyword, weight, "
                             "method) VALUES (?, ?, ?, ?)",
                             [(article_id, k, w, METHOD) for k, w in words])
            written += 1
        return written, write_index(conn, docs, segmenter)

    return write_transaction(conn, write)


def worker_main(db_path: str, jobs: Any, results: Any, abort: Any) -> None:
    """The worker process: enrich each round of queued ids until None arrives (or `abort`)."""
    from fanwen_crawler.corpus.search_index import RjiebaSegmenter
    from fanwen_crawler.corpus.transactions import CorpusWriteError

    conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_S)
    conn.isolation_level = None  # write_transaction issues BEGIN IMMEDIATE itself
    extractor = KeywordExtractor()
    segmenter = RjiebaSegmenter()
    # Share the tokenizer: one dictionary in memory, not two.
    extractor._tokenizer = segmenter._tokenizer
    extractor.idf  # noqa: B018 - load the IDF table before the first batch arrives
    results.put(("ready", os.getpid()))
    try:
        finished = False
        while not finished and not abort.is_set():
            ids: list[int] = []
            message = jobs.get()
            while True:  # take what has queued up, up to a round's worth
                if message is None:
                    finished = True
                    break
                ids.extend(message)
                if len(ids) >= ROUND_MAX_IDS:
                    break
                try:
                    message = jobs.get_nowait()
                except queue.Empty:
                    break
            if abort.is_set():
                break
            started = time.monotonic()
            try:
                kw, idx = enrich_ids(conn, ids, extractor, segmenter)
            except CorpusWriteError as exc:
                results.put(("fatal", f"{exc.reason}: {exc}"))
                return
            except sqlite3.Error as exc:  # busy past the retries …: the catch-up redoes them
                results.put(("error", f"{len(ids)} articles left to the catch-up: {exc}"))
                continue
            results.put(("done", kw, idx, time.monotonic() - started))
    finally:
        conn.close()
        results.put(("exit", None))


class WorkerDied(RuntimeError):
    """The worker process ended without being told to (killed, crashed)."""


class EnrichWorker:
    """The parent's handle on one worker process: `submit` ids, `poll`, then `finish`."""

    def __init__(self, db_path: str | Path) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.jobs, self.results, self.abort_event = ctx.Queue(), ctx.Queue(), ctx.Event()
        self.process: BaseProcess = ctx.Process(
            target=worker_main, args=(str(db_path), self.jobs, self.results, self.abort_event),
            name="fanwen-enrich", daemon=True)
        self.progress = Progress()
        self.submitted = 0
        """Ids handed to the worker."""
        self.died: str | None = None
        """Why the worker ended unasked (None while it is fine)."""
        self._exited = False

    def start(self) -> None:
        self.process.start()

    def submit(self, ids: Sequence[int]) -> bool:
        """Queue ids (never blocks); False when the worker is dead (the catch-up covers them)."""
        if self.died is not None or self._exited or not ids:
            return False
        self.jobs.put(list(ids))
        self.submitted += len(ids)
        return True

    def poll(self) -> Progress:
        """Take the worker's reports so far (never blocks); notice a dead worker."""
        while True:
            try:
                self._take(self.results.get_nowait())
            except queue.Empty:
                break
        if not self._exited and self.died is None and not self.process.is_alive():
            self._take_rest()
            if not self._exited:
                self._dead()
        return self.progress

    def finish(self, timeout: float | None = None) -> Progress:
        """Let the worker do every queued id, then stop it; wait up to `timeout` seconds."""
        if self.died is None and not self._exited and self.process.is_alive():
            self.jobs.put(None)
        self._wait(timeout)
        return self.progress

    def abort(self, timeout: float = 10.0) -> Progress:
        """Stop after the round in hand (interrupted crawl): queued ids are left undone."""
        self.abort_event.set()
        if self.process.is_alive():
            self.jobs.put(None)  # wakes a worker waiting for work
        self._wait(timeout)
        return self.progress

    def _wait(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._exited and self.died is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                self.died = f"did not finish within {timeout:.0f} s; stopped"
                self.process.terminate()
                break
            try:
                self._take(self.results.get(timeout=min(POLL_S, left) if left else POLL_S))
            except queue.Empty:
                if not self.process.is_alive():
                    self._take_rest()
                    if not self._exited:
                        self._dead()
        self.process.join(timeout=5)
        self.jobs.cancel_join_thread()  # ids never taken by a dead worker must not block exit

    def _take_rest(self) -> None:
        while True:
            try:
                self._take(self.results.get(timeout=0.1))
            except queue.Empty:
                return

    def _dead(self) -> None:
        self.died = f"worker exited with code {self.process.exitcode}"

    def _take(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "done":
            _, kw, idx, seconds = message
            self.progress.keywords += kw
            self.progress.indexed += idx
            self.progress.rounds += 1
            self.progress.seconds += seconds
        elif kind in ("error", "fatal"):
            self.progress.errors.append(str(message[1]))
            if kind == "fatal":
                self.died = f"cannot write the corpus: {message[1]}"
        elif kind == "exit":
            self._exited = True
