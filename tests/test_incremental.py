"""Incremental re-runs: `--refresh` refetches stored articles, keeps replaced text, and
asks conditionally (ETag → If-None-Match; a 304 counts as unchanged)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from fanwen_crawler.sample_portal import Resource
from tests.conftest import run_fanwen

pytestmark = pytest.mark.slow

FAST = ("--delay", "0", "--concurrency", "8", "--no-keywords")  # the summary is read
NEW_SENTENCE = "本段为更新后新增的内容，用于检验增量刷新。"


def _crawl(portal: Any, db: Path, *extra: str) -> dict[str, Any]:
    stats = db.with_suffix(f".{len(extra)}.json")
    proc = run_fanwen("crawl", portal.url, "--db", str(db), *FAST, "--stats-json", str(stats),
                      *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(stats.read_text(encoding="utf-8"))
    report["stdout"] = proc.stdout
    return report


def _edit_article(portal: Any) -> tuple[str, str]:
    """Change one single-page UTF-8 article's last paragraph; return (url, old last para)."""
    for art in portal.truth.articles:
        res = portal.site.pages[art.page_paths[0]]
        last = art.paragraphs[-1].encode("utf-8")
        if len(art.page_paths) == 1 and not art.sections and res.body.count(last) == 1:
            body = res.body.replace(last, last + NEW_SENTENCE.encode("utf-8"))
            portal.site.pages[art.url] = Resource(res.status, dict(res.headers), body)
            return portal.url.rstrip("/") + art.url, art.paragraphs[-1]
    pytest.fail("no editable UTF-8 article in the sample portal")


@pytest.mark.parametrize("conditional", [True, False], ids=["etag", "no-validators"])
def test_refresh_updates_changed_and_keeps_old_version(tmp_path: Path,
                                                       conditional: bool) -> None:
    from fanwen_crawler.sample_portal import serve_portal

    db = tmp_path / "c.db"
    with serve_portal(host="127.0.0.1", port=0, conditional=conditional) as portal:
        first = _crawl(portal, db)
        assert first["articles"]["new"] >= len(portal.truth.articles)
        con = sqlite3.connect(db)
        stored = dict(con.execute("select url, body from articles").fetchall())
        etags = con.execute("select count(*) from articles where etag is not null").fetchone()[0]
        con.close()
        assert (etags > 0) is conditional

        plain = _crawl(portal, db)  # no --refresh: nothing stored is fetched
        assert plain["articles"]["new"] == 0 and plain["articles"]["skipped_stored"] > 0

        url, old_last = _edit_article(portal)
        mark = len(portal.requests)
        again = _crawl(portal, db, "--refresh")
        refetched = set(portal.requests[mark:])

    arts = again["articles"]
    assert arts["new"] == 0
    assert arts["changed"] == 1 and arts["versions_kept"] == 1
    assert arts["unchanged"] >= 20
    assert "1 changed" in again["stdout"]
    if conditional:
        assert arts["not_modified"] == arts["unchanged"]
    else:
        assert arts["not_modified"] == 0
    assert url.removeprefix(portal.url.rstrip("/")) in refetched

    con = sqlite3.connect(db)
    body = con.execute("select body from articles where url = ?", [url]).fetchone()[0]
    versions = con.execute(
        "select v.body, v.content_hash, v.replaced_at, a.content_hash from article_versions v "
        "join articles a on a.id = v.article_id").fetchall()
    con.close()
    assert NEW_SENTENCE in body
    assert len(versions) == 1
    old_body, old_hash, replaced_at, new_hash = versions[0]
    assert old_body == stored[url] and old_last in old_body and NEW_SENTENCE not in old_body
    assert old_hash != new_hash and replaced_at
