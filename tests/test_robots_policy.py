"""robots.txt per RFC 9309: 5xx or unreachable disallows, 4xx allows, Crawl-delay is honoured."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import pytest

from tests.conftest import query_rows, run_fanwen
from tests.url_portals import RouterPortal, serve

pytestmark = [pytest.mark.slow, pytest.mark.reliability]
FAST = ("--delay", "0", "--quiet", "--no-keywords")


def _crawl(portal: RouterPortal, db: Path, *extra: str) -> int:
    with serve(portal):
        proc = run_fanwen("crawl", portal.url, "--db", str(db), *extra)
    return proc.returncode


RETRY_SOON = ("--set", "FANWEN_ROBOTS_RETRY=0.5")


def test_robots_503_disallows_the_site_and_is_recorded(tmp_path: Path) -> None:
    portal = RouterPortal(per_category=2, robots_status=503)
    code = _crawl(portal, tmp_path / "c.db", *FAST, *RETRY_SOON)
    assert code == 1  # nothing was fetched
    assert set(portal.targets()) == {"/robots.txt"}  # nothing but robots.txt itself
    assert portal.targets().count("/robots.txt") >= 3  # asked again later in the run
    errors = query_rows(tmp_path / "c.db", "select url, reason, detail from crawl_errors")
    assert [(e["url"], e["reason"]) for e in errors] == [(portal.url, "robots_unavailable")]
    assert "503" in errors[0]["detail"]


def test_robots_503_that_recovers_later_in_the_run_lets_the_crawl_proceed(tmp_path: Path) -> None:
    portal = RouterPortal(per_category=2, robots_status=503, robots_failures=3)
    assert _crawl(portal, tmp_path / "c.db", *FAST, *RETRY_SOON) == 0
    stored = query_rows(tmp_path / "c.db", "select count(*) from articles")[0][0]
    assert stored == len(portal.articles)
    assert not query_rows(tmp_path / "c.db", "select * from crawl_errors")


def test_robots_404_allows_everything(tmp_path: Path) -> None:
    portal = RouterPortal(per_category=2, robots_status=404)
    assert _crawl(portal, tmp_path / "c.db", *FAST) == 0
    stored = query_rows(tmp_path / "c.db", "select count(*) from articles")[0][0]
    assert stored == len(portal.articles)


def test_robots_timeout_is_bounded_and_recorded(tmp_path: Path) -> None:
    portal = RouterPortal(per_category=1, robots_stall=8.0)
    started = time.monotonic()
    code = _crawl(portal, tmp_path / "c.db", *FAST, "--set", "FANWEN_ROBOTS_TIMEOUT=1")
    assert time.monotonic() - started < 8.0 + 6  # not 4 x DOWNLOAD_TIMEOUT
    assert code == 1
    assert set(portal.targets()) <= {"/robots.txt"}  # robots.txt never answered in time; no page
    errors = query_rows(tmp_path / "c.db", "select url, reason from crawl_errors")
    assert [(e["url"], e["reason"]) for e in errors] == [(portal.url, "timeout")]


def test_crawl_delay_larger_than_the_polite_delay_is_honoured(tmp_path: Path) -> None:
    # Only the home page and two articles are allowed: three page requests, two gaps.
    first, second = RouterPortal().articles[:2]
    robots = (f"User-agent: *\nCrawl-delay: 3\nAllow: {first.path}\nAllow: {second.path}\n"
              "Disallow: /index.php\nDisallow: /tags.php\n")
    portal = RouterPortal(robots_body=robots)
    assert _crawl(portal, tmp_path / "c.db", "--quiet", "--no-keywords", "--no-sitemaps") == 0
    pages = [(t, target) for t, target, _ in portal.log if target != "/robots.txt"]
    assert [target for _, target in pages] == ["/", first.path, second.path]
    times = [t for t, _ in pages]
    gaps = [b - a for a, b in pairwise(times)]
    assert gaps and min(gaps) >= 2.9, gaps
