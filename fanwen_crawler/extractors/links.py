"""Links on a page and what their URL shape suggests (article, list, or neither).

URL shape is only a weak hint: it feeds page classification and link grouping, and
profile patterns override it. The patterns cover the URL schemes of DedeCMS,
PHPCMS, EmpireCMS, WordPress and Discuz! portals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

from fanwen_crawler.extractors.text import clean_text, node_text
from fanwen_crawler.urls import NON_HTML_EXTENSIONS, SiteTest, resolve_url, url_path

# Possessive quantifiers (`*+`, `++`) where what follows can never be what they matched:
# the same matches without trying every shorter run first.
# The alternatives that read a query ("?id=1") apart from those that read the path: a URL
# without "?" or "&" (most links) skips their search.
ARTICLE_PATH = (
    r"/[a-zA-Z]{0,12}+[-_]?\d{3,}+(?:[-_]\d++){0,3}+\.(?:s?html?|php|aspx?|jsp)$"  # /123.html
    r"|/[a-zA-Z]*+\d{6,}+_\d++\.s?html?$"  # /t20230811_123.html
    r"|/(?:archives|p|post|posts|article|articles|a|show|view|detail|content|news|doc)/\d++/?$"
    r"|/\d{4}/\d{1,2}/(?:\d{1,2}/)?[\w%-]{3,}\.?(?:s?html?)?/?$"  # WordPress date slugs
)
ARTICLE_QUERY = r"[?&](?:id|aid|articleid|article_id|itemid|newsid|p|tid|docid)=\d+"  # ?p=12
ARTICLE_URL = re.compile(f"{ARTICLE_PATH}|{ARTICLE_QUERY}", re.IGNORECASE)
LIST_URL = re.compile(
    r"(?:^|/)(?:list|index|page)[-_]\d++(?:[-_]\d++)*+\.(?:s?html?|php|aspx?)$"
    r"|/(?:category|categories|list|lists|class|column|channel|lanmu|sort|catalog|cat|type)"
    r"(?:[/_-]|\.(?:s?html?|php|aspx?)|$)"
    r"|[?&](?:catid|typeid|classid|cid|cateid|category|fid)=\w+"
    r"|/page/\d++/?$|/forum-\d++-\d++\.html$|/list\.(?:php|aspx?)",
    re.IGNORECASE,
)
DENY_PATH = (
    r"/(?:search|tags?|member|user|login|logout|register|reg|admin|comment|feedback|rss|feed"
    r"|download|print|cart|about|contact|sitemap|help|plus/(?!list))[\w./-]*+(?:$|\?)"
    rf"|search\.(?:php|asp)|\.(?:{NON_HTML_EXTENSIONS})$"
)
DENY_QUERY = r"[?&](?:q|keyword|kw|wd|s)="
DENY_URL = re.compile(f"{DENY_PATH}|{DENY_QUERY}", re.IGNORECASE)
ANY_DIGIT = re.compile(r"\d")
# A word that every LIST_URL match contains: a cheap search first (most links are none).
LIST_HINT = re.compile(r"list|index|page|cat|class|column|channel|lanmu|sort|type|cid|fid|forum",
                       re.IGNORECASE)
ROOT_PAGE = re.compile(r"^/(?:index|default|home)?(?:\.(?:s?html?|php|aspx?|jsp))?$", re.IGNORECASE)
# The same four patterns without IGNORECASE, for lower-cased ASCII paths (nearly every
# URL): on ASCII text that is the same test, minus a case fold at every position tried.
# (Their literals are lower case; non-ASCII paths keep the originals, because
# IGNORECASE also equates a few non-ASCII letters with ASCII ones: ſ with s, ı with i.)
URL_PATTERNS = tuple(re.compile(source, re.IGNORECASE) for source in (
    DENY_PATH, DENY_QUERY, ARTICLE_PATH, ARTICLE_QUERY, ROOT_PAGE.pattern, LIST_URL.pattern,
    LIST_HINT.pattern))
FOLDED_URL_PATTERNS = tuple(re.compile(rx.pattern) for rx in URL_PATTERNS)


class UrlShape(NamedTuple):
    """What a URL's path and query suggest (weak hints; see the module docstring).

    A named tuple: built once per distinct link URL, and a frozen dataclass's
    field-by-field `object.__setattr__` cost as much as a regex search.
    """

    path: str
    denied: bool
    root: bool
    article: bool
    listing: bool


def url_shape(url: str) -> UrlShape:
    """Every URL-shape hint of one absolute URL, from one look at its path."""
    path = url_path(url)
    if path.isascii():
        text, (deny_path, deny_query, article_path, article_query, root_page, list_url,
               list_hint) = path.lower(), FOLDED_URL_PATTERNS
    else:
        text, (deny_path, deny_query, article_path, article_query, root_page, list_url,
               list_hint) = path, URL_PATTERNS
    query = "?" in text or "&" in text
    denied = deny_path.search(text) is not None or (
        query and deny_query.search(text) is not None)
    # Every ARTICLE_URL alternative needs a digit: skip the costly search without one.
    article_like = ANY_DIGIT.search(text) is not None and (
        article_path.search(text) is not None
        or (query and article_query.search(text) is not None))
    root = root_page.match(text) is not None  # never matches with a query
    listing = not denied and not root and (
        (path.endswith("/") and not article_like)
        or (list_hint.search(text) is not None and list_url.search(text) is not None))
    return UrlShape(path, denied, root, article_like and not denied, listing)


@dataclass(slots=True)
class PageLink:
    """An <a href> resolved against the page URL."""

    el: etree._Element
    url: str
    text: str
    internal: bool = False
    """Same site as the page."""
    _shape: UrlShape | None = None

    @property
    def shape(self) -> UrlShape:
        """URL-shape hints, computed on first use (most links never need them)."""
        if self._shape is None:
            self._shape = url_shape(self.url)
        return self._shape


def collect_links(root: etree._Element, base_url: str, encoding: str = "utf-8") -> list[PageLink]:
    """Every http(s) link of the tree, absolute, in the request form, in document order.

    `encoding` is the page's: a browser sends raw non-ASCII query text in it.
    """
    found = []
    resolved: dict[str, str | None] = {}  # portals repeat the same hrefs many times
    internal_hosts: dict[str, bool] = {}
    shapes: dict[str, UrlShape] = {}
    same_site = SiteTest(base_url)
    for el in root.iter("a"):
        href = el.get("href")
        if not href:
            continue
        url = resolved.get(href, "")
        if url == "":
            url = resolved[href] = resolve_url(base_url, href, encoding)
        if url is None:
            continue
        host = url.split("/", 3)[2]
        internal = internal_hosts.get(host)
        if internal is None:
            internal = internal_hosts[host] = same_site(url)
        raw = (el.text or "") if not len(el) else node_text(el)  # most anchors hold only text
        link = PageLink(el, url, clean_text(raw), internal)
        if internal:  # their shapes are all needed (list and category links); share repeats
            shape = shapes.get(url)
            if shape is None:
                shape = shapes[url] = url_shape(url)
            link._shape = shape
        found.append(link)
    return found


def is_article_url(url: str) -> bool:
    """The URL has the shape of an article page (weak hint)."""
    return url_shape(url).article


def is_list_url(url: str) -> bool:
    """The URL has the shape of a category or list page (weak hint)."""
    return url_shape(url).listing


def is_root_url(url: str) -> bool:
    """The URL is a site's home page."""
    return url_shape(url).root
