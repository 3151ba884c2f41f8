"""`fanwen extract FILE` without --url: the page URL is inferred, so list pages stay lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fanwen_crawler.cli import main
from fanwen_crawler.page_url import saved_page_url

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.parent for p in FIXTURES.rglob("meta.json") if (p.parent / "page.html").exists())


def test_declared_url_order_and_fallbacks() -> None:
    page = ('<html><head><meta property="og:url" content="http://c.cn/og.html">'
            '<link rel="canonical" href="http://b.cn/canon.html"><base href="http://a.cn/x/">'
            '</head><body></body></html>')
    assert saved_page_url(page, "p.html") == ("http://a.cn/x/", "base")
    assert saved_page_url(page.replace("<base", "<nobase"), "p.html") == (
        "http://b.cn/canon.html", "canonical")
    assert saved_page_url('<meta property="og:url" content="https://c.cn/1.html">', "p.html") \
        == ("https://c.cn/1.html", "og:url")
    links = '<a href="http://own.cn/a/1.html">1</a><a href="http://own.cn/a/2.html">2</a>' \
            '<a href="http://ad.com/">ad</a><link rel="canonical" href="/relative-only">'
    assert saved_page_url(links, "dir/保存.html") == (
        "http://own.cn/%E4%BF%9D%E5%AD%98.html", "links")
    assert saved_page_url('<a href="/a/1.html">1</a>', "p.html") == (
        "http://saved.invalid/p.html", "stand-in")


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_list_page_becomes_an_article_without_url(case: Path) -> None:
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    args = ["extract", str(case / "page.html"), "--compact"]
    if ctype := meta.get("content_type"):
        args += ["--content-type", ctype]
    runner = CliRunner()
    given = runner.invoke(main, [*args, "--url", meta["url"]])
    guessed = runner.invoke(main, args)
    assert given.exit_code == 0 and guessed.exit_code == 0, guessed.output
    with_url = json.loads(given.stdout)["page_type"]
    without = json.loads(guessed.stdout)["page_type"]
    if with_url == "other" and without == "list":
        # Only the root URL tells a home page (a hub of article links) from a list page.
        assert case.name in {"home", "home_page"}, case
        return
    assert without == with_url
