"""Small strict portals on 127.0.0.1 for the URL, redirect, robots.txt and sitemap tests.

`RouterPortal` answers only the exact request targets it links (a query router that
cares about parameter order and about the bytes of percent-escapes, like PHPCMS
`index.php?m=content&c=index&a=show&catid=1&id=123` and DedeCMS GBK-escaped
`tags.php?/%D7%DC%BD%E1/`); anything else is a 404 and is logged as such. Options make
its list pagination broken, give it sitemaps, a robots.txt with any status and body, or
a redirecting article. Every request target is logged, in order, with its time.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

from tests.faults import SENTENCES

CATEGORIES = {1: "工作总结", 2: "心得体会"}
TAGS = ["总结", "年终", "心得", "体会"]
INDEX = "/index.php?m=content&c=index"
GZIP_BOMB = gzip.compress(b"<html><body>" + b"0" * (64 << 20), compresslevel=9)


@dataclass
class Article:
    id: int
    catid: int
    title: str
    paragraphs: list[str]
    tags: list[str]
    lastmod: str = "2024-03-01"

    @property
    def path(self) -> str:
        return f"{INDEX}&a=show&catid={self.catid}&id={self.id}"


def tag_path(tag: str) -> str:
    """DedeCMS tag URL: the tag name percent-escaped in GBK."""
    return "/tags.php?/" + quote(tag.encode("gbk")) + "/"


def list_path(catid: int, page: int) -> str:
    return f"{INDEX}&a=lists&catid={catid}" + (f"&page={page}" if page > 1 else "")


@dataclass
class RouterPortal:
    per_category: int = 7
    per_page: int = 3
    broken_pagination: bool = False
    """List pages link no further pages: only page 1 of each category is reachable."""
    tag_cloud: bool = True
    """The home page links every tag page (hubs that list the tagged articles)."""
    sitemap: str | None = None
    """"xml" (/sitemap.xml), "index" (/sitemap_index.xml → two xml), "txt" (/sitemap.txt),
    "robots" (a Sitemap: line in robots.txt pointing at /maps/all.xml)."""
    robots_status: int = 200
    robots_body: str = "User-agent: *\nDisallow: /plus/\n"
    robots_failures: int | None = None
    """With robots_status != 200: only the first this many robots.txt requests fail."""
    robots_stall: float = 0.0
    """Seconds robots.txt waits before answering."""
    redirects: dict[str, str] = field(default_factory=dict)
    """Extra article-looking paths that answer 302 to the given Location (linked from home)."""
    bombs: list[str] = field(default_factory=list)
    """Extra article-looking paths (linked from home) serving a gzip bomb: 64 MB of zeros."""
    articles: list[Article] = field(default_factory=list)
    log: list[tuple[float, str, int]] = field(default_factory=list)
    url: str = ""
    _pages: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = 0
        for catid in CATEGORIES:
            for _ in range(self.per_category):
                n += 1
                paras = [SENTENCES[(n + k) % len(SENTENCES)] for k in range(4)]
                self.articles.append(Article(
                    id=100 + n, catid=catid, title=f"{CATEGORIES[catid]}范文第{n}篇：做好本职工作",
                    paragraphs=paras, tags=[TAGS[n % 4], TAGS[(n + 1) % 4]]))
        self._build()

    # --- pages ---------------------------------------------------------------------------

    def _page(self, title: str, crumbs: str, main: str) -> bytes:
        cats = "".join(f'<li><a href="{list_path(c, 1).replace("&", "&amp;")}">{name}</a></li>'
                       for c, name in CATEGORIES.items())
        html = (f'<!DOCTYPE html><html><head><meta charset="gbk"><title>{title}_范文网</title>'
                f'</head><body><div class="nav"><ul><li><a href="/">首页</a></li>{cats}</ul>'
                f'</div><div class="crumbs">当前位置：<a href="/">首页</a> &gt; {crumbs}</div>'
                f'{main}<div class="foot">Copyright 范文网 京ICP备12345678号</div></body></html>')
        return html.encode("gbk")

    def _article_html(self, art: Article) -> bytes:
        cat = CATEGORIES[art.catid]
        crumb = f'<a href="{list_path(art.catid, 1).replace("&", "&amp;")}">{cat}</a> &gt; 正文'
        tags = " ".join(f'<a href="{tag_path(t)}">{t}</a>' for t in art.tags)
        body = "".join(f"<p>{p}</p>" for p in art.paragraphs)
        main = (f'<div class="article"><h1>{art.title}</h1><div class="info">发布时间：2024-02-'
                f'{10 + art.id % 18:02d} 来源：范文网</div><div class="content">{body}</div>'
                f'<div class="tags">相关热词搜索：{tags}</div></div>')
        return self._page(art.title, crumb, main)

    def _list_html(self, catid: int, page: int, items: list[Article], pages: int) -> bytes:
        rows = "".join(
            f'<li><a href="{a.path.replace("&", "&amp;")}&amp;from=list#top">{a.title}</a>'
            f"<span>2024-02-{10 + a.id % 18:02d}</span></li>" for a in items)
        pager = ""
        if not self.broken_pagination and pages > 1:
            links = [f'<a href="{list_path(catid, p).replace("&", "&amp;")}">{p}</a>'
                     for p in range(1, pages + 1) if p != page]
            if page < pages:
                links.append(f'<a href="{list_path(catid, page + 1).replace("&", "&amp;")}">'
                             "下一页</a>")
            pager = f'<div class="pages">{" ".join(links)}</div>'
        cat = CATEGORIES[catid]
        return self._page(cat, cat, f'<div class="list"><ul>{rows}</ul>{pager}</div>')

    def _build(self) -> None:
        html = "text/html; charset=gbk"
        for catid in CATEGORIES:
            arts = [a for a in self.articles if a.catid == catid]
            pages = -(-len(arts) // self.per_page)
            for page in range(1, pages + 1):
                chunk = arts[(page - 1) * self.per_page: page * self.per_page]
                self._pages[list_path(catid, page)] = (
                    200, self._list_html(catid, page, chunk, pages), html)
        for art in self.articles:
            self._pages[art.path] = (200, self._article_html(art), html)
        for tag in TAGS:
            tagged = [a for a in self.articles if tag in a.tags]
            rows = "".join(f'<li><a href="{a.path.replace("&", "&amp;")}">{a.title}</a></li>'
                           for a in tagged)
            self._pages[tag_path(tag)] = (200, self._page(tag, tag, f"<ul>{rows}</ul>"), html)
        latest = "".join(f'<li><a href="{a.path.replace("&", "&amp;")}">{a.title}</a></li>'
                         for a in self.articles[:2])
        latest += "".join(f'<li><a href="{p.replace("&", "&amp;")}">转载的范文</a></li>'
                          for p in [*self.redirects, *self.bombs])
        # Half the cloud written raw, as many GBK templates do: a browser sends GBK escapes.
        cloud = " ".join(f'<a href="{tag_path(t) if i % 2 else "/tags.php?/" + t + "/"}">{t}</a>'
                         for i, t in enumerate(TAGS) if self.tag_cloud)
        self._pages["/"] = (200, self._page("首页", "", f'<ul>{latest}</ul><div class="tags">'
                                                      f"热门标签：{cloud}</div>"), html)
        robots = self.robots_body
        if self.sitemap == "robots":
            robots += "Sitemap: {base}/maps/all.xml\n"
        self._pages["/robots.txt"] = (self.robots_status, robots.encode(), "text/plain")

    def _sitemaps(self, base: str) -> None:
        xml = "application/xml"

        def urlset(arts: list[Article]) -> bytes:
            urls = "".join(f"<url><loc>{base}{a.path.replace('&', '&amp;')}</loc>"
                           f"<lastmod>{a.lastmod}</lastmod></url>" for a in arts)
            return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                    f'"http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode()

        if self.sitemap == "xml":
            self._pages["/sitemap.xml"] = (200, urlset(self.articles), xml)
        elif self.sitemap == "robots":
            self._pages["/maps/all.xml"] = (200, urlset(self.articles), xml)
        elif self.sitemap == "index":
            half = len(self.articles) // 2
            self._pages["/maps/a.xml"] = (200, urlset(self.articles[:half]), xml)
            self._pages["/maps/b.xml"] = (200, urlset(self.articles[half:]), xml)
            index = "".join(f"<sitemap><loc>{base}/maps/{n}.xml</loc></sitemap>" for n in "ab")
            self._pages["/sitemap_index.xml"] = (200, (
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns='
                f'"http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>').encode(),
                xml)
        elif self.sitemap == "txt":
            text = "\n".join(base + a.path for a in self.articles) + "\n"
            self._pages["/sitemap.txt"] = (200, text.encode(), "text/plain")

    # --- serving ---------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                target = self.path
                if target in portal.redirects:
                    portal.log.append((time.monotonic(), target, 302))
                    self.send_response(302)
                    self.send_header("Location", portal.redirects[target])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if target in portal.bombs:
                    portal.log.append((time.monotonic(), target, 200))
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(GZIP_BOMB)))
                    self.end_headers()
                    self.wfile.write(GZIP_BOMB)
                    return
                status, body, ctype = portal._pages.get(target, (404, b"not found", "text/plain"))
                if target == "/robots.txt" and portal.robots_failures is not None \
                        and portal.targets().count("/robots.txt") >= portal.robots_failures:
                    status = 200
                if target == "/robots.txt" and portal.robots_stall:
                    time.sleep(portal.robots_stall)
                if target == "/robots.txt" and status == 200:
                    body = body.replace(b"{base}", portal.url.rstrip("/").encode())
                portal.log.append((time.monotonic(), target, status))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def targets(self, status: int | None = None) -> list[str]:
        return [t for _, t, s in self.log if status is None or s == status]


@contextmanager
def serve(portal: RouterPortal) -> Iterator[RouterPortal]:
    """Serve `portal` on 127.0.0.1 (a free port) for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), portal.handler())
    server.daemon_threads = True
    server.handle_error = lambda *args: None  # type: ignore[method-assign]  # client gone
    portal.url = f"http://127.0.0.1:{server.server_address[1]}/"
    portal._sitemaps(portal.url.rstrip("/"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def listener() -> Iterator[tuple[int, Callable[[], int]]]:
    """A plain TCP listener on 127.0.0.1: (port, connections accepted so far)."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    accepted = [0]
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            accepted[0] += 1
            conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], lambda: accepted[0]
    finally:
        stop.set()
        thread.join(timeout=2)
        sock.close()
