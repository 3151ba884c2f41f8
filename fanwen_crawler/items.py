"""Item schemas: what extraction returns and what the pipelines store.

The dataclasses here are the schema. Storage columns, the JSON printed by
`fanwen extract`, and the fixtures' expected JSON all follow these fields. Fields marked
`metadata={"internal": True}` are working data of the pipelines (the MinHash signature),
left out of Scrapy feed exports (`exported_fields`, used for FEED_EXPORT_FIELDS).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

PageType = Literal["article", "list", "other"]


@dataclass(kw_only=True, slots=True)
class Link:
    """A hyperlink found on a page."""

    url: str
    """Absolute URL, canonicalised (tracking parameters and fragment removed)."""
    title: str
    """The link's visible text, whitespace-normalised."""


@dataclass(kw_only=True, slots=True)
class Section:
    """One essay of a multi-essay 范文 page (篇一/篇二 …)."""

    heading: str
    """The section heading as written, e.g. "篇一：年度工作总结"."""
    paragraphs: list[str] = field(default_factory=list)
    """The section's own paragraphs, heading excluded."""


@dataclass(kw_only=True, slots=True)
class Page:
    """The result of extracting one fetched page; a pure function of (bytes, URL, headers)."""

    url: str
    """The page's own URL as requested (`urls.clean_url`; the canonical form is the store's)."""
    page_type: PageType
    """"article" (one 范文 or one page of it), "list" (category/list page) or "other"."""
    encoding: str | None = None
    """Codec used to decode the bytes (e.g. "gb18030", "utf-8")."""
    title: str | None = None
    """Article title without the site-name suffix; list pages: the category name."""
    published_at: str | None = None
    """ISO 8601, as precise as the page states: "2023-08-11T15:33:05" or "2020-12-25"."""
    published_raw: str | None = None
    """The date as shown on the page, before parsing."""
    source: str | None = None
    """The 来源/出处 value as written."""
    author: str | None = None
    """The 作者 value as written."""
    category: str | None = None
    """Category name from the breadcrumb (the last crumb before the article)."""
    body: str | None = None
    """The article's own text: paragraphs joined by "\\n"; None for non-articles."""
    paragraphs: list[str] = field(default_factory=list)
    """The body's paragraphs in order."""
    sections: list[Section] = field(default_factory=list)
    """Essays of a multi-essay page (篇一/篇二 …); empty for single-essay pages."""
    tags: list[str] = field(default_factory=list)
    """The page's own tag / hot-word links (相关热词搜索, TAG标签)."""
    related: list[Link] = field(default_factory=list)
    """Related-article links (相关文章, 推荐访问 …)."""
    next_page: str | None = None
    """Articles: the continuation page (123_2.html); lists: the next list page."""
    first_page: str | None = None
    """Articles: URL of the article's first page when this page is a continuation page."""
    page_links: list[str] = field(default_factory=list)
    """Articles: every page of this article's own pager (including this one), in order."""
    article_links: list[Link] = field(default_factory=list)
    """List pages: links to the articles listed."""
    list_links: list[str] = field(default_factory=list)
    """Same-site links that look like category / list pages (navigation, pagination)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (what `fanwen extract` prints)."""
        return asdict(self)


@dataclass(kw_only=True, slots=True)
class ArticleItem:
    """One article as it flows through the item pipelines into the corpus."""

    url: str
    """Canonical URL of the article's first page; the corpus key."""
    site: str
    """Host (and port, if not default) of the portal, e.g. "www.example.cn"."""
    title: str
    """Article title."""
    body: str
    """Article text of all its pages, paragraphs joined by "\\n"."""
    paragraphs: list[str] = field(default_factory=list)
    """Paragraphs of all pages in order."""
    category: str | None = None
    """Category name from the breadcrumb."""
    published_at: str | None = None
    """ISO 8601 publication time, as precise as the page states."""
    published_raw: str | None = None
    """The date as shown on the page."""
    source: str | None = None
    """The 来源/出处 value as written."""
    author: str | None = None
    """The 作者 value as written."""
    tags: list[str] = field(default_factory=list)
    """The page's own tags / hot words."""
    related: list[Link] = field(default_factory=list)
    """Related-article links."""
    sections: list[Section] = field(default_factory=list)
    """Essays of a multi-essay page."""
    pages: int = 1
    """How many pages the article spanned."""
    page_urls: list[str] = field(default_factory=list)
    """URLs of all pages fetched for this article, in order."""
    aliases: list[str] = field(default_factory=list)
    """Other canonical URLs that led to this article (redirect sources); never fetched again."""
    encoding: str | None = None
    """Codec the first page was decoded with."""
    crawled_at: str | None = None
    """UTC ISO 8601 time the first page was fetched."""
    content_hash: str | None = None
    """SHA-256 of the normalised body (set by the dedupe pipeline)."""
    duplicate_of: int | None = None
    """id of the first-stored article this one duplicates (set by dedupe/storage)."""
    duplicate_of_url: str | None = None
    """URL of the article this one duplicates (set by dedupe; resolved to an id by storage)."""
    similarity: float | None = None
    """1.0 for exact duplicates, the MinHash Jaccard estimate for near duplicates."""
    minhash: bytes | None = field(default=None, metadata={"internal": True})
    """Serialised MinHash signature of the body (set by dedupe, stored for later runs)."""
    etag: str | None = None
    """The first page's ETag response header, sent back as If-None-Match on --refresh."""
    last_modified: str | None = None
    """The first page's Last-Modified header, sent back as If-Modified-Since on --refresh."""


# Reasons that are a deliberate policy skip, not a failure: stored in `skipped`, not in
# `crawl_errors` (robots.txt disallows it; --max-articles was reached while it downloaded).
POLICY_SKIPS = frozenset({"robots", "dropped:max_articles"})


@dataclass(kw_only=True, slots=True)
class CrawlError:
    """A URL that failed or was skipped, with the reason; stored in `crawl_errors`, or in
    `skipped` when the reason is a policy skip (`POLICY_SKIPS`)."""

    url: str
    """The URL requested (canonical form)."""
    reason: str
    """Short machine-readable reason: "http_404", "timeout", "dns", "robots", "not_html",
    "extraction_error", "dropped:<why>", "too_large", "redirect_loop" …"""
    status: int | None = None
    """HTTP status when a response arrived, else None."""
    detail: str | None = None
    """Human-readable detail (exception message, validation message)."""
    referer: str | None = None
    """The page the URL was found on."""

    @property
    def is_skip(self) -> bool:
        """A deliberate policy skip (robots, max-articles), not an error."""
        return self.reason in POLICY_SKIPS

def exported_fields(item_class: type = ArticleItem) -> list[str]:
    """The fields of `item_class` that feed exports write (internal ones left out)."""
    return [f.name for f in fields(item_class) if not f.metadata.get("internal")]
