"""The generic portal spider: crawl policy only, extraction lives in `extractors`.

Start at the portal's home (or any list) page; follow list pages, their pagination
and the category navigation; hand every page to `extract_page`; stitch an article's
continuation pages (123_2.html …) into one item. A profile, when given, sharpens
the extractor's page classification and selectors; it never changes the policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor

from fanwen_crawler.extractors import ExtractionError, extract_page
from fanwen_crawler.failures import describe_failure, describe_non_article
from fanwen_crawler.items import ArticleItem, CrawlError, Page
from fanwen_crawler.middlewares.until import PaginationGate
from fanwen_crawler.profiles import load_profile
from fanwen_crawler.spiders.linkfilter import LinkFilter
from fanwen_crawler.urls import (
    canonical_of,
    canonical_url,
    clean_url,
    linked_canonical,
    remember_canonical,
    response_canonical,
    site_of,
)

DRAFT = "fanwen_draft"  # request meta key: the article being stitched
KIND = "fanwen_kind"  # request meta key: "article" | "list" | "page" | "start"
HTML_TYPES = (b"text/html", b"application/xhtml", b"text/plain")
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
        self.gate: PaginationGate | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        if not kwargs.get("profile") and crawler.settings.get("FANWEN_PROFILE"):
            kwargs["profile"] = crawler.settings.get("FANWEN_PROFILE")
        spider = super().from_crawler(crawler, *args, **kwargs)
        if until := crawler.settings.get("FANWEN_UNTIL"):
            spider.gate = PaginationGate(str(until))
            crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
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

    def _follow(self, urls: Any, kind: str) -> Iterator[scrapy.Request]:
        for url in urls:
            if canon := self.links.accept(url):
                yield self.request_for(canon, kind)

    def _extract(self, response: Response) -> Page | CrawlError:
        """The extracted page, or a CrawlError saying why there is none."""
        ctype = response.headers.get(b"Content-Type", b"text/html") or b"text/html"
        referer = _header(response.request, b"Referer") if response.request else None
        if not ctype.lower().startswith(HTML_TYPES):
            return CrawlError(url=_linked_url(response), reason="not_html", referer=referer,
                              status=response.status, detail=ctype.decode("latin-1"))
        headers = {"Content-Type": ctype.decode("latin-1")}
        try:
            page = extract_page(response.body, response.url, headers, self.profile)
        except ExtractionError as exc:
            # Counted by Scrapy-style stats and recorded, not lost in a log line.
            self.crawler.stats.inc_value("spider_exceptions/ExtractionError")
            self.logger.warning("extraction failed on %s: %s", response.url, exc)
            return CrawlError(url=_linked_url(response), reason="extraction_error",
                              status=response.status, detail=str(exc)[:500], referer=referer)
        if page.page_type == "other" and response.meta.get(KIND) == "article":
            # An article link that served an empty page, a soft 404 or a login wall.
            return describe_non_article(_linked_url(response), response.body,
                                        getattr(response, "text", ""),
                                        status=response.status, referer=referer)
        return page

    def parse_page(self, response: Response) -> Iterator[Any]:
        page = self._extract(response)
        if isinstance(page, CrawlError):
            yield page
            yield from self._resolve(response.request, fresh=True)
            return
        self.crawler.stats.inc_value(f"fanwen/pages/{page.page_type}")
        if page.page_type == "article":
            fresh = self.gate is None or self.gate.is_fresh(page.published_at)
            if page.first_page and canonical_url(page.first_page) != response_canonical(response):
                yield from self._follow([page.first_page], "article")
            elif fresh:
                yield from self._continue(page, self._draft(page, response))
            else:
                self.crawler.stats.inc_value("fanwen/until/older")
            yield from self._resolve(response.request, fresh)
            yield from self._follow((link.url for link in page.related), "article")
            yield from self._follow(page.list_links, "list")
        else:
            yield from self._resolve(response.request, fresh=True)
            articles = list(self._follow((link.url for link in page.article_links), "article"))
            yield from articles
            if self.gate is not None and page.page_type == "list":
                yield from self._hold_pagination(page, articles)
            else:
                yield from self._follow([page.next_page], "list")
                yield from self._follow(page.list_links, "list")
        if page.page_type == "other":
            # Hubs (home, tag and column pages) may link pages of any shape; follow them all
            # and let the extractor classify what comes back.
            hub_links = (link.url for link in HUB_LINKS.extract_links(response))
            yield from self._follow(hub_links, "page")

    def _hold_pagination(self, page: Page, articles: list[scrapy.Request]) -> Iterator[Any]:
        """--until: the pager of this list is followed only if one of its articles is new."""
        assert self.gate is not None
        folder = page.url.rsplit("/", 1)[0]
        pager = [u for u in page.list_links if u.rsplit("/", 1)[0] == folder and u != page.url]
        pagination = [r.url for r in self._follow([page.next_page, *pager], "list")]
        others = [u for u in page.list_links if u not in pager]
        yield from self._follow(others, "list")
        follow = self.gate.hold(page.url, [canonical_of(r) for r in articles],
                                list(dict.fromkeys(pagination)))
        yield from self._follow(follow, "list")

    def _resolve(self, request: Any, fresh: bool) -> Iterator[scrapy.Request]:
        """Tell the --until gate an article request came back (fresh: new enough)."""
        if self.gate is None or request is None or request.meta.get(KIND) != "article":
            return
        linked = linked_canonical(request.meta, request.url)
        yield from self._follow(self.gate.resolve(linked, fresh), "list")

    def on_idle(self) -> None:
        """--until: lists still waiting for articles that never came back are followed."""
        if self.gate is None:
            return
        if urls := self.gate.release_all():
            for request in self._follow(urls, "list"):
                self.crawler.engine.crawl(request)
            raise DontCloseSpider

    def parse_continuation(self, response: Response) -> Iterator[Any]:
        draft: ArticleItem = response.meta[DRAFT]
        page = self._extract(response)
        if isinstance(page, CrawlError) or page.page_type != "article":
            yield CrawlError(url=response_canonical(response), reason="bad_continuation",
                             status=response.status, referer=draft.url,
                             detail="continuation page is not an article page")
            yield draft
            return
        self.crawler.stats.inc_value("fanwen/pages/continuation")
        draft.paragraphs.extend(page.paragraphs)
        draft.sections.extend(page.sections)
        draft.page_urls.append(response_canonical(response))
        draft.pages += 1
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
            draft.body = "\n".join(draft.paragraphs)
            yield draft

    @staticmethod
    def _draft(page: Page, response: Response) -> ArticleItem:
        url = response_canonical(response)
        return ArticleItem(
            url=url, site=site_of(url), title=page.title or "", body=page.body or "",
            paragraphs=list(page.paragraphs), category=page.category,
            published_at=page.published_at, published_raw=page.published_raw,
            source=page.source, author=page.author, tags=list(page.tags),
            related=list(page.related), sections=list(page.sections), pages=1,
            page_urls=[url], encoding=page.encoding,
            crawled_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
            aliases=[canonical_url(str(u)) for u in response.meta.get("redirect_urls", [])],
            etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"),
        )

    def on_error(self, failure: Any) -> Iterator[Any]:
        if error := describe_failure(failure):
            yield error
        yield from self._resolve(failure.request, fresh=True)
        # A failed continuation page still leaves the pages fetched so far.
        if draft := failure.request.meta.get(DRAFT):
            draft.body = "\n".join(draft.paragraphs)
            yield draft


def _header(message: Any, name: bytes) -> str | None:
    value = message.headers.get(name)
    return value.decode("latin-1") if value else None


def _linked_url(response: Response) -> str:
    return linked_canonical(response.meta, response.url)
