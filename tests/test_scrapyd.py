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

from tests.conftest import ROOT, run_fanwen

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


# Profile politeness under scrapyd is crawlcore's (issue 14 point 3); unthrottled here for speed.
FAST = [("setting", "DOWNLOAD_DELAY=0"), ("setting", "AUTOTHROTTLE_ENABLED=False")]


def _run_job(scrapyd: str, tmp_path: Path, fields: list[tuple[str, str]]) -> str:
    """Schedule a portal job, wait for it to finish; return its log."""
    job = _post(scrapyd + "schedule.json", [
        ("project", "fanwen_crawler"), ("spider", "portal"), *fields])
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 180
    while True:
        jobs = _get(scrapyd + "listjobs.json?project=fanwen_crawler")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)
    return next((tmp_path / "logs").rglob(f"{job['jobid']}.log")).read_text()


def _assert_full_corpus(db: Path, portal: Any, log: str) -> None:
    con = sqlite3.connect(db)
    try:
        stored = {u for (u,) in con.execute("select url from articles")}
        [(status,)] = con.execute("select status from crawl_runs").fetchall()
    finally:
        con.close()
    expected = {portal.url.rstrip("/") + a.url for a in portal.truth.articles}
    assert stored == expected, (sorted(expected - stored)[:5], log[-3000:])
    assert status == "finished"


def test_fanwen_deploy_with_its_defaults(scrapyd: str, portal: Any, tmp_path: Path) -> None:
    """`fanwen deploy --url …` exactly as documented: no --egg-dir, nothing left behind."""
    work = tmp_path / "checkout"
    work.mkdir()
    deployed = run_fanwen("deploy", "--url", scrapyd, cwd=work)
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    assert "spiders: 1" in deployed.stdout
    assert list(work.iterdir()) == [], "deploy wrote into the current directory"

    db = tmp_path / "corpus.db"
    log = _run_job(scrapyd, tmp_path, [
        ("start_url", portal.url), ("profile", "sample"), ("setting", f"FANWEN_DB_PATH={db}"),
        *FAST])
    _assert_full_corpus(db, portal, log)


def test_scrapyd_deploy_from_scrapy_cfg(scrapyd: str, portal: Any, tmp_path: Path) -> None:
    """scrapyd-client's `scrapyd-deploy` in a copy of the checkout (scrapy.cfg's target
    pointed at this scrapyd) builds an egg that scrapyd accepts and runs."""
    deploy = shutil.which("scrapyd-deploy", path=str(Path(sys.executable).parent))
    if deploy is None:
        pytest.skip("scrapyd-client is not installed in the venv (pip install scrapyd-client)")
    clone = tmp_path / "clone"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "fixtures")
    for name in ("fanwen_crawler", "pipelines"):
        shutil.copytree(ROOT / name, clone / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, clone / name)
    cfg = (ROOT / "scrapy.cfg").read_text()
    assert "url = http://127.0.0.1:6800/" in cfg
    (clone / "scrapy.cfg").write_text(cfg.replace("http://127.0.0.1:6800/", scrapyd))
    before = sorted(p.name for p in clone.iterdir())
    proc = subprocess.run([deploy], cwd=clone, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # scrapyd answers HTTP 200 even when it rejects an egg; scrapyd-deploy then exits 0.
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    assert answer["status"] == "ok" and answer["spiders"] == 1, proc.stdout[-3000:]
    assert "setup.py" in before and sorted(p.name for p in clone.iterdir() if p.name not in {
        "build"} and not p.name.endswith(".egg-info")) == before

    db = tmp_path / "corpus.db"
    log = _run_job(scrapyd, tmp_path, [
        ("start_url", portal.url), ("profile", "sample"), ("setting", f"FANWEN_DB_PATH={db}"),
        *FAST])
    _assert_full_corpus(db, portal, log)
