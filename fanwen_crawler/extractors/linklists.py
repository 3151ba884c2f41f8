"""Link lists inside or after an article's text: related items, tag rows, their labels.

A related list is a repeated structure: items that each open with one link to another
page (its title) and carry an excerpt or a date beside it. Their titles are link lines
and never reach the body, but the excerpts and dates are plain text and would. The
items are found structurally, as for a list page (`listing`): links of one markup path
whose items (the highest ancestor holding no other member's URL) start with the link's
text. The body ends where such a list begins when little of the text's own prose
follows it, and item lines are never body lines. Tag rows (标签：a b c) go with them.
"""

from __future__ import annotations

import re
from collections import defaultdict

from lxml import etree

from fanwen_crawler.extractors.article import breaks_off
from fanwen_crawler.extractors.blocks import BLOCK_TAGS, Line, is_sentence_line, within
from fanwen_crawler.extractors.boilerplate import is_pager_row
from fanwen_crawler.extractors.links import PageLink
from fanwen_crawler.extractors.listing import (
    MIN_ARTICLE_TEXT,
    Chains,
    PathMemo,
    item_elements,
    markup_path,
)
from fanwen_crawler.extractors.related import NON_WORD, TAG_LABEL, TAG_LABEL_FIRST
from fanwen_crawler.extractors.text import clean_text, node_text, title_key, visible_length

MIN_ITEMS = 2
# An excerpt that breaks off, maybe followed by its date: "…制…", "...  2018-09-06".
EXCERPT_END = re.compile(r"(?:…|\.{3}|。。。)\s*[\d\s:/.-]{0,20}$")
PAGER_LABEL = re.compile(r"^[^\s\d:：]{1,4}\s*[:：]\s*")
# An item: a title, a date, an excerpt. A box holding more is a text, not an item.
ITEM_MAX_CHARS = 600
LABEL_MAX_CHARS = 12
# What an item may hold beside its title and still be a dated link: a date, a count.
STAMP_MAX_CHARS = 20
# Own prose after the list, relative to the prose before it, under which the list ends the text.
TAIL_PROSE_SHARE = 0.2


def link_list_items(links: list[PageLink], page_url: str, *,
                    memo: PathMemo | None = None,
                    chains: Chains | None = None) -> set[etree._Element]:
    """Items of every repeated link list whose items open with their link's title."""
    memo = {} if memo is None else memo  # shared with listing.main_group on one page
    chains = {} if chains is None else chains
    groups: dict[tuple[str, object], list[PageLink]] = defaultdict(list)
    for link in links:
        if link.internal and link.url != page_url \
                and visible_length(link.text) >= MIN_ARTICLE_TEXT:
            groups[markup_path(link.el, memo)].append(link)
    found: set[etree._Element] = set()
    for members in groups.values():
        if len({m.url for m in members}) < MIN_ITEMS:
            if (item := _lone_item(members[0])) is not None:
                found.add(item)  # a related list of one: a title with its excerpt
            continue
        items = item_elements(members, chains=chains)
        titled = []
        for link, item in zip(members, items, strict=True):
            if item is link.el:
                continue  # a bare link: its line is a link line already
            text = node_text(item)
            if not visible_length(link.text) < visible_length(text) <= ITEM_MAX_CHARS:
                continue  # a bare link (a menu entry) or a whole text
            if title_key(text).startswith(title_key(link.text)) and _teaser_item(link, text):
                titled.append(item)
        if len(titled) >= MIN_ITEMS:
            found.update(titled)
    return found


def _lone_item(link: PageLink) -> etree._Element | None:
    """The item of a lone link that opens a block with an excerpt breaking off (…)."""
    node = link.el.getparent()
    while node is not None and node.tag not in BLOCK_TAGS:
        node = node.getparent()
    if node is None or node.tag in ("body", "html"):
        return None
    size = visible_length(node_text(node))
    parent = node.getparent()
    while parent is not None and parent.tag not in ("body", "html") \
            and visible_length(node_text(parent)) == size:
        node, parent = parent, parent.getparent()
    text = node_text(node)
    if size > ITEM_MAX_CHARS or size <= visible_length(link.text) \
            or not title_key(text).startswith(title_key(link.text)):
        return None
    return node if EXCERPT_END.search(text) else None


def _teaser_item(link: PageLink, text: str) -> bool:
    """An item about another article: an article link, or a title with only a date or
    an excerpt that breaks off beside it (a forum reply under a user name is neither)."""
    if link.shape.article:
        return True
    extra = visible_length(text) - visible_length(link.text)
    return extra <= STAMP_MAX_CHARS or breaks_off(text)


def is_tag_row(line: Line) -> bool:
    """A tag label followed by links: 标签：读后感 心得."""
    if not line.anchors or line.text[:1] not in TAG_LABEL_FIRST or line.size > 200:
        return False
    label = TAG_LABEL.match(line.text)
    if label is None:
        return False
    rest = line.text[label.end():]
    for el in line.anchors:
        rest = rest.replace(clean_text(node_text(el)), "", 1)
    return len(NON_WORD.sub("", rest)) <= 3


def is_labelled_pager(line: Line) -> bool:
    """An article's pager row under a short label: 页面： 1 2 3, 分页：[1] 2."""
    if not line.anchors:
        return False
    label = PAGER_LABEL.match(line.text)
    return label is not None and is_pager_row(line.text[label.end():])


def cut_link_lists(content: list[Line], items: set[etree._Element]) -> list[Line]:
    """The content lines without related items, tag rows and what a trailing list ends."""
    memo: dict[etree._Element, bool] = {}
    flags = ([within(line.owner, items, memo) for line in content] if items
             else [False] * len(content))
    prose_before = 0
    for n, line in enumerate(content):
        if flags[n] and prose_before:
            after = sum(ln.size for ln, inside in zip(content[n:], flags[n:], strict=True)
                        if not inside and is_sentence_line(ln))
            if after < TAIL_PROSE_SHARE * prose_before:
                end = n
                while end > 0 and _is_label(content[end - 1]):
                    end -= 1  # the list's own label (延伸阅读, 相关文章)
                return [ln for ln in content[:end] if not _row(ln)]
            break
        if not flags[n] and is_sentence_line(line):
            prose_before += line.size
    return [ln for ln, inside in zip(content, flags, strict=True) if not inside and not _row(ln)]


def items_outweigh_text(content: list[Line], items: set[etree._Element]) -> bool:
    """More of the content's sentences lie inside link-list items than outside them."""
    memo: dict[etree._Element, bool] = {}
    inside = outside = 0
    for line in content:
        if is_sentence_line(line):
            if within(line.owner, items, memo):
                inside += line.size
            else:
                outside += line.size
    return inside > outside


def _row(line: Line) -> bool:
    return is_tag_row(line) or is_labelled_pager(line)


def _is_label(line: Line) -> bool:
    return line.size <= LABEL_MAX_CHARS and line.punctuation == 0 and not line.anchors
