"""Errors are errors: policy skips apart, failures resolved by any later success, and the
`fanwen runs` / `fanwen errors` commands that show them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from fanwen_crawler.corpus.storage import open_corpus
from fanwen_crawler.items import CrawlError
from fanwen_crawler.sample_portal import Resource
from tests.conftest import run_fanwen

FAST = ("--delay", "0", "--concurrency", "8", "--no-keywords", "--set", "RETRY_TIMES=0")


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_storage_counts_repeats_and_keeps_skips_apart(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with open_corpus(db) as corpus:
        for run in (1, 2):
            run_id = corpus.start_run([])
            n = corpus.record_errors([
                CrawlError(url="http://a/404", reason="http_404", status=404),
                CrawlError(url="http://a/member", reason="robots"),
                CrawlError(url="http://a/late", reason="dropped:max_articles"),
            ], run_id)
            assert n == 1, run
    assert _rows(db, "select url, reason, times, last_run_id from crawl_errors") == [
        ("http://a/404", "http_404", 2, 2)]
    assert sorted(_rows(db, "select url, reason, times, first_run_id, last_run_id "
                            "from skipped")) == [
        ("http://a/late", "dropped:max_articles", 2, 1, 2),
        ("http://a/member", "robots", 2, 1, 2)]


@pytest.mark.slow
def test_runs_resolve_skip_and_report(portal: Any, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    home = portal.site.pages["/"]
    portal.site.pages["/"] = Resource(503, {"Content-Type": "text/html"}, b"busy")
    first = run_fanwen("crawl", portal.url, "--db", str(db), *FAST)
    assert first.returncode == 1  # nothing fetched
    start = portal.url
    assert _rows(db, f"select reason, resolved_at from crawl_errors where url = '{start}'") == [
        ("http_503", None)]

    portal.site.pages["/"] = home
    for extra in (("--max-articles", "3"), (), ()):  # then plain runs, no --retry-failed
        proc = run_fanwen("crawl", portal.url, "--db", str(db), *FAST, *extra)
        assert proc.returncode == 0, proc.stderr[-3000:]

    # The start URL answered in a later run: resolved, though no --retry-failed was given.
    [(resolved,)] = _rows(db, f"select resolved_at from crawl_errors where url = '{start}'")
    assert resolved is not None
    # Policy skips are not errors; each skipped URL is one row, counted per run.
    reasons = {r for (r,) in _rows(db, "select reason from crawl_errors")}
    assert not reasons & {"robots", "dropped:max_articles"}, reasons
    robots = _rows(db, "select times from skipped where reason = 'robots'")
    assert robots and all(times >= 2 for (times,) in robots), robots
    # A page that is still missing is one error row seen twice, not two rows.
    missing = portal.url.rstrip("/") + portal.truth.missing
    [(times, resolved)] = _rows(
        db, f"select times, resolved_at from crawl_errors where url = '{missing}'")
    assert times >= 2 and resolved is None

    runs = run_fanwen("runs", "--db", str(db), "--json")
    assert runs.returncode == 0, runs.stderr
    listed = [json.loads(line) for line in runs.stdout.splitlines()]
    assert [r["id"] for r in listed] == [4, 3, 2, 1]
    assert listed[0]["status"] == "finished" and listed[2]["resolved"] >= 1
    assert "robots" in listed[0]["skipped"]
    unresolved = run_fanwen("errors", "--db", str(db), "--unresolved")
    assert unresolved.returncode == 0, unresolved.stderr
    assert missing in unresolved.stdout and f"{start} " not in unresolved.stdout
    assert start in run_fanwen("errors", "--db", str(db)).stdout  # kept, marked resolved
    skipped = run_fanwen("errors", "--db", str(db), "--skipped").stdout
    assert "robots" in skipped and "http_404" not in skipped
