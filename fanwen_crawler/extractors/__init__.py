"""Extraction: pure functions of (page bytes, URL, optional HTTP headers) → `Page`.

No Scrapy import, no network, no settings, no clock. The spider and the tests call
the same `extract_page`. One lxml parse per page: head metadata is read, the tree
is pruned, linearised into lines once, and every field is derived from those lines
and the page's links (see the sibling modules, one job each).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from lxml import etree

from fanwen_crawler.extractors import article, listing, pager, related
from fanwen_crawler.extractors.blocks import best_run, extend_run, linearise, mark_records
from fanwen_crawler.extractors.boilerplate import prune_tree
from fanwen_crawler.extractors.classify import Evidence, classify
from fanwen_crawler.extractors.dates import find_labelled_date, parse_date, parse_year_month
from fanwen_crawler.extractors.decoding import decode_html
from fanwen_crawler.extractors.head import meta_title as head_meta_title
from fanwen_crawler.extractors.head import read_head
from fanwen_crawler.extractors.links import PageLink, collect_links
from fanwen_crawler.extractors.overrides import apply_selectors
from fanwen_crawler.extractors.records import find_records
from fanwen_crawler.extractors.sections import split_sections
from fanwen_crawler.items import Link, Page
from fanwen_crawler.profiles import Profile
from fanwen_crawler.urls import clean_url

__all__ = ["ExtractionError", "decode_html", "extract_html", "extract_page"]

logger = logging.getLogger(__name__)

XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# The same characters as UTF-8 bytes (each is one byte, never part of a multi-byte one).
CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
# Plain lxml.etree elements: lxml.html's element classes cost a Python-level class
# lookup for every node proxy, which was a fifth of the extraction time.
PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False,
                          default_doctype=False)
# The page goes to libxml2 as UTF-8 bytes: that is its own encoding (a str is converted),
# and bytes.translate drops control characters far faster than a regex over the text.
# An explicit encoding overrides any charset the markup declares, as a str input does.
UTF8_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False,
                               default_doctype=False, encoding="utf-8")
DATE_SEARCH_LINES = 8


class ExtractionError(Exception):
    """The page is of a known kind but its layout broke extraction."""


def _parse(text: str) -> etree._Element | None:
    text = XML_DECLARATION.sub("", text, count=1)
    try:
        data = text.encode("utf-8").translate(None, CONTROL_BYTES)
    except UnicodeEncodeError:  # lone surrogates: lxml's own str path copes
        return _parse_text(CONTROL_CHARS.sub("", text))
    head = data.lstrip()[:1]
    if not head or (head[0] >= 0x80 and not data.decode("utf-8").strip()):
        return None  # nothing but (possibly non-ASCII) whitespace
    try:
        root = etree.fromstring(data, parser=UTF8_PARSER)
    except (etree.ParserError, ValueError):
        return None
    return root if root is not None and len(root) else None


def _parse_text(text: str) -> etree._Element | None:
    if not text.strip():
        return None
    try:
        root = etree.fromstring(text, parser=PARSER)
    except (etree.ParserError, ValueError):
        return None
    return root if root is not None and len(root) else None


def _find_date(
    texts: list[str], head_dates: list[str], fallback: list[str]
) -> tuple[str, str] | None:
    found = find_labelled_date(texts)
    if found:
        for value in head_dates:  # same day in a <meta>, stated more precisely
            precise = parse_date(value)
            if precise and precise[0][:10] == found[0][:10] and len(precise[0]) > len(found[0]):
                return precise[0], value
        return found
    for value in head_dates:
        found = parse_date(value)
        if found:
            return found[0], value
    return find_labelled_date(fallback) or next(
        (ym for ym in map(parse_year_month, fallback) if ym), None)


def extract_html(html_text: str, url: str, profile: Profile | None = None,
                 encoding: str = "utf-8") -> Page:
    """Extract one already-decoded page (`encoding`: the page's, for its links' queries)."""
    page_url = clean_url(url)
    root = _parse(html_text)
    if root is None:
        return Page(url=page_url, page_type="other")
    head = read_head(root)
    prune_tree(root)
    body_el = root.find("body")
    if body_el is None:
        body_el = root
    time_candidates: list[etree._Element] = []
    lines = linearise(body_el, time_candidates=time_candidates)
    records = find_records(body_el, time_candidates)
    if records:
        mark_records(lines, records)
    links = collect_links(body_el, page_url, encoding)
    by_el: dict[object, PageLink] = {link.el: link for link in links}
    over = apply_selectors(root, profile.selectors if profile else {}, by_el, page_url)

    title, title_index = article.choose_title(head.title, head_meta_title(head), lines)
    meta_indices = article.meta_lines(lines, title_index)
    run_start, run_end = best_run(lines)
    run_end = extend_run(lines, run_start, run_end)
    content = lines[run_start:run_end]
    position = {id(line): i for i, line in enumerate(lines)}
    if title_index >= 0 and any(position[id(ln)] > title_index for ln in content):
        content = [ln for ln in content if position[id(ln)] > title_index]
    crumbs = article.breadcrumb(lines, title_index)
    skip = {id(lines[i]) for i in meta_indices}
    body_lines = over.body_lines if over.body_lines is not None else content
    paragraphs = article.body_paragraphs(body_lines, title, skip)
    texts = [text for text, _ in paragraphs]
    body_chars = sum(len(t) for t in texts)

    content_start = position[id(content[0])] if content else len(lines)
    content_end = position[id(content[-1])] if content else len(lines)
    near_title = [lines[i].text for i in meta_indices]
    if title_index >= 0:
        near_title += [ln.text for ln in lines[title_index + 1: title_index + DATE_SEARCH_LINES]]
    elsewhere = [ln.text for ln in lines[max(0, content_start - DATE_SEARCH_LINES): content_start]]
    elsewhere += [ln.text for ln in lines[content_end + 1: content_end + DATE_SEARCH_LINES]]
    elsewhere += [ln.text for ln in content[:3]] + [ln.text for ln in content[-3:]]
    date = _find_date(near_title, head.date_values, elsewhere)
    if "published" in over.texts:
        date = parse_date(over.texts["published"]) or date
    source, author = article.source_and_author([lines[i].text for i in meta_indices] or
                                               [ln.text for ln in lines[title_index + 1:
                                                                        title_index + 4]])
    list_group: list[tuple[list[Link], str | None]] = []

    def measure_list() -> tuple[list[Link], str | None]:
        if not list_group:  # the main link group and its pager, once and only when asked
            found = listing.listed_articles(links, page_url, lines)
            following = pager.list_next_page(page_url, links, lines, by_el) if found else None
            list_group.append((found, following))
        return list_group[0]

    evidence = Evidence(
        url=page_url, body_chars=body_chars, paragraphs=len(texts),
        has_title_line=title_index >= 0, has_date=date is not None,
        content_article_links=listing.article_links_in(content, by_el, page_url),
        title=title or head.title,
        teasers=sum(1 for t in texts if article.breaks_off(t)),
        list_group=lambda: (len(measure_list()[0]), measure_list()[1] is not None),
    )
    page_type = classify(evidence, profile)
    list_links = listing.category_links(links, lines, page_url, by_el)
    page = Page(url=page_url, page_type=page_type, list_links=list_links)

    if page_type == "article":
        if not texts:
            raise ExtractionError(f"{page_url}: article page but no body text found")
        after_content = lines[content_end + 1: content_end + 6]
        pages = pager.article_pager(page_url, links, content[-6:] + after_content, by_el)
        page.title = over.texts.get("title", title)
        page.published_at, page.published_raw = date if date else (None, None)
        page.source = over.texts.get("source", source)
        page.author = over.texts.get("author", author)
        page.category = over.texts.get("category") or article.category_from_crumbs(crumbs, title)
        page.body = "\n".join(texts)
        page.paragraphs = texts
        page.sections = split_sections(paragraphs, page.title)
        page.tags = over.tags or related.find_tags(lines, by_el)
        page.related = over.related or related.find_related(lines, by_el, content_end + 1)
        page.next_page = over.next_page or pages.next_page
        page.first_page = pages.first_page
        page.page_links = pages.page_links
    elif page_type == "list":
        page.title = over.texts.get("title") or (crumbs[-1] if crumbs else None) or (
            article.strip_site_suffix(head.title) if head.title else None)
        page.category = over.texts.get("category") or article.category_from_crumbs(crumbs, None) \
            or page.title
        listed, list_next = measure_list()
        page.article_links = over.article_links or listed
        page.next_page = over.next_page or list_next
        if page.next_page and page.next_page not in page.list_links:
            page.list_links.append(page.next_page)
    else:
        page.title = article.strip_site_suffix(head.title) if head.title else title
        page.article_links = over.article_links or listing.likely_articles(links, page_url)
    return page


def extract_page(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    profile: Profile | None = None,
) -> Page:
    """Decode and extract one page. `headers` may carry Content-Type (charset)."""
    content_type = None
    for name, value in (headers or {}).items():
        if name.lower() == "content-type":
            content_type = value.decode("latin-1") if isinstance(value, bytes) else value
    text, encoding = decode_html(body, content_type)
    page = extract_html(text, url, profile, encoding)
    page.encoding = encoding
    return page
