"""Redirects obey the site policy of links: no hop off the site, none to private addresses.

The hops are refused before they are requested: the other loopback port never sees a
connection, and the downloader attempts no request the portal did not receive.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import query_rows, run_fanwen
from tests.url_portals import INDEX, RouterPortal, listener, serve

pytestmark = [pytest.mark.slow, pytest.mark.reliability]
TO_PORT = f"{INDEX}&a=show&catid=1&id=901"
TO_METADATA = f"{INDEX}&a=show&catid=1&id=902"
TO_ONSITE = f"{INDEX}&a=show&catid=2&id=903"


def test_offsite_and_metadata_redirects_are_refused_and_recorded(tmp_path: Path) -> None:
    db, log = tmp_path / "c.db", tmp_path / "crawl.log"
    with listener() as (port, accepted):
        portal = RouterPortal(per_category=2, redirects={
            TO_PORT: f"http://127.0.0.1:{port}/fanwen/1.html",
            TO_METADATA: "http://169.254.169.254/latest/meta-data/",
        })
        with serve(portal):
            # An on-site redirect is still followed (to a real article of the portal).
            portal.redirects[TO_ONSITE] = portal.url.rstrip("/") + portal.articles[-1].path
            portal._build()
            proc = run_fanwen("crawl", portal.url, "--db", str(db), "--delay", "0",
                              "--no-keywords", "--log-level", "DEBUG", "--log-file", str(log))
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert accepted() == 0  # the other loopback port saw no connection at all
    errors = {r["url"]: r for r in query_rows(db, "select url, reason, detail from crawl_errors")}
    base = portal.url.rstrip("/")
    canon = lambda p: base + "/index.php?" + "&".join(sorted(p.split("?", 1)[1].split("&")))  # noqa: E731
    assert errors[canon(TO_PORT)]["reason"] == "offsite_redirect"
    assert f"127.0.0.1:{port}" in errors[canon(TO_PORT)]["detail"]
    assert errors[canon(TO_METADATA)]["reason"] == "offsite_redirect"
    assert "169.254.169.254" in errors[canon(TO_METADATA)]["detail"]
    # The downloader sent exactly the requests the portal received: none went elsewhere.
    text = log.read_text(encoding="utf-8")
    sent = int(re.search(r"'downloader/request_count': (\d+)", text).group(1))
    assert sent == len(portal.log)
    assert "169.254.169.254" not in "".join(re.findall(r"Crawled \(\d+\) <GET [^>]+>", text))
    stored = {r["url"] for r in query_rows(db, "select url from articles")}
    assert len(stored) == len(portal.articles)  # the on-site redirect landed on its article


def test_private_addresses_are_refused_unless_the_start_url_is_on_one() -> None:
    import asyncio

    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from fanwen_crawler.middlewares.site_policy import BlockedAddress, SitePolicyMiddleware

    class Spider:
        def __init__(self, start_url: str) -> None:
            self.start_urls = [start_url]

    crawler = get_crawler()
    crawler.spider = Spider("http://www.fanwen.example/")  # type: ignore[assignment]
    mw = SitePolicyMiddleware(crawler)
    mw.addresses["www.fanwen.example"] = None  # a public address (no DNS in tests)
    for url in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/a.html",
                "http://127.0.0.1:8080/", "http://localhost/x", "http://[::1]/"):
        with pytest.raises(BlockedAddress):
            asyncio.run(mw.process_request(Request(url)))
    crawler.spider = Spider("http://127.0.0.1:8000/")  # type: ignore[assignment]
    mw = SitePolicyMiddleware(crawler)
    asyncio.run(mw.process_request(Request("http://127.0.0.1:8000/a.html")))  # allowed
    with pytest.raises(BlockedAddress):
        asyncio.run(mw.process_request(Request("http://169.254.169.254/")))


def test_a_named_start_host_on_loopback_is_resolved_and_allowed(tmp_path: Path) -> None:
    import socket

    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        pytest.skip(f"this machine's host name {name!r} does not resolve")
    if not address.startswith("127."):
        pytest.skip(f"host name {name!r} resolves to {address}, not to loopback")
    portal = RouterPortal(per_category=1)
    with serve(portal):
        url = portal.url.replace("127.0.0.1", name)
        proc = run_fanwen("crawl", url, "--db", str(tmp_path / "c.db"), "--delay", "0",
                          "--quiet", "--no-keywords")
    assert proc.returncode == 0, proc.stderr[-2000:]
    stored = query_rows(tmp_path / "c.db", "select count(*) from articles")[0][0]
    assert stored == len(portal.articles)
