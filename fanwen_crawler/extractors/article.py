"""Article fields from the linearised page: title, meta line, breadcrumb, body.

Everything is positional and structural: the title is the heading that matches the
document title, the meta line (时间/来源/作者) sits just below it, the breadcrumb is
the separator-joined link row above it, and the body is the content block's lines
minus chrome, the repeated title, lead-ins and meta lines.
"""

from __future__ import annotations

import re

from fanwen_crawler.extractors.blocks import Line
from fanwen_crawler.extractors.boilerplate import (
    is_chrome_line,
    is_comment_row,
    is_end_marker,
    is_lead_in,
    is_trailer,
)
from fanwen_crawler.extractors.dates import DATE_TIME, parse_date
from fanwen_crawler.extractors.text import (
    punctuation_count,
    remove_watermarks,
    title_key,
    visible_length,
)

# " - 站名", "_站名", "|站名", "——站名" suffixes of a document title.
TITLE_SEPARATOR = re.compile(r"\s*(?:_|\||｜|\s-\s|-{2,}|——|–|—|::)\s*")
BREADCRUMB_SEPARATOR = re.compile(r"\s*(?:>|＞|»|›|→|>>|/|\\)\s*")
BREADCRUMB_LABEL = re.compile(r"^[^:：>]{0,10}(?:位置|导航|所在)[^:：]{0,4}[:：]\s*")
BREADCRUMB_CHARS = frozenset(">＞»›→")
GENERIC_CRUMBS = frozenset({"正文", "内容", "阅读文章", "文章", "详情", "正文内容", "浏览文章",
                            "列表", "文章列表", "列表页"})
META_LABEL = re.compile(r"(?:来源|出处|作者|发布|时间|日期|点击|浏览|阅读|编辑|字号|人气|稿源)")
META_LINE_MAX = 120
META_FIELD = re.compile(
    r"^(?:来源|出处|稿源|作者|作\s*者|编辑|责任编辑|发布者|点击|浏览|阅读|人气)\s*[:：]"
)
SINGLE_META_MAX = 30
STOP_LABELS = (r"作者|作\s*者|编辑|责任编辑|责编|点击|浏览|阅读|本文已影响|已影响|发布|更新|"
               r"时间|日期|来源|出处|字号|人气|热度|评论|分享|收藏|打印|关键词|标签|栏目|分类|摄影|审核")
# A value ends at the next label: "编辑：" anywhere, a bare label or any "xx：" after a space,
# a separator, or a date.
# Labels that never occur inside a name end a value even without a colon or space.
ALWAYS_STOP = r"本文已影响|已影响|点击|浏览|人气|热度|评论|字号|分享|收藏|打印|责任编辑|责编"
VALUE_END = (rf"(?=\s*(?:{STOP_LABELS})\s*[:：]|\s*(?:{ALWAYS_STOP})|\s+(?:{STOP_LABELS})"
             r"|\s+[^\s:：]{1,5}[:：]|\s{2,}|\s*[|丨｜·•]|\s*(?:19|20)\d\d[-/年]|$)")
SOURCE_VALUE = re.compile(rf"(?:来源|出处|稿源|来自)\s*[:：]\s*(.+?){VALUE_END}")
AUTHOR_VALUE = re.compile(rf"(?:作\s*者|撰\s*稿|撰\s*文|文\s*/)\s*[:：]?\s*(.+?){VALUE_END}")
# A publisher named without a label right beside the stamp: "2022-01-20 16:31 光明网".
UNLABELLED_SOURCE = re.compile(
    r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\s+"
    r"([\u4e00-\u9fff]{1,10}(?:网|报|社|台|刊|在线|新闻|频道|客户端|日报|晚报|时报))"
    r"(?=\s|$|[|丨｜·•])"
)
# Who put the page up: the author when the page names no 作者.
EDITOR_VALUE = re.compile(rf"(?<!责任)(?:编辑|发布者|发布人)\s*[:：]\s*(.+?){VALUE_END}")
LEAD_IN_WINDOW = 4
# "三、活动时间：2022年1月15日" is a numbered item of the text, not the page's meta line.
NUMBERED_ITEM = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[(（][一二三四五六七八九十\d]{1,3}[)）]"
    r"|\d{1,2}\s*[、.．](?!\d))"
)
# A teaser that repeats the start of the text and breaks off: "摘要：今年上半年…有序推..."
TEASER_LABEL = re.compile(r"^(?:摘\s*要|导\s*读|简\s*介|内容提要|提要)\s*[:：]\s*")
TEASER_END = re.compile(r"(?:\.{2,}|…+|。{3})\s*$")
# What TEASER_END matches, as endings of the right-stripped text (a search for a
# `$`-anchored pattern is tried at every position of a long paragraph).
TEASER_ENDINGS = ("..", "…", "。。。", "[…]", "[...]")  # WordPress excerpts end "[…]"
TEASER_MIN_CHARS = 10
PROSE_MIN_CHARS = 30
TITLE_REPEAT_WINDOW = 6
MIN_H1_CHARS = 4
# A <title> whose article part is empty: "-站名", "_站名", "| 站名".
EMPTY_TITLE_PART = re.compile(r"^\s*(?:_|\||｜|-|——|–|—|::)")
TITLE_META_WINDOW = 3
WIDGET_MAX_CHARS = 12
EDIT_LINK = re.compile(r"\s*\[\s*(?:编辑|编辑源代码|編輯|修改|edit|edit source)\s*\]$", re.I)
TABLE_CELLS = frozenset({"td", "th"})
SENTENCE_MARKS = frozenset("，。；！？、,;!?")
# Body text needed before a comment/related header may end the body.
END_MIN_BODY_CHARS = 100
KEY_SEPARATOR = "\ua66e"  # CYRILLIC LETTER MULTIOCULAR O: see _title_keys


def titles_match(a: str, b: str) -> bool:
    """Same title up to punctuation, spacing, truncation or a short suffix/prefix."""
    return keys_match(title_key(a), title_key(b))


def keys_match(ka: str, kb: str) -> bool:
    """`titles_match` on two `title_key`s (compute a key once when comparing many)."""
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    return (len(short) >= 6 and long_.startswith(short)) or (len(short) >= 8 and short in long_)


def _title_keys(texts: list[str]) -> list[str]:
    """`title_key` of each text, from one pass over them all.

    KEY_SEPARATOR is a letter (so the keys keep it) that has no case and is not
    case-ignorable (so lower-casing the joined text, final sigma included, lower-cases
    each text as on its own); a text that holds it is keyed on its own.
    """
    joined = KEY_SEPARATOR.join(texts)
    if joined.count(KEY_SEPARATOR) != max(len(texts) - 1, 0):
        return [title_key(t) for t in texts]
    return title_key(joined).split(KEY_SEPARATOR) if texts else []


def strip_site_suffix(title: str) -> str:
    """'标题_站名' / '标题 - 栏目 - 站名' → '标题'."""
    parts = [p for p in TITLE_SEPARATOR.split(title) if p.strip()]
    return parts[0].strip() if parts else title.strip()


def choose_title(
    doc_title: str, meta_title: str | None, lines: list[Line]
) -> tuple[str | None, int]:
    """The article title and the index of its line in `lines` (-1 when not shown)."""
    candidates = [(i, line) for i, line in enumerate(lines)
                  if line.heading in ("h1", "h2", "h3") and line.link_ratio < 0.5]
    for level in ("h1", "h2", "h3"):
        same = [(i, ln) for i, ln in candidates if ln.heading == level
                and (titles_match(ln.text, doc_title)
                     or (meta_title and titles_match(ln.text, meta_title)))]
        if same:
            i, line = max(same, key=lambda item: visible_length(item[1].text))
            return line.text, i
    fallback = strip_site_suffix(meta_title or doc_title) if (meta_title or doc_title) else None
    h1 = [(i, ln) for i, ln in candidates if ln.heading == "h1" and ln.size >= MIN_H1_CHARS]
    if h1 and (not fallback or not title_key(fallback)
               or EMPTY_TITLE_PART.match(meta_title or doc_title or "")):
        return h1[0][1].text, h1[0][0]  # "-站名": the <title> names only the site
    if fallback:
        fallback_key = title_key(fallback)
        short = [(i, line.text) for i, line in enumerate(lines) if line.size <= 120]
        found = [i for (i, _), key in zip(short, _title_keys([t for _, t in short]), strict=True)
                 if (key in fallback_key or fallback_key in key)  # what keys_match needs
                 and keys_match(key, fallback_key)]
        if found:
            # The title shown over the text has its date line under it; a masthead copy
            # or a print header of the same words has none.
            stamped = [i for i in found
                       if lines[i].link_ratio < 0.5 and _date_line_follows(lines, i)]
            i = (stamped or found)[0]
            return lines[i].text, i
        return fallback, -1
    if h1:
        return h1[0][1].text, h1[0][0]
    return None, -1


def _date_line_follows(lines: list[Line], index: int) -> bool:
    return any(ln.link_ratio < 0.5 and is_meta_line(ln.text) and DATE_TIME.search(ln.text)
               for ln in lines[index + 1: index + 1 + TITLE_META_WINDOW])


def breaks_off(text: str) -> bool:
    """The text ends in an ellipsis ("…", "...", "。。。"): an excerpt, not a whole text."""
    return text.rstrip().endswith(TEASER_ENDINGS)


def is_meta_line(text: str) -> bool:
    """A short line with a date or 来源/作者 labels: the article's meta line."""
    if visible_length(text) > META_LINE_MAX:
        return False
    if "。" in text or text.count("，") > 1:
        return False  # a sentence of the text that mentions a date, not a meta line
    labels = len(META_LABEL.findall(text))
    if labels == 1 and visible_length(text) <= SINGLE_META_MAX and META_FIELD.match(text):
        return True  # one "来源：县农业农村局" row of a label/value table
    return labels >= 2 or (labels >= 1 and bool(DATE_TIME.search(text))) or (
        bool(DATE_TIME.search(text)) and visible_length(text) <= 40 and punctuation_count(text) <= 2
    )


def meta_lines(lines: list[Line], title_index: int) -> list[int]:
    """Indices of the meta lines right around the title."""
    if title_index < 0:
        return []
    found = [i for i in range(max(0, title_index - 2), title_index) if is_meta_line(lines[i].text)]
    for i in range(title_index + 1, min(len(lines), title_index + 6)):
        text = lines[i].text
        if is_meta_line(text) and not NUMBERED_ITEM.match(text):
            found.append(i)
        elif lines[i].size >= PROSE_MIN_CHARS and lines[i].punctuation >= 2:
            break  # the text has begun; its own dates are not the page's meta line
    return found


def source_and_author(texts: list[str]) -> tuple[str | None, str | None]:
    """The 来源 and 作者 values from meta lines, as written."""
    source = author = None
    for text in texts:
        if source is None and (match := SOURCE_VALUE.search(text)):
            source = match.group(1).strip(" :：,，") or None
        if author is None and (match := AUTHOR_VALUE.search(text)):
            author = match.group(1).strip(" :：,，") or None
    if source is None:
        for text in texts:
            if match := UNLABELLED_SOURCE.search(text):
                source = match.group(1)
                break
    if author is None:
        for text in texts:
            if match := EDITOR_VALUE.search(text):
                author = match.group(1).strip(" :：,，") or None
                break
    return source, author


def breadcrumb(lines: list[Line], before: int) -> list[str]:
    """The breadcrumb crumbs (home … category [… title]) from the row above the title."""
    return breadcrumb_row(lines, before)[1]


def breadcrumb_row(lines: list[Line], before: int) -> tuple[Line | None, list[str]]:
    """The breadcrumb's line and its crumbs (see `breadcrumb`)."""
    stop = before if before >= 0 else min(len(lines), 60)
    for line in reversed(lines[max(0, stop - 40):stop]):
        text = line.text
        labelled = BREADCRUMB_LABEL.match(text)
        if len(line.anchors) < 1 or visible_length(text) > 200:
            continue
        if not labelled and not any(ch in BREADCRUMB_CHARS for ch in text):
            continue
        body = text[labelled.end():] if labelled else text
        crumbs = [c.strip() for c in BREADCRUMB_SEPARATOR.split(body) if c.strip()]
        if len(crumbs) >= 2 or (labelled and crumbs):
            return line, crumbs
    return None, []


def category_from_crumbs(crumbs: list[str], title: str | None,
                         linked: set[str] | None = None) -> str | None:
    """The last crumb that is neither the article title nor a generic '正文' crumb.

    With `linked` (the texts of the breadcrumb's links beyond the first), an unlinked
    last crumb is the page itself (查看内容, 正文, the title): the category is the last
    linked crumb.
    """
    for crumb in reversed(crumbs[1:] if len(crumbs) > 1 else crumbs):
        if crumb in GENERIC_CRUMBS or (title and titles_match(crumb, title)):
            continue
        if linked and crumb not in linked:
            continue
        return crumb
    return None


def _prose_suffix(lines: list[Line]) -> list[int]:
    """suffix[i]: characters of punctuated prose in lines[i:]."""
    suffix = [0] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        prose = line.link_ratio < 0.5 and line.punctuation >= 2
        suffix[i] = suffix[i + 1] + (len(line.text) if prose else 0)
    return suffix


def body_paragraphs(
    content: list[Line], title: str | None, skip: set[int]
) -> list[tuple[str, Line]]:
    """The article's own paragraphs (with their source line) from the content block."""
    paragraphs: list[tuple[str, Line]] = []
    chars = 0
    prose_after = _prose_suffix(content)
    for n, line in enumerate(content):
        text = line.text
        if chars >= END_MIN_BODY_CHARS:
            follower = content[n + 1] if n + 1 < len(content) else None
            links_follow = bool(line.anchors) or follower is None or follower.link_ratio >= 0.5
            if is_end_marker(text, links_follow and prose_after[n + 1] < chars * 0.2):
                break
            if line.anchors and is_comment_row(text):
                break  # the post's "发表评论" row: what follows is comments or other posts
            if is_trailer(text) and prose_after[n + 1] < chars:
                break  # a disclaimer or reprint notice closes the text; comments may follow
        if id(line) in skip or line.link_ratio >= 0.5 or line.record:
            continue
        if is_chrome_line(text):
            continue
        if len(paragraphs) < TITLE_REPEAT_WINDOW and title and titles_match(text, title) \
                and visible_length(text) <= visible_length(title) + 12:
            continue
        if len(paragraphs) < LEAD_IN_WINDOW and is_lead_in(text):
            continue
        if len(paragraphs) < LEAD_IN_WINDOW and is_meta_line(text) and parse_date(text) \
                and not NUMBERED_ITEM.match(text):
            continue
        if line.heading and text.endswith("]"):
            text = EDIT_LINK.sub("", text)  # a wiki heading's "[编辑]" section-edit link
        text = remove_watermarks(text).strip()
        if text:
            paragraphs.append((text, line))
            chars += len(text)
    return trim_widgets(_drop_teasers(paragraphs))


def _is_widget(text: str) -> bool:
    """A short label with no sentence punctuation: a button, a player control, a counter."""
    return visible_length(text) <= WIDGET_MAX_CHARS and not any(ch in SENTENCE_MARKS for ch in text)


def _stray_widget(paragraph: tuple[str, Line], parent: object) -> bool:
    owner = paragraph[1].owner
    return _is_widget(paragraph[0]) and owner.getparent() is not parent \
        and owner.tag not in TABLE_CELLS  # a table's cells are data, however short


def trim_widgets(paragraphs: list[tuple[str, Line]]) -> list[tuple[str, Line]]:
    """Drop widget labels before the first and after the last sentence of the text.

    A player's 倍速/高清/00:00, 关注, 微信扫码分享, 来自福建 around a text sit in boxes of
    their own; a letter's closing date and signature sit beside its paragraphs, so a label
    in the same container as the nearest sentence stays.
    """
    marks = [n for n, (text, _) in enumerate(paragraphs)
             if visible_length(text) >= WIDGET_MAX_CHARS and punctuation_count(text) >= 1]
    if not marks:
        return paragraphs
    first, last = marks[0], marks[-1]
    head_parent = paragraphs[first][1].owner.getparent()
    tail_parent = paragraphs[last][1].owner.getparent()
    head = [p for p in paragraphs[:first] if not _stray_widget(p, head_parent)]
    tail = [p for p in paragraphs[last + 1:] if not _stray_widget(p, tail_parent)]
    return head + paragraphs[first:last + 1] + tail


def _drop_teasers(paragraphs: list[tuple[str, Line]]) -> list[tuple[str, Line]]:
    """Drop a leading summary that repeats the opening of the text and breaks off ('…')."""
    for n, (text, _line) in enumerate(paragraphs[:LEAD_IN_WINDOW]):
        if not breaks_off(text):
            continue
        stem = title_key(TEASER_END.sub("", TEASER_LABEL.sub("", text)))
        if len(stem) < TEASER_MIN_CHARS:
            continue
        rest = title_key("".join(t for t, _ in paragraphs[n + 1: n + 4]))
        if stem in rest or (n == 0 and len(paragraphs) > 1 and _apart(_line, paragraphs[1][1])):
            # Repeats the text's opening, or (on page 2 of an article, whose text starts
            # elsewhere) opens the page in a box of its own, outside the text's container.
            return paragraphs[:n] + paragraphs[n + 1:]
    return paragraphs


def _apart(a: Line, b: Line) -> bool:
    """The two lines live in different containers (neither owns the other's parent)."""
    if a.owner is b.owner:
        return False
    pa, pb = a.owner.getparent(), b.owner.getparent()
    return pa is not pb and pa is not b.owner and pb is not a.owner
