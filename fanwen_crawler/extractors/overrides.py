"""Profile CSS selectors that override generic extraction for one portal.

Selectors are applied to the pruned tree with parsel, so `::text` and
`::attr(name)` work as in Scrapy. A field's selector that matches nothing leaves
the generic value in place, except `body`: a profile body selector that matches
nothing on an article page means the layout broke.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from parsel import Selector

from fanwen_crawler.extractors.blocks import Line, linearise
from fanwen_crawler.extractors.links import PageLink
from fanwen_crawler.extractors.text import clean_text, node_text
from fanwen_crawler.items import Link
from fanwen_crawler.urls import resolve_url

TEXT_FIELDS = ("title", "published", "source", "author", "category")


@dataclass(slots=True)
class Overrides:
    """Values found by a profile's selectors; None/empty where no selector matched."""

    texts: dict[str, str] = field(default_factory=dict)
    body_lines: list[Line] | None = None
    tags: list[str] = field(default_factory=list)
    related: list[Link] = field(default_factory=list)
    article_links: list[Link] = field(default_factory=list)
    next_page: str | None = None


def _text_of(item: Selector) -> str:
    root = item.root
    if isinstance(root, str):
        return clean_text(root)
    return clean_text(node_text(root)) if isinstance(root, etree._Element) else ""


def _anchors(matches: list[Selector]) -> list[etree._Element]:
    found = []
    for item in matches:
        root = item.root
        if isinstance(root, etree._Element):
            found.extend([root] if root.tag == "a" else list(root.iter("a")))
    return found


def _links(anchors: list[etree._Element], by_el: dict[object, PageLink]) -> list[Link]:
    result, seen = [], set()
    for el in anchors:
        link = by_el.get(el)
        if link and link.url not in seen and link.text:
            seen.add(link.url)
            result.append(Link(url=link.url, title=link.text))
    return result


def apply_selectors(root: etree._Element, selectors: dict[str, str],
                    by_el: dict[object, PageLink], base_url: str) -> Overrides:
    """Run the profile's selectors against the pruned tree."""
    result = Overrides()
    if not selectors:
        return result
    sel = Selector(root=root, type="html")
    for name in TEXT_FIELDS:
        if name in selectors:
            values = [t for t in (_text_of(m) for m in sel.css(selectors[name])) if t]
            if values:
                result.texts[name] = " ".join(values) if name == "published" else values[0]
    if "body" in selectors:
        result.body_lines = []
        for match in sel.css(selectors["body"]):
            if isinstance(match.root, etree._Element):
                result.body_lines.extend(linearise(match.root))
    if "tags" in selectors:
        result.tags = list(dict.fromkeys(
            t for t in (_text_of(m) for m in sel.css(selectors["tags"])) if t))
    if "related" in selectors:
        result.related = _links(_anchors(sel.css(selectors["related"])), by_el)
    if "article_links" in selectors:
        result.article_links = _links(_anchors(sel.css(selectors["article_links"])), by_el)
    if "next_page" in selectors:
        matches = sel.css(selectors["next_page"])
        anchors = _anchors(matches)
        links = _links(anchors, by_el)
        if links:
            result.next_page = links[0].url
        elif matches and isinstance(matches[0].root, str) and matches[0].root.strip():
            result.next_page = resolve_url(base_url, matches[0].root.strip())
    return result
