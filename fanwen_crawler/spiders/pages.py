"""Responses as pages and articles: what the portal spider's callbacks are made of.

`read_page` turns a response into the extracted `Page`, or the `CrawlError` saying why
there is none (not HTML, an extraction error, an article link that served no article).
`start_article` and `add_continuation` stitch an article's pages into one `ArticleItem`.
Pure of crawl policy: which links to follow is the spider's business.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy.http import Response

from fanwen_crawler.extractors import ExtractionError, extract_page
from fanwen_crawler.failures import describe_non_article, describe_response, referer_of
from fanwen_crawler.items import ArticleItem, CrawlError, Page
from fanwen_crawler.profiles import Profile
from fanwen_crawler.urls import canonical_url, linked_canonical, response_canonical, site_of

logger = logging.getLogger(__name__)
HTML_TYPES = (b"text/html", b"application/xhtml", b"text/plain")
PAGE_META = "fanwen_extracted"
"""Request meta key holding a worker's extraction (middlewares/extract_workers.py): a `Page`
or the `ExtractionError` raised."""


def page_content_type(response: Response) -> str | None:
    """The Content-Type a response is read as a page with (text/html when absent), or None
    when it is not a page (a PDF, an image …)."""
    ctype = response.headers.get(b"Content-Type", b"text/html") or b"text/html"
    return ctype.decode("latin-1") if ctype.lower().startswith(HTML_TYPES) else None


def read_page(response: Response, profile: Profile | None, *, expect_article: bool,
              stats: Any = None) -> Page | CrawlError:
    """The extracted page, or a CrawlError saying why there is none."""
    ctype = page_content_type(response)
    if ctype is None:
        return describe_response(response, "not_html",
                                 response.headers.get(b"Content-Type", b"").decode("latin-1"))
    try:
        # Extracted already by a worker process (middlewares/extract_workers.py), or here.
        page = response.meta.pop(PAGE_META, None)
        if isinstance(page, ExtractionError):
            raise page
        if page is None:
            page = extract_page(response.body, response.url,
                                {"Content-Type": ctype}, profile)
    except ExtractionError as exc:
        # Counted by Scrapy-style stats and recorded, not lost in a log line.
        if stats is not None:
            stats.inc_value("spider_exceptions/ExtractionError")
        logger.warning("extraction failed on %s: %s", response.url, exc)
        return describe_response(response, "extraction_error", str(exc))
    if stats is not None and page.encoding == "utf-8" and not response.body.isascii():
        try:
            response.body.decode("utf-8")
        except UnicodeDecodeError:  # kept as UTF-8, the bad bytes replaced: counted
            stats.inc_value("fanwen/decode/invalid_bytes")
    if page.page_type == "other" and expect_article:
        # An article link that served an empty page, a soft 404 or a login wall.
        return describe_non_article(linked_canonical(response.meta, response.url), response.body,
                                    getattr(response, "text", ""), status=response.status,
                                    referer=referer_of(response.request))
    return page


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def start_article(page: Page, response: Response) -> ArticleItem:
    """The article as far as its first page goes (continuation pages are added later)."""
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


def add_continuation(draft: ArticleItem, page: Page, url: str) -> None:
    """Append a continuation page (canonical `url`) to the article being stitched."""
    draft.paragraphs.extend(page.paragraphs)
    draft.sections.extend(page.sections)
    draft.page_urls.append(url)
    draft.pages += 1


def finish_article(draft: ArticleItem) -> ArticleItem:
    """The stitched article with its body joined from all its pages' paragraphs."""
    draft.body = "\n".join(draft.paragraphs)
    return draft
