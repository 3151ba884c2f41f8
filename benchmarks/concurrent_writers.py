"""Issue 13's probe: two crawls into one database at once, plus a `fanwen search` loop.

The same generated portal (1,000 articles) is served twice, on two loopback ports: every
article of the second copy repeats one of the first, so the crawls must mark each other's
duplicates. Repeated RUNS times, each into a fresh database.

Run from the project root: `.venv/bin/python -m benchmarks.concurrent_writers [RUNS]`.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from portalgen import generate_portal, serve

FANWEN = str(Path(sys.executable).with_name("fanwen"))
CRAWL_ARGS = ("--delay", "0", "--concurrency", "8", "--no-keywords", "--quiet")


def search_loop(db: Path, stop: threading.Event, counts: list[int]) -> None:
    """Search the corpus until stopped; counts = [searches, failed searches]."""
    while not stop.is_set():
        proc = subprocess.run([FANWEN, "search", "工作", "--db", str(db), "--limit", "5"],
                              capture_output=True, text=True, check=False)
        counts[0] += 1
        counts[1] += proc.returncode not in (0, 3)  # 3: no corpus yet, at the very start


def one_run(portal: object, db: Path) -> str:
    stop, counts = threading.Event(), [0, 0]
    with serve(portal) as a, serve(portal) as b:  # type: ignore[arg-type]
        loop = threading.Thread(target=search_loop, args=(db, stop, counts))
        loop.start()
        started = time.monotonic()
        crawls = [subprocess.Popen([FANWEN, "crawl", url, "--db", str(db), *CRAWL_ARGS],
                                   stderr=subprocess.PIPE, text=True) for url in (a.url, b.url)]
        for crawl in crawls:
            crawl.communicate()
        stop.set()
        loop.join()
    con = sqlite3.connect(db)
    try:
        def one(sql: str) -> object:
            return con.execute(sql).fetchone()[0]

        per_site = sorted(n for _, n in con.execute(
            "select site, count(*) from articles group by site"))
        rows = one("select count(*) from articles")
        failed = one("select count(*) from crawl_errors where reason = 'store_failed'")
        dups = one("select count(*) from articles where duplicate_of is not null")
        integrity = one("pragma integrity_check")
        exits = "/".join(str(c.returncode) for c in crawls)
        return (f"exit {exits}, {time.monotonic() - started:.0f} s, stored per site "
                f"{per_site}, rows {rows}, store_failed {failed}, duplicates marked {dups}, "
                f"searches {counts[0]} (failed {counts[1]}), integrity {integrity}")
    finally:
        con.close()


def main(runs: int) -> None:
    portal = generate_portal(4242, n_articles=1000, family="dede")
    print(f"portal seed 4242: {len(portal.truth().articles)} articles, served twice")
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"run {run + 1}: {one_run(portal, Path(tmp) / 'c.db')}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
