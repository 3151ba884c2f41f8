"""Keywords and search-index segmentation of stored articles, in a worker process during a crawl.

The store pipeline commits articles in batches; the crawl's `Enrich` extension hands the
ids of each committed batch to one `EnrichWorker`: a fresh Python process (the crawl holds
SQLite connections and threads, which a fork must not copy) that reads the texts from
the corpus by id (only ids cross the process boundary: the crawl process pays nothing
per article), computes TF-IDF keywords (`fanwen_crawler.corpus.keywords`) and the
search-mode segmentation (`fanwen_crawler.corpus.search_index`), and writes both in one
short `BEGIN IMMEDIATE` transaction per round (`write_transaction`, busy retries).
An article changed since it was read is left alone: its next batch, or the closing
catch-up (`articles missing keywords`, `fts_pending`), does it again.

A worker that dies is reported (`EnrichWorker.died`), never silently lost: the ids it had not
done are whatever the catch-up finds missing. Library code: no Scrapy here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

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


def worker_main(db_path: str, lines: IO[str], out: IO[str]) -> None:
    """The worker: enrich each round of ids read from `lines` until "end" (or SIGTERM).

    Input lines: "ids 1 2 3" (one stored batch), "end". Output: one JSON list per line,
    ["ready", pid], ["done", keywords, indexed, seconds], ["error", text], ["fatal", text],
    ["exit"]. SIGTERM stops it after the round in hand (an interrupted crawl).
    """
    from fanwen_crawler.corpus.search_index import RjiebaSegmenter
    from fanwen_crawler.corpus.transactions import CorpusWriteError

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))

    def report(*message: object) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_S)
    conn.isolation_level = None  # write_transaction issues BEGIN IMMEDIATE itself
    segmenter = RjiebaSegmenter()
    extractor = KeywordExtractor()
    extractor._tokenizer = segmenter._tokenizer  # one dictionary in memory, not two
    extractor.idf  # noqa: B018 - load the IDF table before the first batch arrives
    report("ready", os.getpid())
    try:
        finished = False
        while not finished and not stop:
            ids: list[int] = []
            line = lines.readline()
            while True:  # take what has queued up, up to a round's worth
                if not line or line.startswith("end"):
                    finished = True
                    break
                ids.extend(int(x) for x in line.split()[1:])
                if len(ids) >= ROUND_MAX_IDS or not select.select([lines], [], [], 0)[0]:
                    break
                line = lines.readline()
            if stop or not ids:
                continue
            started = time.monotonic()
            try:
                kw, idx = enrich_ids(conn, ids, extractor, segmenter)
            except CorpusWriteError as exc:
                report("fatal", f"{exc.reason}: {exc}")
                return
            except sqlite3.Error as exc:  # busy past the retries …: the catch-up redoes them
                report("error", f"{len(ids)} articles left to the catch-up: {exc}")
                continue
            report("done", kw, idx, round(time.monotonic() - started, 4))
    finally:
        conn.close()
        report("exit")


class EnrichWorker:
    """The parent's handle on one worker process: `submit` ids, `poll`, then `finish`.

    The worker is a fresh interpreter (`python -m fanwen_crawler.corpus.enrich DB`), not a
    fork (the crawl holds SQLite connections and threads) nor multiprocessing's spawn (which
    re-imports the parent's `__main__`, all of Scrapy, and adds a resource-tracker process).
    Ids go to its stdin and reports come from its stdout through two daemon threads, so
    `submit` and `poll` never block the crawl.
    """

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = str(db_path)
        self.process: subprocess.Popen[str] | None = None
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._reports: queue.SimpleQueue[list[Any] | None] = queue.SimpleQueue()
        self.progress = Progress()
        self.submitted = 0
        """Ids handed to the worker."""
        self.died: str | None = None
        """Why the worker ended unasked (None while it is fine)."""
        self._exited = False
        self._ended = False

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fanwen_crawler.corpus.enrich", self.db_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
            env=env, bufsize=1,
            # Its own session: a Ctrl-C at the terminal is the crawl's to handle (the crawl
            # then stops the worker); if the crawl dies, the worker reads EOF and ends.
            start_new_session=True)
        threading.Thread(target=self._write, name="fanwen-enrich-in", daemon=True).start()
        threading.Thread(target=self._read, name="fanwen-enrich-out", daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _write(self) -> None:
        assert self.process is not None and self.process.stdin is not None
        stdin = self.process.stdin
        try:
            while (line := self._lines.get()) is not None:
                stdin.write(line)
                stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the worker is gone: noticed by poll(); the catch-up covers its ids
        finally:
            with contextlib.suppress(OSError, ValueError):
                stdin.close()

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            with contextlib.suppress(ValueError):
                self._reports.put(json.loads(line))
        self._reports.put(None)  # end of output: the worker has ended

    def submit(self, ids: Sequence[int]) -> bool:
        """Queue ids (never blocks); False when the worker is gone (the catch-up covers them)."""
        if self.died is not None or self._exited or self._ended or not ids:
            return False
        self._lines.put("ids " + " ".join(map(str, ids)) + "\n")
        self.submitted += len(ids)
        return True

    def poll(self) -> Progress:
        """Take the worker's reports so far (never blocks); notice a dead worker."""
        while True:
            try:
                self._take(self._reports.get_nowait())
            except queue.Empty:
                break
        return self.progress

    def finish(self, timeout: float | None = None) -> Progress:
        """Let the worker do every queued id, then stop it; wait up to `timeout` seconds."""
        self._end()
        self._wait(timeout)
        return self.progress

    def abort(self, timeout: float = 10.0) -> Progress:
        """Stop after the round in hand (interrupted crawl): queued ids are left undone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self._end()
        self._wait(timeout)
        return self.progress

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._lines.put("end\n")
            self._lines.put(None)

    def _wait(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._exited and self.died is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                self.died = f"did not finish within {timeout:.0f} s; stopped"
                if self.process is not None:
                    self.process.kill()
                break
            try:
                self._take(self._reports.get(timeout=min(POLL_S, left) if left else POLL_S))
            except queue.Empty:
                pass
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    def _take(self, message: list[Any] | None) -> None:
        if message is None:  # its output ended
            if not self._exited and self.died is None:
                code = self.process.wait() if self.process is not None else None
                self.died = f"worker exited with code {code}"
            return
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


if __name__ == "__main__":
    worker_main(sys.argv[1], sys.stdin, sys.stdout)
