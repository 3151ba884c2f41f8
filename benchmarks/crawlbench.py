"""(a) Crawl throughput: `fanwen crawl` (full pipeline) against a bare Scrapy spider.

The generated portal is served from memory by a separate process (so its CPU is not
ours and can be reported); each crawler runs as its own subprocess and its peak RSS is
read from `os.wait4`. The keyword stage is timed separately, after the crawl.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    returncode: int
    wall: float
    max_rss_mb: float
    cpu: float
    """User + system CPU seconds of the process and its waited-for children."""
    stdout: str
    stderr: str


def run_measured(cmd: list[str], timeout: float = 3600) -> Measured:
    """Run `cmd`, returning its wall time and peak RSS (of it and its waited-for children)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
            time.sleep(0.05)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(proc.returncode, wall, usage.ru_maxrss / 1024,
                        usage.ru_utime + usage.ru_stime, out.read(), err.read())


def _serve(n_articles: int, seed: int, queue: Any, stop: Any) -> None:
    from benchmarks.sitegen import generate_site, serve_site

    site = generate_site(n_articles, seed=seed)
    with serve_site(site) as served:
        queue.put((served.url, len(site.pages), len(site.articles), os.getpid()))
        stop.wait()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class SiteServer:
    """The generated portal in its own process."""

    def __init__(self, n_articles: int, seed: int = 0) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.queue, self.stop = ctx.Queue(), ctx.Event()
        self.proc = ctx.Process(target=_serve, args=(n_articles, seed, self.queue, self.stop),
                                daemon=True)

    def __enter__(self) -> SiteServer:
        self.proc.start()
        self.url, self.n_pages, self.n_articles, self.pid = self.queue.get(timeout=300)
        return self

    def cpu(self) -> float:
        return _cpu_seconds(self.pid)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.terminate()


FINISHED = re.compile(r"finished in ([\d.]+)s")
PAGES = re.compile(r"pages fetched:\s+(\d+)")


def bench_crawl(n_articles: int, concurrency: int = 16) -> dict[str, Any]:
    """Both crawls over one served portal; returns the figures."""
    py = sys.executable
    result: dict[str, Any] = {"articles": n_articles, "concurrency": concurrency}
    with SiteServer(n_articles) as server, tempfile.TemporaryDirectory() as tmp:
        result["site_pages"] = server.n_pages
        cpu0 = server.cpu()
        bare = run_measured([py, "-m", "benchmarks.bare_spider", server.url,
                             "--concurrency", str(concurrency)])
        if bare.returncode:
            raise RuntimeError(f"bare spider failed: {bare.stderr[-2000:]}")
        stats = json.loads(bare.stdout.strip().splitlines()[-1])
        cpu1 = server.cpu()
        db = Path(tmp) / "bench.db"
        ours = run_measured([py, "-m", "fanwen_crawler", "crawl", server.url, "--db", str(db),
                             "--delay", "0", "--concurrency", str(concurrency), "--no-keywords",
                             "--quiet"])
        if ours.returncode:
            raise RuntimeError(f"fanwen crawl failed: {ours.stderr[-2000:]}")
        cpu2 = server.cpu()
        pages = int(PAGES.search(ours.stdout).group(1))  # type: ignore[union-attr]
        elapsed = float(FINISHED.search(ours.stdout).group(1))  # type: ignore[union-attr]
        kw = run_measured([py, "-c", "import sys; from pipelines.keywords import compute_keywords;"
                           f" print(compute_keywords({str(db)!r}))"])
        stored = _count(db)
    result["imports"] = bench_imports()
    result.update({
        "bare_pages": stats["pages"], "bare_elapsed": stats["elapsed"],
        "bare_pps": stats["pages"] / stats["elapsed"], "bare_wall": bare.wall,
        "bare_rss_mb": bare.max_rss_mb, "bare_cpu": bare.cpu, "bare_server_cpu": cpu1 - cpu0,
        "ours_pages": pages, "ours_elapsed": elapsed, "ours_pps": pages / elapsed,
        "ours_wall": ours.wall, "ours_rss_mb": ours.max_rss_mb, "ours_cpu": ours.cpu, "ours_server_cpu": cpu2 - cpu1,
        "stored": stored, "keywords_wall": kw.wall, "keywords_articles": int(kw.stdout.split()[-1]),
        "keywords_rss_mb": kw.max_rss_mb, "keywords_cpu": kw.cpu,
    })
    result["ratio"] = result["ours_pps"] / result["bare_pps"]
    return result


def _count(db: Path) -> int:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return int(con.execute("select count(*) from articles").fetchone()[0])
    finally:
        con.close()


IMPORT_STEPS = [
    ("scrapy.crawler", "Scrapy"),
    ("fanwen_crawler.extractors, fanwen_crawler.spiders.portal", "spider + extractors"),
    ("datasketch", "datasketch (imports scipy)"),
    ("sqlite_utils", "sqlite_utils (imports pandas when installed)"),
    ("jieba.analyse", "jieba.analyse (loads jieba.posseg's model)"),
    ("fanwen_crawler.crawl", "fanwen_crawler.crawl (all of the above)"),
]


def bench_imports() -> list[tuple[str, float]]:
    """Resident MB after each import, cumulative, in a fresh interpreter."""
    code = ["import sys", "def rss():",
            "    for line in open('/proc/self/status'):",
            "        if line.startswith('VmRSS:'): return int(line.split()[1]) / 1024",
            "print('start', rss())"]
    for i, (mods, _) in enumerate(IMPORT_STEPS):
        code += [f"import {mods}", f"print({i}, rss())"]
    out = subprocess.run([sys.executable, "-c", "\n".join(code)], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    values = dict(line.split() for line in out if line.strip())
    steps = [("python", float(values["start"]))]
    steps += [(label, float(values[str(i)])) for i, (_, label) in enumerate(IMPORT_STEPS)]
    return steps
