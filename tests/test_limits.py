"""--max-pages stops promptly; a compression bomb is recorded as too_large."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import query_rows, run_fanwen
from tests.url_portals import INDEX, RouterPortal, serve

pytestmark = [pytest.mark.slow, pytest.mark.reliability]


def _stamp(log: str, text: str) -> datetime:
    line = next(line for line in log.splitlines() if text in line)
    return datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S")


def test_max_pages_stops_promptly_under_polite_defaults(tmp_path: Path) -> None:
    db, log = tmp_path / "c.db", tmp_path / "crawl.log"
    portal = RouterPortal(per_category=12)
    with serve(portal):
        proc = run_fanwen("crawl", portal.url, "--db", str(db), "--max-pages", "5",
                          "--no-keywords", "--log-level", "INFO", "--log-file", str(log))
    assert proc.returncode == 0, proc.stderr[-2000:]
    pages = [t for t in portal.targets() if t != "/robots.txt"]
    assert len(pages) <= 5 + 2, pages  # N + per-site concurrency at most
    text = log.read_text(encoding="utf-8")
    assert "closespider_pagecount" in text
    tail = (_stamp(text, "Spider closed") - _stamp(text, "Closing spider")).total_seconds()
    assert tail <= 3, tail
    assert not query_rows(db, "select * from crawl_errors")  # unsent requests are no errors


def test_gzip_bomb_is_recorded_as_too_large(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    bomb = f"{INDEX}&a=show&catid=1&id=999"
    portal = RouterPortal(per_category=1, bombs=[bomb])
    with serve(portal):
        proc = run_fanwen("crawl", portal.url, "--db", str(db), "--delay", "0", "--quiet",
                          "--no-keywords", "--set", "DOWNLOAD_MAXSIZE=1000000")
    assert proc.returncode == 0, proc.stderr[-2000:]
    errors = query_rows(db, "select url, reason, detail from crawl_errors")
    canon = portal.url + "index.php?" + "&".join(sorted(bomb.split("?")[1].split("&")))
    assert [(e["url"], e["reason"]) for e in errors] == [(canon, "too_large")]
    assert re.search(r"DOWNLOAD_MAXSIZE", errors[0]["detail"])
    assert query_rows(db, "select count(*) from articles")[0][0] == len(portal.articles)
