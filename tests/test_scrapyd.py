"""The spider under a real scrapyd on 127.0.0.1: deploy the egg, schedule, poll, check the DB."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_fanwen

pytestmark = pytest.mark.slow
SCRAPYD = shutil.which("scrapyd", path=str(Path(sys.executable).parent))
CONF = """[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {tmp}/eggs
logs_dir = {tmp}/logs
dbs_dir = {tmp}/dbs
items_dir =
jobs_to_keep = 5
max_proc = 2
poll_interval = 0.5
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def _post(url: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(url, data=data, timeout=10) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


@pytest.fixture()
def scrapyd(tmp_path: Path) -> Iterator[str]:
    if SCRAPYD is None:
        pytest.skip("scrapyd is not installed in the venv (pip install scrapyd)")
    port = _free_port()
    (tmp_path / "scrapyd.conf").write_text(CONF.format(port=port, tmp=tmp_path))
    proc = subprocess.Popen([SCRAPYD], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(url + "daemonstatus.json")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("scrapyd did not start")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_deploy_schedule_and_crawl_under_scrapyd(scrapyd: str, portal: Any,
                                                 tmp_path: Path) -> None:
    deployed = run_fanwen("deploy", "--url", scrapyd, "--version", "1",
                          "--egg-dir", str(tmp_path / "dist"))
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    assert "spiders: 1" in deployed.stdout

    db = tmp_path / "corpus.db"
    job = _post(scrapyd + "schedule.json", [
        ("project", "fanwen_crawler"), ("spider", "portal"), ("start_url", portal.url),
        ("profile", "sample"),  # a bundled profile, read from inside the zipped egg
        ("setting", f"FANWEN_DB_PATH={db}"), ("setting", "DOWNLOAD_DELAY=0"),
        ("setting", "AUTOTHROTTLE_ENABLED=False"), ("setting", "FANWEN_MAX_ARTICLES=12"),
    ])
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 120
    while True:
        jobs = _get(scrapyd + "listjobs.json?project=fanwen_crawler")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)
    log = next((tmp_path / "logs").rglob(f"{job['jobid']}.log")).read_text()
    assert "Closing spider (max_articles)" in log, log[-3000:]
    con = sqlite3.connect(db)
    try:
        assert con.execute("select count(*) from articles").fetchone()[0] == 12
        # The post-crawl stages ran inside the job: keywords and the search index.
        assert con.execute("select count(distinct article_id) from keywords").fetchone()[0] == 12, \
            log[-4000:]
        assert con.execute("select count(*) from articles_fts").fetchone()[0] == 12
        [(status,)] = con.execute("select status from crawl_runs").fetchall()
    finally:
        con.close()
    assert status == "max_articles"
