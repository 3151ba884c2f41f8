"""(c) Near-duplicate detection at scale: the corpus-backed `DuplicateFinder` over N documents.

Documents are composed from the sample portal's sentences (200–600 characters), each a
pure function of its number, so nothing but a few integers per document is kept: 8% are
planted near-duplicates of an earlier original (a share of 0.3–6% of its characters
replaced: exact Jaccard from ~0.6 to ~0.99) and 2% exact re-posts. Every document goes
the crawl's way: signature, lookup (`DuplicateFinder.match`: recent in-memory generations,
then the database's `lsh_bands`), and `Corpus.write_articles` in batches of 50 (which fills
the band table by trigger, and repeats the lookup inside the transaction only if another
connection has committed since: none does here, as in a single crawl).

Per-document time is taken over the `WINDOW` documents ending at each checkpoint. After
each batch is written, every stored near-duplicate mark is checked against the exact
5-shingle Jaccard of the two stored bodies. The baseline, measured in the same run over the
same documents, is the in-memory `DuplicateIndex` of `BASELINE_COMMIT` (imported from git),
up to `BASELINE_MAX` documents (it holds ~1.8 KB per document in memory).
"""

from __future__ import annotations

import functools
import random
import subprocess
import sys
import tempfile
import time
import types
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

WINDOW = 2000
NEAR_SHARE = 0.08
EXACT_SHARE = 0.02
BATCH = 50
BASELINE_COMMIT = "47ea350"
BASELINE_MAX = 200_000
ROOT = Path(__file__).resolve().parent.parent


def edit_chars(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        i = rng.randrange(len(chars))
        chars[i] = chr(0x4E00 + rng.randrange(0x5000))
    return "".join(chars)


def original_body(i: int, pool: list[str], seed: int) -> str:
    rng = random.Random(seed * 10_000_019 + i)
    from benchmarks.sitegen import compose_text

    return f"第{i}篇。" + "\n".join(compose_text(rng, pool, rng.randint(200, 600)))


def stream_docs(n: int, seed: int = 11) -> Iterator[tuple[str, str, str | None, str | None]]:
    """(url, body, planted original URL or None, "exact"/"near"/None) for n documents."""
    rng = random.Random(seed)
    pool = _pool()
    originals = array("l")
    for i in range(n):
        url = f"http://bench.example/{i}.html"
        roll = rng.random()
        if originals and roll < EXACT_SHARE + NEAR_SHARE:
            j = originals[rng.randrange(len(originals))]
            body = original_body(j, pool, seed)
            if roll >= EXACT_SHARE:
                share = rng.uniform(0.003, 0.06)
                yield url, edit_chars(rng, body, max(1, int(len(body) * share))), \
                    f"http://bench.example/{j}.html", "near"
            else:
                yield url, body, f"http://bench.example/{j}.html", "exact"
        else:
            originals.append(i)
            yield url, original_body(i, pool, seed), None, None


def synthetic_docs(n: int, seed: int = 11) -> list[tuple[str, str, str | None]]:
    """(url, body, planted original URL or None) for n documents, as a list."""
    return [(u, b, o) for u, b, o, _ in stream_docs(n, seed)]


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    """Current resident set size of this process (VmRSS), in MB."""
    return _status("VmRSS")


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM), in MB."""
    return _status("VmHWM")


def _window(marks: set[int], i: int) -> bool:
    return any(c - WINDOW < i <= c for c in marks)


def bench_neardup(n: int, checkpoints: list[int], *, baseline: bool = True,
                  time_limit: float | None = None) -> dict[str, Any]:
    """Run the corpus-backed finder over n documents; the old in-memory index as baseline."""
    result = _bench_ours(n, checkpoints, time_limit)
    if baseline:
        cut = [c for c in checkpoints if c <= BASELINE_MAX] or checkpoints[:1]
        result["baseline"] = _bench_baseline_subprocess(max(cut), cut)
    return result


def _bench_ours(n: int, checkpoints: list[int], time_limit: float | None) -> dict[str, Any]:
    from fanwen_crawler.corpus.dedupe import DuplicateFinder, Probe, jaccard, shingles
    from fanwen_crawler.corpus.storage import open_corpus
    from fanwen_crawler.items import ArticleItem

    marks = set(checkpoints)
    started = time.monotonic()
    rows: list[dict[str, Any]] = []
    t_sig = t_find = t_store = 0.0
    planted: list[tuple[float, bool]] = []  # (exact J, found) of planted near-duplicates
    exact_planted = exact_found = 0
    marked_j: list[float] = []  # exact J of every stored near mark
    rss0 = rss_mb()
    with tempfile.TemporaryDirectory(prefix="neardup-") as tmp:
        corpus = open_corpus(Path(tmp) / "bench.db")
        finder = DuplicateFinder(corpus.db.conn)
        batch: list[tuple[ArticleItem, str | None, str | None, float]] = []
        done = 0

        def write() -> None:
            nonlocal t_store, exact_found
            t0 = time.process_time()
            corpus.write_articles([b[0] for b in batch])
            dt = time.process_time() - t0
            if _window(marks, done):
                t_store += dt
            for item, original, kind, j in batch:
                mark = item.duplicate_of_url
                if kind == "near":
                    planted.append((j, mark == original))
                elif kind == "exact":
                    exact_found += mark == original
                if mark is not None and item.similarity != 1.0:
                    (other,) = corpus.db.execute("SELECT body FROM articles WHERE url = ?",
                                                 [mark]).fetchone()
                    marked_j.append(jaccard(shingles(item.body), shingles(other)))
            batch.clear()

        for i, (url, body, original, kind) in enumerate(stream_docs(n), 1):
            truth = jaccard(shingles(body), shingles(original_of(original))) \
                if kind == "near" and original else 1.0
            exact_planted += kind == "exact"
            t0 = time.process_time()
            probe = Probe(url, body)
            t1 = time.process_time()
            item = ArticleItem(url=url, site="bench.example", title=f"t{i}", body=body)
            finder.mark_probe(item, probe)
            t2 = time.process_time()
            done = i
            if _window(marks, i):
                t_sig += t1 - t0
                t_find += t2 - t1
            batch.append((item, original, kind, truth))
            if len(batch) >= BATCH:
                write()
            if i in marks:
                write()
                rows.append({"docs": i, "minhash_ms": t_sig / WINDOW * 1000,
                             "index_ms": t_find / WINDOW * 1000,
                             "store_ms": t_store / WINDOW * 1000,
                             "rss_mb": rss_mb(), "peak_rss_mb": peak_rss_mb(),
                             "elapsed_s": time.monotonic() - started})
                print(f"neardup: {rows[-1]}", file=sys.stderr, flush=True)
                t_sig = t_find = t_store = 0.0
                if time_limit is not None and time.monotonic() - started > time_limit:
                    break
        write()
        db_mb = (Path(tmp) / "bench.db").stat().st_size / 1e6
        corpus.close()
    high = [found for j, found in planted if j >= 0.8]
    return {
        "n": done, "requested": n, "rows": rows, "window": WINDOW, "rss_start_mb": rss0,
        "peak_rss_mb": peak_rss_mb(), "db_mb": db_mb,
        "planted_near": len(planted), "planted_ge_0.8": len(high),
        "recall_ge_0.8": sum(high) / len(high) if high else float("nan"),
        "planted_0.75_0.8": sum(1 for j, _ in planted if 0.75 <= j < 0.8),
        "marked_0.75_0.8": sum(1 for j, f in planted if 0.75 <= j < 0.8 and f),
        "exact_planted": exact_planted, "exact_found": exact_found,
        "near_marked": len(marked_j),
        "marked_below_0.75": sum(1 for j in marked_j if j < 0.75),
        "marked_below_0.8": sum(1 for j in marked_j if j < 0.8),
        "min_marked_j": min(marked_j) if marked_j else float("nan"),
    }


@functools.cache
def _pool() -> list[str]:
    from benchmarks.sitegen import sentence_pool

    return sentence_pool()


def original_of(url: str, seed: int = 11) -> str:
    """The planted original's body, regenerated from its number (it may not be stored yet)."""
    return original_body(int(url.rsplit("/", 1)[1].split(".")[0]), _pool(), seed)


def _load_baseline_module() -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{BASELINE_COMMIT}:fanwen_crawler/corpus/dedupe.py"], cwd=ROOT,
        capture_output=True, text=True, check=True).stdout
    module = types.ModuleType("baseline_dedupe")
    exec(compile(source, f"{BASELINE_COMMIT}:dedupe.py", "exec"), module.__dict__)
    return module


def _bench_baseline_subprocess(n: int, checkpoints: list[int]) -> dict[str, Any]:
    """The baseline in a fresh process, so its peak RSS is its own."""
    import json

    code = ("import json, sys; from benchmarks.neardup import bench_baseline; "
            f"print(json.dumps(bench_baseline({n}, {checkpoints!r})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_baseline(n: int, checkpoints: list[int]) -> dict[str, Any]:
    """The in-memory `DuplicateIndex` of BASELINE_COMMIT over the same documents."""
    old = _load_baseline_module()
    index = old.DuplicateIndex()
    marks = set(checkpoints)
    rows, t_sig, t_find = [], 0.0, 0.0
    rss0 = rss_mb()
    for i, (url, body, _original, _kind) in enumerate(stream_docs(n), 1):
        t0 = time.process_time()
        digest, m = old.content_hash(body), old.minhash_of(body)
        t1 = time.process_time()
        match = index.find(url, digest, m)
        index.add(url, digest, m, duplicate_of=match[0] if match else None)
        t2 = time.process_time()
        if _window(marks, i):
            t_sig += t1 - t0
            t_find += t2 - t1
        if i in marks:
            rows.append({"docs": i, "minhash_ms": t_sig / WINDOW * 1000,
                         "index_ms": t_find / WINDOW * 1000, "rss_mb": rss_mb(),
                         "peak_rss_mb": peak_rss_mb()})
            t_sig = t_find = 0.0
    return {"n": n, "rows": rows, "rss_start_mb": rss0, "commit": BASELINE_COMMIT}
