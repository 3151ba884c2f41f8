"""(e) Resume after SIGKILL: one crawl of a generated portal killed at 3 points, resumed each time.

`fanwen crawl --state-dir` (unthrottled, concurrency 16) is SIGKILLed when the portal has
served 25%, 50% and 75% of its pages, and started again each time with the same command
until it finishes. At each point: the pages the resumed run fetched that an earlier run had
already fetched (robots.txt aside). Also the whole crawl, uninterrupted, with and without
`--state-dir` (the frontier's cost). The baseline, in the same run against the same portal,
is the same command on Scrapy's own scheduler (`--set SCHEDULER=scrapy.core.scheduler.Scheduler`:
its JOBDIR queues, which `fanwen crawl` restarts after an unclean stop).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.sitegen import _Handler, _Server, generate_site

ROOT = Path(__file__).resolve().parent.parent
KILL_AT = (0.25, 0.5, 0.75)
SCRAPY_SCHEDULER = "scrapy.core.scheduler.Scheduler"


class _QuietServer(_Server):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a killed crawler resets its connections: expected here


class _LoggedServer:
    def __init__(self, site: Any) -> None:
        self.log: list[str] = []
        lock = threading.Lock()
        log = self.log

        class Handler(_Handler):
            def do_GET(self) -> None:
                with lock:
                    log.append(self.path)
                super().do_GET()

        Handler.site, Handler.stop = site, threading.Event()
        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _LoggedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def pages(self, start: int = 0, end: int | None = None) -> list[str]:
        return [p for p in self.log[start:end] if p != "/robots.txt"]


def _count(db: Path) -> tuple[int, int]:
    con = sqlite3.connect(db)
    try:
        return tuple(con.execute("select count(*), count(distinct url) from articles").fetchone())
    finally:
        con.close()


def _killed_crawl(server: _LoggedServer, n_pages: int, tmp: Path, concurrency: int,
                  extra: list[str]) -> dict[str, Any]:
    db, state = tmp / "c.db", tmp / "state"
    cmd = [sys.executable, "-m", "fanwen_crawler", "crawl", server.url, "--db", str(db),
           "--state-dir", str(state), "--delay", "0", "--concurrency", str(concurrency),
           "--quiet", "--no-keywords", *extra]
    start = len(server.log)
    marks, points = [start], []
    started = time.monotonic()
    for share in (*KILL_AT, None):
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if share is None:
            proc.wait(timeout=1800)
            marks.append(len(server.log))
            break
        while len(server.pages(start)) < share * n_pages and proc.poll() is None:
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        marks.append(len(server.log))
    for k in range(1, len(marks) - 1):
        before = set(server.pages(start, marks[k]))
        after = server.pages(marks[k], marks[k + 1])
        points.append({"fetched_before": len(before),
                       "refetched": sum(1 for p in set(after) if p in before)})
    rows, distinct = _count(db)
    fetched = Counter(server.pages(start))
    return {"points": points, "articles": rows, "distinct": distinct,
            "pages_total": sum(fetched.values()), "pages_distinct": len(fetched),
            "wall": time.monotonic() - started}


def _whole_crawl(server: _LoggedServer, tmp: Path, concurrency: int, state: bool) -> float:
    cmd = [sys.executable, "-m", "fanwen_crawler", "crawl", server.url, "--db",
           str(tmp / "whole.db"), "--delay", "0", "--concurrency", str(concurrency), "--quiet",
           "--no-keywords"]
    if state:
        cmd += ["--state-dir", str(tmp / "whole-state")]
    started = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=1800)
    return time.monotonic() - started


def bench_resume(n_articles: int = 3000, concurrency: int = 16) -> dict[str, Any]:
    site = generate_site(n_articles, seed=3)
    n_pages = len([p for p in site.pages if p != "/robots.txt"])
    result: dict[str, Any] = {"articles": n_articles, "site_pages": n_pages,
                              "concurrency": concurrency}
    with tempfile.TemporaryDirectory() as tmp:
        for key, extra in (("ours", []), ("base", ["--set", f"SCHEDULER={SCRAPY_SCHEDULER}"])):
            with _LoggedServer(site) as server:
                run_dir = Path(tmp) / key
                run_dir.mkdir()
                result[key] = _killed_crawl(server, n_pages, run_dir, concurrency, extra)
        for key, state in (("plain_wall", False), ("state_wall", True)):
            with _LoggedServer(site) as server:
                run_dir = Path(tmp) / key
                run_dir.mkdir()
                result[key] = _whole_crawl(server, run_dir, concurrency, state)
    result["expected_articles"] = len(site.articles)
    return result
