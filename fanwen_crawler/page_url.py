"""The URL of a saved page when none is given (`fanwen extract FILE` without `--url`).

Extraction needs the page's http(s) URL: links are resolved against it, and a list page
is recognised by its links to same-site article pages. A `file://` URL has no site, so
every link of a saved list page used to drop out and its teaser prose made it look like
an article. The page usually says where it lives: `<base href>` (what a browser
resolves links against), `<link rel="canonical">`, `<meta property="og:url">`, in that
order. Failing those, the page's own site is the origin most of its absolute links point
to (a saved page links its own site more than any other); with no absolute links, the
stand-in host `saved.invalid` keeps relative links same-site. The path is the file name,
which gives no URL-shape hint either way.
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePath
from urllib.parse import quote, urlsplit

from parsel import Selector

STAND_IN_HOST = "http://saved.invalid/"
HEAD_BYTES = 200_000  # the head is near the top; no need to parse a whole large page
URL_SOURCES = (
    ("base", "base[href]::attr(href)"),
    ("canonical", "link[rel~=canonical]::attr(href), link[rel~=Canonical]::attr(href)"),
    ("og:url", "meta[property='og:url']::attr(content)"),
)


def declared_url(html: str) -> tuple[str, str] | None:
    """(url, where it came from) of the first absolute http(s) URL the page declares."""
    sel = Selector(text=html[:HEAD_BYTES])
    for source, query in URL_SOURCES:
        for value in sel.css(query).getall():
            value = value.strip()
            if value.lower().startswith(("http://", "https://")):
                return value, source
    return None


def linked_origin(html: str) -> str | None:
    """scheme://host/ that most of the page's absolute http(s) links point to."""
    origins: Counter[str] = Counter()
    for href in Selector(text=html).css("a::attr(href)").getall():
        href = href.strip()
        if href.lower().startswith(("http://", "https://")):
            parts = urlsplit(href)
            if parts.netloc:
                origins[f"{parts.scheme.lower()}://{parts.netloc.lower()}/"] += 1
    return origins.most_common(1)[0][0] if origins else None


def saved_page_url(html: str, path: str) -> tuple[str, str]:
    """(url, source) for a saved page: a URL it declares, else one on its linked site."""
    found = declared_url(html)
    if found is not None:
        return found
    name = quote(PurePath(path).name)
    origin = linked_origin(html)
    if origin is not None:
        return origin + name, "links"
    return STAND_IN_HOST + name, "stand-in"
