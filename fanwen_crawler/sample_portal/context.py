"""The portal's build-time model: categories, articles with their links, shared chrome.

Templates (seed.py, dede.py, phpcms.py, legacy.py, pages.py) read this model and
return HTML text; build.py assembles it and encodes each page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from fanwen_crawler.sample_portal.texts import HIDDEN_MARK, VISIBLE_MARK, ArticleSpec, clean

SITE_NAME = "春雨范文网"
DOMAIN = "www.sample-fanwen.cn"
MOBILE_DOMAIN = "m.sample-fanwen.cn"
ICP = "苏ICP备20001234号-2"
BEIAN_URL = "https://beian.miit.gov.cn/"
EXAMPLE_URL = "http://www.example.com/"
HIDDEN_WATERMARK = f'<span style="display:none">{DOMAIN}</span>'
VISIBLE_WATERMARK = f" {MOBILE_DOMAIN} "
COMMENTS = (
    ("匿名网友", "写得很好，借鉴了，谢谢小编！"),
    ("春天的风", "内容很实用，正好单位要写这个材料。"),
    ("xiaoli2008", "能不能出一个word版本的，复制格式有点乱。"),
    ("游客", "结构清晰，条理分明，收藏了。"),
    ("青青河边草", "第二部分写得特别到位，学习了。"),
)


@dataclass(frozen=True, slots=True)
class Category:
    """A 栏目 with its template family and list-page URL style."""

    slug: str
    name: str
    family: str
    """Template family of its list pages and default article layout."""
    parent: str
    per_page: int
    typeid: int

    def list_path(self, n: int) -> str:
        """Path of list page `n` (1-based) in this category's pagination style."""
        if self.family == "seed" and self.slug == "jianghua":
            return f"/{self.slug}/list_{n}.html"
        if self.family == "seed":
            return f"/{self.slug}/" if n == 1 else f"/{self.slug}/index_{n}.html"
        if self.family == "phpcms":
            return f"/{self.slug}/list-{self.typeid}-{n}.html"
        return f"/{self.slug}/" if n == 1 else f"/{self.slug}/list_{self.typeid}_{n}.html"


CATEGORIES = (
    Category(slug="jianghua", name="讲话致辞", family="seed", parent="公文大全", per_page=4,
             typeid=2),
    Category(slug="zongjie", name="工作总结", family="seed", parent="公文大全", per_page=4,
             typeid=3),
    Category(slug="xinde", name="心得体会", family="phpcms", parent="实用范文", per_page=4,
             typeid=8),
    Category(slug="hetong", name="合同范本", family="dede", parent="实用范文", per_page=4,
             typeid=5),
    Category(slug="shuzhi", name="述职报告", family="dede", parent="公文大全", per_page=3,
             typeid=6),
)


@dataclass(eq=False, kw_only=True)
class Article:
    """An article placed on the site: its spec plus paths and neighbours."""

    spec: ArticleSpec
    category: Category
    layout: str
    path: str
    page_paths: list[str]
    prev: Article | None = None
    next: Article | None = None
    related: list[Article] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def encoding(self) -> str:
        return "gb18030" if self.layout == "dede" else "utf-8"

    @property
    def date_day(self) -> str:
        return self.spec.date[:10]

    @property
    def published_raw(self) -> str:
        if self.layout == "phpcms":
            y, m, d = self.date_day.split("-")
            return f"{y}年{m}月{d}日"
        return self.spec.date

    @property
    def published_at(self) -> str:
        return self.spec.date.replace(" ", "T")

    @property
    def hits(self) -> int:
        return (self.spec.id * 37) % 4000 + 312

    def comments(self) -> list[tuple[str, str]]:
        start = self.spec.id % len(COMMENTS)
        return [COMMENTS[start], COMMENTS[(start + 2) % len(COMMENTS)]]


@dataclass(kw_only=True)
class Ctx:
    """Site-wide facts every template needs."""

    base_url: str
    offsite_url: str
    categories: tuple[Category, ...]
    articles: list[Article]
    tag_paths: dict[str, str]
    hot: list[Article]
    missing: str
    redirect_from: str
    member_paths: dict[str, str]

    def absolute(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def by_category(self, cat: Category) -> list[Article]:
        """Articles of a category, newest first (list order)."""
        items = [a for a in self.articles if a.category is cat]
        return sorted(items, key=lambda a: (a.spec.date, a.spec.id), reverse=True)

    @property
    def offsite_links(self) -> list[str]:
        return [self.offsite_url + "links.html", EXAMPLE_URL, BEIAN_URL]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def inline(raw: str) -> str:
    """HTML of a marked paragraph: escaped, watermarks injected."""
    return esc(raw).replace(HIDDEN_MARK, HIDDEN_WATERMARK).replace(VISIBLE_MARK, VISIBLE_WATERMARK)


def summary(article: Article, length: int = 60) -> str:
    text = "".join(clean(p) for p in article.spec.pages[0][:3])
    return text[:length] + "…"
