"""Data shapes of a generated portal: its categories and articles, and the ground truth.

Paths are "targets" exactly as the site writes them in its links: path plus query,
e.g. "/index.php?m=content&c=index&a=show&catid=2&id=1037" or "/a/2023/0528/1193.html".
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Category:
    """A 栏目: its name, directory slug and numeric id (typeid / catid / classid)."""

    index: int
    slug: str
    name: str
    cid: int
    group: str
    """Topic group of its titles (总结, 计划, 讲话 …)."""


@dataclass(kw_only=True, slots=True)
class ArticleSpec:
    """One article as placed on the site; its text is derived from `text_seed`."""

    id: int
    category: Category
    title: str
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    source: str | None
    author: str | None
    chars: int
    pages: int
    text_seed: int
    duplicate_of: int | None = None
    """Id of the original for a re-post."""
    near: bool = False
    """A near re-post (a few sentences changed) rather than an exact one."""
    name: str | None = None
    """A person's name written into the text (GBK-only / GB18030-only characters)."""
    in_sitemap: bool = True
    tags: list[str] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class ArticleTruth:
    """What an ideal crawl stores for one article."""

    url: str
    """Target of the first page, as linked."""
    title: str
    published_at: str
    """ISO 8601 as precise as the page shows it."""
    published_day: str
    """YYYY-MM-DD: what the checker compares (a page may show more or less precision)."""
    source: str | None
    author: str | None
    category: str
    paragraphs: list[str]
    page_urls: list[str]
    """Targets of every page, first page first."""
    page_paragraphs: list[list[str]]
    """The paragraphs of each page."""
    duplicate_of: str | None
    """Target of the original for a re-post."""
    near_duplicate: bool
    family: str
    scheme: str
    in_sitemap: bool
    list_page: int = 1
    """Number of the category list page that links the article."""
    list_page_items: int = 0
    """How many articles that list page holds."""

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def pages(self) -> int:
        return len(self.page_urls)


@dataclass(kw_only=True, slots=True)
class PortalTruth:
    """Everything the portal deliberately contains."""

    seed: int
    family: str
    scheme: str
    articles: list[ArticleTruth]
    continuation_urls: list[str]
    """Targets of continuation pages (page 2 …): never an article of their own."""
    list_urls: list[str]
    robots_disallowed: list[str]
    """Disallowed prefixes from robots.txt (every one of them is linked on the site)."""
    forbidden_in_body: list[str]
    """Trailer, share, comment and navigation strings that must never be in a body."""
    sitemap: str
    """none | robots | conventional | index | txt | stale"""
    stale_urls: list[str]
    """Targets listed in a stale sitemap that no longer exist (404)."""
    broken_pagination: bool
    features: dict[str, object]
    """The randomised choices (charset, placements, class names …), for reports."""
