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

from fanwen_crawler.extractors import article, linklists, listing, pager, related, tuning
from fanwen_crawler.extractors.blocks import (
    Line,
    best_run,
    extend_back,
    extend_run,
    is_heading_like,
    is_sentence_line,
    line_score,
    linearise,
    mark_comment_sections,
    mark_records,
    opens_with_heading,
    prose_chars,
    split_items,
)
from fanwen_crawler.extractors.boilerplate import prune_tree
from fanwen_crawler.extractors.classify import Evidence, classify, own_text_chars
from fanwen_crawler.extractors.dates import find_labelled_date, parse_date, parse_year_month
from fanwen_crawler.extractors.decoding import decode_html, decode_page
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
TITLE_CUT_MAX_CHARS = 200
TITLE_GAP_LINES = 30
POST_MIN_CHARS = 20
HASH_ROUTE = re.compile(r"#!?/[^#]*[/?=]")
STAMP_LINE_MAX_CHARS = 80


class ExtractionError(Exception):
    """The page is of a known kind but its layout broke extraction."""


def _parse(text: str, utf8: bytes | None = None) -> etree._Element | None:
    """The tree of a page's text; `utf8`, when given, is the text's UTF-8 bytes."""
    if utf8 is None or XML_DECLARATION.search(text):
        text = XML_DECLARATION.sub("", text, count=1)
        try:
            utf8 = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: lxml's own str path copes
            return _parse_text(CONTROL_CHARS.sub("", text))
    data = utf8.translate(None, CONTROL_BYTES)
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


def _main_item(lines: list[Line], start: int, end: int, title_index: int) -> tuple[int, int]:
    """The item of the best run that is the article: the one under the title.

    A run can carry on past the story into the next stories of a feed, or from a post
    into the next post. The block right under the title is the article when it holds
    text; a much heavier block wins instead only when it has no title of its own (the
    text after a summary box), never another story under its own heading.
    """
    limits = tuning.THRESHOLDS
    items = split_items(lines, start, end, limits.container_jump)
    if len(items) < 2:
        return start, end
    weights = [prose_chars(lines, max(a, title_index + 1), b) for a, b in items]
    heaviest = max(range(len(items)), key=weights.__getitem__)
    if title_index < 0:
        return items[heaviest]
    anchor = next((k for k, w in enumerate(weights) if w >= limits.anchor_min_chars), heaviest)
    if heaviest != anchor and weights[heaviest] > 4 * weights[anchor] \
            and not opens_with_heading(lines, *items[heaviest]):
        return items[heaviest]
    return items[anchor]


def _up_to_title(lines: list[Line], start: int, title_index: int) -> int:
    """Start at the first sentence under the title when only widgets lie between them.

    A short post under its title can be cut off from the rest of the thread by a row of
    buttons and counters that costs Kadane more than the post gains; sentences right
    under the page's title are its text unless another titled item starts in between.
    """
    if title_index < 0 or start <= title_index + 1 or start - title_index > TITLE_GAP_LINES:
        return start
    first = None
    for i in range(title_index + 1, start):
        line = lines[i]
        if first is None and line.size >= POST_MIN_CHARS and line_score(line) > 0 \
                and not article.is_meta_line(line.text):
            first = i
        elif first is not None and is_heading_like(line) and line.size >= 8:
            return start  # another item's title: the run is not this text's continuation
    return first if first is not None else start


def _content(lines: list[Line], title_index: int, position: dict[int, int]) -> list[Line]:
    """The lines of the page's main text: the best run, trimmed to its item and title."""
    run_start, run_end = best_run(lines)
    run_start, run_end = _main_item(lines, run_start, run_end, title_index)
    run_start = extend_back(lines, run_start, run_end)
    run_start = _up_to_title(lines, run_start, title_index)
    run_end = extend_run(lines, run_start, run_end)
    content = lines[run_start:run_end]
    if title_index >= 0 and any(position[id(ln)] > title_index for ln in content):
        after = [ln for ln in content if position[id(ln)] > title_index]
        # What the title cuts off is weighed first: sentences above a title repeated under
        # the text (or inside it) are the text, not the masthead.
        above = sum(ln.size for ln in content if position[id(ln)] < title_index
                    and is_sentence_line(ln))
        if above < max(TITLE_CUT_MAX_CHARS, sum(ln.size for ln in after if is_sentence_line(ln))):
            content = after
    return content


def extract_html(html_text: str, url: str, profile: Profile | None = None,
                 encoding: str = "utf-8") -> Page:
    """Extract one already-decoded page (`encoding`: the page's, for its links' queries)."""
    return _extract(html_text, url, profile, encoding, None)


def _extract(html_text: str, url: str, profile: Profile | None, encoding: str,
             utf8: bytes | None) -> Page:
    page_url = clean_url(url)
    root = _parse(html_text, utf8)
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
    mark_comment_sections(lines)
    links = collect_links(body_el, page_url, encoding)
    by_el: dict[object, PageLink] = {link.el: link for link in links}
    over = apply_selectors(root, profile.selectors if profile else {}, by_el, page_url)

    title, title_index = article.choose_title(head.title, head_meta_title(head), lines)
    meta_indices = article.meta_lines(lines, title_index)
    position = {id(line): i for i, line in enumerate(lines)}
    content = _content(lines, title_index, position)
    crumb_line, crumbs = article.breadcrumb_row(lines, title_index)
    linked_crumbs = {link.text for el in crumb_line.anchors[1:]
                     if (link := by_el.get(el)) is not None and link.url != page_url} \
        if crumb_line is not None else set()
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
    # Away from the title, in reading order: above the text, the text's own stamp lines
    # (a post's 发布时间 footer comes before its replies'), below the text.
    elsewhere = [ln.text for ln in lines[max(0, content_start - DATE_SEARCH_LINES): content_start]]
    elsewhere += [ln.text for ln in content if ln.size <= STAMP_LINE_MAX_CHARS]
    elsewhere += [ln.text for ln in lines[content_end + 1: content_end + DATE_SEARCH_LINES]]
    date = _find_date(near_title, head.date_values, elsewhere)
    if "published" in over.texts:
        date = parse_date(over.texts["published"]) or date
    source, author = article.source_and_author([lines[i].text for i in meta_indices] or
                                               [ln.text for ln in lines[title_index + 1:
                                                                        title_index + 4]])
    list_group: list[tuple[list[Link], str | None, float, bool]] = []
    # Markup paths and ancestor chains of this page's links, shared by the list measure and
    # the related-list cut.
    paths: listing.PathMemo = {}
    chains: listing.Chains = {}

    def measure_list() -> tuple[list[Link], str | None, float, bool]:
        if not list_group:  # the main link group and its pager, once and only when asked
            members, items, paged = listing.main_group(links, page_url, lines, memo=paths,
                                                       chains=chains)
            found = listing.unique_links(members)
            following = pager.list_next_page(page_url, links, lines, by_el) if found else None
            shaped = sum(1 for m in members if m.shape.article) / len(members) if members else 0
            share = listing.share_in_items(paragraphs, items) if shaped >= 0.5 or following \
                else 0.0  # excerpts of articles, not the replies of a thread
            list_group.append((found, following, share, paged))
        return list_group[0]

    evidence = Evidence(
        url=page_url, body_chars=body_chars, paragraphs=len(texts),
        has_title_line=title_index >= 0, has_date=date is not None,
        content_article_links=listing.article_links_in(content, by_el, page_url),
        title=title or head.title,
        teasers=sum(1 for t in texts if article.breaks_off(t)),
        hash_route=bool(HASH_ROUTE.search(url)),
        own_text=own_text_chars(lines, title_index, meta_indices, by_el, page_url),
        list_group=lambda: (len(measure_list()[0]), measure_list()[1] is not None),
        excerpt_share=lambda: measure_list()[2],
        list_paged=lambda: measure_list()[3],
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
        page.category = over.texts.get("category") or article.category_from_crumbs(crumbs, title,
                                                                                 linked_crumbs)
        link_items = linklists.link_list_items(links, page_url, memo=paths, chains=chains)
        if link_items and over.body_lines is None \
                and linklists.items_outweigh_text(content, link_items):
            # Related excerpts outweigh a short text (a last page): choose the run again
            # with the items counted as what they are, records of other pages.
            mark_records(lines, link_items)
            content = _content(lines, title_index, position)
            body_lines = content
            paragraphs = article.body_paragraphs(body_lines, title, skip) or paragraphs
            texts = [text for text, _ in paragraphs]
            content_end = position[id(content[-1])] if content else content_end
        kept = linklists.cut_link_lists(body_lines, link_items)
        if len(kept) < len(body_lines):  # related items or a tag row inside the text's run
            paragraphs = article.body_paragraphs(kept, title, skip) or paragraphs
            texts = [text for text, _ in paragraphs]
        page.body = "\n".join(texts)
        page.paragraphs = texts
        page.sections = split_sections(paragraphs, page.title)
        page.tags = over.tags or related.find_tags(lines, by_el)
        page.related = over.related or related.find_related(lines, by_el, content_end + 1)
        page.next_page = over.next_page or pages.next_page
        page.first_page = pages.first_page
        page.page_links = pages.page_links
        if pages.page_links:  # the article's own pages are continuations, never lists
            page.list_links = [u for u in page.list_links if u not in pages.page_links]
    elif page_type == "list":
        page.title = over.texts.get("title") or (crumbs[-1] if crumbs else None) or (
            article.strip_site_suffix(head.title) if head.title else None)
        page.category = over.texts.get("category") or article.category_from_crumbs(crumbs, None) \
            or page.title
        listed, list_next, _share, _paged = measure_list()
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
    text, encoding, utf8 = decode_page(body, content_type)
    page = _extract(text, url, profile, encoding, utf8)  # a UTF-8 body is parsed as it is
    page.encoding = encoding
    return page
