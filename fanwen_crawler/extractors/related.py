"""Tag rows and related-article blocks, found by their generic Chinese labels.

A tag row is a line that starts with a tag label (相关热词搜索, TAG标签, 标签 …)
followed by links. A related block is a short label line (相关文章, 推荐访问,
猜你喜欢 …) followed by link-dominated lines; its links become `related`.
"""

from __future__ import annotations

import re

from fanwen_crawler.extractors.blocks import Line
from fanwen_crawler.extractors.links import PageLink
from fanwen_crawler.extractors.text import clean_text, visible_length
from fanwen_crawler.items import Link

TAG_LABEL = re.compile(
    r"^(?:相关热词搜索|热词搜索|相关热词|TAG\s*标签|TAGS?|标签|关键词|关键字|热门标签|本文标签|文章标签)"
    r"\s*[:：]?\s*", re.IGNORECASE,
)
RELATED_LABEL = re.compile(
    r"(?:相关文章|相关推荐|相关阅读|相关范文|相关内容|相关链接|推荐访问|推荐阅读|推荐文章|猜你喜欢|"
    r"延伸阅读|(?:你|您)可能(?:也)?(?:喜欢|感兴趣)|精彩推荐|热门推荐|相关资讯|相关新闻|同类文章)"
)
LABEL_MAX_CHARS = 16
LINK_LINE_RATIO = 0.5
MAX_BLOCK_LINES = 80


NON_WORD = re.compile(r"[\W\d_]+")


def is_link_item(line: Line) -> bool:
    """A line that is essentially one or more links (bullets, dates and counts aside)."""
    if line.link_ratio >= LINK_LINE_RATIO:
        return True
    if not line.anchors:
        return False
    rest = line.text
    for el in line.anchors:
        rest = rest.replace(clean_text(el.text_content()), "", 1)
    return len(NON_WORD.sub("", rest)) <= 3


def find_tags(lines: list[Line], by_el: dict[object, PageLink]) -> list[str]:
    """Tag texts from the page's tag row(s), in order, unique."""
    tags: list[str] = []
    for i, line in enumerate(lines):
        match = TAG_LABEL.match(line.text)
        if not match or visible_length(line.text) > 300:
            continue
        anchors = line.anchors
        if not anchors and i + 1 < len(lines) and lines[i + 1].link_ratio >= LINK_LINE_RATIO:
            anchors = lines[i + 1].anchors
        for el in anchors:
            text = clean_text(el.text_content())
            if text and text not in tags and not TAG_LABEL.fullmatch(text) and len(text) <= 30:
                tags.append(text)
    for link in by_el.values():  # WordPress & co. mark tag links explicitly
        if "tag" in (link.el.get("rel") or "").split() and link.text and link.text not in tags:
            tags.append(link.text)
    return tags


def find_related(lines: list[Line], by_el: dict[object, PageLink]) -> list[Link]:
    """Links of the related-article blocks, in order, unique by URL."""
    related: list[Link] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        label = line.text
        if visible_length(label) > LABEL_MAX_CHARS or not RELATED_LABEL.search(label):
            continue
        block = [line]
        for follower in lines[i + 1: i + 1 + MAX_BLOCK_LINES]:
            if not is_link_item(follower) or RELATED_LABEL.search(follower.text) \
                    and visible_length(follower.text) <= LABEL_MAX_CHARS and not follower.anchors:
                break
            block.append(follower)
        for member in block:
            for el in member.anchors:
                link = by_el.get(el)
                if link is None or not link.text or link.url in seen \
                        or RELATED_LABEL.fullmatch(link.text) or link.text in ("更多", "更多>>"):
                    continue
                seen.add(link.url)
                related.append(Link(url=link.url, title=link.text))
    return related
