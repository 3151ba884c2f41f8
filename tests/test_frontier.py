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

    from fanwen_crawler.fingerprint import CanonicalFingerprinter

    db, state = tmp_path / "c.db", tmp_path / "state"
    listing = portal.truth.list_pages[0]
    base = portal.url.rstrip("/")
    conn = open_frontier_db(state / "jobdir" / FILENAME)
    row = {"url": base + listing, "callback": "parse_page", "errback": "on_error",
           "method": "GET", "meta": {"fanwen_kind": "list", "depth": 1}, "priority": -1,
           "from_a_newer_scrapy": True}
    fingerprinter = CanonicalFingerprinter()  # the crawl's (settings.py)
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


# --- the scheduler on its own (no crawl): rows, replacement, the in-flight limit ----------


class _Spider:
    name = "t"

    def parse(self, response: Any) -> None: ...


def _frontier(tmp_path: Path, concurrency: int = 16) -> Any:
    from types import SimpleNamespace

    from scrapy.utils.test import get_crawler

    from fanwen_crawler.frontier import SqliteFrontier

    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path / "job"),
                                         "CONCURRENT_REQUESTS": concurrency})
    crawler.engine = SimpleNamespace(_slot=SimpleNamespace(inprogress=set()), scraper=None)
    frontier = SqliteFrontier.from_crawler(crawler)
    spider = _Spider()
    frontier.open(spider)
    return frontier, crawler.engine._slot.inprogress, spider


def _rows(tmp_path: Path) -> int:
    con = sqlite3.connect(tmp_path / "job" / FILENAME)
    try:
        return int(con.execute("select count(*) from requests").fetchone()[0])
    finally:
        con.close()


def test_rows_leave_only_when_the_engine_is_done(tmp_path: Path) -> None:
    from scrapy import Request

    frontier, inprogress, spider = _frontier(tmp_path)
    assert frontier.enqueue_request(Request("http://a.cn/1", callback=spider.parse))
    assert frontier.enqueue_request(Request("http://a.cn/2", callback=spider.parse))
    assert not frontier.enqueue_request(Request("http://a.cn/2", callback=spider.parse))
    first = frontier.next_request()
    inprogress.add(first)
    assert first.url == "http://a.cn/1" and first.callback == spider.parse
    # The downloader retries it: the retry takes over its row, nothing is added.
    retry = first.replace(dont_filter=True)
    assert frontier.enqueue_request(retry)
    inprogress.discard(first)
    again = frontier.next_request()
    inprogress.add(again)
    assert again.url == "http://a.cn/1"
    frontier.response_received(None, again)
    # Its callback yields a child that copied the meta (row id included): a new row.
    child = Request("http://a.cn/3", callback=spider.parse, meta=dict(again.meta))
    assert frontier.enqueue_request(child)
    frontier._commit()
    assert _rows(tmp_path) == 3  # 1 (in flight), 2, 3
    inprogress.discard(again)
    assert frontier.has_pending_requests()
    frontier.close("shutdown")
    assert _rows(tmp_path) == 2  # 1 is done; 2 and 3 wait for the next run


def test_no_more_unfinished_requests_than_the_concurrency(tmp_path: Path) -> None:
    from scrapy import Request

    frontier, inprogress, spider = _frontier(tmp_path, concurrency=2)
    for n in range(5):
        frontier.enqueue_request(Request(f"http://a.cn/{n}", callback=spider.parse))
    taken = []
    for _ in range(2):  # as the engine does: in progress as soon as it is handed out
        taken.append(frontier.next_request())
        inprogress.add(taken[-1])
    assert frontier.next_request() is None  # two unfinished: the limit
    inprogress.discard(taken[0])
    third = frontier.next_request()  # one finished (committed first): one more
    assert third is not None
    inprogress.add(third)
    frontier.close("shutdown")
    assert _rows(tmp_path) == 4


def test_resumed_start_requests_are_not_fetched_again(tmp_path: Path) -> None:
    from scrapy import Request

    frontier, _, spider = _frontier(tmp_path)
    start = Request("http://a.cn/", callback=spider.parse, dont_filter=True,
                    meta={"is_start_request": True})
    assert frontier.enqueue_request(start)
    frontier.close("shutdown")
    resumed, _, spider = _frontier(tmp_path)
    assert resumed.resumed and len(resumed) == 1
    again = Request("http://a.cn/", callback=spider.parse, dont_filter=True,
                    meta={"is_start_request": True})
    assert not resumed.enqueue_request(again)
    assert resumed.enqueue_request(Request("http://a.cn/", dont_filter=True))  # not a start
    resumed.close("finished")
