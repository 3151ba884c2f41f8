"""(a) Crawl throughput: `fanwen crawl` (full pipeline) against a bare Scrapy spider.

The generated portal is served from memory by a separate process (so its CPU is not
ours and can be reported); each crawler runs as its own subprocess and its peak RSS is
read from `os.wait4`. The keyword stage is timed separately, after the crawl, both in
the worker pool `compute_keywords` picks for that many articles and in-process.

With `--without COMMIT`, the same `fanwen crawl` command also runs from a temporary
`git worktree` holding the current tree minus that commit (same interpreter and venv; the
worktree's packages come first on `sys.path`), against the same served portal in the same
run: the commit's before/after figures, with everything else equal.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
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


def run_measured(cmd: list[str], timeout: float = 3600, cwd: Path = ROOT) -> Measured:
    """Run `cmd`, returning its wall time and peak RSS (of it and its waited-for children)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdout=out,
            stderr=err,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
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
        return Measured(
            proc.returncode,
            wall,
            usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime,
            out.read(),
            err.read(),
        )


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
        self.proc = ctx.Process(
            target=_serve, args=(n_articles, seed, self.queue, self.stop), daemon=True
        )

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




def _git(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, input=stdin
    ).stdout


def _worktree(without: list[str], into: Path, patch: Path | None = None) -> tuple[Path, list[str]]:
    """The current tree minus the commits `without`, as a detached `git worktree` under `into`.

    The worktree starts at HEAD; the working tree's uncommitted changes and untracked files
    are copied on top (work in progress elsewhere is then in both measured crawls), after
    the commits are reverted (`git revert --no-commit`, three-way, in the order given:
    newest first); then `patch`, if given, is
    applied (for a part of the change that landed in another commit). Returns the path and
    the copied paths.
    """
    path = into / "baseline"
    _git("worktree", "add", "--detach", str(path), "HEAD")
    try:
        return _prepare_baseline(path, without, patch)
    except BaseException:
        _remove_worktree(path)
        raise


def _prepare_baseline(path: Path, without: list[str], patch: Path | None) -> tuple[Path, list[str]]:
    own = {f for c in without for f in _git("diff", "--name-only", f"{c}~1", c).split()}
    # Uncommitted edits to the commit's own files are left out: they stay as reverted.
    dirty = [p for p in _git("diff", "--name-only", "HEAD").split() if p not in own]
    untracked = [
        p for p in _git("ls-files", "--others", "--exclude-standard").split() if p not in own
    ]
    # A three-way revert: later commits may have touched the same files.
    # -X theirs: where a later commit touched the same lines, the reverted side wins.
    _git("revert", "--no-commit", "-X", "theirs", *without, cwd=path)
    if dirty:
        _git("apply", "--binary", cwd=path, stdin=_git("diff", "--binary", "HEAD", "--", *dirty))
    for p in untracked:
        (path / p).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / p, path / p)
    if patch is not None:
        _git("apply", str(patch.resolve()), cwd=path)
    return path, sorted(dirty + untracked)


def _remove_worktree(path: Path) -> None:
    subprocess.run(
        ["git", "worktree", "remove", "--force", str(path)],
        cwd=ROOT,
        check=False,
        capture_output=True,
    )
    shutil.rmtree(path, ignore_errors=True)


def _crawl(
    py: str, server: SiteServer, db: Path, concurrency: int, cwd: Path = ROOT
) -> tuple[Measured, int, float]:
    summary = db.with_suffix(".summary.json")
    run = run_measured(
        [
            py,
            "-m",
            "fanwen_crawler",
            "crawl",
            server.url,
            "--db",
            str(db),
            "--delay",
            "0",
            "--concurrency",
            str(concurrency),
            "--no-keywords",
            "--quiet",
            "--stats-json",
            str(summary),
        ],
        cwd=cwd,
    )
    if run.returncode:
        raise RuntimeError(f"fanwen crawl ({cwd}) failed: {run.stderr[-2000:]}")
    stats = json.loads(summary.read_text(encoding="utf-8"))
    return run, int(stats["pages"]), float(stats["crawl_seconds"])


def bench_crawl(
    n_articles: int,
    concurrency: int = 16,
    baseline: list[str] | None = None,
    baseline_patch: Path | None = None,
) -> dict[str, Any]:
    """Both crawls (and the baseline revision's, if given) over one served portal."""
    py = sys.executable
    result: dict[str, Any] = {"articles": n_articles, "concurrency": concurrency}
    with SiteServer(n_articles) as server, tempfile.TemporaryDirectory() as tmp:
        result["site_pages"] = server.n_pages
        cpu0 = server.cpu()
        bare = run_measured(
            [py, "-m", "benchmarks.bare_spider", server.url, "--concurrency", str(concurrency)]
        )
        if bare.returncode:
            raise RuntimeError(f"bare spider failed: {bare.stderr[-2000:]}")
        stats = json.loads(bare.stdout.strip().splitlines()[-1])
        cpu1 = server.cpu()
        db = Path(tmp) / "bench.db"
        tree = None
        if baseline:  # prepared before any crawl, so a failure shows at once
            tree, overlaid = _worktree(baseline, Path(tmp), baseline_patch)
            result["base_overlaid"] = overlaid
        ours, pages, elapsed = _crawl(py, server, db, concurrency)
        cpu2 = server.cpu()
        if baseline and tree is not None:
            try:
                base, base_pages, base_elapsed = _crawl(
                    py, server, Path(tmp) / "base.db", concurrency, cwd=tree
                )
                cpu3 = server.cpu()
                result.update(
                    {
                        "baseline": f"without {', '.join(baseline)}"
                        + (f" + {baseline_patch.name}" if baseline_patch else ""),
                        "base_pages": base_pages,
                        "base_elapsed": base_elapsed,
                        "base_pps": base_pages / base_elapsed,
                        "base_rss_mb": base.max_rss_mb,
                        "base_cpu": base.cpu,
                        "base_server_cpu": cpu3 - cpu2,
                        "base_stored": _count(Path(tmp) / "base.db"),
                        "base_duplicates": _count(Path(tmp) / "base.db", duplicates=True),
                    }
                )
            finally:
                _remove_worktree(tree)
        pool_db = Path(tmp) / "pool.db"
        shutil.copy(db, pool_db)
        kw = run_measured(
            [
                py,
                "-c",
                "import sys; from fanwen_crawler.corpus.keywords import compute_keywords;"
                f" print(compute_keywords({str(pool_db)!r}))",
            ]
        )
        kw0 = run_measured(
            [
                py,
                "-c",
                "import sys; from fanwen_crawler.corpus.keywords import compute_keywords;"
                f" print(compute_keywords({str(db)!r}, workers=0))",
            ]
        )
        stored = _count(db)
        duplicates = _count(db, duplicates=True)
    result["imports"] = bench_imports()
    result.update(
        {
            "bare_pages": stats["pages"],
            "bare_elapsed": stats["elapsed"],
            "bare_pps": stats["pages"] / stats["elapsed"],
            "bare_wall": bare.wall,
            "bare_rss_mb": bare.max_rss_mb,
            "bare_cpu": bare.cpu,
            "bare_server_cpu": cpu1 - cpu0,
            "ours_pages": pages,
            "ours_elapsed": elapsed,
            "ours_pps": pages / elapsed,
            "ours_wall": ours.wall,
            "ours_rss_mb": ours.max_rss_mb,
            "ours_cpu": ours.cpu,
            "ours_server_cpu": cpu2 - cpu1,
            "stored": stored,
            "duplicates": duplicates,
            "keywords_wall": kw.wall,
            "keywords_articles": int(kw.stdout.split()[-1]),
            "keywords_rss_mb": kw.max_rss_mb,
            "keywords_cpu": kw.cpu,
            "keywords_inproc_wall": kw0.wall,
            "keywords_inproc_cpu": kw0.cpu,
            "keywords_inproc_rss_mb": kw0.max_rss_mb,
        }
    )
    from fanwen_crawler.corpus.keywords import POOL_MIN_ARTICLES

    result["pool_min"] = POOL_MIN_ARTICLES
    result["ratio"] = result["ours_pps"] / result["bare_pps"]
    if baseline:
        result["base_ratio"] = result["base_pps"] / result["bare_pps"]
    return result


def _count(db: Path, duplicates: bool = False) -> int:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        where = " where duplicate_of is not null" if duplicates else ""
        return int(con.execute(f"select count(*) from articles{where}").fetchone()[0])
    finally:
        con.close()


IMPORT_STEPS = [
    ("scrapy.crawler", "Scrapy"),
    ("fanwen_crawler.extractors, fanwen_crawler.spiders.portal", "spider + extractors"),
    ("pipelines.dedupe", "pipelines.dedupe (rensa, numpy)"),
    ("fanwen_crawler.corpus.storage", "corpus.storage (sqlite_utils, pandas blocked)"),
    ("fanwen_crawler.crawl", "fanwen_crawler.crawl (what `fanwen crawl` imports)"),
    ("fanwen_crawler.corpus.keywords", "corpus.keywords (jieba; post-crawl stage only)"),
]
HEAVY_MODULES = ("pandas", "scipy", "datasketch", "jieba")


def bench_imports() -> dict[str, Any]:
    """Resident MB after each import, cumulative, in a fresh interpreter."""
    code = [
        "import sys",
        "def rss():",
        "    for line in open('/proc/self/status'):",
        "        if line.startswith('VmRSS:'): return int(line.split()[1]) / 1024",
        "print('start', rss())",
    ]
    for i, (mods, _) in enumerate(IMPORT_STEPS):
        code += [f"import {mods}", f"print({i}, rss())"]
        if mods == "fanwen_crawler.crawl":
            code += [
                f"print('heavy', ','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules) or '-')"
            ]
    out = subprocess.run(
        [sys.executable, "-c", "\n".join(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    values = dict(line.split() for line in out if line.strip())
    heavy = values.pop("heavy", "-")
    steps = [("python", float(values["start"]))]
    steps += [(label, float(values[str(i)])) for i, (_, label) in enumerate(IMPORT_STEPS)]
    return {"steps": steps, "heavy_in_crawl": [] if heavy == "-" else heavy.split(",")}
