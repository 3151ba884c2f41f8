"""Assemble the sample portal: place articles, render every page, record the truth.

`build_site` is pure and deterministic: the same arguments give byte-identical
pages. The only inputs are the base URL the portal is served at (used in absolute
links such as rel=canonical and the redirect's Location) and the off-site URL.
"""

from __future__ import annotations

from collections.abc import Callable

from fanwen_crawler.sample_portal import dede, legacy, pages, phpcms, seed
from fanwen_crawler.sample_portal.context import CATEGORIES, Article, Category, Ctx
from fanwen_crawler.sample_portal.model import (
    ArticleTruth,
    ListTruth,
    PortalTruth,
    Resource,
    SectionTruth,
    Site,
)
from fanwen_crawler.sample_portal.texts import SECTION_HEADING, ArticleSpec, clean, load_specs

DEFAULT_BASE_URL = "http://sample.test/"
DEFAULT_OFFSITE_URL = "http://fanwen-links.test/"
HTML_UTF8 = "text/html; charset=utf-8"
# Dede pages: the charset is only in the <meta> tag, never in the HTTP header.
HTML_NO_CHARSET = "text/html"
MISSING_PATH = "/jianghua/2021/0405/1001.html"
REDIRECT_FROM = "/old/2019/anquan.html"
REDIRECT_TO_KEY = "J1"
MEMBER_PATHS = {"login": "/member/login.php", "register": "/member/reg_new.php",
                "submit": "/member/article_add.php"}
MEMBER_TITLES = {"login": "会员登录", "register": "会员注册", "submit": "会员投稿"}
HOT_KEYS = ("J3", "Z2", "X1", "H1", "S1", "J1")
RELATED_COUNT = 5

Renderer = Callable[[Article, int, Ctx], str]
ARTICLE_RENDERERS: dict[str, Renderer] = {
    "seed": seed.render_article,
    "dede": dede.render_article,
    "phpcms": phpcms.render_article,
    "legacy": legacy.render_article,
}
LIST_RENDERERS = {"seed": seed.render_list, "dede": dede.render_list, "phpcms": phpcms.render_list}
STATIC = {
    "/robots.txt": ("text/plain; charset=utf-8", pages.ROBOTS_TXT),
    "/static/css/style.css": ("text/css", pages.STYLE_CSS),
    "/static/css/dedecms.css": ("text/css", pages.STYLE_CSS),
    "/static/css/phpcms.css": ("text/css", pages.STYLE_CSS),
    "/static/js/common.js": ("application/javascript", pages.COMMON_JS),
}


def _place(spec: ArticleSpec, cat: Category) -> Article:
    y, m, d = spec.date[:10].split("-")
    folder = f"/{cat.slug}/{y}/{m}{d}"
    paths = [f"{folder}/{spec.id}.html"]
    paths += [f"{folder}/{spec.id}_{n}.html" for n in range(2, len(spec.pages) + 1)]
    return Article(spec=spec, category=cat, layout=spec.layout or cat.family, path=paths[0],
                   page_paths=paths)


def _link_neighbours(ctx: Ctx) -> None:
    for cat in ctx.categories:
        items = ctx.by_category(cat)
        for i, art in enumerate(items):
            art.prev = items[i + 1] if i + 1 < len(items) else None  # older
            art.next = items[i - 1] if i > 0 else None  # newer
            others = items[i + 1:] + items[:i]
            art.related = others[:RELATED_COUNT]


def _tag_paths(articles: list[Article]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for art in sorted(articles, key=lambda a: a.spec.id):
        for tag in art.spec.tags:
            tags.setdefault(tag, f"/tag/{len(tags) + 1}.html")
    return tags


def make_context(base_url: str, offsite_url: str) -> tuple[Ctx, dict[str, Article]]:
    """Place every article and link it to its neighbours."""
    cats = {c.slug: c for c in CATEGORIES}
    by_key = {s.key: _place(s, cats[s.category]) for s in load_specs()}
    articles = list(by_key.values())
    ctx = Ctx(base_url=base_url, offsite_url=offsite_url, categories=CATEGORIES,
              articles=articles, tag_paths=_tag_paths(articles),
              hot=[by_key[k] for k in HOT_KEYS], missing=MISSING_PATH,
              redirect_from=REDIRECT_FROM, member_paths=MEMBER_PATHS)
    _link_neighbours(ctx)
    return ctx, by_key


def _html(text: str, encoding: str = "utf-8") -> Resource:
    if encoding == "gb18030":
        return Resource(200, {"Content-Type": HTML_NO_CHARSET}, text.encode("gb18030"))
    return Resource(200, {"Content-Type": HTML_UTF8}, text.encode("utf-8"))


def _sections(paragraphs: list[str]) -> list[SectionTruth]:
    sections: list[SectionTruth] = []
    for para in paragraphs:
        if SECTION_HEADING.match(para):
            sections.append(SectionTruth(heading=para))
        elif sections:
            sections[-1].paragraphs.append(para)
    return sections


def _article_truth(art: Article, by_key: dict[str, Article]) -> ArticleTruth:
    per_page = [[clean(p) for p in page] for page in art.spec.pages]
    flat = [p for page in per_page for p in page]
    dup = by_key[art.spec.duplicate_of].path if art.spec.duplicate_of else None
    return ArticleTruth(
        url=art.path, title=art.title, category=art.category.name,
        published_at=art.published_at, published_raw=art.published_raw,
        source=art.spec.source, author=art.spec.author, paragraphs=flat,
        page_paragraphs=per_page, sections=_sections(flat), tags=list(art.spec.tags),
        related=[r.path for r in art.related], page_paths=list(art.page_paths),
        layout=art.layout, encoding=art.encoding, duplicate_of=dup,
        near_duplicate=art.spec.near_duplicate,
    )


def _home_article_links(ctx: Ctx) -> list[str]:
    links = [a.path for a in ctx.hot[:4]]
    for cat in ctx.categories:
        links += [a.path for a in ctx.by_category(cat)[:5]]
    links += [a.path for a in ctx.hot[4:6]]
    links += [REDIRECT_FROM, MISSING_PATH]
    return list(dict.fromkeys(links))


def build_site(base_url: str = DEFAULT_BASE_URL,
               offsite_url: str = DEFAULT_OFFSITE_URL) -> Site:
    """Render the whole portal for serving at `base_url`; pure and deterministic."""
    ctx, by_key = make_context(base_url, offsite_url)
    served: dict[str, Resource] = {}
    for art in ctx.articles:
        render = ARTICLE_RENDERERS[art.layout]
        for n, path in enumerate(art.page_paths, 1):
            served[path] = _html(render(art, n, ctx), art.encoding)
    lists: dict[str, ListTruth] = {}
    for cat in ctx.categories:
        items = ctx.by_category(cat)
        count = -(-len(items) // cat.per_page)
        encoding = "gb18030" if cat.family == "dede" else "utf-8"
        for n in range(1, count + 1):
            chunk = items[(n - 1) * cat.per_page:n * cat.per_page]
            path = cat.list_path(n)
            served[path] = _html(LIST_RENDERERS[cat.family](cat, n, chunk, count, ctx), encoding)
            lists[path] = ListTruth(path=path, category=cat.name, page_no=n,
                                    article_links=[a.path for a in chunk],
                                    next_page=cat.list_path(n + 1) if n < count else None,
                                    encoding=encoding)
    served["/"] = _html(pages.render_home(ctx))
    for tag, path in ctx.tag_paths.items():
        tagged = [a for a in ctx.articles if tag in a.spec.tags]
        served[path] = _html(pages.render_tag(tag, tagged, ctx))
    served["/about.html"] = _html(pages.render_about(ctx))
    for key, path in MEMBER_PATHS.items():
        served[path] = _html(pages.render_member(MEMBER_TITLES[key]))
    for path, (ctype, text) in STATIC.items():
        served[path] = Resource(200, {"Content-Type": ctype}, text.encode("utf-8"))
    target = by_key[REDIRECT_TO_KEY].path
    served[REDIRECT_FROM] = Resource(301, {"Location": ctx.absolute(target),
                                           "Content-Type": HTML_UTF8},
                                     b"<html><body>Moved Permanently</body></html>\n")
    truth = PortalTruth(
        articles=[_article_truth(a, by_key) for a in ctx.articles],
        list_pages=list(lists), lists=lists, home="/",
        home_article_links=_home_article_links(ctx),
        category_pages={c.name: c.list_path(1) for c in ctx.categories},
        tag_pages=dict(ctx.tag_paths), robots_disallowed=list(MEMBER_PATHS.values()),
        missing=MISSING_PATH, redirects={REDIRECT_FROM: target},
        offsite_links=ctx.offsite_links,
    )
    return Site(pages=served, truth=truth)
