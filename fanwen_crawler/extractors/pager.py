"""Pagination: an article's own pager (123.html, 123_2.html …) and list next pages.

A link belongs to this page's pager when it has the same "page key" as the page:
the URL with its page number (`_N` before the extension, or a page= parameter)
taken out. That keeps prev/next-*article* links (上一篇/下一篇), which point to
other articles, out of `next_page`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from fanwen_crawler.extractors.blocks import Line
from fanwen_crawler.extractors.boilerplate import NEXT_PAGE_TEXT, is_pager_row
from fanwen_crawler.extractors.links import PageLink
from fanwen_crawler.urls import same_site, without_param

PATH_PAGE = re.compile(r"^(.*\d)_(\d{1,3})(\.[a-zA-Z]{2,5})$")
# A page number as the last path segment under the article's own folder: /archives/123/2/,
# /2023/05/slug/2/. The same shape is an article's own id (/archives/123/), so it is read
# as a page number only when the page's pager confirms it (see `article_pager`).
PATH_SEGMENT_PAGE = re.compile(r"^(/.*[^/]/)(\d{1,3})/?$")
# A page number after a dash at the end of the file name (article-152-2.html), read the
# same way: only when the pager's links agree.
PATH_DASH_PAGE = re.compile(r"^(.*\d)-(\d{1,3})(\.[a-zA-Z]{2,5})$")
LIST_PATH_PAGE = re.compile(r"^(.*/(?:list|index|page)[-_]?\d*?)[-_](\d{1,4})(\.[a-zA-Z]{2,5})$")
PAGE_PARAMS = frozenset({"page", "p", "pn", "pg", "paged", "pageno", "pagenum", "pageindex"})
PAGE_NUMBER_TEXT = re.compile(r"^(?:第\s*)?(\d{1,4})(?:\s*页)?$|^\[(\d{1,4})\]$")
FIRST_PAGE_TEXT = re.compile(r"^(?:首页|第一页|第1页)$")
# No link text longer than this ("第 1234 页"; link texts are clean_text'ed, so spaces are
# single) matches PAGE_NUMBER_TEXT, FIRST_PAGE_TEXT or NEXT_PAGE_TEXT.
PAGER_TEXT_MAX_CHARS = 8
# A site's home page path (/, /index.php …): never an article's first page.
ROOT_PATH = re.compile(r"^/(?:index|default|home)?(?:\.(?:s?html?|php|aspx?|jsp))?$", re.I)


@dataclass(slots=True)
class Pager:
    """An article's pagination."""

    next_page: str | None = None
    first_page: str | None = None
    page_links: list[str] = field(default_factory=list)


def page_key(url: str) -> tuple[str, int]:
    """(URL without its page number, page number); page 1 when no number is present."""
    if found := without_param(url, PAGE_PARAMS):  # the other parameters exactly as written
        return found[0], int(found[1])
    parts = urlsplit(url)
    match = PATH_PAGE.match(parts.path)
    if match and not parts.query:
        path = match.group(1) + match.group(3)
        return urlunsplit(parts._replace(path=path)), int(match.group(2))
    return url, 1


def _query_page(url: str) -> tuple[str, int] | None:
    """An article URL's page parameter: the last page-named parameter with a number.

    Ids come first and the page parameter is appended (`?p=123&page=2`). A lone number
    parameter whose removal leaves the site's home page (`/?p=123`, `/?id=5`) is the
    article's id: an article's first page is never the home page.
    """
    base, qmark, query = url.partition("?")
    if not qmark:
        return None
    pairs = query.split("&")
    for i in range(len(pairs) - 1, -1, -1):
        name, _, value = pairs[i].partition("=")
        if name.lower() in PAGE_PARAMS and value.isdigit():
            rest = "&".join(pairs[:i] + pairs[i + 1:])
            if not rest and ROOT_PATH.match(urlsplit(base).path or "/"):
                return None
            return (f"{base}?{rest}" if rest else base), int(value)
    return None


class Reading(NamedTuple):
    """One reading of an article URL as a page of an article."""

    key: str
    """The article's identity (its first page's URL when `key_is_url`)."""
    number: int
    explicit: bool = False
    """The number is written in the URL (a parameter or a path part), not implied."""
    key_is_url: bool = True


def article_keys(url: str) -> list[tuple[str, int]]:
    """Readings of an article URL as (first-page key, page number), likeliest first."""
    return [(r.key, r.number) for r in _readings(url)]


def _readings(url: str) -> list[Reading]:
    found = _query_page(url)
    if found:
        return [Reading(*found, explicit=True), Reading(url, 1)]
    parts = urlsplit(url)
    if not parts.query:
        match = PATH_PAGE.match(parts.path)
        if match:
            return [Reading(urlunsplit(parts._replace(path=match.group(1) + match.group(3))),
                            int(match.group(2)), explicit=True), Reading(url, 1)]
        match = PATH_SEGMENT_PAGE.match(parts.path)
        if match and int(match.group(2)) >= 1:
            return [Reading(url, 1), Reading(urlunsplit(parts._replace(path=match.group(1))),
                                             int(match.group(2)), explicit=True)]
        match = PATH_DASH_PAGE.match(parts.path)
        if match:  # article-152-2.html: page 1 is written too (article-152-1.html)
            return [Reading(url, 1), Reading(match.group(1) + "-" + match.group(3),
                                             int(match.group(2)), True, key_is_url=False)]
    return [Reading(url, 1)]


def _pager_texts(links: list[PageLink]) -> list[tuple[PageLink, bool]]:
    """Links whose text is a page number, 首页/第一页 (True) or 下一页 (False)."""
    found = []
    for link in links:
        if len(link.text) > PAGER_TEXT_MAX_CHARS:
            continue
        if PAGE_NUMBER_TEXT.match(link.text) or FIRST_PAGE_TEXT.match(link.text):
            found.append((link, True))
        elif NEXT_PAGE_TEXT.match(link.text):
            found.append((link, False))
    return found


def _link_reading(link_url: str, key: str) -> Reading | None:
    """How `link_url` reads as a page of the article identified by `key`."""
    for reading in _readings(link_url):
        if reading.key == key:
            return reading
    return None


def _offset(pairs: list[tuple[int, int]]) -> int:
    """1 when the URLs count pages from 0 (the link numbered 2 says page=1), else 0."""
    return 1 if pairs and all(shown == written + 1 for shown, written in pairs) else 0


def article_pager(url: str, links: list[PageLink], pager_lines: list[Line],
                  by_el: dict[object, PageLink]) -> Pager:
    """The article's own pager: next page, first page, all page URLs in order.

    Each reading of the page's URL (`_readings`) is tried; the one under which most
    pager links (numbers, 下一页) are pages of the same article wins. URLs that count
    from 0 (page=1 on the link numbered 2) are read by the numbers the pager shows.
    """
    candidates = _pager_texts(links)
    best: tuple[int, Reading, int, dict[int, str], str | None] | None = None
    for reading in _readings(url):
        found = [(link, numbered, r) for link, numbered in candidates
                 if (r := _link_reading(link.url, reading.key)) is not None]
        pairs = [(int(shown.group(1) or shown.group(2)), r.number) for link, numbered, r in found
                 if numbered and r.explicit and (shown := PAGE_NUMBER_TEXT.match(link.text))]
        offset = _offset(pairs)
        if not pairs and reading.explicit and any(
                numbered and link.url != url and (shown := PAGE_NUMBER_TEXT.match(link.text))
                and int(shown.group(1) or shown.group(2)) == reading.number
                for link, numbered, _r in found):
            offset = 1  # page=1 here while the link numbered 1 is another page: counted from 0
        current = reading.number + (offset if reading.explicit else 0)
        pages: dict[int, str] = {current: url}
        next_url = None
        for link, numbered, r in found:
            number = r.number + (offset if r.explicit else 0)
            if numbered:
                pages.setdefault(number, link.url)
            elif number > current:
                next_url = next_url or link.url
                pages.setdefault(number, link.url)
        if best is None or len(found) > best[0]:
            best = (len(found), reading, current, pages, next_url)
    assert best is not None
    _matched, reading, current, pages, next_url = best
    if next_url is None and current + 1 in pages:
        next_url = pages[current + 1]
    if next_url is None:
        # Unrecognised URL scheme: trust a 下一页 link inside a pager row of the article.
        for line in pager_lines:
            if not is_pager_row(line.text):
                continue
            for el in line.anchors:
                anchor = by_el.get(el)
                if anchor and NEXT_PAGE_TEXT.match(anchor.text) and anchor.url != url \
                        and same_site(anchor.url, url):
                    next_url = anchor.url
                    break
    if len(pages) == 1 and next_url is None and current == 1:
        return Pager()
    if 1 not in pages and current > 1 and reading.key_is_url:
        pages[1] = reading.key
    ordered = [pages[n] for n in sorted(pages)]
    first_page = pages.get(1) if current > 1 else None
    if next_url and next_url not in ordered:
        ordered.append(next_url)
    return Pager(next_page=next_url, first_page=first_page, page_links=ordered)


def list_next_page(url: str, links: list[PageLink], lines: list[Line],
                   by_el: dict[object, PageLink]) -> str | None:
    """The next page of a list: a 下一页 link, else the link numbered current+1."""
    _key, current = page_key(url)
    match = LIST_PATH_PAGE.match(urlsplit(url).path)
    if match:
        current = int(match.group(2))
    numbered: str | None = None
    for line in lines:
        if not line.anchors or not is_pager_row(line.text):
            continue
        for el in line.anchors:
            link = by_el.get(el)
            if link is None or link.url == url:
                continue
            # The texts first: same_site parses both URLs, and most links are neither.
            if NEXT_PAGE_TEXT.match(link.text):
                if same_site(link.url, url):
                    return link.url
                continue
            number = PAGE_NUMBER_TEXT.match(link.text)
            if number and int(number.group(1) or number.group(2)) == current + 1 \
                    and numbered is None and same_site(link.url, url):
                numbered = link.url
    if numbered:
        return numbered
    for link in links:
        if NEXT_PAGE_TEXT.match(link.text) and link.url != url and same_site(link.url, url):
            return link.url
    return None
