"""Links on a page and what their URL shape suggests (article, list, or neither).

URL shape is only a weak hint: it feeds page classification and link grouping, and
profile patterns override it. The patterns cover the URL schemes of DedeCMS,
PHPCMS, EmpireCMS, WordPress and Discuz! portals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote_plus, urljoin, urlsplit

from lxml import etree

from fanwen_crawler.extractors.text import clean_text, node_text
from fanwen_crawler.urls import (
    SITE_HOST_PREFIX,
    TRACKING_PARAMS,
    TRACKING_PREFIXES,
    canonical_url,
    same_site,
)

# Possessive quantifiers (`*+`, `++`) where what follows can never be what they matched:
# the same matches without trying every shorter run first.
ARTICLE_URL = re.compile(
    # /123.html, show-1-2.html
    r"/[a-zA-Z]{0,12}+[-_]?\d{3,}+(?:[-_]\d++){0,3}+\.(?:s?html?|php|aspx?|jsp)$"
    r"|/[a-zA-Z]*+\d{6,}+_\d++\.s?html?$"  # /t20230811_123.html
    r"|[?&](?:id|aid|articleid|article_id|itemid|newsid|p|tid|docid)=\d+"  # view.php?id=1, ?p=12
    r"|/(?:archives|p|post|posts|article|articles|a|show|view|detail|content|news|doc)/\d++/?$"
    r"|/\d{4}/\d{1,2}/(?:\d{1,2}/)?[\w%-]{3,}\.?(?:s?html?)?/?$",  # WordPress date slugs
    re.IGNORECASE,
)
LIST_URL = re.compile(
    r"(?:^|/)(?:list|index|page)[-_]\d++(?:[-_]\d++)*+\.(?:s?html?|php|aspx?)$"
    r"|/(?:category|categories|list|lists|class|column|channel|lanmu|sort|catalog|cat|type)"
    r"(?:[/_-]|\.(?:s?html?|php|aspx?)|$)"
    r"|[?&](?:catid|typeid|classid|cid|cateid|category|fid)=\w+"
    r"|/page/\d++/?$|/forum-\d++-\d++\.html$|/list\.(?:php|aspx?)",
    re.IGNORECASE,
)
DENY_URL = re.compile(
    r"/(?:search|tags?|member|user|login|logout|register|reg|admin|comment|feedback|rss|feed"
    r"|download|print|cart|about|contact|sitemap|help|plus/(?!list))[\w./-]*+(?:$|\?)"
    r"|search\.(?:php|asp)|[?&](?:q|keyword|kw|wd|s)="
    r"|\.(?:jpe?g|png|gif|webp|bmp|pdf|docx?|xlsx?|pptx?|zip|rar|7z|exe|apk|mp[34]|css|js|xml|txt)$",
    re.IGNORECASE,
)
ANY_DIGIT = re.compile(r"\d")
ROOT_PAGE = re.compile(r"^/(?:index|default|home)?(?:\.(?:s?html?|php|aspx?|jsp))?$", re.IGNORECASE)
# The same four patterns without IGNORECASE, for lower-cased ASCII paths (nearly every
# URL): on ASCII text that is the same test, minus a case fold at every position tried.
# (Their literals are lower case; non-ASCII paths keep the originals, because
# IGNORECASE also equates a few non-ASCII letters with ASCII ones: ſ with s, ı with i.)
FOLDED_URL_PATTERNS = tuple(
    re.compile(rx.pattern) for rx in (DENY_URL, ARTICLE_URL, ROOT_PAGE, LIST_URL)
)
URL_PATTERNS = (DENY_URL, ARTICLE_URL, ROOT_PAGE, LIST_URL)
CONTINUATION_URL = re.compile(
    r"^(.*?/[^/]*?\d+)_(\d{1,3})(\.(?:s?html?|php|aspx?))$", re.IGNORECASE
)
# "list_2.html", "2023/0811/12.html": relative to the page's directory, nothing to normalise.
PLAIN_RELATIVE = re.compile(r"^[\w%~-][\w%~.-]*(?:/[\w%~-][\w%~.-]*)*/?$")
# key=value made only of characters that URL-encoding leaves as they are.
PLAIN_PAIR = re.compile(r"^[A-Za-z0-9_.~-]+=[A-Za-z0-9_.~-]*$")
# A whole query of such pairs (no empty pair, nothing after the last).
PLAIN_QUERY = re.compile(r"[\w.~-]+=[\w.~-]*(?:&[\w.~-]+=[\w.~-]*)*+\Z", re.ASCII)
IP_OR_LOCAL = re.compile(r"^\[|^[\d.]+(?::\d+)?$|^localhost(?::|$)", re.IGNORECASE)
SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:", "about:")


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
        text, (deny_url, article_url, root_page, list_url) = path.lower(), FOLDED_URL_PATTERNS
    else:
        text, (deny_url, article_url, root_page, list_url) = path, URL_PATTERNS
    denied = deny_url.search(text) is not None
    # Every ARTICLE_URL alternative needs a digit: skip the costly search without one.
    article_like = ANY_DIGIT.search(text) is not None and article_url.search(text) is not None
    root = root_page.match(text) is not None  # never matches with a query
    listing = not denied and not root and (
        (path.endswith("/") and not article_like) or list_url.search(text) is not None)
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


def collect_links(root: etree._Element, base_url: str) -> list[PageLink]:
    """Every http(s) link of the tree, absolute and canonical, in document order."""
    found = []
    resolved: dict[str, str | None] = {}  # portals repeat the same hrefs many times
    internal_hosts: dict[str, bool] = {}
    shapes: dict[str, UrlShape] = {}
    base_netloc = base_url.split("/", 3)[2] if base_url.count("/") >= 2 else ""
    base_dir = _directory(base_url)
    origin = _origin(base_url)
    plain_origin = origin if origin is not None and _is_plain(origin + "/") else None
    for el in root.iter("a"):
        href = el.get("href")
        if not href:
            continue
        href = href.strip()
        if not href or href.lower().startswith(SKIP_SCHEMES):
            continue
        url = resolved.get(href, "")
        if url == "":
            url = resolved[href] = _resolve(base_url, href, base_dir, plain_origin)
        if url is None:
            continue
        host = url.split("/", 3)[2]
        internal = internal_hosts.get(host)
        if internal is None:
            internal = internal_hosts[host] = _same_site(url, host, base_url, base_netloc)
        raw = (el.text or "") if not len(el) else node_text(el)  # most anchors hold only text
        link = PageLink(el, url, clean_text(raw), internal)
        if internal:  # their shapes are all needed (list and category links); share repeats
            shape = shapes.get(url)
            if shape is None:
                shape = shapes[url] = url_shape(url)
            link._shape = shape
        found.append(link)
    return found


def _bare_host(netloc: str) -> str:
    return SITE_HOST_PREFIX.sub("", netloc.partition(":")[0].lower())


def _same_site(url: str, netloc: str, base_url: str, base_netloc: str) -> bool:
    """`same_site`, without its URL parsing for the two common answers."""
    if netloc == base_netloc:
        return True
    if not IP_OR_LOCAL.search(netloc) and not IP_OR_LOCAL.search(base_netloc):
        a, b = _bare_host(netloc), _bare_host(base_netloc)
        if a != b and not a.endswith("." + b) and not b.endswith("." + a):
            return False  # unrelated named hosts: never the same portal
    return same_site(url, base_url)


def _origin(url: str) -> str | None:
    """scheme://host of an already-canonical URL."""
    parts = url.split("/", 3)
    return f"{parts[0]}//{parts[2]}" if len(parts) >= 3 else None


def _is_plain(url: str) -> bool:
    """Canonical as it stands: no query, fragment, port, user or upper-case host."""
    if "?" in url or "#" in url or "/." in url or "\\" in url or " " in url:
        return False
    netloc = url.split("/", 3)[2] if url.count("/") >= 3 else ""
    return bool(netloc) and netloc.islower() and ":" not in netloc and "@" not in netloc


def _directory(base_url: str) -> str | None:
    """The directory of the page URL ("http://x.cn/a/1.html?p=2" → "http://x.cn/a/")."""
    base = base_url.split("#", 1)[0].split("?", 1)[0]
    return base[:base.rfind("/") + 1] if base.count("/") >= 3 else None


def _plain_prefix(base_url: str, path: str, base_dir: str | None,
                  plain_origin: str | None = None) -> str | None:
    """The absolute canonical URL of a query-less href, when no parsing is needed.

    `plain_origin` is the page's scheme://host when that is canonical as it stands.
    """
    if path.startswith("/"):
        if path.startswith("//"):  # scheme-relative: the page's scheme
            url = base_url[:base_url.find(":") + 1] + path
            url = url if url.count("/") >= 3 else url + "/"
        elif plain_origin is not None:  # the common root-relative href: only its path to check
            plain = not ("?" in path or "#" in path or "/." in path or "\\" in path
                         or " " in path)
            return plain_origin + path if plain else None
        else:
            origin = _origin(base_url)
            url = origin + path if origin else ""
    elif path.startswith(("http://", "https://")):
        url = path if path.count("/") >= 3 else path + "/"
    elif not path:
        url = base_url.split("?", 1)[0]
    elif base_dir:
        while path.startswith(("./", "../")):  # leading dot segments climb from the page's dir
            if path[1] == "/":
                path = path[2:]
            else:
                path = path[3:]
                if base_dir.count("/") > 3:  # never above the site root
                    base_dir = base_dir[:base_dir.rstrip("/").rfind("/") + 1]
        if path and not PLAIN_RELATIVE.match(path):
            return None
        url = base_dir + path
    else:
        return None
    return url if url and _is_plain(url) else None


def _plain_query(query: str) -> str | None:
    """`canonical_url`'s query (tracking keys dropped, pairs sorted, encoded) without
    parsing the URL; None when a pair needs unquoting ("%", "+")."""
    if PLAIN_QUERY.match(query):  # the common case: nothing to encode, one regex for all
        kept = []
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            lower = key.lower()
            if lower not in TRACKING_PARAMS and not lower.startswith(TRACKING_PREFIXES):
                kept.append((key, value))
        kept.sort()
        return "?" + "&".join([f"{k}={v}" for k, v in kept]) if kept else ""
    pairs = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if not PLAIN_PAIR.match(pair):
            if "%" in pair or "+" in pair:
                return None
            # "title=中文标题", "?/标签/": parse_qsl leaves these as they are, and
            # urlencode percent-encodes them (a missing "=" becomes an empty value).
            try:
                encoded = f"{quote_plus(key)}={quote_plus(value)}"
            except UnicodeEncodeError:
                return None
        else:
            encoded = pair
        lower = key.lower()
        if lower not in TRACKING_PARAMS and not lower.startswith(TRACKING_PREFIXES):
            pairs.append((key, value, encoded))
    pairs.sort()
    return "?" + "&".join(encoded for _, _, encoded in pairs) if pairs else ""


def _resolve(base_url: str, href: str, base_dir: str | None = None,
             plain_origin: str | None = None) -> str | None:
    # Fast path for hrefs that need no parsing (absolute, root-relative, plain relative,
    # with plain key=value queries); everything else goes through urljoin + canonical_url.
    path, has_query, query = href.split("#", 1)[0].partition("?")
    if "\n" in href or "\t" in href or "\r" in href:
        prefix = None  # urlsplit deletes these characters wherever they are
    else:
        prefix = _plain_prefix(base_url, path, base_dir, plain_origin) if path or query else None
    if prefix is not None:
        if not has_query:
            return prefix
        plain_query = _plain_query(query)
        if plain_query is not None:
            return prefix + plain_query
    try:
        url = urljoin(base_url, href)
        if not url[:8].lower().startswith(("http://", "https://")):
            return None
        return canonical_url(url)
    except ValueError:
        return None


def url_path(url: str) -> str:
    """Path and query of an absolute URL ("/a/1.html?p=2")."""
    start = url.find("//")
    slash = url.find("/", start + 2) if start >= 0 else -1
    if start < 0 or slash < 0:
        parts = urlsplit(url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    path = url[slash:]
    return path.split("#", 1)[0]


def is_article_url(url: str) -> bool:
    """The URL has the shape of an article page (weak hint)."""
    return url_shape(url).article


def is_list_url(url: str) -> bool:
    """The URL has the shape of a category or list page (weak hint)."""
    return url_shape(url).listing


def is_root_url(url: str) -> bool:
    """The URL is a site's home page."""
    return url_shape(url).root


def continuation_of(url: str) -> tuple[str, int] | None:
    """(first-page URL, page number) when `url` looks like page N of an article (123_3.html)."""
    parts = urlsplit(url)
    match = CONTINUATION_URL.match(parts.path)
    if not match or parts.query:
        return None
    first = f"{parts.scheme}://{parts.netloc}{match.group(1)}{match.group(3)}"
    return first, int(match.group(2))
