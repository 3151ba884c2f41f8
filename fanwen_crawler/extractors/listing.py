"""Links of list and home pages: the listed articles and the portal's category links.

Listed articles are found as the largest group of same-site links that share one
markup path (same tags and classes from the root) inside one list container, weighted
by link-text length, by how many of them have an article-shaped URL and by how many of
their items carry a date or an excerpt; the group its pager row follows wins, and a box
labelled as the portal's own (热门, 最新, 推荐, 相关 …) is never the list. Category links
are same-site links with a list-shaped URL, or short links in a navigation row.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict

from lxml import etree

from fanwen_crawler.extractors.blocks import Line
from fanwen_crawler.extractors.boilerplate import is_pager_row
from fanwen_crawler.extractors.links import PageLink
from fanwen_crawler.extractors.text import node_text, visible_length
from fanwen_crawler.items import Link

MIN_ARTICLE_TEXT = 4
MAX_COUNTED_TEXT = 40
MIN_GROUP = 3
NAV_TEXT_MAX = 10
NAV_ROW_MIN_LINKS = 3
PATH_DEPTH = 6
PathMemo = dict[object, object]
"""markup_path's cache: an element → its own part; (element,) → its whole path."""
# A class token with a digit, matched from the token's start only: `\S*\d\S*` tried from
# every position of a long token without digits (utility-class names), quadratically.
DIGIT_TOKEN = re.compile(r"(?<!\S)[^\s\d]*+\d\S*+")
PAGER_GAP_LINES = 4
PAGER_BONUS = 1e6
# Mean link-text length under which a link group is a menu of names, not of titles.
MENU_TEXT_MAX = 6
MENU_LISTY_SHARE = 0.5
# An item with this many characters beside its link carries a date or an excerpt.
RICH_ITEM_CHARS = 5
BOX_LABEL_MAX_CHARS = 12
ITEM_MAX_DEPTH = 12
# A list item's title, date and excerpt; a box holding more is a text, not an item.
ITEM_MAX_CHARS = 600
# Items of a list of one or two without a pager: a title, a date, a short excerpt.
SHORT_ITEM_MAX_CHARS = 200
# Labels of the portal's own link boxes (sidebars, related lists): never the page's list.
SIDEBAR_LABEL = re.compile(r"热门|热点|最新|推荐|排行|相关|猜你|精彩|随机|大家都在看|点击排行|"
                           r"你可能|您可能|延伸阅读|热评|热文|最近更新|本周|本月|今日")
SIDEBAR_FACTOR = 0.01


def markup_path(el: etree._Element, memo: PathMemo) -> tuple[str, object]:
    """Tags and classes of the element and its ancestors (no positions), and the ancestor
    above them, so that lists living under different containers stay apart.

    The ancestor element itself is the key, not `id()` of it: lxml proxies are created on
    demand, so the id of a node can change between two lookups. `memo` holds each
    element's own part, shared by the many links under one list, and (keyed by a 1-tuple)
    each element's whole path, shared by the callers measuring one page.
    """
    done = memo.get((el,))
    if done is not None:
        return done  # type: ignore[return-value]
    parts: list[str] = []
    # The element, PATH_DEPTH - 1 ancestors, and the ancestor above them (when there is one).
    nodes = [el, *itertools.islice(el.iterancestors(), PATH_DEPTH)]
    for node in nodes[:PATH_DEPTH]:
        part = memo.get(node)
        if part is None:
            cls = node.get("class")
            if cls:  # "post-231 post hentry": per-item tokens carry digits, shared ones don't
                cls = " ".join(DIGIT_TOKEN.sub("", cls).split())
            part = memo[node] = f"{node.tag}.{cls}" if cls else str(node.tag)
        parts.append(str(part))
    result = "/".join(parts), nodes[PATH_DEPTH] if len(nodes) > PATH_DEPTH else None
    memo[(el,)] = result
    return result


def _candidates(links: list[PageLink], page_url: str) -> list[PageLink]:
    return [
        link for link in links
        if visible_length(link.text) >= MIN_ARTICLE_TEXT and link.url != page_url
        and link.internal and not link.shape.denied and not link.shape.root
    ]


def unique_links(links: list[PageLink]) -> list[Link]:
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


Chains = dict[object, list[etree._Element]]
"""Each link's ancestors up to ITEM_MAX_DEPTH (below body), by id of the PageLink: the
walks are shared by every group a page measures. Keyed by the tuple of its members' ids,
the items of a group measured on its own (`item_elements`): the list measure and the
related-list cut group most links alike."""
Owners = tuple[dict[etree._Element, str], set[etree._Element]]


def _chain(link: PageLink, chains: Chains) -> list[etree._Element]:
    chain = chains.get(id(link))
    if chain is None:
        chain = chains[id(link)] = []
        for node in link.el.iterancestors():
            if node.tag in ("body", "html") or len(chain) >= ITEM_MAX_DEPTH:
                break
            chain.append(node)
    return chain


def link_owners(links: list[PageLink], chains: Chains) -> Owners:
    """For the ancestors of `links`: the URL of the first link under each, and the set of
    ancestors that hold links to more than one URL."""
    owner: dict[etree._Element, str] = {}
    multi: set[etree._Element] = set()
    setdefault, add = owner.setdefault, multi.add
    for link in links:
        url = link.url
        chain = chains.get(id(link))
        for node in _chain(link, chains) if chain is None else chain:
            if setdefault(node, url) != url:
                add(node)
    return owner, multi


def item_elements(members: list[PageLink],
                  others: list[PageLink] | None = None, *,
                  chains: Chains | None = None,
                  others_owners: Owners | None = None) -> list[etree._Element]:
    """Each member's item: its highest ancestor that holds no other member's URL.

    A list item holds one article of the list (a thumbnail and a title may both link
    it; a category or author link may sit beside it) and maybe a date or an excerpt;
    the item ends where the next item's link, or another article link (`others`), begins.
    `others_owners` is `link_owners(others)` when the caller measures many groups
    against the same others.
    """
    chains = {} if chains is None else chains
    key = None
    if others_owners is None and not others:
        key = tuple(map(id, members))
        known = chains.get(key)
        if known is not None:
            return known
    owner, multi = link_owners(members, chains)
    if others_owners is None and others:
        others_owners = link_owners(others, chains)
    items = []
    for link in members:
        item = link.el
        for node in chains[id(link)]:  # every member's chain: link_owners walked them
            if node in multi:
                break
            if others_owners is not None:
                if node in others_owners[1]:
                    break
                other = others_owners[0].get(node)
                if other is not None and other != owner[node]:
                    break
            item = node
        items.append(item)
    if key is not None:
        chains[key] = items
    return items


def _extra_chars(item: etree._Element, link_text: str) -> int:
    """Characters of an item beyond its link's text: a date, an excerpt, a count."""
    return max(0, visible_length(node_text(item)) - visible_length(link_text))


def _box_label(first: etree._Element, where: dict[object, int], lines: list[Line] | None,
               container: etree._Element | None) -> str | None:
    """The short heading line just above a group, inside the group's box."""
    if not lines or container is None:
        return None
    at = where.get(first)
    if at is None:
        return None
    box = container.getparent()
    for i in range(at - 1, max(-1, at - 3), -1):
        line = lines[i]
        if line.size > BOX_LABEL_MAX_CHARS or (line.anchors and line.link_ratio >= 0.5):
            return None
        node: etree._Element | None = line.owner
        while node is not None and node is not box:
            node = node.getparent()
        return line.text if node is not None else None
    return None


def listed_articles(
    links: list[PageLink], page_url: str, lines: list[Line] | None = None
) -> list[Link]:
    """The main repeated group of article links of a list page, in order (`main_group`)."""
    return unique_links(main_group(links, page_url, lines)[0])


def main_group(
    links: list[PageLink], page_url: str, lines: list[Line] | None = None, *,
    memo: PathMemo | None = None, chains: Chains | None = None,
) -> tuple[list[PageLink], list[etree._Element], bool]:
    """The main repeated group of article links of a list page, in order.

    Groups are links of one markup path inside one list container. A group that the
    page's pager row follows is the list the pager pages through; a box labelled as
    the portal's (热门, 最新, 推荐, 相关 …) is a sidebar, never the list; items that carry
    a date or an excerpt beside their link weigh more than bare link rows.
    """
    memo = {} if memo is None else memo  # callers measuring one page share these
    chains = {} if chains is None else chains
    paths: dict[tuple[str, object], list[PageLink]] = defaultdict(list)
    candidates = _candidates(links, page_url)
    for link in candidates:
        paths[markup_path(link.el, memo)].append(link)
    articles = [link for link in candidates if link.shape.article]
    where, pagers = _pager_lines(lines) if lines else ({}, [])
    groups: list[tuple[list[PageLink], list[etree._Element]]] = []
    article_owners: Owners | None = None
    for members in paths.values():
        if len(members) < MIN_GROUP:
            if article_owners is None:
                article_owners = link_owners(articles, chains)
            items = item_elements(members, chains=chains, others_owners=article_owners)
        else:
            items = item_elements(members, chains=chains)
        split: dict[object, tuple[list[PageLink], list[etree._Element]]] = {}
        for link, item in zip(members, items, strict=True):
            parent = item.getparent()
            group = split.setdefault(parent, ([], []))
            group[0].append(link)
            group[1].append(item)
        groups.extend(split.values())
    best: tuple[list[PageLink], list[etree._Element], bool] = ([], [], False)
    best_score = 0.0
    for members, items in groups:
        unique_urls = {m.url for m in members}
        last = where.get(members[-1].el)
        paged = last is not None and any(0 < p - last <= PAGER_GAP_LINES for p in pagers)
        shaped = sum(1 for m in members if m.shape.article) / len(members)
        if len(unique_urls) < MIN_GROUP and (shaped < 1.0 or (not paged and any(
                visible_length(node_text(item)) > SHORT_ITEM_MAX_CHARS for item in items))):
            continue  # a short list (the last page's one item): articles, paged or short items
        listy = sum(1 for m in members if m.shape.listing) / len(members)
        text = sum(min(visible_length(m.text), MAX_COUNTED_TEXT) for m in members)
        score = text * (0.3 + shaped) * (1.0 - 0.8 * listy)
        rich = sum(1 for m, item in zip(members, items, strict=True)
                   if _extra_chars(item, m.text) >= RICH_ITEM_CHARS) / len(members)
        score *= 1.0 + rich
        label = _box_label(members[0].el, where, lines, items[0].getparent())
        if label and SIDEBAR_LABEL.search(label):
            score *= SIDEBAR_FACTOR  # the portal's hot/latest/related box
        elif paged:
            score += PAGER_BONUS  # the group the pager pages through outranks any sidebar
        elif text < MENU_TEXT_MAX * len(members) and listy >= MENU_LISTY_SHARE:
            continue  # a menu of section names (法律法规, 投资者教育) is never the listed articles
        if score > best_score:
            best, best_score = (members, items, paged), score
    return best


def share_in_items(paragraphs: list[tuple[str, Line]], items: list[etree._Element]) -> float:
    """The share of the text's characters that lies inside the list's items (excerpts)."""
    total = sum(len(text) for text, _ in paragraphs)
    if not total or not items:
        return 0.0
    inside_items = {item for item in items if visible_length(node_text(item)) <= ITEM_MAX_CHARS}
    found = 0
    for text, line in paragraphs:
        node: etree._Element | None = line.owner
        for _ in range(PATH_DEPTH + 2):
            if node is None:
                break
            if node in inside_items:
                found += len(text)
                break
            node = node.getparent()
    return found / total


def likely_articles(links: list[PageLink], page_url: str) -> list[Link]:
    """Every same-site link with an article-shaped URL (home and other pages)."""
    return unique_links([link for link in _candidates(links, page_url) if link.shape.article])


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
