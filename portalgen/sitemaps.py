"""robots.txt and sitemaps of a generated portal: XML, index + children, Baidu-style text.

Modes (config.sitemap): none; robots (a `Sitemap:` line names a non-standard path);
conventional (/sitemap.xml, not announced); index (/sitemap_index.xml → two children);
txt (/sitemap.txt, one URL a line); stale (announced /sitemap.xml missing the newest
articles and listing removed ones that now answer 404). WordPress portals use its
/wp-sitemap.xml names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from portalgen.model import ArticleSpec
    from portalgen.portal import Portal

XML = "application/xml"


def _names(portal: Portal) -> dict[str, list[str]]:
    """Sitemap file → child sitemaps (for an index) or [] (a URL set / text file)."""
    mode, wp = portal.config.sitemap, portal.family == "wordpress"
    if mode == "none":
        return {}
    if mode == "robots":
        if wp:
            return {"/wp-sitemap.xml": ["/wp-sitemap-posts-post-1.xml"],
                    "/wp-sitemap-posts-post-1.xml": []}
        return {"/sitemaps/articles.xml": []}
    if mode == "index":
        return {"/sitemap_index.xml": ["/sitemap-1.xml", "/sitemap-2.xml"],
                "/sitemap-1.xml": [], "/sitemap-2.xml": []}
    if mode == "txt":
        return {"/sitemap.txt": []}
    return {"/sitemap.xml": []}


def files(portal: Portal) -> list[str]:
    return list(_names(portal))


def announced(portal: Portal) -> list[str]:
    """Sitemaps named by `Sitemap:` lines in robots.txt."""
    mode = portal.config.sitemap
    if mode == "robots":
        return [next(iter(_names(portal)))]
    if mode == "stale":
        return ["/sitemap.xml"]
    return []


def robots(portal: Portal, base: str) -> str:
    lines = ["User-agent: *", *(f"Disallow: {p}" for p in portal.scheme.disallow), ""]
    lines += [f"Sitemap: {base}{name}" for name in announced(portal)]
    return "\n".join(lines) + "\n"


def stale_target(portal: Portal, aid: int) -> str:
    """The target a removed article had (listed by a stale sitemap, now 404)."""
    a = portal.articles[0]
    from dataclasses import replace

    ghost: ArticleSpec = replace(a, id=aid, tags=[])
    return portal.scheme.article(ghost, 1)


def _entries(portal: Portal, base: str) -> list[tuple[str, str]]:
    out = [(base + portal.scheme.listing(c, 1), "") for c in portal.categories]
    for a in sorted(portal.articles, key=lambda a: a.id, reverse=True):
        if a.in_sitemap:
            out.append((base + portal.scheme.article(a, 1),
                        f"{a.year:04d}-{a.month:02d}-{a.day:02d}"))
    out += [(base + stale_target(portal, i), "2019-01-01") for i in portal.stale_ids]
    return out


def render(portal: Portal, name: str, base: str) -> tuple[str, str]:
    """(content type, text) of one sitemap file."""
    children = _names(portal)[name]
    if children:
        items = "".join(f"<sitemap><loc>{escape(base + c)}</loc></sitemap>" for c in children)
        return XML, ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns='
                     f'"http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>\n')
    entries = _entries(portal, base)
    if name in ("/sitemap-1.xml", "/sitemap-2.xml"):
        half = len(entries) // 2
        entries = entries[:half] if name.endswith("1.xml") else entries[half:]
    if name.endswith(".txt"):
        return "text/plain; charset=utf-8", "".join(url + "\n" for url, _ in entries)
    urls = "".join(
        f"<url><loc>{escape(url)}</loc>" + (f"<lastmod>{day}</lastmod>" if day else "")
        + "</url>\n" for url, day in entries)
    return XML, ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                 f'"http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n')
