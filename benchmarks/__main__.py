"""`python -m benchmarks [--quick]`: measure everything in one run, print, write docs.

The figures go to docs/benchmarks.md.

(a) crawl throughput of `fanwen crawl` vs a bare Scrapy spider on a generated portal,
peak RSS, the keyword stage; (b) per-stage cost per article; (c) near-duplicate
detection time per document as the index grows; (d) jieba vs rjieba, rensa (ours) vs
datasketch MinHash, LSH bands × rows recall; (e) `fanwen crawl` on 100 fresh random
generated portals (portalgen), checked against their ground truth, rates per family.
`--without COMMIT` adds to (a) the same crawl from the current tree minus COMMIT, against
the same portal in the same run.
`make bench` runs this; it is not part of `make test`.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
FULL = {
    "articles": 5000,
    "crawl_repeats": 2,
    "rss_articles": 20_000,
    "stage_articles": 1000,
    "resume_articles": 3000,
    "redis_articles": 1000,
    "near_docs": 1_000_000,
    "checkpoints": [10_000, 100_000, 1_000_000],
    "seg_texts": 500,
    "lsh_docs": 800,
    "pairs": 3000,
    "portal_seeds": 100,
}
QUICK = {
    "articles": 300,
    "crawl_repeats": 1,
    "rss_articles": 600,
    "stage_articles": 200,
    "resume_articles": 300,
    "redis_articles": 300,
    "near_docs": 12_000,
    "checkpoints": [4000, 8000, 12_000],
    "seg_texts": 100,
    "lsh_docs": 200,
    "pairs": 600,
    "portal_seeds": 10,
}
SECTIONS = ["crawl", "resume", "redis", "stages", "neardup", "libs", "portals"]
NOTES_MARKER = "<!-- notes: hand-written below; kept when the numbers above are regenerated -->"
RATIO_TARGET = 0.85
RSS_TARGET_MB = 300
HEAVY_SHARE = 0.2  # a stage above this share of per-article crawl CPU is reported as heavy


def machine() -> dict[str, str]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    date = subprocess.run(["date"], capture_output=True, text=True, check=False).stdout.strip()
    versions = []
    for pkg in ("scrapy", "lxml", "datasketch", "jieba", "rjieba", "rensa"):
        try:
            versions.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            versions.append(f"{pkg} (not installed)")
    return {
        "date": date,
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "versions": ", ".join(versions),
        "load": Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__(),
    }


def _f(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def section_crawl(r: dict[str, Any], rss: dict[str, Any] | None = None) -> list[str]:
    # Rendered by benchmarks.crawlbench (issue 12's whole-run and RSS targets live there).
    from benchmarks.crawlbench import render_crawl

    return render_crawl(r, rss)


def section_stages(r: dict[str, Any]) -> list[str]:
    per = r["per_article"]
    crawl_total = r["crawl_cpu_per_article"]
    out = [
        f"## (b) Per-stage cost per article ({r['articles']:,} generated articles, "
        f"{_f(r['avg_html_bytes'] / 1024)} KB HTML each)",
        "",
        "| stage | ms/article | share of in-crawl CPU |",
        "|---|---:|---:|",
    ]
    for stage, seconds in per.items():
        share = ("enrich worker" if stage in ("keywords", "segment")
                 else f"{seconds / crawl_total:.0%}")
        out.append(f"| {stage} | {_f(seconds * 1000, 3)} | {share} |")
    heavy = [s for s, v in per.items()
             if s not in ("keywords", "segment") and v / crawl_total >= HEAVY_SHARE]
    out += [
        "",
        f"- In-crawl pipeline CPU: {_f(crawl_total * 1000, 2)} ms/article, i.e. at most "
        f"{_f(1 / crawl_total)} articles/s on one core before Scrapy's own per-request cost.",
        f"- The segmenter's dictionary load (rjieba + jieba's IDF table): "
        f"{_f(r['keywords_warmup'], 2)} s once per process.",
        "- Stages at ≥ 20 % of in-crawl CPU: "
        + (", ".join(f"**{s}** ({_f(per[s] * 1000, 2)} ms)" for s in heavy) or "none")
        + ".",
        "- Decode and extract run in the extraction worker process(es) after a crawl's first "
        "100 pages (`FANWEN_EXTRACT_WORKERS`: CPUs − 1), so on two or more cores they leave "
        "the crawl process; the other stages stay in it.",
        "",
    ]
    return out


NEARDUP_COST_FLAT = 1.5
NEARDUP_RSS_MB = 600


def section_neardup(r: dict[str, Any]) -> list[str]:
    base = r.get("baseline", {})
    base_rows = {row["docs"]: row for row in base.get("rows", [])}
    out = [
        f"## (c) Near-duplicate detection, {r['n']:,} synthetic documents",
        "",
        "Every document goes the crawl's way: signature, lookup (recent in-memory "
        "generations, then the corpus database's `lsh_bands`), `Corpus.write_articles` in "
        "batches of 50 (bands filled by trigger; the lookup is repeated inside the write "
        "transaction only if another connection committed since, which none does here). "
        "CPU ms per document (this process's CPU time, so the other jobs on the machine do "
        f"not count) over the {r.get('window', 2000):,} documents ending at each checkpoint. "
        f"Baseline, same run, same documents: the in-memory `DuplicateIndex` of "
        f"{base.get('commit', '?')} (no database, so nothing stored: compare it with MinHash "
        "+ lookup; its own process).",
        "",
        "| documents | MinHash ms | lookup ms | store ms | total ms/doc | vs 1st checkpoint "
        "| RSS MB | baseline ms/doc (MinHash + find + add) | ours (MinHash + lookup) ÷ baseline "
        "| baseline RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    first_total = None
    for row in r["rows"]:
        total = row["minhash_ms"] + row["index_ms"] + row["store_ms"]
        first_total = first_total or total
        b = base_rows.get(row["docs"])
        b_total = b["minhash_ms"] + b["index_ms"] if b else None
        out.append(
            f"| {row['docs']:,} | {_f(row['minhash_ms'], 3)} | {_f(row['index_ms'], 3)} | "
            f"{_f(row['store_ms'], 3)} | {_f(total, 3)} | {total / first_total:.2f}× | "
            f"{_f(row['rss_mb'])} | "
            + (f"{_f(b_total, 3)} | {(row['minhash_ms'] + row['index_ms']) / b_total:.2f}× | "
               f"{_f(b['rss_mb'])} |" if b
               else "— | — | — |")
        )
    rows = r["rows"]
    first, last = rows[0], rows[-1]
    growth = sum(last[k] for k in ("minhash_ms", "index_ms", "store_ms")) / sum(
        first[k] for k in ("minhash_ms", "index_ms", "store_ms"))
    flat = "meets" if growth <= NEARDUP_COST_FLAT else "misses"
    rss = "meets" if r["peak_rss_mb"] <= NEARDUP_RSS_MB else "misses"
    recall = "meets" if r["recall_ge_0.8"] >= 0.99 else "misses"
    false = "meets" if r["marked_below_0.75"] == 0 else "misses"
    out += [
        "",
        f"- Cost per document at {last['docs']:,} vs {first['docs']:,}: **{growth:.2f}×** "
        f"({flat} the ≤ {NEARDUP_COST_FLAT}× target). Peak RSS **{_f(r['peak_rss_mb'])} MB** "
        f"({rss} the ≤ {NEARDUP_RSS_MB} MB target; {_f(r['rss_start_mb'])} MB before the "
        f"first document). Database {_f(r['db_mb'])} MB on disk.",
        f"- Planted near-duplicates {r['planted_near']:,}, of which {r['planted_ge_0.8']:,} "
        f"have exact Jaccard ≥ 0.8: recall **{r['recall_ge_0.8']:.4f}** ({recall} ≥ 0.99). "
        f"Planted in [0.75, 0.8): {r['planted_0.75_0.8']:,}, marked {r['marked_0.75_0.8']:,}. "
        f"Exact re-posts {r['exact_planted']:,}, marked {r['exact_found']:,}.",
        f"- Near marks stored: {r['near_marked']:,}; below J 0.75: "
        f"**{r['marked_below_0.75']}** ({false} the target), below 0.8: "
        f"{r['marked_below_0.8']}; lowest exact J of a mark {r['min_marked_j']:.3f}.",
    ]
    if r["n"] < r.get("requested", r["n"]):
        out.append(f"- Stopped at {r['n']:,} of {r['requested']:,} documents (time limit).")
    if base_rows:
        b_first, b_last = base["rows"][0], base["rows"][-1]
        b_growth = (b_last["minhash_ms"] + b_last["index_ms"]) / (
            b_first["minhash_ms"] + b_first["index_ms"])
        out.append(
            f"- Baseline: RSS grew {_f(b_last['rss_mb'] - base['rss_start_mb'])} MB for "
            f"{b_last['docs']:,} documents "
            f"({_f((b_last['rss_mb'] - base['rss_start_mb']) * 1024 / b_last['docs'], 2)} "
            f"KB/document); ours grew {_f(last['rss_mb'] - r['rss_start_mb'])} MB for "
            f"{last['docs']:,}. Baseline cost at {b_last['docs']:,} vs {b_first['docs']:,}: "
            f"{b_growth:.2f}×."
        )
    out.append("")
    return out


def section_resume(r: dict[str, Any]) -> list[str]:
    conc = r["concurrency"]
    out = [
        f"## (e) Resume after SIGKILL — generated portal, {r['articles']:,} articles, "
        f"{r['site_pages']:,} pages, concurrency {conc}",
        "",
        "One `fanwen crawl --state-dir` killed (SIGKILL) when the portal had served 25%, 50% "
        "and 75% of its pages, resumed each time with the same command. Baseline, same run, "
        "same portal: the same command on Scrapy's own scheduler (JOBDIR disk queues, "
        "restarted after an unclean stop).",
        "",
        "| kill point | pages fetched before | fetched again (ours) | fetched again (baseline) "
        "| ours ÷ baseline |",
        "|---|---:|---:|---:|---:|",
    ]
    for k, (o, b) in enumerate(zip(r["ours"]["points"], r["base"]["points"], strict=True)):
        ratio = o["refetched"] / b["refetched"] if b["refetched"] else float("nan")
        out.append(f"| {k + 1} | {o['fetched_before']:,} | {o['refetched']} | "
                   f"{b['refetched']} | {ratio:.2f}× |")
    worst = max(p["refetched"] for p in r["ours"]["points"])
    ok = "meets" if worst <= conc else "misses"
    stored = r["ours"]["articles"] == r["ours"]["distinct"] == r["expected_articles"]
    out += [
        "",
        f"- Worst point: **{worst}** pages fetched twice ({ok} the ≤ {conc} target). Articles "
        f"stored: {r['ours']['articles']:,} rows, {r['ours']['distinct']:,} distinct URLs, of "
        f"{r['expected_articles']:,} ({'each once' if stored else 'NOT each once'}); "
        f"pages requested in all {r['ours']['pages_total']:,} (baseline "
        f"{r['base']['pages_total']:,}) for {r['ours']['pages_distinct']:,} distinct.",
        f"- The same crawl uninterrupted: {_f(r['state_wall'])} s with `--state-dir`, "
        f"{_f(r['plain_wall'])} s without (**{r['state_wall'] / r['plain_wall']:.2f}×**; wall "
        "time of the whole command).",
        "",
    ]
    return out


def section_redis(r: dict[str, Any]) -> list[str]:
    out = ["## (f) Redis: SIGKILL one of two workers, no sweep", ""]
    if "skipped" in r:
        return [*out, f"Skipped: {r['skipped']}.", ""]
    o, b = r["ours"], r["base"]
    out += [
        f"Generated portal, {r['articles']:,} articles, {r['site_pages']:,} pages; two workers, "
        f"concurrency {r['concurrency']} each; worker A SIGKILLed at half the pages, B finishes "
        "alone, the shards are merged. Baseline, same run, same portal: scrapy-redis' own "
        "scheduler and queue.",
        "",
        "| frontier | articles in the merged corpus | of | missing | pages fetched twice |",
        "|---|---:|---:|---:|---:|",
        f"| reliable queue (ours) | {o['distinct']:,} | {r['articles']:,} | "
        f"{r['articles'] - o['distinct']:,} | {o['twice']} |",
        f"| scrapy-redis (baseline) | {b['distinct']:,} | {r['articles']:,} | "
        f"{r['articles'] - b['distinct']:,} | {b['twice']} |",
        "",
        f"- Every article stored once: **{'yes' if o['distinct'] == r['articles'] else 'no'}** "
        f"(ours), {'yes' if b['distinct'] == r['articles'] else 'no'} (baseline). Pages "
        f"fetched twice: {o['twice']} (A's in-flight limit: {r['concurrency']}).",
        "",
    ]
    return out


def section_libs(seg: dict[str, Any], mh: dict[str, Any],
                 real: dict[str, Any] | None = None) -> list[str]:
    out = [
        "## (d) Libraries",
        "",
        f"Segmentation of {seg['texts']} article bodies ({seg['chars']:,} characters):",
        "",
        "| tokenizer | characters/s |",
        "|---|---:|",
        f"| jieba (the reference: own Tokenizer + userdict) | {_f(seg['jieba_chars_per_s'], 0)} |",
    ]
    if "rjieba_chars_per_s" in seg:
        out += [
            f"| rjieba (ours since issue 12: `KeywordExtractor`, + userdict) "
            f"| {_f(seg['rjieba_chars_per_s'], 0)} |",
            "",
            f"- rjieba is {seg['rjieba_chars_per_s'] / seg['jieba_chars_per_s']:.1f}× faster; "
            f"**top-10 TF-IDF keyword overlap with jieba's** (same IDF table, stop words and "
            f"user words): **{seg['top10_overlap']:.1%}** (adoption needs ≥ 95%); token-set "
            f"Jaccard {seg['token_set_jaccard']:.3f}; keywords of one text "
            f"{_f(seg.get('keywords_ms_per_text', 0.0), 3)} ms (segmentation and TF-IDF).",
            f"- Search index: {seg['fts_queries']} queries (jieba's top keywords of 60 texts) "
            f"over an FTS5 index of the {seg['texts']} texts, built and queried as "
            f"`corpus.search_index` does, once with jieba and once with rjieba: ours (rjieba) "
            f"finds **{seg['fts_recall']:.1%}** of the {seg['fts_hits']:,} (query, text) hits "
            f"of jieba's (and {seg['fts_extra']:,} others).",
        ]
    else:
        out += ["", f"- rjieba: {seg.get('rjieba')}."]
    if real is not None:
        out.append(
            f"- The same on {real['texts']} real articles ({real['chars']:,} characters, "
            "../shared/datasets/chinese-web-content-extraction/cleaned): rjieba "
            f"{real['rjieba_chars_per_s'] / real['jieba_chars_per_s']:.1f}× faster, **top-10 "
            f"overlap {real['top10_overlap']:.1%}**, token-set Jaccard "
            f"{real['token_set_jaccard']:.3f}, FTS recall **{real['fts_recall']:.1%}** of "
            f"{real['fts_hits']:,} hits ({real['fts_queries']} queries).")
    else:
        out.append("- Real articles: ../shared/datasets not found (skipped).")
    out += [
        "",
        f"MinHash (128 permutations, character 5-shingles) over {mh['docs']} documents:",
        "",
        "| implementation | ms/document (shingling included) | mean abs. error vs exact Jaccard |",
        "|---|---:|---:|",
        f"| rensa RMinHash (ours: `minhash_of`) | {_f(mh['ours_ms'], 3)} | {mh['ours_mae']:.4f} |",
    ]
    if "datasketch_ms" in mh:
        out.append(
            f"| datasketch MinHash (before; affine32, seed 1) | {_f(mh['datasketch_ms'], 3)} "
            f"| {mh['datasketch_mae']:.4f} |"
        )
    else:
        out.append(f"| datasketch | {mh.get('datasketch')} | |")
    out += [
        "",
        f"(Shingling alone: {_f(mh['shingling_ms'], 3)} ms/document.)",
        "",
        f"LSH bands × rows on {mh['pairs']:,} document pairs with known exact Jaccard "
        f"({mh['pairs_ge_0.8']} pairs ≥ 0.8, of which {mh['pairs_0.80_0.85']} in [0.80, 0.85); "
        f"{mh['pairs_lt_0.5']} pairs < 0.5):",
        "",
        "| bands × rows | P(candidate) at J=0.8 | recall J ≥ 0.8 | recall J ∈ [0.80, 0.85) "
        "| candidates among J < 0.5 |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in mh["lsh"]:
        out.append(
            f"| {row['bands']} × {row['rows']} | {row['theory_at_0.8']:.3f} | "
            f"{row['recall']:.3f} | {row['recall_0.80_0.85']:.3f} | "
            f"{row['false_candidates_lt_0.5']:.3f} |"
        )
    out += [
        "",
        f"- End to end (`DuplicateFinder`: configured LSH + exact Jaccard verification): recall "
        f"{mh['index_recall_ge_0.8']:.3f} for J ≥ 0.8, {mh['index_recall_0.80_0.85']:.3f} "
        f"for J ∈ [0.80, 0.85).",
        "",
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a fast check")
    parser.add_argument("--articles", type=int, help="articles in the generated portal")
    parser.add_argument("--near-docs", type=int, help="documents for the near-dup benchmark")
    parser.add_argument(
        "--only",
        nargs="*",
        choices=SECTIONS,
        help="run only these sections",
    )
    parser.add_argument(
        "--without",
        metavar="COMMIT",
        action="append",
        default=None,
        help="also crawl with the current tree minus COMMIT (a temporary git "
        "worktree), in the same run: that commit's before/after; "
        "repeat for several, newest first",
    )
    parser.add_argument(
        "--baseline-patch",
        type=Path,
        default=None,
        help="a patch applied to the --without tree (git apply)",
    )
    parser.add_argument(
        "--near-time-limit",
        type=float,
        default=None,
        help="stop the near-duplicate run at the first checkpoint after this many seconds",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"markdown output (default {DEFAULT_OUT.relative_to(ROOT)}; "
        "--quick writes nowhere unless given)",
    )
    parser.add_argument("--portal-seeds", type=int, help="random generated portals to crawl")
    parser.add_argument("--portal-articles", type=int, help="articles per generated portal "
                        "(default: each seed's own, 15–30)")
    args = parser.parse_args(argv)
    size = dict(QUICK if args.quick else FULL)
    if args.articles:
        size["articles"] = args.articles
    if args.near_docs:
        size["near_docs"] = args.near_docs
        size["checkpoints"] = sorted({min(10_000, args.near_docs // 10),
                                      args.near_docs // 10, args.near_docs})
    if args.portal_seeds:
        size["portal_seeds"] = args.portal_seeds
    only = set(args.only or SECTIONS)
    info = machine()
    started = time.monotonic()
    command = "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv)
    stamp = (f"_Measured by `{command.strip()}` on {info['date']}; load average at start "
             f"{info['load']}._")
    header = [
        "# Benchmarks",
        "",
        "Each section is regenerated by the run that measured it (its first line says which); "
        "every ratio in a section is against a baseline measured in that same run.",
        "",
        f"Machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}; "
        f"{info['versions']}.",
        "",
    ]
    blocks: dict[str, list[str]] = {}
    out = args.out or (None if args.quick else DEFAULT_OUT)

    def emit(name: str, block: list[str]) -> None:
        blocks[name] = [stamp, "", *block]
        print("\n".join(blocks[name]), flush=True)
        if out is not None:  # after each section: a later failure keeps what was measured
            write_markdown(out, header, blocks)

    print("\n".join(header), flush=True)
    if "crawl" in only:
        from benchmarks.crawlbench import bench_crawl, bench_crawl_rss

        crawl = bench_crawl(size["articles"], baseline=args.without,
                            baseline_patch=args.baseline_patch, repeats=size["crawl_repeats"])
        emit("crawl", section_crawl(crawl, bench_crawl_rss(size["rss_articles"])))
    if "resume" in only:
        from benchmarks.resumebench import bench_resume

        emit("resume", section_resume(bench_resume(size["resume_articles"])))
    if "redis" in only:
        from benchmarks.redisbench import bench_redis

        emit("redis", section_redis(bench_redis(size["redis_articles"])))
    if "stages" in only:
        from benchmarks.stages import bench_stages

        emit("stages", section_stages(bench_stages(size["stage_articles"])))
    if "neardup" in only:
        from benchmarks.neardup import bench_neardup

        emit("neardup", section_neardup(bench_neardup(
            size["near_docs"], size["checkpoints"], time_limit=args.near_time_limit)))
    if "libs" in only:
        from benchmarks.libs import bench_minhash_and_lsh, bench_segmentation, shared_texts
        from benchmarks.neardup import synthetic_docs

        texts = [b for _, b, o in synthetic_docs(size["lsh_docs"] * 2, seed=23) if o is None]
        real = shared_texts()
        emit("libs", section_libs(
            bench_segmentation(texts[: size["seg_texts"]]),
            bench_minhash_and_lsh(texts[: size["lsh_docs"]], size["pairs"]),
            bench_segmentation(real) if real else None))
    if "portals" in only:
        from benchmarks.portalsweep import bench_portals, section_portals

        emit("portals", section_portals(bench_portals(size["portal_seeds"],
                                                      articles=args.portal_articles)))
    load = Path("/proc/loadavg").read_text().split(" ", 3)[:3]
    print(f"Total benchmark time {time.monotonic() - started:,.0f} s; load average at the end: "
          f"{load}.", flush=True)
    if out is not None:
        print(f"written to {out}", file=sys.stderr)
    return 0


def _marker(name: str, end: bool = False) -> str:
    return f"<!-- {'/' if end else ''}section:{name} -->"


def write_markdown(out: Path, header: list[str], blocks: dict[str, list[str]]) -> None:
    """Write the sections measured now; keep the others (and the notes) from the old file."""
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    notes = NOTES_MARKER + old.split(NOTES_MARKER, 1)[1] if NOTES_MARKER in old else ""
    lines = list(header)
    for name in SECTIONS:
        if name in blocks:
            body = "\n".join(blocks[name])
        elif _marker(name) in old and _marker(name, end=True) in old:
            body = old.split(_marker(name), 1)[1].split(_marker(name, end=True), 1)[0].strip("\n")
        else:
            continue
        lines += [_marker(name), body, _marker(name, end=True), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + ("\n" + notes if notes else ""), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
