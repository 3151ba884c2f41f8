"""Links of list and home pages: the listed articles and the portal's category links.

Listed articles are found as the largest group of same-site links that share one
markup path (same tags and classes from the root), weighted by link-text length
and by how many of them have an article-shaped URL. Category links are same-site
links with a list-shaped URL, or short links in a navigation row.
"""

from __future__ import annotations

import re
from collections import defaultdict

from lxml import etree

from fanwen_crawler.extractors.blocks import Line
from fanwen_crawler.extractors.boilerplate import is_pager_row
from fanwen_crawler.extractors.links import PageLink
from fanwen_crawler.extractors.text import visible_length
from fanwen_crawler.items import Link

MIN_ARTICLE_TEXT = 4
MAX_COUNTED_TEXT = 40
MIN_GROUP = 3
NAV_TEXT_MAX = 10
NAV_ROW_MIN_LINKS = 3
PATH_DEPTH = 6
DIGIT_TOKEN = re.compile(r"\S*\d\S*")
PAGER_GAP_LINES = 4
PAGER_BONUS = 1e6
# Mean link-text length under which a link group is a menu of names, not of titles.
MENU_TEXT_MAX = 6
MENU_LISTY_SHARE = 0.5


def _markup_path(el: etree._Element, memo: dict[etree._Element, str]) -> tuple[str, object]:
    """Tags and classes of the element and its ancestors (no positions), and the ancestor
    above them, so that lists living under different containers stay apart.

    The ancestor element itself is the key, not `id()` of it: lxml proxies are created on
    demand, so the id of a node can change between two lookups. `memo` holds each
    element's own part, shared by the many links under one list.
    """
    parts = []
    node: etree._Element | None = el
    for _ in range(PATH_DEPTH):
        if node is None:
            break
        part = memo.get(node)
        if part is None:
            cls = node.get("class")
            if cls:  # "post-231 post hentry": per-item tokens carry digits, shared ones don't
                cls = " ".join(DIGIT_TOKEN.sub("", cls).split())
            part = memo[node] = f"{node.tag}.{cls}" if cls else str(node.tag)
        parts.append(part)
        node = node.getparent()
    return "/".join(parts), node


def _candidates(links: list[PageLink], page_url: str) -> list[PageLink]:
    return [
        link for link in links
        if visible_length(link.text) >= MIN_ARTICLE_TEXT and link.url != page_url
        and link.internal and not link.shape.denied and not link.shape.root
    ]


def _unique(links: list[PageLink]) -> list[Link]:
    seen: set[str] = set()
    result = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            result.append(Link(url=link.url, title=link.text))
    return result


def _pager_lines(lines: list[Line]) -> tuple[dict[object, int], list[int]]:
    """Line index of every anchor, and the indices of pager rows (1 2 3 下一页)."""
    where: dict[object, int] = {}
    pagers = []
    for i, line in enumerate(lines):
        for el in line.anchors:
            where[el] = i
        if line.anchors and is_pager_row(line.text):
            pagers.append(i)
    return where, pagers


def listed_articles(
    links: list[PageLink], page_url: str, lines: list[Line] | None = None
) -> list[Link]:
    """The main repeated group of article links of a list page, in order.

    A group that the page's pager row follows is the list the pager pages through;
    sidebars of longer titles elsewhere on the page are not.
    """
    groups: dict[tuple[str, object], list[PageLink]] = defaultdict(list)
    memo: dict[etree._Element, str] = {}
    for link in _candidates(links, page_url):
        groups[_markup_path(link.el, memo)].append(link)
    where, pagers = _pager_lines(lines) if lines else ({}, [])
    best: list[PageLink] = []
    best_score = 0.0
    for members in groups.values():
        unique_urls = {m.url for m in members}
        if len(unique_urls) < MIN_GROUP:
            continue
        shaped = sum(1 for m in members if m.shape.article) / len(members)
        listy = sum(1 for m in members if m.shape.listing) / len(members)
        text = sum(min(visible_length(m.text), MAX_COUNTED_TEXT) for m in members)
        score = text * (0.3 + shaped) * (1.0 - 0.8 * listy)
        last = where.get(members[-1].el)
        if last is not None and any(0 < p - last <= PAGER_GAP_LINES for p in pagers):
            score += PAGER_BONUS  # the group the pager pages through outranks any sidebar
        elif text < MENU_TEXT_MAX * len(members) and listy >= MENU_LISTY_SHARE:
            continue  # a menu of section names (法律法规, 投资者教育) is never the listed articles
        if score > best_score:
            best, best_score = members, score
    return _unique(best)


def likely_articles(links: list[PageLink], page_url: str) -> list[Link]:
    """Every same-site link with an article-shaped URL (home and other pages)."""
    return _unique([link for link in _candidates(links, page_url) if link.shape.article])


def category_links(links: list[PageLink], lines: list[Line], page_url: str,
                   by_el: dict[object, PageLink]) -> list[str]:
    """Same-site links that look like category/list pages, in order, unique."""
    nav_anchors: set[object] = set()
    for line in lines:
        if len(line.anchors) >= NAV_ROW_MIN_LINKS and line.link_ratio >= 0.6:
            nav_anchors.update(line.anchors)
    result: list[str] = []
    seen = {page_url}
    for link in links:
        if link.url in seen or not link.internal:
            continue
        shape = link.shape
        if shape.denied or shape.root or shape.article:
            continue
        in_nav = link.el in nav_anchors and 2 <= visible_length(link.text) <= NAV_TEXT_MAX
        if shape.listing or in_nav:
            seen.add(link.url)
            result.append(link.url)
    return result


def article_links_in(lines: list[Line], by_el: dict[object, PageLink], page_url: str) -> int:
    """How many distinct article-shaped same-site links these lines contain."""
    urls = set()
    for line in lines:
        for el in line.anchors:
            link = by_el.get(el)
            if link and visible_length(link.text) >= MIN_ARTICLE_TEXT and link.url != page_url \
                    and link.internal and link.shape.article:
                urls.add(link.url)
    return len(urls)
