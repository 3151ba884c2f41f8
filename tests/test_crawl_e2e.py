"""End to end: the real `fanwen crawl` over HTTP on 127.0.0.1 into a real SQLite file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import query_rows, run_fanwen

pytestmark = pytest.mark.slow

FAST = ("--delay", "0", "--concurrency", "8")  # not --quiet: the summary is read



def _crawl(portal: Any, db: Path, *extra: str) -> str:
    proc = run_fanwen("crawl", portal.url, "--db", str(db), *FAST, *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def generic_crawl(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One crawl of the sample portal with NO profile: the never-seen-portal case."""
    from fanwen_crawler.sample_portal import serve_portal

    db = tmp_path_factory.mktemp("generic") / "corpus.db"
    with serve_portal(host="127.0.0.1", port=0) as portal:
        out = _crawl(portal, db)
        yield portal, db, out, list(portal.requests), list(portal.offsite_requests)


def test_every_article_stored_once_with_its_fields(generic_crawl: Any) -> None:
    portal, db, _, _, _ = generic_crawl
    rows = {r["url"]: r for r in query_rows(db, "select * from articles")}
    problems = []
    for art in portal.truth.articles:
        url = portal.url.rstrip("/") + art.url
        row = rows.get(url)
        if row is None:
            problems.append(f"missing {art.url}")
            continue
        for field in ("title", "published_at", "source", "category"):
            if row[field] != getattr(art, field):
                problems.append(f"{art.url} {field}: {row[field]!r} != {getattr(art, field)!r}")
        if row["body"] != "\n".join(art.paragraphs):
            problems.append(f"{art.url} body differs")
        if row["pages"] != len(art.page_paths):
            problems.append(f"{art.url} pages {row['pages']} != {len(art.page_paths)}")
    assert not problems, "\n".join(problems)
    assert len(rows) == len(portal.truth.articles), sorted(
        set(rows) - {portal.url.rstrip("/") + a.url for a in portal.truth.articles}
    )


def test_duplicates_point_at_the_first_stored_article(generic_crawl: Any) -> None:
    portal, db, _, _, _ = generic_crawl
    base = portal.url.rstrip("/")
    by_url = {r["url"]: r for r in query_rows(db, "select * from articles")}
    dup_truth = [a for a in portal.truth.articles if a.duplicate_of]
    assert len(dup_truth) >= 2
    for art in dup_truth:
        row, original = by_url[base + art.url], by_url[base + art.duplicate_of]
        pair = sorted([row, original], key=lambda r: r["id"])
        first, later = pair
        assert later["duplicate_of"] == first["id"], art.url
        assert first["duplicate_of"] is None
        if art.near_duplicate:
            assert 0.8 <= later["similarity"] < 1.0
        else:
            assert later["similarity"] == 1.0
    unique = query_rows(db, "select count(*) from unique_articles")[0][0]
    assert unique == len(portal.truth.articles) - len(dup_truth)


def test_robots_offsite_and_tracking_links_are_never_requested(generic_crawl: Any) -> None:
    portal, _, _, requests, offsite = generic_crawl
    assert portal.truth.robots_disallowed, "the portal links members-only pages"
    assert not [p for p in requests if p.startswith("/member/")]
    assert offsite == []
    assert not [p for p in requests if "utm_" in p or "from=" in p]
    repeated = {p: n for p, n in Counter(requests).items() if n > 1 and p != "/robots.txt"}
    assert not repeated, f"fetched twice: {repeated}"


def test_404_is_recorded_and_redirect_followed(generic_crawl: Any) -> None:
    portal, db, _, requests, _ = generic_crawl
    errors = query_rows(db, "select url, status, reason from crawl_errors")
    missing = portal.url.rstrip("/") + portal.truth.missing
    assert any(e["url"] == missing and e["status"] == 404 for e in errors), errors
    for old, target in portal.truth.redirects.items():
        assert old in requests
        assert target in requests


def test_keywords_runs_and_summary(generic_crawl: Any) -> None:
    _, db, out, _, _ = generic_crawl
    few = query_rows(db, "select a.id, count(k.keyword) n from articles a left join keywords k "
                    "on k.article_id = a.id group by a.id having n < 10")
    assert few == []
    runs = query_rows(db, "select status, stats from crawl_runs")
    assert len(runs) == 1 and runs[0]["status"] == "finished"
    assert "pages fetched:" in out and "articles stored:" in out
    tags = query_rows(db, "select count(*) from tags")[0][0]
    related = query_rows(db, "select count(*) from related_links")[0][0]
    assert tags > 0 and related > 0


def test_recrawl_fetches_no_stored_article_and_stores_nothing_twice(
    generic_crawl: Any, tmp_path: Path
) -> None:
    portal, db, _, _, _ = generic_crawl
    copy = tmp_path / "again.db"
    copy.write_bytes(db.read_bytes())
    before = len(portal.requests)
    out = _crawl(portal, copy)
    article_paths = {p for a in portal.truth.articles for p in a.page_paths}
    refetched = [p for p in portal.requests[before:] if p in article_paths]
    assert refetched == []
    assert "0 new" in out
    count = query_rows(copy, "select count(*) from articles")[0][0]
    assert count == len(portal.truth.articles)


def test_profile_crawl_matches_generic(portal: Any, tmp_path: Path) -> None:
    db = tmp_path / "profile.db"
    _crawl(portal, db, "--profile", "sample")
    titles = {r["url"]: r["title"] for r in query_rows(db, "select url, title from articles")}
    expected = {portal.url.rstrip("/") + a.url: a.title for a in portal.truth.articles}
    assert titles == expected


def test_unreachable_start_url_fails_with_exit_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db = tmp_path / "x.db"
    proc = run_fanwen("crawl", f"http://127.0.0.1:{port}/", "--db", str(db), *FAST,
                      "--set", "RETRY_TIMES=0")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "nothing was fetched" in proc.stderr
    errors = query_rows(db, "select reason from crawl_errors")
    assert errors and errors[0]["reason"] == "connection_refused"


def test_unwritable_database_fails_with_exit_3(portal: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    proc = run_fanwen("crawl", portal.url, "--db", str(blocker / "x.db"), *FAST)
    assert proc.returncode == 3
    assert "cannot write database" in proc.stderr
    assert portal.requests == []


def test_plain_scrapy_crawl_with_profile_setting(portal: Any, tmp_path: Path) -> None:
    """`scrapy crawl portal -a start_url=…` from the project root keeps working, and the
    FANWEN_PROFILE setting supplies the profile when no `-a profile=` is given."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    db = tmp_path / "scrapy.db"
    profile = tmp_path / "no-contracts.toml"
    profile.write_text("deny_url_patterns = ['/hetong/']\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "portal", "-a", f"start_url={portal.url}",
         "-s", f"FANWEN_DB_PATH={db}", "-s", f"FANWEN_PROFILE={profile}",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    titles = {r["url"]: r["title"] for r in query_rows(db, "select url, title from articles")}
    expected = {portal.url.rstrip("/") + a.url: a.title for a in portal.truth.articles
                if not a.url.startswith("/hetong/")}
    assert titles == expected
    assert not [p for p in portal.requests if p.startswith("/hetong/")]


def test_multi_essay_sections_are_stored(generic_crawl: Any) -> None:
    portal, db, _, _, _ = generic_crawl
    base = portal.url.rstrip("/")
    multi = [a for a in portal.truth.articles if a.sections]
    assert multi, "the sample portal has a 精选3篇 page"
    for art in multi:
        rows = query_rows(db, "select s.heading, s.body from sections s join articles a "
                         "on a.id = s.article_id where a.url = ? order by s.position",
                     base + art.url)
        assert [r["heading"] for r in rows] == [s.heading for s in art.sections]
        assert [r["body"] for r in rows] == ["\n".join(s.paragraphs) for s in art.sections]
