"""Two crawls of identical text into one database at the same time mark each other's copies.

Each dedupe pipeline reads the LSH bands and content hashes from the database on every
lookup, and the store looks again inside its write transaction, so a copy the other crawl
committed a moment earlier counts (issue 13).
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from fanwen_crawler.corpus.storage import open_corpus
from fanwen_crawler.sample_portal import serve_portal
from tests.conftest import FANWEN, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.reliability]


def test_two_crawls_of_identical_text_at_once_mark_the_copies(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    open_corpus(db).close()
    with serve_portal() as one, serve_portal() as two:
        procs = [subprocess.Popen(
            [*FANWEN, "crawl", p.url, "--db", str(db), "--delay", "0", "--concurrency", "2",
             "--quiet", "--no-keywords", "--set", "FANWEN_BATCH_SIZE=3",
             "--set", "FANWEN_FLUSH_SECONDS=0.2"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for p in (one, two)]
        errs = [p.communicate(timeout=300)[1] for p in procs]
        for p, err in zip(procs, errs, strict=True):
            assert p.returncode == 0, err[-3000:]
        truth = one.truth.articles
        bases = (one.url.rstrip("/"), two.url.rstrip("/"))
    con = sqlite3.connect(db)
    rows = {u: (i, d) for u, i, d in con.execute("select url, id, duplicate_of from articles")}
    con.close()

    def root(url: str) -> int:
        own, duplicate_of = rows[url]
        return duplicate_of if duplicate_of is not None else own

    pairs = [(bases[0] + a.url, bases[1] + a.url) for a in truth]
    stored = [(x, y) for x, y in pairs if x in rows and y in rows]
    assert len(stored) == len(pairs), "articles lost under concurrent writes"
    assert all(root(x) == root(y) for x, y in stored)  # every copy marked, across the crawls
    originals = [u for u, (_, d) in rows.items() if d is None]
    assert len(originals) == len({root(u) for u in rows})
    assert len(originals) <= len([a for a in truth if a.duplicate_of is None])
