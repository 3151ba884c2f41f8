"""A generated DedeCMS-style 范文 portal of any size, held in memory, and a fast server for it.

`generate_site(n)` builds n articles of realistic Chinese text (500–1500 characters,
composed from the sentences of the bundled sample portal's hand-written articles),
spread over categories with paginated list pages; every tenth article spans two pages.
`serve_site(site)` serves the bytes from memory on 127.0.0.1 with HTTP/1.1 keep-alive.
Deterministic for a given seed. Used by `python -m benchmarks` and tests/test_db_integrity.py.
"""

from __future__ import annotations

import html
import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CATEGORIES = [
    ("zongjie", "工作总结"),
    ("jihua", "工作计划"),
    ("jianghua", "讲话稿"),
    ("xindetihui", "心得体会"),
    ("hetong", "合同范本"),
    ("yanjianggao", "演讲稿"),
    ("shenqingshu", "申请书"),
    ("baogao", "报告"),
]
PER_LIST_PAGE = 20
MULTI_PAGE_EVERY = 10
SITE_NAME = "基准范文网"
SENTENCE = re.compile(r"[^。！？]+[。！？]")
TAG_POOL = [
    "工作总结",
    "年终总结",
    "个人总结",
    "工作计划",
    "讲话稿",
    "心得体会",
    "合同",
    "演讲稿",
    "申请书",
    "述职报告",
    "调研报告",
    "党建",
    "安全生产",
    "教师",
    "学生",
    "实习",
    "社区",
    "疫情防控",
    "乡村振兴",
    "廉政",
    "学习",
    "培训",
    "活动方案",
    "主持词",
]


@dataclass(slots=True)
class GenArticle:
    """Ground truth of one generated article."""

    id: int
    path: str
    category: str
    title: str
    date: str
    pages: list[list[str]]
    tags: list[str]

    @property
    def paragraphs(self) -> list[str]:
        return [p for page in self.pages for p in page]

    @property
    def page_paths(self) -> list[str]:
        return [self.path] + [
            self.path.replace(".html", f"_{n}.html") for n in range(2, len(self.pages) + 1)
        ]


@dataclass
class Site:
    """All pages of a generated portal (path → bytes) and its ground truth."""

    pages: dict[str, bytes] = field(default_factory=dict)
    articles: list[GenArticle] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(len(b) for b in self.pages.values())


def sentence_pool() -> list[str]:
    """Distinct sentences of the sample portal's hand-written articles."""
    from fanwen_crawler.sample_portal.texts import clean, load_specs

    seen: dict[str, None] = {}
    for spec in load_specs():
        for page in spec.pages:
            for raw in page:
                for s in SENTENCE.findall(clean(raw)):
                    if len(s) >= 8 and not s.startswith("篇"):
                        seen[s.strip()] = None
    return list(seen)


def compose_text(rng: random.Random, pool: list[str], chars: int) -> list[str]:
    """Paragraphs of roughly `chars` characters, 2–5 sentences each."""
    paragraphs: list[str] = []
    total = 0
    while total < chars:
        para = "".join(rng.choice(pool) for _ in range(rng.randint(2, 5)))
        paragraphs.append(para)
        total += len(para)
    return paragraphs


def _head(title: str) -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}'
        f"</title></head><body>\n<div class=\"header\"><a href='/'>{SITE_NAME}</a></div>\n"
        '<div class="nav"><ul>'
        + "".join(f"<li><a href='/{slug}/list_1.html'>{name}</a></li>" for slug, name in CATEGORIES)
        + "</ul></div>\n"
    )


FOOT = '<div class="footer">Copyright © 基准范文网 版权所有</div></body></html>'


def _pager(art: GenArticle, page_no: int) -> str:
    if len(art.pages) == 1:
        return ""
    names = [p.rsplit("/", 1)[1] for p in art.page_paths]
    items = [f"<li><a>共{len(names)}页: </a></li>"]
    for n, name in enumerate(names, 1):
        items.append(
            f"<li class='thisclass'><a href='#'>{n}</a></li>"
            if n == page_no
            else f"<li><a href='{name}'>{n}</a></li>"
        )
    items.append(
        f"<li><a href='{names[page_no]}'>下一页</a></li>"
        if page_no < len(names)
        else "<li><a href='#'>下一页</a></li>"
    )
    return f'<div class="dede_pages"><ul class="pagelist">{"".join(items)}</ul></div>\n'


def render_article(art: GenArticle, page_no: int, cat_name: str, related: list[GenArticle]) -> str:
    body = "\n".join(f"<p>\u3000\u3000{html.escape(p)}</p>" for p in art.pages[page_no - 1])
    title = art.title if page_no == 1 else f"{art.title}({page_no})"
    slug = art.path.split("/")[1]
    likes = "".join(
        f"<li><a href='{r.path}'>{html.escape(r.title)}</a><span>{r.date}</span></li>"
        for r in related
    )
    tags = " ".join(f"<a href='/tags.php?/{t}/'>{t}</a>" for t in art.tags)
    return (
        _head(f"{title}_{cat_name}_{SITE_NAME}")
        + f"""<div class="place"><strong>当前位置:</strong> <a href='/'>主页</a> &gt; <a href='/{slug}/list_1.html'>{cat_name}</a> &gt; </div>
<div class="viewbox"><div class="title"><h2>{html.escape(art.title)}</h2></div>
<div class="info"><small>时间:</small>{art.date}<small>来源:</small>{SITE_NAME} <small>作者:</small>编辑部</div>
<div class="content">
{body}
</div>
{_pager(art, page_no)}<div class="tags">TAG标签: {tags}</div></div>
<div class="likelist"><dl class="tbox"><dt><strong>相关文章</strong></dt><dd><ul class="d1">{likes}</ul></dd></dl></div>
"""
        + FOOT
    )


def render_list(slug: str, name: str, page_no: int, pages: int, items: list[GenArticle]) -> str:
    lis = "\n".join(
        f"<li><a href='{a.path}' class='title'>{html.escape(a.title)}</a>"
        f"<span class='info'>日期：{a.date}</span></li>"
        for a in items
    )
    nav = [
        f"<li><a href='/{slug}/list_{n}.html'>{n}</a></li>"
        if n != page_no
        else f"<li class='thisclass'>{n}</li>"
        for n in range(max(1, page_no - 3), min(pages, page_no + 3) + 1)
    ]
    if page_no < pages:
        nav.append(f"<li><a href='/{slug}/list_{page_no + 1}.html'>下一页</a></li>")
    return (
        _head(f"{name}_{SITE_NAME}")
        + f"""<div class="place"><strong>当前位置:</strong> <a href='/'>主页</a> &gt; <a href='/{slug}/list_1.html'>{name}</a> &gt; </div>
<div class="listbox"><ul class="e2">
{lis}
</ul></div>
<div class="dede_pages"><ul class="pagelist">{"".join(nav)}</ul></div>
"""
        + FOOT
    )


def generate_site(
    n_articles: int, seed: int = 0, min_chars: int = 500, max_chars: int = 1500
) -> Site:
    """Generate a portal with `n_articles` articles (deterministic for `seed`)."""
    rng = random.Random(seed)
    pool = sentence_pool()
    site = Site()
    by_cat: dict[str, list[GenArticle]] = {slug: [] for slug, _ in CATEGORIES}
    names = dict(CATEGORIES)
    for i in range(n_articles):
        slug = CATEGORIES[i % len(CATEGORIES)][0]
        aid = 10000 + i
        paragraphs = compose_text(rng, pool, rng.randint(min_chars, max_chars))
        paragraphs[0] = f"（第{aid}号）{paragraphs[0]}"
        if i % MULTI_PAGE_EVERY == MULTI_PAGE_EVERY - 1 and len(paragraphs) > 1:
            half = len(paragraphs) // 2
            pages = [paragraphs[:half], paragraphs[half:]]
        else:
            pages = [paragraphs]
        year = 2015 + rng.randint(0, 9)
        art = GenArticle(
            id=aid,
            path=f"/{slug}/{year}/{aid}.html",
            category=names[slug],
            title=f"{year}年{names[slug]}范文第{aid}篇",
            date=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            pages=pages,
            tags=rng.sample(TAG_POOL, 3),
        )
        site.articles.append(art)
        by_cat[slug].append(art)
    for art in site.articles:
        related = rng.sample(site.articles, min(3, len(site.articles)))
        related = [r for r in related if r is not art]
        for n, path in enumerate(art.page_paths, 1):
            site.pages[path] = render_article(art, n, art.category, related).encode("utf-8")
    for slug, name in CATEGORIES:
        items = by_cat[slug]
        pages = max(1, -(-len(items) // PER_LIST_PAGE))
        for n in range(1, pages + 1):
            chunk = items[(n - 1) * PER_LIST_PAGE : n * PER_LIST_PAGE]
            site.pages[f"/{slug}/list_{n}.html"] = render_list(slug, name, n, pages, chunk).encode(
                "utf-8"
            )
    latest = "".join(
        f"<li><a href='{a.path}'>{html.escape(a.title)}</a></li>"
        for a in site.articles[:PER_LIST_PAGE]
    )
    site.pages["/"] = (
        _head(SITE_NAME) + f'<div class="latest"><ul>{latest}</ul></div>' + FOOT
    ).encode("utf-8")
    site.pages["/robots.txt"] = b"User-agent: *\nDisallow: /member/\nDisallow: /plus/\n"
    return site


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are written separately: without TCP_NODELAY, Nagle + delayed ACK
    # add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    site: Site
    delay: float = 0.0
    stop: threading.Event

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = self.site.pages.get(self.path.split("?", 1)[0])
        if self.delay:
            self.stop.wait(self.delay)
        status = 200 if body is not None else 404
        body = body if body is not None else b"<html><body>404</body></html>"
        ctype = "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128


@dataclass
class ServedSite:
    url: str
    site: Site


@contextmanager
def serve_site(site: Site, *, port: int = 0, delay: float = 0.0) -> Iterator[ServedSite]:
    """Serve `site` from memory on 127.0.0.1 (threaded, keep-alive) until the block ends."""
    stop = threading.Event()
    handler = type("Handler", (_Handler,), {"site": site, "delay": delay, "stop": stop})
    server = _Server(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="bench-site")
    thread.start()
    try:
        yield ServedSite(url=f"http://127.0.0.1:{server.server_address[1]}/", site=site)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
