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
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor

from fanwen_crawler.extractors import extract_page
from fanwen_crawler.failures import describe_failure
from fanwen_crawler.items import ArticleItem, CrawlError, Page
from fanwen_crawler.linkfilter import LinkFilter
from fanwen_crawler.profiles import load_profile
from fanwen_crawler.urls import canonical_url, site_of

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
            raise ValueError("no start URL: pass -a start_url=URL[,URL…] or a profile with start_urls")
        self.start_urls = [canonical_url(u) for u in urls]
        self.links = LinkFilter(self.start_urls, self.profile)

    async def start(self) -> Any:
        for url in self.start_urls:
            yield self._request(url, "start")

    def _request(self, url: str, kind: str, **kw: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                              meta={KIND: kind, **kw.pop("meta", {})}, **kw)

    def _follow(self, urls: Any, kind: str) -> Iterator[scrapy.Request]:
        for url in urls:
            if canon := self.links.accept(url):
                yield self._request(canon, kind)

    def _extract(self, response: Response) -> Page | CrawlError:
        ctype = response.headers.get(b"Content-Type", b"text/html") or b"text/html"
        if not ctype.lower().startswith(HTML_TYPES):
            return CrawlError(url=canonical_url(response.url), reason="not_html",
                              status=response.status, detail=ctype.decode("latin-1"))
        headers = {"Content-Type": ctype.decode("latin-1")}
        return extract_page(response.body, response.url, headers, self.profile)

    def parse_page(self, response: Response) -> Iterator[Any]:
        page = self._extract(response)
        if isinstance(page, CrawlError):
            yield page
            return
        self.crawler.stats.inc_value(f"fanwen/pages/{page.page_type}")
        if page.page_type == "article":
            if page.first_page and canonical_url(page.first_page) != page.url:
                yield from self._follow([page.first_page], "article")
            else:
                yield from self._continue(page, self._draft(page, response))
            yield from self._follow((link.url for link in page.related), "article")
        else:
            yield from self._follow((link.url for link in page.article_links), "article")
            yield from self._follow([page.next_page], "list")
        if page.page_type == "other":
            # Hubs (home, tag and column pages) may link pages of any shape; follow them all
            # and let the extractor classify what comes back.
            yield from self._follow((link.url for link in HUB_LINKS.extract_links(response)), "page")
        yield from self._follow(page.list_links, "list")

    def parse_continuation(self, response: Response) -> Iterator[Any]:
        draft: ArticleItem = response.meta[DRAFT]
        page = self._extract(response)
        if isinstance(page, CrawlError) or page.page_type != "article":
            yield CrawlError(url=canonical_url(response.url), reason="bad_continuation",
                             status=response.status, referer=draft.url,
                             detail="continuation page is not an article page")
            yield draft
            return
        self.crawler.stats.inc_value("fanwen/pages/continuation")
        draft.paragraphs.extend(page.paragraphs)
        draft.sections.extend(page.sections)
        draft.page_urls.append(page.url)
        draft.pages += 1
        yield from self._continue(page, draft)

    def _continue(self, page: Page, draft: ArticleItem) -> Iterator[Any]:
        """Request the next continuation page, or emit the finished article."""
        nxt = self.links.accept(page.next_page)
        limit = self.settings.getint("FANWEN_MAX_ARTICLE_PAGES", 50)
        if nxt and nxt not in draft.page_urls and draft.pages < limit:
            # dont_filter: the page may have been seen as a plain link; it is still needed here.
            yield scrapy.Request(nxt, callback=self.parse_continuation, errback=self.on_error,
                                 meta={KIND: "continuation", DRAFT: draft}, dont_filter=True)
        else:
            draft.body = "\n".join(draft.paragraphs)
            yield draft

    @staticmethod
    def _draft(page: Page, response: Response) -> ArticleItem:
        return ArticleItem(
            url=page.url, site=site_of(page.url), title=page.title or "", body=page.body or "",
            paragraphs=list(page.paragraphs), category=page.category,
            published_at=page.published_at, published_raw=page.published_raw,
            source=page.source, author=page.author, tags=list(page.tags),
            related=list(page.related), sections=list(page.sections), pages=1,
            page_urls=[page.url], encoding=page.encoding,
            crawled_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        )

    def on_error(self, failure: Any) -> Iterator[Any]:
        if error := describe_failure(failure):
            yield error
        # A failed continuation page still leaves the pages fetched so far.
        if draft := failure.request.meta.get(DRAFT):
            draft.body = "\n".join(draft.paragraphs)
            yield draft
