"""Spider middleware: sitemaps as a second discovery source, merged with the list crawl.

After the start requests, `SitemapDiscoveryMiddleware` reads each start site's sitemaps:
`/sitemap.xml` and the `Sitemap:` lines of its robots.txt (collected from the robots_parsed
signal); only when neither gives one, the other usual places `/sitemap_index.xml` and
`/sitemap.txt` (Baidu-style plain text, one URL per line). XML sitemaps and sitemap indexes
(nested up to MAX_DEPTH, gzipped or not) are read with Scrapy's
`scrapy.utils.sitemap.Sitemap`. Sitemaps are downloaded through the engine like robots.txt
(robots.txt, the site policy and the size limit apply) but never through the spider, so a
missing sitemap costs one request and no error row; the duplicate filter still sees them, so
`--redis` workers (a shared filter) and a resumed crawl read each sitemap once.

Every URL listed goes through the crawl's link filter and becomes a start request of
kind "page": the duplicate filter merges it with the same URL found on list pages, and
the extractor classifies what it serves. Incremental runs use `<lastmod>`: a stored
article whose lastmod is not newer than its stored crawl time is not requested at all;
a newer one is fetched again even though it is stored. Off with FANWEN_SITEMAPS = False
(`fanwen crawl --no-sitemaps`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from fanwen_crawler.corpus.storage import open_corpus
from fanwen_crawler.urls import canonical_url, clean_url, site_of

logger = logging.getLogger(__name__)

WELL_KNOWN = ("/sitemap.xml", "/sitemap_index.xml", "/sitemap.txt")
MAX_DEPTH = 3  # sitemap index → sitemap index → sitemap
MAX_SITEMAPS = 200  # per crawl: a hostile index cannot make it fetch sitemaps forever
GZIP_MAGIC = b"\x1f\x8b\x08"
REFETCH_META = "fanwen_refetch"  # request meta: stored, but its sitemap lastmod is newer


def sitemap_entries(body: bytes, url: str, max_size: int = 0) -> tuple[str, list[dict[str, Any]]]:
    """("urlset" | "sitemapindex" | "text" | "", entries with "loc" and maybe "lastmod")."""
    if body[:3] == GZIP_MAGIC:  # a .xml.gz sitemap (not Content-Encoding: that is undone)
        body = gunzip(body, max_size=max_size)
    head = body[:512].lstrip().lower()
    if head.startswith(b"<"):
        if b"<html" in head or b"<!doctype html" in head:
            return "", []  # an HTML page (a soft 404) where the sitemap should be
        try:
            sitemap = Sitemap(body)
        except (ValueError, etree.LxmlError):  # broken beyond lxml's recovery
            return "", []
        return str(sitemap.type or ""), [e for e in sitemap if e.get("loc")]
    lines = body.decode("utf-8", errors="replace").splitlines()
    entries = [{"loc": line.strip()} for line in lines
               if line.strip().lower().startswith(("http://", "https://"))]
    return ("text" if entries else ""), entries


def parse_lastmod(value: str | None) -> datetime | None:
    """A W3C datetime ("2024-03-01", "2024-03-01T08:00:00+08:00") as an aware datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class SitemapDiscoveryMiddleware:
    """Read the start sites' sitemaps after the start requests (see the module doc)."""

    def __init__(self, crawler: Crawler, crawled: dict[str, datetime], skip_stored: bool) -> None:
        self.crawler = crawler
        self.crawled = crawled  # stored article (canonical URL) → when it was crawled
        self.skip_stored = skip_stored
        self.robots_sitemaps: dict[str, list[str]] = {}  # site → Sitemap: lines
        self.fetched: set[str] = set()
        self.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SitemapDiscoveryMiddleware:
        settings = crawler.settings
        if not settings.getbool("FANWEN_SITEMAPS", True):
            raise NotConfigured
        crawled: dict[str, datetime] = {}
        db_path = settings.get("FANWEN_DB_PATH")
        if db_path and Path(db_path).exists():
            with open_corpus(db_path) as corpus:
                for url, when in corpus.db.execute("SELECT url, crawled_at FROM articles"):
                    if stamp := parse_lastmod(when):
                        crawled[url] = stamp
        mw = cls(crawler, crawled, settings.getbool("FANWEN_SKIP_STORED", True))
        crawler.signals.connect(mw.robots_parsed, signal=signals.robots_parsed)
        return mw

    def robots_parsed(self, robotparser: Any, request: Request, **kw: Any) -> None:
        """Keep the `Sitemap:` lines of each site's robots.txt (Protego parses them)."""
        rp = getattr(robotparser, "rp", None)
        found = [str(u) for u in getattr(rp, "sitemaps", ()) or ()]
        if found:
            self.robots_sitemaps.setdefault(site_of(request.url), []).extend(found)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        sites: list[str] = []
        async for item in start:
            if isinstance(item, Request) and item.meta.get("fanwen_kind") == "start" \
                    and item.url not in sites:
                sites.append(item.url)
            yield item
        spider = self.crawler.spider
        if spider is None:
            return
        for start_url in sites:
            origin = start_url.split("/", 3)
            base = f"{origin[0]}//{origin[2]}"
            queue: list[tuple[str, int]] = [(base + WELL_KNOWN[0], 0)]
            robots_done = False
            while queue:
                url, depth = queue.pop(0)
                kind, entries = await self._fetch(url)
                if not robots_done:  # robots.txt has been read by now (our fetch obeyed it)
                    robots_done = True
                    declared = self.robots_sitemaps.get(site_of(base), [])
                    queue.extend((u, 0) for u in declared)
                    if not declared and not kind:  # nothing declared, nothing at the usual
                        queue.extend((base + path, 0) for path in WELL_KNOWN[1:])  # place
                if kind == "sitemapindex" and depth + 1 < MAX_DEPTH:
                    queue.extend((e["loc"], depth + 1) for e in entries)
                elif kind in ("urlset", "text"):
                    for request in self._requests(spider, entries):
                        yield request

    async def _fetch(self, url: str) -> tuple[str, list[dict[str, Any]]]:
        url = clean_url(url)
        spider = self.crawler.spider
        links = getattr(spider, "links", None)
        if (url in self.fetched or len(self.fetched) >= MAX_SITEMAPS
                or (links is not None and not links.on_site(url))):
            return "", []
        self.fetched.add(url)
        request = Request(url, callback=NO_CALLBACK, meta={"fanwen_kind": "sitemap"},
                          dont_filter=True)
        engine = self.crawler.engine
        scheduler = getattr(engine, "scheduler", None)
        # Scrapy's scheduler has a dupefilter; the crash-safe frontier answers itself.
        dupefilter = scheduler if hasattr(scheduler, "request_seen") else getattr(
            scheduler, "df", None)
        if dupefilter is not None and dupefilter.request_seen(request):
            return "", []  # read already: by another --redis worker, or before a resume
        try:
            response: Response = await self.crawler.engine.download_async(request)  # type: ignore[union-attr]
        except IgnoreRequest as exc:
            logger.info("sitemap %s not fetched: %s", url, exc)
            return "", []
        except Exception as exc:  # any download failure: a sitemap is optional
            logger.info("sitemap %s failed: %s", url, exc)
            return "", []
        if response.status != 200:
            return "", []
        try:
            kind, entries = sitemap_entries(response.body, url, self.max_size)
        except OSError as exc:  # a broken or oversized gzip
            logger.warning("sitemap %s unreadable: %s", url, exc)
            return "", []
        if kind:
            self._inc("fanwen/sitemaps/read")
            self._inc("fanwen/sitemaps/entries", len(entries) if kind != "sitemapindex" else 0)
            logger.info("sitemap %s: %s with %d entries", url, kind, len(entries))
        return kind, entries

    def _requests(self, spider: Any, entries: list[dict[str, Any]]) -> Iterator[Request]:
        links = spider.links
        for entry in entries:
            url = links.accept(entry["loc"])
            if url is None:
                continue
            meta: dict[str, Any] = {}
            stored = self.crawled.get(canonical_url(url))
            if stored is not None:
                lastmod = parse_lastmod(entry.get("lastmod"))
                if lastmod is None or lastmod <= stored:
                    if lastmod is not None or self.skip_stored:
                        self._inc("fanwen/sitemaps/unchanged")
                        continue  # stored and not changed since: no request at all
                else:
                    self._inc("fanwen/sitemaps/changed")
                    meta[REFETCH_META] = True
            yield spider.request_for(url, "page", meta=meta)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None and count:
            self.crawler.stats.inc_value(key, count)

