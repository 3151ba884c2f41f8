"""The crash-safe SQLite frontier: SIGKILL / SIGTERM mid-crawl, resume, nothing fetched twice
but what was in flight; a state dir written by another Scrapy version resumes."""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from fanwen_crawler.frontier import COMMIT_EVERY, FILENAME, open_frontier_db
from tests.conftest import FANWEN, ROOT

pytestmark = pytest.mark.slow


def test_engine_still_exposes_its_requests_in_progress() -> None:
    # The one piece of Scrapy internals the frontier reads (see fanwen_crawler.frontier).
    from scrapy.core.engine import _Slot

    assert "inprogress" in _Slot.__init__.__code__.co_names
    assert "remove_request" in vars(_Slot)


def _articles(db: Path) -> list[str]:
    con = sqlite3.connect(db, timeout=5)
    try:
        return [r[0] for r in con.execute("select url from articles")]
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def _cmd(portal: Any, db: Path, state: Path, delay: str) -> list[str]:
    return [*FANWEN, "crawl", portal.url, "--db", str(db), "--state-dir", str(state),
            "--delay", delay, "--concurrency", "1", "--quiet", "--no-keywords",
            "--set", "FANWEN_BATCH_SIZE=5"]


def _pages(paths: list[str]) -> list[str]:
    return [p for p in paths if p != "/robots.txt"]


def _resume_and_check(portal: Any, db: Path, state: Path, mark: int) -> list[str]:
    first = set(_pages(portal.requests[:mark]))
    again = subprocess.run(_cmd(portal, db, state, "0"), cwd=ROOT, capture_output=True,
                           text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    base = portal.url.rstrip("/")
    urls = _articles(db)
    assert sorted(urls) == sorted(base + a.url for a in portal.truth.articles)  # each once
    second = _pages(portal.requests[mark:])
    assert len(second) == len(set(second))
    return [p for p in second if p in first]


@pytest.mark.parametrize("after", [6, 40])
def test_sigkill_then_resume_refetches_only_what_was_in_flight(portal: Any, tmp_path: Path,
                                                              after: int) -> None:
    db, state = tmp_path / "c.db", tmp_path / "state"
    proc = subprocess.Popen(_cmd(portal, db, state, "0.1"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(_pages(portal.requests)) < after and time.monotonic() < deadline:
        assert proc.poll() is None, "crawl finished before it could be killed"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    mark = len(portal.requests)
    assert (state / "jobdir" / FILENAME).exists()
    refetched = _resume_and_check(portal, db, state, mark)
    # One request in flight (concurrency 1) plus the finished ones of the open transaction.
    assert len(refetched) <= COMMIT_EVERY, refetched
    lists = set(portal.truth.list_pages) | {"/"}
    first_lists = [p for p in _pages(portal.requests[:mark]) if p in lists]
    assert "/" in first_lists and "/" not in refetched  # the home page was parsed: not again
    assert len([p for p in refetched if p in lists]) <= 1


def test_sigterm_resumes_the_same_way(portal: Any, tmp_path: Path) -> None:
    db, state = tmp_path / "c.db", tmp_path / "state"
    proc = subprocess.Popen(_cmd(portal, db, state, "0.1"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(_pages(portal.requests)) < 20 and time.monotonic() < deadline:
        assert proc.poll() is None, "crawl finished before it could be stopped"
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 4, err[-2000:]
    mark = len(portal.requests)
    refetched = _resume_and_check(portal, db, state, mark)
    assert refetched == []  # a clean stop finishes what is in flight first


def test_state_dir_from_another_scrapy_version_resumes(portal: Any, tmp_path: Path) -> None:
    # A frontier left by a killed run of another Scrapy version: the home page was parsed
    # (seen, gone from the queue), one list page is pending, its row written with an attribute
    # this Scrapy does not know and without those it would add itself.
    from scrapy import Request
    from scrapy.utils.request import RequestFingerprinter

    db, state = tmp_path / "c.db", tmp_path / "state"
    listing = portal.truth.list_pages[0]
    base = portal.url.rstrip("/")
    conn = open_frontier_db(state / "jobdir" / FILENAME)
    row = {"url": base + listing, "callback": "parse_page", "errback": "on_error",
           "method": "GET", "meta": {"fanwen_kind": "list", "depth": 1}, "priority": -1,
           "from_a_newer_scrapy": True}
    fingerprinter = RequestFingerprinter()
    conn.execute("INSERT INTO frontier_meta VALUES ('scrapy', '9.0')")
    conn.executemany("INSERT INTO seen VALUES (?)", [
        (fingerprinter.fingerprint(Request(u)),) for u in (portal.url, base + listing)])
    conn.execute("INSERT INTO requests (priority, taken, data) VALUES (-1, 1, ?)",
                 [pickle.dumps(row, protocol=4)])
    conn.close()
    (state / "crawl.lock").write_text("999999999")  # as left by a killed run
    done = subprocess.run(_cmd(portal, db, state, "0"), cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "resuming its frontier" in done.stderr
    requested = _pages(portal.requests)
    assert "/" not in requested and requested[0] == listing
    stored = set(_articles(db))
    assert {base + a for a in portal.truth.lists[listing].article_links} <= stored
