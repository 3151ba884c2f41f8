"""Tag rows and related-article blocks, found by their generic Chinese labels.

A tag row is a line that starts with a tag label (相关热词搜索, TAG标签, 标签 …)
followed by links. A related block is a short label line (相关文章, 推荐访问,
相关信息 …) followed by link-dominated lines in the label's own box; only the nearest
such block after the article's text counts (sidebars further down belong to the
portal, not to the article), and its links become `related`.
"""

from __future__ import annotations

import re

from lxml import etree

from fanwen_crawler.extractors.blocks import Line
from fanwen_crawler.extractors.links import PageLink
from fanwen_crawler.extractors.text import clean_text, node_text
from fanwen_crawler.items import Link

TAG_LABEL = re.compile(
    r"^(?:相关热词搜索|热词搜索|相关热词|TAG\s*标签|TAGS?|标签|关键词|关键字|热门标签|本文标签|文章标签)"
    r"\s*[:：]?\s*", re.IGNORECASE,
)
RELATED_LABEL = re.compile(
    r"(?:相关文章|相关推荐|相关阅读|相关范文|相关内容|相关链接|推荐访问|推荐阅读|推荐文章|猜你喜欢|"
    r"相关信息|相关资料|相关文档|同类推荐|延伸阅读|你可能(?:也)?(?:喜欢|感兴趣)|您可能(?:也)?(?:喜欢|感兴趣)|"
    r"精彩推荐|热门推荐|相关资讯|相关新闻|同类文章|猜你感兴趣|为你推荐|你可能(?:还|還)想看"
    r"|^\s*[【\[]?\s*相关[\u4e00-\u9fff]{1,4}\s*[】\]]?\s*[:：]?\s*$"  # 相关作文： 相关合同
    r"|^\s*[【\[]?\s*推荐[\u4e00-\u9fff]{0,4}\s*[】\]]?\s*[:：]?\s*$)"
)
# Every character TAG_LABEL can start with (a cheap test before the match on every line).
TAG_LABEL_FIRST = frozenset("相热Tt标关本文")
LABEL_MAX_CHARS = 16
LINK_LINE_RATIO = 0.5
MAX_BLOCK_LINES = 80
RELATED_LOOKAHEAD_LINES = 40


MORE_LINK = re.compile(r"^(?:更多|查看更多|more)", re.IGNORECASE)
NON_WORD = re.compile(r"[\W\d_]+")


def is_link_item(line: Line) -> bool:
    """A line that is essentially one or more links (bullets, dates and counts aside)."""
    if line.link_ratio >= LINK_LINE_RATIO:
        return True
    if not line.anchors:
        return False
    rest = line.text
    for el in line.anchors:
        rest = rest.replace(clean_text(node_text(el)), "", 1)
    return len(NON_WORD.sub("", rest)) <= 3


def find_tags(lines: list[Line], by_el: dict[object, PageLink]) -> list[str]:
    """Tag texts from the page's tag row(s), in order, unique."""
    tags: list[str] = []
    for i, line in enumerate(lines):
        if line.text[:1] not in TAG_LABEL_FIRST or line.size > 300 \
                or not TAG_LABEL.match(line.text):
            continue
        anchors = line.anchors
        if not anchors and i + 1 < len(lines) and lines[i + 1].link_ratio >= LINK_LINE_RATIO:
            anchors = lines[i + 1].anchors
        for el in anchors:
            text = clean_text(node_text(el))
            if text and text not in tags and not TAG_LABEL.fullmatch(text) and len(text) <= 30:
                tags.append(text)
    for link in by_el.values():  # WordPress & co. mark tag links explicitly
        if "tag" in (link.el.get("rel") or "").split() and link.text and link.text not in tags:
            tags.append(link.text)
    return tags


def _common_ancestor(a: etree._Element, b: etree._Element) -> etree._Element | None:
    above = set()
    node: etree._Element | None = a
    while node is not None:
        above.add(node)
        node = node.getparent()
    node = b
    while node is not None and node not in above:
        node = node.getparent()
    return node


def _inside(el: etree._Element, container: etree._Element | None) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if node is container:
            return True
        node = node.getparent()
    return False


def _related_block(lines: list[Line], i: int, by_el: dict[object, PageLink]) -> list[Link]:
    """The links of the block labelled by lines[i]: following link items up to the next label."""
    block = [lines[i]]
    container = None
    for follower in lines[i + 1: i + 1 + MAX_BLOCK_LINES]:
        if not is_link_item(follower) or (not follower.anchors and (
                follower.heading or follower.size <= LABEL_MAX_CHARS)):
            break
        if container is None:
            container = _common_ancestor(lines[i].owner, follower.owner)
        elif not _inside(follower.owner, container):
            break  # the box ended: a footer or the next box's links follow
        block.append(follower)
    related: list[Link] = []
    seen: set[str] = set()
    for member in block:
        for el in member.anchors:
            link = by_el.get(el)
            if link is None or not link.text or link.url in seen \
                    or RELATED_LABEL.fullmatch(link.text) or MORE_LINK.match(link.text) \
                    or link.shape.root:
                continue
            seen.add(link.url)
            related.append(Link(url=link.url, title=link.text))
    return related


def find_related(lines: list[Line], by_el: dict[object, PageLink], after: int = 0) -> list[Link]:
    """Links of the related-article block that follows the article (from line `after` on).

    Only the nearest labelled block counts: sidebars further down (猜你喜欢, 热门文章)
    are the portal's, not this article's. Without one after the text, the first anywhere.
    """
    for start in (after, 0) if after > 0 else (0,):
        for i in range(start, len(lines)):
            label = lines[i].text
            if lines[i].size > LABEL_MAX_CHARS or not RELATED_LABEL.search(label) \
                    or TAG_LABEL.match(label):
                continue
            related = _related_block(lines, i, by_el)
            if related:
                if "相关" not in label:  # a 推荐/猜你喜欢 box first: a 相关 box just after is
                    closer = _related_nearby(lines, i + 1, by_el)  # the article's own
                    return closer or related
                return related
    return []


def _related_nearby(lines: list[Line], start: int, by_el: dict[object, PageLink]) -> list[Link]:
    """The links of a 相关… block within a few boxes after `start`, if there is one."""
    for i in range(start, min(len(lines), start + RELATED_LOOKAHEAD_LINES)):
        label = lines[i].text
        if lines[i].size <= LABEL_MAX_CHARS and "相关" in label and RELATED_LABEL.search(label) \
                and not TAG_LABEL.match(label):
            found = _related_block(lines, i, by_el)
            if found:
                return found
    return []
