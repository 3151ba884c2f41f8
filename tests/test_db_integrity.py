"""The corpus stays consistent under concurrent readers and under SIGKILL.

A reader thread queries the SQLite file while a real `fanwen crawl` writes it (WAL):
it must never see an article without its child rows (page_urls, tags, related links
as finally stored), never get "database is locked", and never stop the crawl. Then
crawls are SIGKILLed at seeded random moments: after each kill `PRAGMA
integrity_check` is clean and no article is partial; a final run completes the
corpus with every article stored exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.sitegen import generate_site, serve_site
from tests.conftest import FANWEN, ROOT, run_fanwen

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

N_ARTICLES = 250
KILL_SEED = 20260406
KILLS = 3
KILL_WINDOW = (1.5, 5.0)  # seconds after the crawl process started
CRAWL_TIMEOUT = 180
FAST = ("--delay", "0", "--concurrency", "8", "--quiet", "--no-keywords")
SNAPSHOT = """
    select a.url, a.pages,
           (select count(*) from page_urls p where p.article_id = a.id),
           (select count(*) from tags t where t.article_id = a.id),
           (select count(*) from related_links r where r.article_id = a.id)
    from articles a
"""


@pytest.fixture(scope="module")
def site() -> Any:
    return generate_site(N_ARTICLES, seed=3)


def _snapshot(con: sqlite3.Connection) -> dict[str, tuple[int, ...]]:
    return {row[0]: tuple(row[1:]) for row in con.execute(SNAPSHOT)}


def _check_consistent(db: Path) -> dict[str, tuple[int, ...]]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("pragma integrity_check").fetchall() == [("ok",)]
        assert con.execute("pragma foreign_key_check").fetchall() == []
        snap = _snapshot(con)
        partial = [url for url, (pages, n_urls, *_) in snap.items() if n_urls != pages]
        assert partial == [], "articles without all their page_urls rows"
        empty = con.execute("select count(*) from articles where coalesce(body, '') = '' "
                            "or coalesce(title, '') = ''").fetchone()[0]
        assert empty == 0
        return snap
    finally:
        con.close()


class Reader(threading.Thread):
    """Reads the corpus in a loop, holding each read transaction open a little."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.stop = threading.Event()
        self.seen: dict[str, set[tuple[int, ...]]] = {}
        self.reads = 0
        self.errors: list[str] = []
        self.slowest = 0.0

    def run(self) -> None:
        while not self.stop.is_set():
            if not self.db.exists():
                time.sleep(0.02)
                continue
            try:
                con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
                try:
                    started = time.monotonic()
                    con.execute("begin")
                    snap = _snapshot(con)
                    time.sleep(0.05)  # a long-ish read transaction: must not block writers
                    con.execute("commit")
                    self.slowest = max(self.slowest, time.monotonic() - started)
                finally:
                    con.close()
            except sqlite3.OperationalError as exc:
                if "no such table" not in str(exc):  # before the schema exists
                    self.errors.append(str(exc))
                continue
            for url, counts in snap.items():
                self.seen.setdefault(url, set()).add(counts)
            self.reads += 1


def test_concurrent_reader_sees_only_whole_articles(site: Any, tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    reader = Reader(db)
    with serve_site(site) as served:
        reader.start()
        try:
            proc = run_fanwen("crawl", served.url, "--db", str(db), *FAST, timeout=CRAWL_TIMEOUT)
        finally:
            reader.stop.set()
            reader.join(timeout=10)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert reader.errors == []
    assert reader.reads >= 10, "the reader should have overlapped the crawl"
    final = _check_consistent(db)
    assert len(final) == N_ARTICLES
    con = sqlite3.connect(db)
    try:
        assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    finally:
        con.close()
    partial = {url: sorted(seen - {final[url]}) for url, seen in reader.seen.items()
               if seen != {final[url]}}
    assert partial == {}, "a reader saw an article before all its child rows were written"
    assert len(reader.seen) > 0


def _start(url: str, db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([*FANWEN, "crawl", url, "--db", str(db), *FAST], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_sigkill_at_random_points_leaves_a_sound_database(site: Any, tmp_path: Path) -> None:
    db = tmp_path / "corpus.db"
    rng = random.Random(KILL_SEED)
    stored_counts = []
    with serve_site(site, delay=0.01) as served:
        for _ in range(KILLS):
            proc = _start(served.url, db)
            time.sleep(rng.uniform(*KILL_WINDOW))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
            if db.exists():
                stored_counts.append(len(_check_consistent(db)))
        proc = run_fanwen("crawl", served.url, "--db", str(db), *FAST, timeout=CRAWL_TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    final = _check_consistent(db)
    base = served.url.rstrip("/")
    assert set(final) == {base + a.path for a in site.articles}
    con = sqlite3.connect(db)
    try:
        dupes = con.execute("select count(*) from articles where duplicate_of is not null")
        assert dupes.fetchone()[0] == 0, "a re-run must not store killed-run articles twice"
    finally:
        con.close()
    assert stored_counts and stored_counts == sorted(stored_counts)
