"""(c) Near-duplicate detection at scale: `DuplicateIndex` over N synthetic documents.

Documents are composed from the sample portal's sentences (200–600 characters); 8% are
planted near-duplicates (an earlier document with a few characters edited) and 2%
exact re-posts. Per-document time is reported per window of 1,000 documents ending at
each checkpoint, split into MinHash (constant per document) and index (LSH query +
insert: the part that could grow with N), with peak RSS at each checkpoint.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

WINDOW = 1000
NEAR_SHARE = 0.08
EXACT_SHARE = 0.02


def edit_chars(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        i = rng.randrange(len(chars))
        chars[i] = chr(0x4E00 + rng.randrange(0x5000))
    return "".join(chars)


def synthetic_docs(n: int, seed: int = 11) -> list[tuple[str, str, str | None]]:
    """(url, body, planted original URL or None) for n documents."""
    from benchmarks.sitegen import compose_text, sentence_pool

    rng = random.Random(seed)
    pool = sentence_pool()
    docs: list[tuple[str, str, str | None]] = []
    for i in range(n):
        url = f"http://bench.example/{i}.html"
        roll = rng.random()
        if docs and roll < EXACT_SHARE:
            j = rng.randrange(len(docs))
            docs.append((url, docs[j][1], docs[j][2] or docs[j][0]))
        elif docs and roll < EXACT_SHARE + NEAR_SHARE:
            j = rng.randrange(len(docs))
            body = docs[j][1]
            docs.append(
                (url, edit_chars(rng, body, max(1, len(body) // 200)), docs[j][2] or docs[j][0])
            )
        else:
            docs.append(
                (
                    url,
                    f"第{i}篇。" + "\n".join(compose_text(rng, pool, rng.randint(200, 600))),
                    None,
                )
            )
    return docs


def rss_mb() -> float:
    """Current resident set size of this process (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_neardup(n: int, checkpoints: list[int]) -> dict[str, Any]:
    from fanwen_crawler.corpus.dedupe import DuplicateIndex, content_hash, minhash_of

    docs = synthetic_docs(n)
    index = DuplicateIndex()
    rss0 = rss_mb()  # after generating the documents: growth is the index's
    marks = set(checkpoints)
    window_hash = window_index = 0.0
    rows = []
    found = correct = planted = 0
    for i, (url, body, original) in enumerate(docs, 1):
        t0 = time.perf_counter()
        digest = content_hash(body)
        m = minhash_of(body)
        t1 = time.perf_counter()
        match = index.find(url, digest, m)
        index.add(url, digest, m, duplicate_of=match[0] if match else None)
        t2 = time.perf_counter()
        if any(c - WINDOW < i <= c for c in marks):
            window_hash += t1 - t0
            window_index += t2 - t1
        planted += original is not None
        if match:
            found += 1
            correct += original is not None and match[0] == original
        if i in marks:
            rows.append(
                {
                    "docs": i,
                    "minhash_ms": window_hash / WINDOW * 1000,
                    "index_ms": window_index / WINDOW * 1000,
                    "rss_mb": rss_mb(),
                }
            )
            window_hash = window_index = 0.0
    return {
        "n": n,
        "rows": rows,
        "planted": planted,
        "found": found,
        "correct": correct,
        "rss_start_mb": rss0,
    }
