"""Links on a page and what their URL shape suggests (article, list, or neither).

URL shape is only a weak hint: it feeds page classification and link grouping, and
profile patterns override it. The patterns cover the URL schemes of DedeCMS,
PHPCMS, EmpireCMS, WordPress and Discuz! portals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import html

from fanwen_crawler.extractors.text import clean_text
from fanwen_crawler.urls import canonical_url, same_site

ARTICLE_URL = re.compile(
    r"/[a-zA-Z]{0,12}[-_]?\d{3,}(?:[-_]\d+){0,3}\.(?:s?html?|php|aspx?|jsp)$"  # /123.html, show-1-2.html
    r"|/[a-zA-Z]*\d{6,}_\d+\.s?html?$"  # /t20230811_123.html
    r"|[?&](?:id|aid|articleid|article_id|itemid|newsid|p|tid|docid)=\d+"  # view.php?id=1, ?p=12
    r"|/(?:archives|p|post|posts|article|articles|a|show|view|detail|content|news|doc)/\d+/?$"
    r"|/\d{4}/\d{1,2}/(?:\d{1,2}/)?[\w%-]{3,}\.?(?:s?html?)?/?$",  # WordPress date slugs
    re.IGNORECASE,
)
LIST_URL = re.compile(
    r"(?:^|/)(?:list|index|page)[-_]\d+(?:[-_]\d+)*\.(?:s?html?|php|aspx?)$"
    r"|/(?:category|categories|list|lists|class|column|channel|lanmu|sort|catalog|cat|type)"
    r"(?:[/_-]|\.(?:s?html?|php|aspx?)|$)"
    r"|[?&](?:catid|typeid|classid|cid|cateid|category|fid)=\w+"
    r"|/page/\d+/?$|/forum-\d+-\d+\.html$|/list\.(?:php|aspx?)",
    re.IGNORECASE,
)
DENY_URL = re.compile(
    r"/(?:search|tags?|member|user|login|logout|register|reg|admin|comment|feedback|rss|feed"
    r"|download|print|cart|about|contact|sitemap|help|plus/(?!list))[\w./-]*(?:$|\?)"
    r"|search\.(?:php|asp)|[?&](?:q|keyword|kw|wd|s)="
    r"|\.(?:jpe?g|png|gif|webp|bmp|pdf|docx?|xlsx?|pptx?|zip|rar|7z|exe|apk|mp[34]|css|js|xml|txt)$",
    re.IGNORECASE,
)
ROOT_PAGE = re.compile(r"^/(?:index|default|home)?(?:\.(?:s?html?|php|aspx?|jsp))?$", re.IGNORECASE)
CONTINUATION_URL = re.compile(r"^(.*?/[^/]*?\d+)_(\d{1,3})(\.(?:s?html?|php|aspx?))$", re.IGNORECASE)
SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:", "about:")


@dataclass(slots=True)
class PageLink:
    """An <a href> resolved against the page URL."""

    el: html.HtmlElement
    url: str
    text: str
    internal: bool = False
    """Same site as the page."""


def collect_links(root: html.HtmlElement, base_url: str) -> list[PageLink]:
    """Every http(s) link of the tree, absolute and canonical, in document order."""
    found = []
    resolved: dict[str, str | None] = {}  # portals repeat the same hrefs many times
    internal_hosts: dict[str, bool] = {}
    for el in root.iter("a"):
        href = (el.get("href") or "").strip()
        if not href or href.lower().startswith(SKIP_SCHEMES):
            continue
        if href not in resolved:
            resolved[href] = _resolve(base_url, href)
        url = resolved[href]
        if url is None:
            continue
        host = url.split("/", 3)[2]
        if host not in internal_hosts:
            internal_hosts[host] = same_site(url, base_url)
        found.append(PageLink(el, url, clean_text(el.text_content()), internal_hosts[host]))
    return found


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


def _resolve(base_url: str, href: str) -> str | None:
    # Fast paths for the common absolute and root-relative hrefs; everything else
    # goes through urljoin + canonical_url.
    if href.startswith("/") and not href.startswith("//"):
        origin = _origin(base_url)
        if origin and _is_plain(origin + href):
            return origin + href
    elif href.startswith(("http://", "https://")) and _is_plain(href):
        return href
    try:
        url = urljoin(base_url, href)
        if not url.startswith(("http://", "https://")):
            return None
        return canonical_url(url)
    except ValueError:
        return None


def url_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def is_article_url(url: str) -> bool:
    """The URL has the shape of an article page (weak hint)."""
    path = url_path(url)
    return bool(ARTICLE_URL.search(path)) and not DENY_URL.search(path)


def is_list_url(url: str) -> bool:
    """The URL has the shape of a category or list page (weak hint)."""
    path = url_path(url)
    if DENY_URL.search(path) or ROOT_PAGE.match(path):
        return False
    if LIST_URL.search(path):
        return True
    return path.endswith("/") and not ARTICLE_URL.search(path)


def is_root_url(url: str) -> bool:
    """The URL is a site's home page."""
    parts = urlsplit(url)
    return not parts.query and bool(ROOT_PAGE.match(parts.path or "/"))


def continuation_of(url: str) -> tuple[str, int] | None:
    """(first-page URL, page number) when `url` looks like page N of an article (123_3.html)."""
    parts = urlsplit(url)
    match = CONTINUATION_URL.match(parts.path)
    if not match or parts.query:
        return None
    first = f"{parts.scheme}://{parts.netloc}{match.group(1)}{match.group(3)}"
    return first, int(match.group(2))
