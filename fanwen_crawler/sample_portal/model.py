"""Data shapes of the sample portal: served resources and the ground truth about them.

`PortalTruth` is what tests compare a crawl against: every article with its clean
text exactly as an ideal extractor should output it, every list page, and the
deliberate traps (robots-disallowed pages, the 404, the redirect, off-site links).
All paths are relative to the portal root ("/jianghua/2023/0315/1203.html").
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Resource:
    """One servable response."""

    status: int
    """HTTP status code (200, 301)."""
    headers: dict[str, str]
    """Response headers (Content-Type, Location …); Content-Length is added when served."""
    body: bytes
    """Raw body bytes, already in the page's own encoding."""


@dataclass(kw_only=True, slots=True)
class SectionTruth:
    """One essay of a multi-essay page (篇一/篇二 …)."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class ArticleTruth:
    """What an ideal crawl + extractor should produce for one article."""

    url: str
    """Path of the article's first page."""
    title: str
    category: str
    """Category name as in the breadcrumb."""
    published_at: str
    """ISO 8601, as precise as the page shows ("2023-08-11T15:33:05", "2023-05-28")."""
    published_raw: str
    """The date exactly as shown on the page."""
    source: str
    author: str | None
    paragraphs: list[str]
    """Clean paragraphs of all pages: no lead-in, no title repeat, no watermark."""
    page_paragraphs: list[list[str]]
    """The same paragraphs grouped by page."""
    sections: list[SectionTruth]
    """Essays of a multi-essay page; empty otherwise."""
    tags: list[str]
    related: list[str]
    """Paths of the related-article links (推荐访问 / 相关文章 / 延伸阅读)."""
    page_paths: list[str]
    """Paths of all pages, first page first."""
    layout: str
    """Template family: "seed", "dede", "phpcms" or "legacy"."""
    encoding: str
    """Codec that decodes the bytes: "utf-8" or "gb18030"."""
    duplicate_of: str | None = None
    """Path of the original, for the exact re-post and the near-duplicate."""
    near_duplicate: bool = False

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass(kw_only=True, slots=True)
class ListTruth:
    """One category list page."""

    path: str
    category: str
    page_no: int
    article_links: list[str]
    """Paths of the articles listed, in order."""
    next_page: str | None
    encoding: str


@dataclass(kw_only=True, slots=True)
class PortalTruth:
    """Everything the portal deliberately contains."""

    articles: list[ArticleTruth]
    list_pages: list[str]
    """Paths of all category list pages."""
    lists: dict[str, ListTruth]
    """The same list pages, by path, with their links."""
    home: str
    home_article_links: list[str]
    """Paths of the article links on the home page (canonical, first appearance order)."""
    category_pages: dict[str, str]
    """Category name -> path of its first list page."""
    tag_pages: dict[str, str]
    """Tag -> path of its tag page."""
    robots_disallowed: list[str]
    """Paths under /member/ that are linked on the site but disallowed by robots.txt."""
    missing: str
    """The deliberately dead link (404)."""
    redirects: dict[str, str]
    """Old path -> target path of each 301 redirect."""
    offsite_links: list[str]
    """Absolute URLs of links that leave the portal."""

    def article(self, path: str) -> ArticleTruth:
        """The article whose first page (or any page) is `path`."""
        for art in self.articles:
            if path == art.url or path in art.page_paths:
                return art
        raise KeyError(path)


@dataclass(kw_only=True, slots=True)
class Site:
    """The whole portal: every servable path and the truth about it."""

    pages: dict[str, Resource]
    truth: PortalTruth
