"""Resume after SIGKILL: the re-run finishes the crawl, stores nothing twice, refetches nothing stored."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FANWEN, ROOT

pytestmark = pytest.mark.slow


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(db, timeout=5)
    try:
        return con.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def _crawl_cmd(portal: Any, db: Path, state: Path, delay: str, batch: int = 3) -> list[str]:
    return [*FANWEN, "crawl", portal.url, "--db", str(db), "--state-dir", str(state),
            "--delay", delay, "--concurrency", "1", "--quiet", "--no-keywords",
            "--set", f"FANWEN_BATCH_SIZE={batch}", "--set", "FANWEN_FLUSH_SECONDS=0.5"]


# Kill points: before any article is stored (only list pages fetched), after the first
# batch, mid-crawl, right after a one-article batch committed (the next write is under
# way), and late, when most of the frontier is done.
KILL_POINTS = {
    "frontier-only": dict(requests=4, articles=0, batch=3),
    "first-article": dict(requests=0, articles=1, batch=3),
    "mid-crawl": dict(requests=0, articles=6, batch=3),
    "mid-write": dict(requests=0, articles=9, batch=1),
    "late": dict(requests=0, articles=25, batch=1),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_sigkill_then_resume(portal: Any, tmp_path: Path, point: str) -> None:
    at = KILL_POINTS[point]
    db, state = tmp_path / "c.db", tmp_path / "state"
    proc = subprocess.Popen(_crawl_cmd(portal, db, state, "0.15", at["batch"]), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while (_count(db) < at["articles"] or len(portal.requests) < at["requests"]) and (
        time.monotonic() < deadline
    ):
        if proc.poll() is not None:
            pytest.fail("crawl finished before it could be killed; slow it down")
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored_before = _count(db)
    assert stored_before >= at["articles"]
    assert stored_before < len(portal.truth.articles)

    con = sqlite3.connect(db)
    assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
    stored_urls = {r[0] for r in con.execute("select url from articles")}
    con.close()
    mark = len(portal.requests)

    again = subprocess.run(_crawl_cmd(portal, db, state, "0"), cwd=ROOT, capture_output=True,
                           text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "did not stop cleanly" in again.stderr

    base = portal.url.rstrip("/")
    expected = {base + a.url for a in portal.truth.articles}
    con = sqlite3.connect(db)
    urls = [r[0] for r in con.execute("select url from articles")]
    pages = [r[0] for r in con.execute("select url from page_urls")]
    con.close()
    assert sorted(urls) == sorted(expected)  # every article stored, once
    assert len(pages) == len(set(pages))  # no article's pages stored twice
    refetched = [p for p in portal.requests[mark:] if base + p in stored_urls]
    assert refetched == []
    assert not (state / "crawl.lock").exists()


def test_state_dir_in_use_is_refused(portal: Any, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    holder = subprocess.Popen(["sleep", "30"])
    try:
        (state / "crawl.lock").write_text(str(holder.pid))
        proc = subprocess.run(_crawl_cmd(portal, tmp_path / "c.db", state, "0"), cwd=ROOT,
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 2
    assert "in use by process" in proc.stderr
