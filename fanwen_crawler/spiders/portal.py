"""The generic portal spider: crawl policy only, extraction lives in `extractors`.

Start at the portal's home (or any list) page; follow list pages, their pagination
and the category navigation; hand every page to `extract_page`; stitch an article's
continuation pages (123_2.html …) into one item. A profile, when given, sharpens
the extractor and sets the portal's pace (`politeness`); it never changes the policy.
Failures are reported with the `request_failed` signal, never yielded as items;
`--until` is a spider middleware (`middlewares/until.py`) over what this spider yields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor

from fanwen_crawler.failures import describe_failure, request_failed
from fanwen_crawler.flags import unknown_setting
from fanwen_crawler.items import ArticleItem, CrawlError, Page
from fanwen_crawler.politeness import apply_politeness
from fanwen_crawler.profiles import load_profile
from fanwen_crawler.spiders.linkfilter import LinkFilter
from fanwen_crawler.spiders.pages import add_continuation, finish_article, read_page, start_article
from fanwen_crawler.urls import canonical_url, clean_url, remember_canonical, response_canonical

# Request meta keys.
DRAFT = "fanwen_draft"  # the article being stitched
KIND = "fanwen_kind"  # why the request was made: "start" | "article" | "list" | "page" | …
PAGINATION_OF = "fanwen_pagination_of"  # a list page's own pagination: that list's URL
PUBLISHED = "fanwen_published"  # set on an article page's response: its date
HUB_LINKS = LinkExtractor(canonicalize=False, unique=True)


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(self, start_url: str | None = None, profile: str | None = None, **kw: Any):
        super().__init__(**kw)
        self.profile = load_profile(profile) if profile else None
        urls = [u.strip() for u in (start_url or "").split(",") if u.strip()]
        urls = urls or (self.profile.start_urls if self.profile else [])
        if not urls:
            raise ValueError(
                "no start URL: pass -a start_url=URL[,URL…] or a profile with start_urls")
        self.start_urls = [clean_url(u) for u in urls]
        self.links = LinkFilter(self.start_urls, self.profile)
        # URLs this spider has already asked for: a page links the same nav, lists and
        # related articles as its neighbours, and each repeat would cost a Request and a
        # pass through the middlewares before the dupefilter drops it (~1.4 ms CPU per
        # page on a generated portal). Off under --until, whose gate must see every
        # article request of a list page (from_crawler sets None).
        self.requested: set[str] | None = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        kwargs["profile"] = kwargs.get("profile") or crawler.settings.get("FANWEN_PROFILE")
        spider = super().from_crawler(crawler, *args, **kwargs)
        if crawler.settings.get("FANWEN_UNTIL"):
            spider.requested = None
        if not crawler.settings.frozen:  # the spider is built before the settings freeze
            apply_politeness(crawler.settings, spider.profile)
        for problem in filter(None, map(unknown_setting, crawler.settings)):
            spider.logger.warning("setting %s", problem)  # `fanwen crawl --set` refuses it
        return spider

    async def start(self) -> Any:
        for url in self.start_urls:
            yield self.request_for(url, "start")

    def request_for(self, url: str, kind: str, **kw: Any) -> scrapy.Request:
        """A request for `url` handled by `parse_page`; `kind` says why it was made.

        The request carries its canonical URL in meta (`urls.remember_canonical`).
        """
        request = scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                                 meta={KIND: kind, **kw.pop("meta", {})}, **kw)
        remember_canonical(request)
        return request

    def _follow(self, urls: Any, kind: str, **meta: Any) -> Iterator[scrapy.Request]:
        for url in urls:
            if not (canon := self.links.accept(url)):
                continue
            if self.requested is not None:
                if canon in self.requested:
                    continue
                self.requested.add(canon)
            yield self.request_for(canon, kind, meta=meta)

    def _report(self, request: Any, error: CrawlError | None, response: Any = None) -> None:
        self.crawler.signals.send_catch_log(request_failed, request=request, error=error,
                                            response=response)

    def parse_page(self, response: Response) -> Iterator[Any]:
        expect_article = response.meta.get(KIND) == "article"
        page = read_page(response, self.profile, expect_article=expect_article,
                         stats=self.crawler.stats)
        if isinstance(page, CrawlError):
            self._report(response.request, page, response)
            return
        self.crawler.stats.inc_value(f"fanwen/pages/{page.page_type}")
        if page.page_type == "article":
            response.meta[PUBLISHED] = page.published_at
            if page.first_page and canonical_url(page.first_page) != response_canonical(response):
                yield from self._follow([page.first_page], "article")
            else:
                yield from self._continue(page, start_article(page, response))
            yield from self._follow((link.url for link in page.related), "article")
            yield from self._follow(page.list_links, "list")
            return
        yield from self._follow((link.url for link in page.article_links), "article")
        # A list page's own pagination: its next page and the pages of its pager.
        folder = page.url.rsplit("/", 1)[0]
        pager = {u for u in page.list_links if u.rsplit("/", 1)[0] == folder and u != page.url}
        tag = {PAGINATION_OF: page.url} if page.page_type == "list" else {}
        yield from self._follow([page.next_page], "list", **tag)
        for url in page.list_links:
            yield from self._follow([url], "list", **(tag if url in pager else {}))
        if page.page_type == "other":
            # Hubs (home, tag and column pages) may link pages of any shape; follow them all
            # and let the extractor classify what comes back.
            yield from self._follow((lk.url for lk in HUB_LINKS.extract_links(response)), "page")

    def parse_continuation(self, response: Response) -> Iterator[Any]:
        draft: ArticleItem = response.meta[DRAFT]
        page = read_page(response, self.profile, expect_article=False, stats=self.crawler.stats)
        if isinstance(page, CrawlError) or page.page_type != "article":
            self._report(response.request, CrawlError(
                url=response_canonical(response), reason="bad_continuation", status=response.status,
                referer=draft.url, detail="continuation page is not an article page"), response)
            yield draft
            return
        self.crawler.stats.inc_value("fanwen/pages/continuation")
        add_continuation(draft, page, response_canonical(response))
        yield from self._continue(page, draft)

    def _continue(self, page: Page, draft: ArticleItem) -> Iterator[Any]:
        """Request the next continuation page, or emit the finished article."""
        nxt = self.links.accept(page.next_page)
        limit = self.settings.getint("FANWEN_MAX_ARTICLE_PAGES", 50)
        if nxt and canonical_url(nxt) not in draft.page_urls and draft.pages < limit:
            # dont_filter: the page may have been seen as a plain link; it is still needed here.
            request = scrapy.Request(nxt, callback=self.parse_continuation,
                                     errback=self.on_error, dont_filter=True,
                                     meta={KIND: "continuation", DRAFT: draft})
            remember_canonical(request)
            yield request
        else:
            yield finish_article(draft)

    def on_error(self, failure: Any) -> Iterator[Any]:
        self._report(failure.request, describe_failure(failure))
        # A failed continuation page still leaves the pages fetched so far.
        if draft := failure.request.meta.get(DRAFT):
            yield finish_article(draft)

