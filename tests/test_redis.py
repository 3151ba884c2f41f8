"""Distributed crawling over a real redis-server on 127.0.0.1: shared frontier and
duplicate filter, shard databases merged into one corpus, a killed worker.

redis-server is installed by scripts/install-redis.sh (wired into `make test`); without
it these tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FANWEN, ROOT, run_fanwen

pytestmark = pytest.mark.slow
REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def redis_url(tmp_path: Path) -> Iterator[str]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (run scripts/install-redis.sh)")
    import redis

    port = _free_port()
    proc = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


def _worker(portal: Any, redis_url: str, db: Path, key: str,
            delay: str = "0.02", extra: list[str] | None = None) -> subprocess.Popen[str]:
    cmd = [*FANWEN, "crawl", portal.url, "--redis", redis_url, "--redis-key", key,
           "--idle-exit", "1.5", "--db", str(db), "--delay", delay, "--concurrency", "2",
           "--quiet", "--no-keywords", "--set", "FANWEN_BATCH_SIZE=1",
           "--set", "FANWEN_FLUSH_SECONDS=0.2", *(extra or [])]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(db, timeout=5)
    try:
        return int(con.execute("select count(*) from articles").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def _page_fetches(portal: Any) -> Counter[str]:
    return Counter(p for p in portal.requests if p != "/robots.txt")


def _merge(shards: list[Path], into: Path) -> str:
    proc = run_fanwen("merge", *map(str, shards), "--into", str(into), "--no-keywords")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _articles(db: Path) -> dict[str, tuple[int, int | None]]:
    con = sqlite3.connect(db)
    try:
        return {u: (i, d) for i, u, d in con.execute("select id, url, duplicate_of from articles")}
    finally:
        con.close()


def test_two_workers_share_one_frontier_and_merge(portal: Any, redis_url: str,
                                                  tmp_path: Path) -> None:
    shards = [tmp_path / "shard-1.db", tmp_path / "shard-2.db"]
    workers = [_worker(portal, redis_url, db, "t-share") for db in shards]
    outs = [w.communicate(timeout=120) for w in workers]
    for w, (_, err) in zip(workers, outs, strict=True):
        assert w.returncode == 0, err[-3000:]

    fetched = _page_fetches(portal)
    assert [p for p, n in fetched.items() if n > 1] == []
    assert fetched[portal.url.removeprefix(portal.url.rstrip("/"))] == 1  # start URL once
    counts = [_count(db) for db in shards]
    assert all(counts), counts  # both workers did work

    corpus = tmp_path / "corpus.db"
    out = _merge(shards, corpus)
    assert "shards" in out
    base = portal.url.rstrip("/")
    rows = _articles(corpus)
    assert {base + a.url for a in portal.truth.articles} <= set(rows)
    assert len(rows) == sum(counts)
    for art in (a for a in portal.truth.articles if a.duplicate_of):
        first, later = sorted([rows[base + art.url], rows[base + art.duplicate_of]])
        assert later[1] == first[0] and first[1] is None, art.url
    # Merging again changes nothing.
    assert "0 new, 0 updated" in _merge(shards, corpus)


def test_killed_worker_loses_nothing(portal: Any, redis_url: str, tmp_path: Path) -> None:
    shard_a, shard_b = tmp_path / "a.db", tmp_path / "b.db"
    lease = ["--set", "FANWEN_REDIS_LEASE=2"]
    # Slow enough (0.25 s between requests per worker) that A is still mid-crawl when it
    # has stored its first articles: the kill must land inside the crawl, not after it.
    a = _worker(portal, redis_url, shard_a, "t-kill", delay="0.25", extra=lease)
    b = _worker(portal, redis_url, shard_b, "t-kill", delay="0.25", extra=lease)
    deadline = time.monotonic() + 60
    while _count(shard_a) < 2 and time.monotonic() < deadline and a.poll() is None:
        time.sleep(0.05)
    assert a.poll() is None, "worker A finished before it could be killed"
    os.kill(a.pid, signal.SIGKILL)
    a.communicate()
    killed_at = len(portal.requests)
    _, err = b.communicate(timeout=180)
    assert b.returncode == 0, err[-3000:]  # B exits by itself once the frontier is drained
    assert "put back" in err  # B took over what A held

    # Fetched twice: at most what A had in flight (its concurrency, 2).
    twice = [p for p, n in _page_fetches(portal).items() if n > 1]
    assert len(twice) <= 2, twice
    assert all(p in portal.requests[:killed_at] for p in twice)

    corpus = tmp_path / "corpus.db"
    _merge([shard_a, shard_b], corpus)
    base = portal.url.rstrip("/")
    expected = {base + a.url for a in portal.truth.articles}
    merged = _articles(corpus)
    assert set(merged) == expected  # every article, no sweep
    assert len(merged) == len(expected)  # once each
