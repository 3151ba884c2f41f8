"""The portal spider's callbacks on saved responses (no network): requests, items, failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.test import get_crawler
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

from fanwen_crawler.failures import request_failed
from fanwen_crawler.items import ArticleItem, CrawlError
from fanwen_crawler.middlewares.until import UntilMiddleware
from fanwen_crawler.spiders.portal import DRAFT, KIND, PAGINATION_OF, PUBLISHED, PortalSpider

FIXTURES = Path(__file__).parent / "fixtures" / "sample_portal"


class Spy:
    """A spider built as Scrapy builds it, with the failures it reports collected."""

    def __init__(self, **settings: Any) -> None:
        self.crawler = get_crawler(PortalSpider, settings)
        self.spider = PortalSpider.from_crawler(self.crawler, start_url="http://sample.test/")
        self.crawler.spider = self.spider
        self.failures: list[CrawlError | None] = []
        self.crawler.signals.connect(self._failed, signal=request_failed)

    def _failed(self, error: CrawlError | None = None, **kwargs: Any) -> None:
        self.failures.append(error)


def saved(case: str, kind: str, request: Request | None = None) -> HtmlResponse:
    """The fixture page `case` as the response to a request of `kind` (or to `request`)."""
    meta = json.loads((FIXTURES / case / "meta.json").read_text(encoding="utf-8"))
    request = request or Request(meta["url"], meta={KIND: kind})
    return HtmlResponse(meta["url"], body=(FIXTURES / case / "page.html").read_bytes(),
                        headers={"Content-Type": meta["content_type"]}, request=request)


def test_list_page_yields_article_requests_and_its_tagged_pagination() -> None:
    spy = Spy()
    out = list(spy.spider.parse_page(saved("list_seed_list_n", "list")))
    assert out and all(isinstance(r, Request) for r in out)
    articles = [r for r in out if r.meta[KIND] == "article"]
    assert len(articles) == 4 and all(r.callback == spy.spider.parse_page for r in articles)
    assert all(r.url.startswith("http://sample.test/jianghua/") for r in articles)
    pagination = {r.url for r in out if r.meta.get(PAGINATION_OF)}
    assert pagination == {"http://sample.test/jianghua/list_1.html",
                          "http://sample.test/jianghua/list_3.html"}
    others = {r.url for r in out if r.meta[KIND] == "list" and not r.meta.get(PAGINATION_OF)}
    assert "http://sample.test/hetong/" in others
    assert spy.failures == []
    assert spy.crawler.stats.get_value("fanwen/pages/list") == 1


def test_article_page_yields_the_article_item() -> None:
    spy = Spy()
    response = saved("seed_article", "article")
    out = list(spy.spider.parse_page(response))
    items = [o for o in out if isinstance(o, ArticleItem)]
    assert len(items) == 1
    item = items[0]
    assert item.url == "http://sample.test/jianghua/2023/0220/1188.html"
    assert item.title and item.body == "\n".join(item.paragraphs) and len(item.body) > 100
    assert (item.pages, item.page_urls, item.published_at) == (
        1, [item.url], "2023-02-20T08:05:42")
    assert response.meta[PUBLISHED] == "2023-02-20T08:05:42"
    assert {r.meta[KIND] for r in out if isinstance(r, Request)} <= {"article", "list"}


def test_continuation_pages_are_stitched_into_one_article() -> None:
    spy = Spy()
    first = list(spy.spider.parse_page(saved("seed_multipage_first", "article")))
    assert not [o for o in first if isinstance(o, ArticleItem)], "not finished after page 1"
    [cont] = [r for r in first if isinstance(r, Request) and DRAFT in r.meta]
    assert cont.url == "http://sample.test/jianghua/2023/0315/1203_2.html"
    assert cont.callback == spy.spider.parse_continuation and cont.dont_filter
    page1 = list(cont.meta[DRAFT].paragraphs)
    # The portal's last page stands in for the next one: it is a continuation page too.
    out = list(spy.spider.parse_continuation(saved("seed_multipage_last", "", request=cont)))
    [article] = out
    assert isinstance(article, ArticleItem)
    assert article.pages == 2 and len(article.page_urls) == 2
    assert article.paragraphs[: len(page1)] == page1 and len(article.paragraphs) > len(page1)
    assert article.body == "\n".join(article.paragraphs)
    assert spy.crawler.stats.get_value("fanwen/pages/continuation") == 1


def test_a_continuation_page_linked_directly_leads_to_its_first_page() -> None:
    spy = Spy()
    out = list(spy.spider.parse_page(saved("seed_multipage_last", "article")))
    assert not [o for o in out if isinstance(o, ArticleItem)]
    firsts = [r for r in out if r.meta[KIND] == "article"]
    assert firsts[0].url == "http://sample.test/jianghua/2023/0315/1203.html"


def test_a_bad_continuation_page_keeps_the_pages_so_far_and_is_reported() -> None:
    spy = Spy()
    [cont] = [r for r in spy.spider.parse_page(saved("seed_multipage_first", "article"))
              if isinstance(r, Request) and DRAFT in r.meta]
    out = list(spy.spider.parse_continuation(saved("list_seed_list_n", "", request=cont)))
    assert [type(o) for o in out] == [ArticleItem] and out[0].pages == 1
    assert [e.reason for e in spy.failures if e] == ["bad_continuation"]


def test_non_html_and_failed_requests_are_reported_not_yielded() -> None:
    spy = Spy()
    url = "http://sample.test/a/1.pdf"
    pdf = TextResponse(url, body=b"%PDF-1.4", headers={"Content-Type": "application/pdf"},
                       request=Request(url, meta={KIND: "article"}))
    assert list(spy.spider.parse_page(pdf)) == []
    failure = Failure(TxTimeoutError("slow"))
    failure.request = Request("http://sample.test/a/2.html", meta={KIND: "article"})  # type: ignore[attr-defined]
    assert list(spy.spider.on_error(failure)) == []
    assert [(e.reason, e.url) for e in spy.failures if e] == [
        ("not_html", url), ("timeout", "http://sample.test/a/2.html")]


@pytest.mark.parametrize(("until", "followed"), [("2023-01-01", True), ("2024-01-01", False)])
def test_until_middleware_holds_pagination_until_an_article_is_new_enough(
    until: str, followed: bool
) -> None:
    spy = Spy(FANWEN_UNTIL=until)
    mw = UntilMiddleware.from_crawler(spy.crawler)
    listing = saved("list_seed_list_n", "list")
    out = list(mw.process_spider_output(listing, spy.spider.parse_page(listing)))
    assert not [r for r in out if r.meta.get(PAGINATION_OF)], "pagination is held"
    released: list[Any] = []
    for article in [r for r in out if r.meta[KIND] == "article"]:
        # Every article of this list answers with the same saved page (dated 2023-02-20).
        response = saved("seed_article", "", request=article).replace(url=article.url)
        released += [o for o in mw.process_spider_output(response,
                                                          spy.spider.parse_page(response))
                     if isinstance(o, Request) and o.meta[KIND] == "list"
                     and o.url.endswith("list_3.html")]
    assert bool(released) is followed
    assert (spy.crawler.stats.get_value("fanwen/until/older") or 0) == (0 if followed else 4)


def test_a_url_already_asked_for_is_not_requested_again_except_under_until() -> None:
    spy = Spy()
    first = [r.url for r in spy.spider.parse_page(saved("list_seed_list_n", "list"))]
    assert first and len(first) == len(set(first))
    assert list(spy.spider.parse_page(saved("list_seed_list_n", "list"))) == []
    gated = Spy(FANWEN_UNTIL="2023-01-01")  # the --until gate counts every article request
    again = [list(gated.spider.parse_page(saved("list_seed_list_n", "list"))) for _ in (1, 2)]
    assert [r.url for r in again[1]] == [r.url for r in again[0]] and again[0]
