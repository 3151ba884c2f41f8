"""A query-router portal is crawled completely: URLs are requested as the site wrote them.

The router (tests/url_portals.py) answers 404 to re-ordered parameters and re-encoded
escapes, like PHPCMS and DedeCMS routers do; its tag URLs are GBK-escaped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import query_rows, run_fanwen
from tests.url_portals import TAGS, RouterPortal, serve, tag_path

pytestmark = pytest.mark.slow
FAST = ("--delay", "0", "--concurrency", "4", "--quiet", "--no-keywords")


@pytest.fixture(scope="module")
def router_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[RouterPortal, Path]:
    db = tmp_path_factory.mktemp("router") / "corpus.db"
    with serve(RouterPortal()) as portal:
        proc = run_fanwen("crawl", portal.url, "--db", str(db), *FAST)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return portal, db


def test_every_article_of_the_router_portal_is_stored(router_crawl: tuple[RouterPortal, Path]) -> None:
    portal, db = router_crawl
    stored = {r["url"]: r for r in query_rows(db, "select url, title, category from articles")}
    base = portal.url.rstrip("/")
    titles = {r["title"] for r in stored.values()}
    assert titles == {a.title for a in portal.articles}
    assert len(stored) == len(portal.articles)
    # Stored under the canonical identity (sorted parameters), one row per article.
    for art in portal.articles:
        assert f"{base}/index.php?a=show&c=index&catid={art.catid}&id={art.id}&m=content" in stored


def test_no_request_was_reordered_or_reencoded(router_crawl: tuple[RouterPortal, Path]) -> None:
    portal, _ = router_crawl
    # Nothing but an exact target was asked for: the router 404s everything else (this
    # portal has no sitemap: the three well-known sitemap paths are the only 404s).
    assert sorted(portal.targets(404)) == ["/sitemap.txt", "/sitemap.xml", "/sitemap_index.xml"]
    requested = portal.targets()
    for art in portal.articles:
        assert requested.count(art.path) == 1, art.path  # tracking parameter gone, once
    for tag in TAGS:
        assert tag_path(tag) in requested  # GBK escapes, byte for byte
    assert "/tags.php?/%D7%DC%BD%E1/" in requested  # 总结 in GBK
    assert not any("from=" in t or "#" in t for t in requested)


def test_every_list_page_was_followed(router_crawl: tuple[RouterPortal, Path]) -> None:
    portal, _ = router_crawl
    lists = [t for t in portal.targets() if "a=lists" in t]
    assert len(lists) == len(set(lists)) == 6  # 2 categories x 3 pages, each once
