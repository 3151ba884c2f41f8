"""Crawl controls: --max-articles, --until, --retry-failed, --user-agent, --stats-json."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fanwen_crawler.cli import main
from fanwen_crawler.crawl import build_settings
from fanwen_crawler.middlewares.until import PaginationGate
from fanwen_crawler.sample_portal import Resource
from tests.conftest import run_fanwen

FAST = ("--delay", "0", "--concurrency", "4", "--quiet", "--no-keywords")


def _crawl(portal: Any, db: Path, *extra: str) -> dict[str, Any]:
    stats = db.parent / "stats.json"
    proc = run_fanwen("crawl", portal.url, "--db", str(db), *FAST, "--stats-json", str(stats),
                      *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(stats.read_text(encoding="utf-8"))


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_max_articles_stores_exactly_n_new(portal: Any, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    report = _crawl(portal, db, "--max-articles", "5", "--set", "FANWEN_BATCH_SIZE=1")
    assert report["exit_reason"] == "max_articles" and report["exit_code"] == 0
    assert report["articles"]["new"] == 5
    assert _rows(db, "select count(*) from articles") == [(5,)]
    # The next run continues: 5 more new ones, the stored ones are not fetched again.
    report = _crawl(portal, db, "--max-articles", "5", "--set", "FANWEN_BATCH_SIZE=1")
    assert report["articles"]["new"] == 5
    assert _rows(db, "select count(*) from articles") == [(10,)]


@pytest.mark.slow
def test_until_skips_old_articles_and_stops_paging(portal: Any, tmp_path: Path) -> None:
    until = "2023-06-01"
    db = tmp_path / "c.db"
    report = _crawl(portal, db, "--until", until)
    base = portal.url.rstrip("/")
    stored = {url: date for url, date in _rows(db, "select url, published_at from articles")}
    assert all(date is None or date[:10] >= until for date in stored.values())
    recent = {base + a.url for a in portal.truth.articles if a.published_at[:10] >= until}
    assert recent <= set(stored)
    assert report["articles"]["older_than_until"] > 0
    # Some list page lies behind a list page whose articles are all older: never fetched.
    requested = set(portal.requests)
    skipped_lists = [path for path in portal.truth.lists if path not in requested]
    assert skipped_lists, "pagination into old lists was followed"


@pytest.mark.slow
def test_retry_failed_refetches_transient_errors_and_resolves_them(portal: Any,
                                                                   tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    art = portal.truth.articles[3]
    good = portal.site.pages[art.url]
    portal.site.pages[art.url] = Resource(503, {"Content-Type": "text/html"}, b"busy")
    _crawl(portal, db, "--set", "RETRY_TIMES=0")
    url = portal.url.rstrip("/") + art.url
    assert _rows(db, f"select reason, resolved_at from crawl_errors where url = '{url}'") == [
        ("http_503", None)]

    portal.site.pages[art.url] = good
    mark = len(portal.requests)
    report = _crawl(portal, db, "--retry-failed")
    assert report["retry_failed"]["requested"] >= 1
    assert report["retry_failed"]["resolved"] >= 1
    assert art.url in portal.requests[mark:]
    assert _rows(db, f"select count(*) from articles where url = '{url}'") == [(1,)]
    [(resolved,)] = _rows(db, f"select resolved_at from crawl_errors where url = '{url}'")
    assert resolved is not None


def test_options_become_settings(tmp_path: Path) -> None:
    settings = build_settings(dict(db_path=tmp_path / "c.db",
                                   user_agent="TestBot/1.0", max_articles=7, until="2024-01-02",
                                   retry_failed=True, redis_url="redis://127.0.0.1:1/0",
                                   redis_key="k", idle_exit=3))
    assert settings["USER_AGENT"] == "TestBot/1.0"
    assert settings.getint("FANWEN_MAX_ARTICLES") == 7
    assert settings["FANWEN_UNTIL"] == "2024-01-02"
    assert settings.getbool("FANWEN_RETRY_FAILED")
    assert settings["FANWEN_REDIS_URL"] == "redis://127.0.0.1:1/0"
    assert settings.getfloat("FANWEN_IDLE_EXIT") == 3


@pytest.mark.parametrize("args, message", [
    (["--until", "last week"], "--until expects YYYY-MM-DD"),
    (["--redis", "redis://127.0.0.1:1/0", "--state-dir", "STATE"], "exclude each other"),
])
def test_bad_control_options_are_usage_errors(tmp_path: Path, args: list[str],
                                              message: str) -> None:
    args = [a.replace("STATE", str(tmp_path / "s")) for a in args]
    result = CliRunner().invoke(main, ["crawl", "http://127.0.0.1:1/", "--db",
                                       str(tmp_path / "c.db"), "--quiet", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_unreachable_redis_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["crawl", "http://127.0.0.1:1/", "--db",
                                       str(tmp_path / "c.db"), "--redis", "redis://127.0.0.1:1/0"])
    assert result.exit_code == 1
    assert "cannot reach Redis" in result.output


def test_pagination_gate() -> None:
    gate = PaginationGate("2023-06-01")
    assert gate.hold("L1", ["a", "b"], ["L2"]) == []
    assert gate.resolve("a", fresh=False) == []
    assert gate.resolve("b", fresh=True) == ["L2"]
    assert gate.hold("L2", ["c", "d"], ["L3"]) == []
    assert gate.resolve("c", fresh=False) == [] and gate.resolve("d", fresh=False) == []
    assert gate.stopped == 1 and gate.release_all() == []
    # An article already judged counts at once; lists still waiting at the end are followed.
    assert gate.hold("L4", ["b"], ["L5"]) == ["L5"]
    assert gate.hold("L6", ["x"], ["L7"]) == [] and gate.release_all() == ["L7"]
    assert gate.is_fresh(None) and gate.is_fresh("2023-06-01T08:00") and not gate.is_fresh(
        "2023-05-31")
