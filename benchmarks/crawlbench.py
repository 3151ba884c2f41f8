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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 0.1
"""How often the process tree's RSS is sampled."""


@dataclass
class Measured:
    returncode: int
    wall: float
    max_rss_mb: float
    """ru_maxrss from `os.wait4`: the largest single process (it or a waited-for child)."""
    cpu: float
    """User + system CPU seconds of the process and its waited-for children."""
    stdout: str
    stderr: str
    tree_peak_mb: float = 0.0
    """Peak of the RSS summed over the process and all its descendants (sampled)."""
    peak_mb: dict[str, float] = field(default_factory=dict)
    """Peak RSS of each kind of process (main; worker: keywords + index; extract: the
    extraction pool's processes, summed; tracker: multiprocessing's; other), sampled."""
    cpu_by_kind: dict[str, float] = field(default_factory=dict)
    """CPU seconds of each kind of process (last sample of each pid, summed)."""
    load: str = ""
    """/proc/loadavg's 1-, 5- and 15-minute figures when the run started."""
    samples: list[tuple[float, float]] = field(default_factory=list)
    """(seconds since start, tree RSS MB), one per second."""


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _kind(proc: Any, root: int) -> str:
    if proc.pid == root:
        return "main"
    try:
        cmdline = " ".join(proc.cmdline())
    except Exception:
        return "other"
    if "resource_tracker" in cmdline:
        return "tracker"  # multiprocessing's, beside a spawned pool
    if "fanwen_crawler.corpus.enrich" in cmdline:
        return "worker"  # keywords + search index
    return "extract" if "spawn_main" in cmdline else "other"  # the extraction pool


def run_measured(cmd: list[str], timeout: float = 3600, cwd: Path = ROOT,
                 sample_s: float = SAMPLE_S) -> Measured:
    """Run `cmd`: wall time, CPU, and RSS peaks sampled over its whole process tree."""
    import psutil

    load = load_average()
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
        root = psutil.Process(proc.pid)
        kinds: dict[int, str] = {}
        cpu: dict[int, float] = {}
        peak: dict[str, float] = {}
        tree_peak, samples, next_sample = 0.0, [], 0.0
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = []
            total, by_kind = 0.0, dict.fromkeys(peak, 0.0)
            for p in procs:
                try:
                    mb = p.memory_info().rss / 2**20
                    times = p.cpu_times()
                except psutil.Error:
                    continue
                kind = kinds.setdefault(p.pid, _kind(p, proc.pid))
                cpu[p.pid] = times.user + times.system
                total += mb
                by_kind[kind] = by_kind.get(kind, 0.0) + mb
            tree_peak = max(tree_peak, total)
            for kind, mb in by_kind.items():
                peak[kind] = max(peak.get(kind, 0.0), mb)
            now = time.monotonic() - started
            if now >= next_sample:
                samples.append((round(now, 1), round(total, 1)))
                next_sample += 1.0
            time.sleep(sample_s)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu_by_kind: dict[str, float] = {}
        for p, seconds in cpu.items():
            cpu_by_kind[kinds[p]] = cpu_by_kind.get(kinds[p], 0.0) + seconds
        # The main process's own total is exact from wait4: total minus its children's.
        children = sum(v for k, v in cpu_by_kind.items() if k != "main")
        cpu_by_kind["main"] = usage.ru_utime + usage.ru_stime - children
        out.seek(0)
        err.seek(0)
        return Measured(
            proc.returncode,
            wall,
            usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime,
            out.read(),
            err.read(),
            tree_peak_mb=tree_peak,
            peak_mb=peak,
            cpu_by_kind=cpu_by_kind,
            load=load,
            samples=samples,
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
    py: str, server: SiteServer, db: Path, concurrency: int, cwd: Path = ROOT,
    keywords: bool = False,
) -> tuple[Measured, int, float, dict[str, Any]]:
    """One `fanwen crawl` (whole run with keywords, or `--no-keywords`): (run, pages, engine
    seconds, the run's Scrapy stats from its crawl_runs row)."""
    summary = db.with_suffix(".summary.json")
    run = run_measured(
        [
            py, "-m", "fanwen_crawler", "crawl", server.url,
            "--db", str(db),
            "--delay", "0",
            "--concurrency", str(concurrency),
            *([] if keywords else ["--no-keywords"]),
            "--quiet",
            "--stats-json", str(summary),
        ],
        cwd=cwd,
    )
    if run.returncode:
        raise RuntimeError(f"fanwen crawl ({cwd}) failed: {run.stderr[-2000:]}")
    stats = json.loads(summary.read_text(encoding="utf-8"))
    return run, int(stats["pages"]), float(stats["crawl_seconds"]), _run_stats(db)


def _run_stats(db: Path) -> dict[str, Any]:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row and row[0] else {}
    finally:
        con.close()


def _figures(run: Measured, pages: int, engine_s: float) -> dict[str, Any]:
    return {
        "wall": run.wall, "engine_s": engine_s, "pages": pages, "cpu": run.cpu,
        "cpu_by_kind": run.cpu_by_kind, "tree_peak_mb": run.tree_peak_mb,
        "peak_mb": run.peak_mb, "max_rss_mb": run.max_rss_mb, "load": run.load,
        "samples": run.samples,
    }


def _bare(py: str, server: SiteServer, concurrency: int) -> dict[str, Any]:
    bare = run_measured(
        [py, "-m", "benchmarks.bare_spider", server.url, "--concurrency", str(concurrency)]
    )
    if bare.returncode:
        raise RuntimeError(f"bare spider failed: {bare.stderr[-2000:]}")
    stats = json.loads(bare.stdout.strip().splitlines()[-1])
    return _figures(bare, int(stats["pages"]), float(stats["elapsed"]))


ENRICH_STATS = ("fanwen/enrich/submitted", "fanwen/enrich/rounds", "fanwen/enrich/worker_seconds",
                "fanwen/enrich/wait_seconds", "fanwen/postcrawl/seconds",
                "fanwen/keywords/computed", "fanwen/keywords/caught_up",
                "fanwen/search/indexed", "fanwen/search/caught_up")


def bench_crawl(
    n_articles: int,
    concurrency: int = 16,
    baseline: list[str] | None = None,
    baseline_patch: Path | None = None,
    repeats: int = 1,
) -> dict[str, Any]:
    """Bare spider, `fanwen crawl --no-keywords` and the whole `fanwen crawl`, over one portal.

    The three run in turn, `repeats` times (the order alternates, so a burst of load from
    elsewhere does not land on one of them only); each round's ratios are against that
    round's bare spider. Plus the baseline revision's crawl-only run, if given.
    """
    py = sys.executable
    result: dict[str, Any] = {"articles": n_articles, "concurrency": concurrency,
                              "rounds": []}
    with SiteServer(n_articles) as server, tempfile.TemporaryDirectory() as tmp:
        result["site_pages"] = server.n_pages
        tree = None
        if baseline:  # prepared before any crawl, so a failure shows at once
            tree, overlaid = _worktree(baseline, Path(tmp), baseline_patch)
            result["base_overlaid"] = overlaid
        for r in range(repeats):
            runs: dict[str, Any] = {}
            order = ["bare", "crawl", "whole"] if r % 2 == 0 else ["whole", "crawl", "bare"]
            for kind in order:
                cpu0 = server.cpu()
                if kind == "bare":
                    runs[kind] = _bare(py, server, concurrency)
                else:
                    db = Path(tmp) / f"{kind}{r}.db"
                    run, pages, engine_s, stats = _crawl(py, server, db, concurrency,
                                                         keywords=kind == "whole")
                    runs[kind] = _figures(run, pages, engine_s)
                    runs[kind]["stats"] = {k: stats[k] for k in ENRICH_STATS if k in stats}
                    runs[kind]["stored"] = _count(db)
                    runs[kind]["duplicates"] = _count(db, duplicates=True)
                runs[kind]["server_cpu"] = server.cpu() - cpu0
            for kind in ("crawl", "whole"):
                runs[kind]["ratio"] = runs[kind]["wall"] / runs["bare"]["wall"]
            result["rounds"].append(runs)
        if baseline and tree is not None:
            try:
                cpu0 = server.cpu()
                base, base_pages, base_elapsed, _ = _crawl(
                    py, server, Path(tmp) / "base.db", concurrency, cwd=tree
                )
                result["base"] = _figures(base, base_pages, base_elapsed)
                result["base"]["server_cpu"] = server.cpu() - cpu0
                result["baseline"] = (f"without {', '.join(baseline)}"
                                      + (f" + {baseline_patch.name}" if baseline_patch else ""))
            finally:
                _remove_worktree(tree)
        result["post_stage"] = _post_stage(py, Path(tmp) / "crawl0.db")
    result["imports"] = bench_imports()
    return result


def _post_stage(py: str, db: Path) -> dict[str, Any]:
    """The old post-crawl stage (keywords, then the search index) on a crawl-only corpus, in
    one process: what the worker takes off the end of the crawl."""
    code = ("from fanwen_crawler.corpus.keywords import compute_keywords; "
            "from fanwen_crawler.corpus.search_index import sync_search_index; "
            f"print(compute_keywords({str(db)!r}, workers=0), sync_search_index({str(db)!r}))")
    run = run_measured([py, "-c", code])
    if run.returncode:
        raise RuntimeError(f"post-crawl stage failed: {run.stderr[-2000:]}")
    keywords, indexed = (int(x) for x in run.stdout.split()[-2:])
    return {"wall": run.wall, "cpu": run.cpu, "tree_peak_mb": run.tree_peak_mb,
            "keywords": keywords, "indexed": indexed}


def bench_crawl_rss(n_articles: int, concurrency: int = 16) -> dict[str, Any]:
    """The whole `fanwen crawl` on a larger portal, for its peak RSS (process tree)."""
    with SiteServer(n_articles) as server, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "whole.db"
        run, pages, engine_s, stats = _crawl(sys.executable, server, db, concurrency,
                                             keywords=True)
        figures = _figures(run, pages, engine_s)
        figures["stats"] = {k: stats[k] for k in ENRICH_STATS if k in stats}
        figures.update(articles=n_articles, site_pages=server.n_pages, stored=_count(db))
        return figures


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
    ("fanwen_crawler.corpus.enrich", "corpus.enrich (what the keywords worker imports)"),
    ("fanwen_crawler.corpus.keywords as k; k.rjieba_tokenizer(); k.jieba_idf()",
     "+ rjieba tokenizer and jieba's IDF table (the worker, loaded)"),
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


# --- rendering (section (a) of docs/benchmarks.md) -----------------------------------------

WHOLE_TARGET = 1.05
"""Issue 12: the whole `fanwen crawl` (keywords + search index) ≤ 1.05× the bare spider's wall."""
CRAWL_TARGET = 0.95
"""Issue 12: `fanwen crawl --no-keywords` ≤ 0.95× the bare spider's wall."""
RSS_TARGET_MB = 300
"""Issue 12: peak RSS of the whole `fanwen crawl`, summed over its processes, at 20,000 articles."""
RSS_GROWTH_TARGET = 1.3
"""… and within this factor of the 5,000-article figure."""
LABELS = {
    "bare": "bare Scrapy spider (same-site links only)",
    "crawl": "`fanwen crawl --delay 0 --concurrency 16 --no-keywords`",
    "whole": "`fanwen crawl --delay 0 --concurrency 16` (keywords + search index)",
}


def _f(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _cpu_ms(run: dict[str, Any], kind: str) -> str:
    return _f(run["cpu_by_kind"].get(kind, 0.0) / run["pages"] * 1000, 2)


def _cpu_split(run: dict[str, Any]) -> str:
    return " / ".join(_cpu_ms(run, k) if k in run["cpu_by_kind"] else "–"
                      for k in ("main", "extract", "worker"))


def _peak_split(run: dict[str, Any]) -> str:
    peak = run["peak_mb"]
    other = sum(v for k, v in peak.items() if k not in ("main", "extract", "worker"))
    return " / ".join([*(_f(peak[k]) if k in peak else "–" for k in ("main", "extract", "worker")),
                       _f(other) if other else "–"])


def render_crawl(r: dict[str, Any], rss: dict[str, Any] | None = None) -> list[str]:
    """Section (a): the three crawls of each round, their ratios, RSS; the 20k RSS run."""
    out = [
        f"## (a) Crawl throughput and the whole run — generated portal, {r['articles']:,} "
        f"articles, {r['site_pages']:,} pages",
        "",
        "| round | crawler | load avg at start | wall s | × bare | engine s | pages "
        "| CPU ms/page: main / extract / enrich worker | peak RSS MB (all processes) "
        "| peak MB: main / extract / enrich worker / other | server CPU s |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, runs in enumerate(r["rounds"], 1):
        for kind in ("bare", "crawl", "whole"):
            x = runs[kind]
            ratio = f"**{x['ratio']:.2f}×**" if "ratio" in x else "1"
            out.append(
                f"| {i} | {LABELS[kind]} | {x['load']} | {_f(x['wall'])} | {ratio} | "
                f"{_f(x['engine_s'])} | {x['pages']:,} | {_cpu_split(x)} | "
                f"{_f(x['tree_peak_mb'])} | {_peak_split(x)} | {_f(x['server_cpu'], 2)} |")
    crawl = _median([runs["crawl"]["ratio"] for runs in r["rounds"]])
    whole = _median([runs["whole"]["ratio"] for runs in r["rounds"]])
    last = r["rounds"][-1]
    st = last["whole"].get("stats", {})
    verdict = lambda x, target: "meets" if x <= target else "misses"  # noqa: E731
    out += [
        "",
        f"- **Crawl-only: {crawl:.2f}×** the bare spider's wall time (median of "
        f"{len(r['rounds'])} round(s); {verdict(crawl, CRAWL_TARGET)} the ≤ {CRAWL_TARGET}× "
        f"target). **Whole run: {whole:.2f}×** ({verdict(whole, WHOLE_TARGET)} the ≤ "
        f"{WHOLE_TARGET}× target). Wall = process start to exit, start-up and the closing "
        "wait included; each ratio is against the bare spider of the same round.",
        f"- The whole run's keywords and index rows were made by the worker while the crawl "
        f"ran: {st.get('fanwen/enrich/submitted', 0):,} articles handed over in "
        f"{st.get('fanwen/enrich/rounds', 0):,} rounds "
        f"({_f(st.get('fanwen/enrich/worker_seconds', 0))} s of worker time); at spider_closed "
        f"it waited {_f(st.get('fanwen/enrich/wait_seconds', 0), 2)} s "
        f"for the worker, and the catch-up found {st.get('fanwen/keywords/caught_up', 0)} "
        f"articles without keywords and {st.get('fanwen/search/caught_up', 0)} unindexed.",
        f"- The same work as the old post-crawl stage (`compute_keywords` then "
        f"`sync_search_index`, one process, on the crawl-only corpus): "
        f"{_f(r['post_stage']['wall'])} s wall, {_f(r['post_stage']['cpu'])} CPU s for "
        f"{r['post_stage']['keywords']:,} articles (rjieba).",
        f"- {last['whole']['stored']:,} articles stored, {last['whole']['duplicates']:,} marked "
        "as duplicates. CPU ms/page: CPU seconds of that process ÷ pages (main: from "
        "`os.wait4`, minus its children's); peak RSS: the sum over the crawl's process tree, "
        "sampled every 0.1 s with psutil; server CPU: the portal process's CPU during that "
        "crawl (low = the server was not the bottleneck). The machine is shared (2 cores): "
        "compare the load averages.",
    ]
    if "base" in r:
        b = r["base"]
        out.append(
            f"- Baseline (the tree {r['baseline']}, `--no-keywords`), same run: "
            f"{_f(b['wall'])} s wall, {_f(b['tree_peak_mb'])} MB peak, "
            f"{_f(b['cpu'] / b['pages'] * 1000, 2)} CPU ms/page.")
    if rss is not None:
        five = _median([runs["whole"]["tree_peak_mb"] for runs in r["rounds"]])
        growth = rss["tree_peak_mb"] / five
        ok = rss["tree_peak_mb"] <= RSS_TARGET_MB and growth <= RSS_GROWTH_TARGET
        out += [
            "",
            f"Peak RSS of the whole `fanwen crawl` at {rss['articles']:,} articles "
            f"({rss['site_pages']:,} pages; load average at start {rss['load']}): "
            f"**{_f(rss['tree_peak_mb'])} MB** summed over its processes (peak MB main / "
            f"extract / enrich worker / other: {_peak_split(rss)}), **{growth:.2f}×** the "
            f"{r['articles']:,}-article figure ({_f(five)} MB): "
            f"{'meets' if ok else 'misses'} the ≤ {RSS_TARGET_MB} MB and ≤ "
            f"{RSS_GROWTH_TARGET}× targets. Wall {_f(rss['wall'])} s, {rss['pages']:,} pages, "
            f"{rss['stored']:,} articles stored; CPU ms/page main / extract / enrich worker: "
            f"{_cpu_split(rss)}.",
            "",
            "Tree RSS over that run (MB, every 10 % of the wall time): "
            + ", ".join(_f(mb, 0) for _, mb in rss["samples"][:: max(1, len(rss["samples"]) // 10)])
            + ".",
        ]
    out += ["", "Where the memory goes before anything is fetched (resident MB after each "
            "import, cumulative, fresh interpreter):", "", "| after importing | RSS MB | + MB |",
            "|---|---:|---:|"]
    previous = 0.0
    for label, mb in r["imports"]["steps"]:
        out.append(f"| {label} | {_f(mb)} | {_f(mb - previous) if previous else ''} |")
        previous = mb
    heavy = r["imports"]["heavy_in_crawl"]
    out += ["", "- Heavy modules loaded once `fanwen_crawler.crawl` is imported (of pandas, "
            f"scipy, datasketch, jieba): {', '.join(heavy) if heavy else 'none'}.", ""]
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.crawlbench`: section (a) alone, printed as markdown."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--rss-articles", type=int, default=0,
                        help="also the whole crawl of a portal this large, for peak RSS")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    r = bench_crawl(args.articles, repeats=args.repeats)
    rss = bench_crawl_rss(args.rss_articles) if args.rss_articles else None
    if args.json:
        args.json.write_text(json.dumps({"crawl": r, "rss": rss}, default=str), encoding="utf-8")
    print("\n".join(render_crawl(r, rss)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
