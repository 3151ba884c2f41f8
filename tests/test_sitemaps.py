"""Sitemaps as a discovery source: a portal whose list pagination is broken is still crawled."""

from __future__ import annotations

from pathlib import Path

import pytest

from fanwen_crawler.middlewares.sitemaps import parse_lastmod, sitemap_entries
from tests.conftest import query_rows, run_fanwen
from tests.url_portals import CATEGORIES, RouterPortal, serve

pytestmark = pytest.mark.slow
FAST = ("--delay", "0", "--concurrency", "4", "--quiet", "--no-keywords")


def _crawl(portal: RouterPortal, db: Path, *extra: str) -> None:
    with serve(portal):
        proc = run_fanwen("crawl", portal.url, "--db", str(db), *FAST, *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.parametrize("kind", ["xml", "index", "txt", "robots"])
def test_broken_pagination_complete_sitemap_every_article_stored(tmp_path: Path,
                                                                 kind: str) -> None:
    portal = RouterPortal(broken_pagination=True, tag_cloud=False, sitemap=kind)
    _crawl(portal, tmp_path / "c.db")
    rows = query_rows(tmp_path / "c.db", "select title, category from articles")
    assert sorted(r["title"] for r in rows) == sorted(a.title for a in portal.articles)
    # Found only through the sitemap, the category still comes from the breadcrumb.
    by_title = {a.title: CATEGORIES[a.catid] for a in portal.articles}
    assert all(r["category"] == by_title[r["title"]] for r in rows)
    assert portal.targets(404).count("/sitemap.txt") <= 1  # a missing sitemap costs one request
    # The other usual places are tried only when /sitemap.xml and robots.txt gave nothing.
    missing = set(portal.targets(404)) & {"/sitemap.xml", "/sitemap_index.xml", "/sitemap.txt"}
    assert missing == {"xml": set(), "robots": {"/sitemap.xml"},
                       "index": {"/sitemap.xml", "/sitemap.txt"},
                       "txt": {"/sitemap.xml", "/sitemap_index.xml"}}[kind]


def test_without_sitemaps_the_broken_pagination_loses_articles(tmp_path: Path) -> None:
    portal = RouterPortal(broken_pagination=True, tag_cloud=False, sitemap="xml")
    _crawl(portal, tmp_path / "c.db", "--no-sitemaps")
    stored = query_rows(tmp_path / "c.db", "select count(*) from articles")[0][0]
    assert stored < len(portal.articles)  # only the first list page of each category
    assert "/sitemap.xml" not in portal.targets()


def test_incremental_run_refetches_only_articles_whose_lastmod_is_newer(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    portal = RouterPortal(broken_pagination=True, tag_cloud=False, sitemap="xml")
    changed = portal.articles[-1]
    with serve(portal):
        for run in (1, 2):
            if run == 2:
                for art in portal.articles:
                    art.lastmod = "2024-03-01"  # long before the first crawl: unchanged
                changed.lastmod = "2999-01-01"  # changed since the first crawl
                portal._sitemaps(portal.url.rstrip("/"))
                portal.log.clear()
            proc = run_fanwen("crawl", portal.url, "--db", str(db), *FAST)
            assert proc.returncode == 0, proc.stderr[-3000:]
    # Only the changed article is fetched again: the unchanged ones are not requested at
    # all (sitemap lastmod), nor are those linked from list pages (already stored).
    assert [t for t in portal.targets() if "a=show" in t] == [changed.path]
    assert query_rows(db, "select count(*) from articles")[0][0] == len(portal.articles)


def test_sitemap_parsing() -> None:
    xml = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<url><loc>http://x.cn/a/1.html</loc><lastmod>2024-01-02</lastmod></url>"
           b"<url><loc>http://x.cn/a/2.html</loc></url></urlset>")
    kind, entries = sitemap_entries(xml, "http://x.cn/sitemap.xml")
    assert kind == "urlset" and [e["loc"] for e in entries] == ["http://x.cn/a/1.html",
                                                                "http://x.cn/a/2.html"]
    import gzip

    assert sitemap_entries(gzip.compress(xml), "http://x.cn/s.xml.gz")[1] == entries
    text = b"http://x.cn/a/1.html\r\n\r\n# comment\nhttp://x.cn/a/2.html\n"
    assert sitemap_entries(text, "http://x.cn/sitemap.txt") == ("text", [
        {"loc": "http://x.cn/a/1.html"}, {"loc": "http://x.cn/a/2.html"}])
    assert sitemap_entries(b"<!DOCTYPE html><html>404</html>", "http://x.cn/sitemap.xml") == (
        "", [])
    assert sitemap_entries(b"<urlset><url><loc>broken", "http://x.cn/s.xml")[0] in ("", "urlset")
    assert parse_lastmod("2024-01-02") is not None
    assert parse_lastmod("2024-01-02T08:00:00+08:00") < parse_lastmod("2024-01-02T01:00:00Z")
    assert parse_lastmod("yesterday") is None
