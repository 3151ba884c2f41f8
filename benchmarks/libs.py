"""(d) Library choices: jieba vs rjieba, rensa (ours) vs datasketch MinHash, LSH bands × rows.

- Segmentation speed (characters/s) of jieba vs rjieba (ours since issue 12), both with
  our user words, and how many of jieba's top-10 TF-IDF keywords ours reproduces with the
  same IDF table and stop words; FTS recall of an rjieba index against a jieba one.
- MinHash signature time per document: rensa's RMinHash (ours) vs datasketch (used before),
  and each one's mean absolute error against exact Jaccard on a pair sample.
- LSH: for candidate (bands, rows), the share of pairs with exact Jaccard ≥ 0.8 that
  become candidates (recall), and of pairs < 0.5 (false candidates); plus the end-to-end
  recall of `DuplicateIndex` (LSH + verification) with the configured parameters.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

LSH_CANDIDATES = [
    (9, 4),
    (12, 4),
    (16, 4),
    (8, 5),
    (12, 5),
    (16, 5),
    (20, 5),
    (10, 6),
    (16, 8),
    (32, 4),
]
TARGET_J = 0.8


def _import(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


REAL_TEXTS = Path("datasets") / "chinese-web-content-extraction" / "cleaned"


def shared_texts() -> list[str]:
    """Real article texts (the cleaned set of ../shared/datasets), [] when absent.

    FANWEN_SHARED names the folder holding datasets/ (as for `make eval`).
    """
    root = Path(os.environ.get("FANWEN_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    return [t for p in sorted((root / REAL_TEXTS).glob("*.txt"))
            if len(t := p.read_text(encoding="utf-8")) > 200]


class _JiebaReference:
    """The reference: jieba's own Tokenizer with our user words, jieba's TF-IDF weighting."""

    def __init__(self) -> None:
        from fanwen_crawler.corpus.keywords import KeywordExtractor, jieba_tokenizer

        self.tokenizer = jieba_tokenizer()
        self.ours = KeywordExtractor()  # for the IDF table and stop words only

    def cut(self, text: str) -> list[str]:
        return list(self.tokenizer.cut(text))

    def extract(self, text: str, topk: int = 10) -> list[str]:
        from fanwen_crawler.corpus.keywords import WORDLIKE, tfidf_rank

        idf, unknown = self.ours.idf
        ranked = tfidf_rank(self.cut(text), idf, unknown, self.ours.stop_words)
        return [w for w, _ in ranked if WORDLIKE.search(w)][:topk]


def bench_segmentation(texts: list[str]) -> dict[str, Any]:
    """jieba (the reference) against our rjieba-based KeywordExtractor, on the same texts.

    Both use our user words, jieba's IDF table and our stop words: the keyword overlap
    measures the segmenters alone.
    """
    from fanwen_crawler.corpus.keywords import KeywordExtractor

    chars = sum(len(t) for t in texts)
    ref = _JiebaReference()
    ref.cut("预热")
    started = time.perf_counter()
    jieba_tokens = [ref.cut(t) for t in texts]
    jieba_s = time.perf_counter() - started
    ours = KeywordExtractor()
    ours.extract("预热")  # loads the tokenizer and the IDF table
    started = time.perf_counter()
    r_tokens = [ours.cut(t) for t in texts]
    r_s = time.perf_counter() - started
    result: dict[str, Any] = {
        "texts": len(texts),
        "chars": chars,
        "jieba_chars_per_s": chars / jieba_s,
        "rjieba_chars_per_s": chars / r_s,
    }
    started = time.perf_counter()
    ours_top = [[w for w, _ in ours.extract(t)] for t in texts]
    result["keywords_ms_per_text"] = (time.perf_counter() - started) / len(texts) * 1000
    overlaps, same_tokens = [], []
    for text, jt, rt, top in zip(texts, jieba_tokens, r_tokens, ours_top, strict=True):
        theirs = ref.extract(text)
        if theirs:
            overlaps.append(len(set(top) & set(theirs)) / len(theirs))
        same_tokens.append(len(set(jt) & set(rt)) / max(1, len(set(jt) | set(rt))))
    result["top10_overlap"] = float(np.mean(overlaps))
    result["token_set_jaccard"] = float(np.mean(same_tokens))
    queries = sorted({w for text in texts[:60] for w in ref.extract(text)})
    result.update(fts_recall(texts, queries))
    return result


def fts_recall(texts: list[str], queries: list[str]) -> dict[str, Any]:
    """Documents found per query with our (rjieba) FTS5 index, against a jieba-built one.

    Both indexes are built as `corpus.search_index` builds its own (search-mode words,
    unicode61) and queried with its `fts_query`, each with its own segmenter; recall = the
    share of the documents the jieba index finds that ours finds too, over all hits.
    """
    import sqlite3

    from fanwen_crawler.corpus.search_index import default_segmenter, fts_query, segment

    hits = {}
    for name in ("jieba", "rjieba"):
        seg = default_segmenter(name)
        con = sqlite3.connect(":memory:")
        con.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 "
                    "remove_diacritics 0')")
        con.executemany("INSERT INTO t (rowid, body) VALUES (?, ?)",
                        [(i, segment(text, seg)) for i, text in enumerate(texts)])
        found = set()
        for q in queries:
            expression = fts_query(q, seg)
            if expression:
                found |= {(q, r) for (r,) in con.execute(
                    "SELECT rowid FROM t WHERE t MATCH ?", [expression])}
        hits[name] = found
        con.close()
    ref = hits["jieba"]
    return {"fts_queries": len(queries), "fts_hits": len(ref),
            "fts_recall": len(ref & hits["rjieba"]) / len(ref) if ref else float("nan"),
            "fts_extra": len(hits["rjieba"] - ref)}


def _pairs(texts: list[str], n_pairs: int, seed: int = 5) -> list[tuple[str, str]]:
    """Pairs spanning Jaccard ~0.3–1.0: a text and a copy with random character edits."""
    from benchmarks.neardup import edit_chars

    rng = random.Random(seed)
    pairs = []
    for _ in range(n_pairs):
        a = rng.choice(texts)
        share = rng.choice([0.005, 0.01, 0.015, 0.018, 0.02, 0.022, 0.025, 0.028, 0.04, 0.1])
        pairs.append((a, edit_chars(rng, a, max(1, int(len(a) * share)))))
    return pairs


def bench_minhash_and_lsh(texts: list[str], n_pairs: int) -> dict[str, Any]:
    from fanwen_crawler.corpus.dedupe import (
        NUM_PERM,
        SEED,
        DuplicateFinder,
        Probe,
        minhash_of,
        shingles,
    )

    result: dict[str, Any] = {"docs": len(texts), "pairs": n_pairs}
    started = time.perf_counter()
    for t in texts:
        minhash_of(t)
    result["ours_ms"] = (time.perf_counter() - started) / len(texts) * 1000
    datasketch = _import("datasketch")
    if datasketch is not None:
        started = time.perf_counter()
        for t in texts:  # shingling included, as in minhash_of; the scheme used before rensa
            m = datasketch.MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32")
            m.update_batch([s.encode("utf-8") for s in shingles(t)])
        result["datasketch_ms"] = (time.perf_counter() - started) / len(texts) * 1000
    else:
        result["datasketch"] = "not installed"
    started = time.perf_counter()
    for t in texts:
        shingles(t)
    result["shingling_ms"] = (time.perf_counter() - started) / len(texts) * 1000

    pairs = _pairs(texts, n_pairs)
    exact = np.array([_jaccard(shingles(a), shingles(b)) for a, b in pairs])
    sig_a = np.array([minhash_of(a).hashvalues for a, _ in pairs], dtype=np.uint32)
    sig_b = np.array([minhash_of(b).hashvalues for _, b in pairs], dtype=np.uint32)
    est = (sig_a == sig_b).mean(axis=1)
    result["ours_mae"] = float(np.abs(est - exact).mean())
    if datasketch is not None:
        errs = []
        for (a, b), j in zip(pairs, exact, strict=True):
            ma = datasketch.MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32")
            mb = datasketch.MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32")
            ma.update_batch([s.encode("utf-8") for s in shingles(a)])
            mb.update_batch([s.encode("utf-8") for s in shingles(b)])
            errs.append(abs(ma.jaccard(mb) - j))
        result["datasketch_mae"] = float(np.mean(errs))
    high, low = exact >= TARGET_J, exact < 0.5
    edge = (exact >= TARGET_J) & (exact < TARGET_J + 0.05)
    result["pairs_ge_0.8"], result["pairs_lt_0.5"] = int(high.sum()), int(low.sum())
    result["pairs_0.80_0.85"] = int(edge.sum())
    table = []
    for bands, rows in LSH_CANDIDATES:
        eq = sig_a[:, : bands * rows] == sig_b[:, : bands * rows]
        candidate = eq.reshape(len(pairs), bands, rows).all(axis=2).any(axis=1)
        table.append(
            {
                "bands": bands,
                "rows": rows,
                "theory_at_0.8": 1 - (1 - TARGET_J**rows) ** bands,
                "recall": float(candidate[high].mean()) if high.any() else float("nan"),
                "recall_0.80_0.85": float(candidate[edge].mean()) if edge.any() else float("nan"),
                "false_candidates_lt_0.5": float(candidate[low].mean()) if low.any() else 0.0,
            }
        )
    result["lsh"] = table
    # End to end: index each pair's first text, ask for the second.
    finder = DuplicateFinder()
    hits, edge_hits = [], []
    for k, ((a, b), j) in enumerate(zip(pairs, exact, strict=True)):
        if j < TARGET_J:
            continue
        finder.recent.add(Probe(f"a{k}", a), None)
        hit = finder.match(Probe(f"b{k}", b)) is not None
        hits.append(hit)
        if j < TARGET_J + 0.05:
            edge_hits.append(hit)
    result["index_recall_ge_0.8"] = float(np.mean(hits)) if hits else float("nan")
    result["index_recall_0.80_0.85"] = float(np.mean(edge_hits)) if edge_hits else float("nan")
    return result


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
