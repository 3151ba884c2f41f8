"""(f) Redis: SIGKILL one of two workers mid-crawl, no sweep afterwards.

Two `fanwen crawl --redis` workers (unthrottled, concurrency 8 each, their own shard
databases) crawl a generated portal from a redis-server on 127.0.0.1; worker A is SIGKILLed
when the portal has served half its pages; B finishes alone; the shards are merged. Counted:
articles in the merged corpus against the portal's, and pages fetched twice. Baseline, same
run, same portal: the same commands on scrapy-redis' own scheduler and queue (requests a
worker took live only in its memory). Skipped without redis-server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.resumebench import _LoggedServer
from benchmarks.sitegen import generate_site

ROOT = Path(__file__).resolve().parent.parent
PLAIN = ["--set", "SCHEDULER=scrapy_redis.scheduler.Scheduler",
         "--set", "SCHEDULER_QUEUE_CLASS=scrapy_redis.queue.PriorityQueue"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(url: str, redis_url: str, key: str, db: Path, concurrency: int,
            extra: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fanwen_crawler", "crawl", url, "--redis", redis_url,
         "--redis-key", key, "--idle-exit", "3", "--db", str(db), "--delay", "0",
         "--concurrency", str(concurrency), "--quiet", "--no-keywords",
         "--set", "FANWEN_REDIS_LEASE=3", *extra],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _run(site: Any, n_pages: int, redis_url: str, tmp: Path, key: str, concurrency: int,
         extra: list[str]) -> dict[str, Any]:
    with _LoggedServer(site) as server:
        shards = [tmp / f"{key}-a.db", tmp / f"{key}-b.db"]
        a, b = (_worker(server.url, redis_url, key, db, concurrency, extra) for db in shards)
        while len(server.pages()) < n_pages / 2 and a.poll() is None:
            time.sleep(0.005)
        os.kill(a.pid, signal.SIGKILL)
        a.wait()
        b.wait(timeout=1800)
        fetched = Counter(server.pages())
    corpus = tmp / f"{key}-corpus.db"
    subprocess.run([sys.executable, "-m", "fanwen_crawler", "merge", *map(str, shards),
                    "--into", str(corpus), "--no-keywords"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    con = sqlite3.connect(corpus)
    try:
        stored, distinct = con.execute(
            "select count(*), count(distinct url) from articles").fetchone()
    finally:
        con.close()
    return {"stored": stored, "distinct": distinct,
            "twice": sum(1 for n in fetched.values() if n > 1),
            "returncode_b": b.returncode}


def bench_redis(n_articles: int = 1000, concurrency: int = 8) -> dict[str, Any]:
    server_bin = shutil.which("redis-server")
    if server_bin is None:
        return {"skipped": "redis-server is not installed (scripts/install-redis.sh)"}
    site = generate_site(n_articles, seed=5)
    n_pages = len([p for p in site.pages if p != "/robots.txt"])
    result: dict[str, Any] = {"articles": len(site.articles), "site_pages": n_pages,
                              "concurrency": concurrency}
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        redis = subprocess.Popen([server_bin, "--port", str(port), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", tmp],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            url = f"redis://127.0.0.1:{port}/0"
            result["ours"] = _run(site, n_pages, url, Path(tmp), "ours", concurrency, [])
            result["base"] = _run(site, n_pages, url, Path(tmp), "base", concurrency, PLAIN)
        finally:
            redis.terminate()
            redis.wait(timeout=10)
    return result
