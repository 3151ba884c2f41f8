"""Linearising the DOM into text lines and locating the main content block.

`linearise` walks the pruned tree once and emits one `Line` per visual line: block
elements and `<br>` break lines, inline text (including link text) joins. Each line
remembers the innermost block element that owns it and how much of it is link text.

`best_run` scores lines by what article prose looks like (long, punctuated, little
link text; chrome and lines of repeated time-stamped records such as comments score
negative) and returns the contiguous run of lines with the largest total (Kadane,
linear). A run in document order tolerates link boxes floated inside an article and
does not care how deep the layout tables nest. `extend_run` adds a letter's closing
lines (date, signature) that Kadane leaves out, and label cells ("来源：" | value)
are joined into one line so that meta rows in tables read like meta lines.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from fanwen_crawler.extractors.boilerplate import is_comment_heading
from fanwen_crawler.extractors.text import clean_text, punctuation_count, visible_length

BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "tbody", "thead", "tfoot", "tr", "td", "th", "section", "article", "aside",
    "header", "footer", "nav", "main", "blockquote", "pre", "hr", "center", "body",
    "address", "figure", "figcaption", "caption", "fieldset", "details", "summary", "html",
})
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# A cell that only labels the next one: "来源：", "发布时间:".
LABEL_CELL = re.compile(r"^[^\s:：]{1,6}\s*[:：]$")
LABEL_CELL_TAGS = frozenset({"td", "th", "dt"})
LABEL_CELL_ENDS = (":", "：", ":\n", "：\n")  # where a LABEL_CELL match can end ($)
LINK_LINE_RATIO = 0.5
SHORT_PLAIN_PENALTY = 0.25
LINK_PENALTY = 1.0
LINE_COST = 5.0
TRAILING_LINE_MAX_CHARS = 30
TIME_TEXT_MAX_CHARS = 40
LINKED_TITLE_MIN_CHARS = 12
URL_TEXT = re.compile(r"://|^www\.", re.IGNORECASE)
BACK_LINES = 120
COMMENT_HEADING_MAX_CHARS = 20
PROSE_MARK = re.compile(r"[，。；：！？、]|[,.;:!?](?=\s|$)")
SENTENCE_MIN_CHARS = 20
TITLE_MAX_CHARS = 40
TITLE_MIN_CHARS = 8
ITEM_HEAD_LINES = 6


@dataclass(slots=True)
class Line:
    """One visual line of text and where it came from."""

    text: str
    owner: etree._Element
    link_chars: int
    heading: str | None = None
    strong: bool = False
    anchors: list[etree._Element] = field(default_factory=list)
    record: bool = False
    """Inside a repeated, time-stamped record (a comment, a dated list item)."""
    size: int = -1
    """Visible length of `text` (computed once; every density measure uses it)."""
    _punctuation: int = field(default=-1, init=False, repr=False, compare=False)
    _marks: int = field(default=-1, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.size < 0:
            self.size = visible_length(self.text)

    @property
    def link_ratio(self) -> float:
        return self.link_chars / (self.size or 1)

    @property
    def punctuation(self) -> int:
        """Sentence punctuation marks in `text` (counted once: scoring and body both ask)."""
        if self._punctuation < 0:
            self._punctuation = punctuation_count(self.text)
        return self._punctuation

    @property
    def marks(self) -> int:
        """Punctuation that ends or joins clauses: Chinese marks, and ASCII ones followed by a
        space or the end. "2.0X", "18,652.59", "00:00" and "www.a.com" have none."""
        if self._marks < 0:
            self._marks = len(PROSE_MARK.findall(self.text)) if self.punctuation else 0
        return self._marks


def linearise(
    root: etree._Element,
    records: set[etree._Element] | None = None,
    time_candidates: list[etree._Element] | None = None,
) -> list[Line]:
    """All text of the (pruned) tree as lines, in document order.

    Lines inside `records` are flagged. When `time_candidates` is given, childless
    elements whose short text may be a time stamp are appended to it on the way (for
    `records.find_records`, which then needs no walk of its own; see `mark_records`).
    """
    lines: list[Line] = []
    # The line being built: its text parts, owner block, link/bold character counts, ...
    parts: list[str] = []
    owner: etree._Element | None = None
    link_chars = strong_chars = 0
    heading: str | None = None
    anchors: list[etree._Element] = []
    in_record = False

    owners = [root]
    headings: list[str] = []
    links = strong = record = 0
    records = records or set()
    block_tags, heading_tags = BLOCK_TAGS, HEADING_TAGS
    # iterwalk walks the tree in C (no recursion limit on deep table layouts); start/end
    # events keep the inline context (inside a link, a heading, bold, a record) as counters.
    # The line builder is inlined: this loop runs twice for every element of every page.
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        start = event == "start"
        if tag in block_tags:
            if owner is not None:  # flush the line
                text = clean_text("".join(parts))
                if text:
                    size = visible_length(text)
                    lines.append(Line(text, owner, min(link_chars, size), heading,
                                      strong_chars >= size * 0.8, anchors, in_record, size))
                parts, owner, link_chars, strong_chars, heading = [], None, 0, 0, None
                anchors = []
            elif anchors:
                anchors = []
            if start:
                owners.append(el)
                if tag in heading_tags:
                    headings.append(tag)
            else:
                owners.pop()
                if tag in heading_tags:
                    headings.pop()
        elif tag == "a":
            if start:
                links += 1
                anchors.append(el)
            else:
                links -= 1
        elif tag == "strong" or tag == "b":
            strong += 1 if start else -1
        if records and el in records:
            record += 1 if start else -1
        if start:
            raw = el.text
            if time_candidates is not None and raw and len(raw) <= TIME_TEXT_MAX_CHARS \
                    and (":" in raw or "前" in raw or "刚刚" in raw) and not len(el):
                time_candidates.append(el)
        else:
            raw = el.tail if el is not root else None
        if raw:
            if owner is None:
                if raw.isspace():
                    continue
                owner = owners[-1]
                in_record = record > 0
            parts.append(raw)
            if links or strong:
                size = len("".join(raw.split()))
                if links:
                    link_chars += size
                if strong:
                    strong_chars += size
            if headings and heading is None:
                heading = headings[-1]
    if owner is not None:
        text = clean_text("".join(parts))
        if text:
            size = visible_length(text)
            lines.append(Line(text, owner, min(link_chars, size), heading,
                              strong_chars >= size * 0.8, anchors, in_record, size))
    return _join_label_cells(lines)


def mark_comment_sections(lines: list[Line]) -> None:
    """Flag the lines of a comment section: everything after a comment heading (评论,
    网友评论, 发表评论 …) inside the heading's own box. Comments are never the text,
    however long they run, and a text never lies under such a heading."""
    for i, line in enumerate(lines):
        if line.size > COMMENT_HEADING_MAX_CHARS or line.link_ratio >= LINK_LINE_RATIO \
                or not is_comment_heading(line.text):
            continue
        box = line.owner.getparent()
        if box is None or box.tag in ("body", "html"):
            continue
        for later in lines[i + 1:]:
            node: etree._Element | None = later.owner
            while node is not None and node is not box:
                node = node.getparent()
            if node is None:
                break
            later.record = True


def within(node: etree._Element | None, elements: set[etree._Element],
           memo: dict[etree._Element, bool]) -> bool:
    """Whether `node` is one of `elements` or lies inside one; `memo` caches the answer of
    every ancestor walked, for the many lines of one page."""
    path = []
    result = False
    while node is not None:
        known = memo.get(node)
        if known is not None:
            result = known
            break
        if node in elements:
            result = True
            break
        path.append(node)
        node = node.getparent()
    for seen in path:
        memo[seen] = result
    return result


def mark_records(lines: list[Line], records: set[etree._Element]) -> None:
    """Flag the lines whose block lies inside one of `records`."""
    inside: dict[etree._Element, bool] = {}
    for line in lines:
        line.record = line.record or within(line.owner, records, inside)


def _join_label_cells(lines: list[Line]) -> list[Line]:
    """Join "来源：" | "县农业农村局" table cells (and dt/dd pairs) into one line."""
    ends = LABEL_CELL_ENDS
    if not any(line.text.endswith(ends) for line in lines[:-1]):
        return lines  # most pages: no label cell at all, nothing to rebuild
    joined: list[Line] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        # The text's last character first: reading a tag name makes a new string each time.
        if nxt is not None and line.text.endswith(ends) \
                and line.owner.tag in LABEL_CELL_TAGS and LABEL_CELL.match(line.text) \
                and nxt.heading is None and nxt.owner is line.owner.getnext():
            joined.append(Line(
                line.text + nxt.text, line.owner, line.link_chars + nxt.link_chars, None,
                line.strong and nxt.strong, line.anchors + nxt.anchors, line.record or nxt.record,
            ))
            i += 2
            continue
        joined.append(line)
        i += 1
    return joined


def line_score(line: Line) -> float:
    """How much a line looks like article prose (positive) or chrome (negative)."""
    size = line.size
    if line.record:
        return -size - LINE_COST
    if line.link_ratio >= LINK_LINE_RATIO:
        return -LINK_PENALTY * line.link_chars - LINE_COST
    plain = size - line.link_chars
    if line.marks == 0:
        return plain * SHORT_PLAIN_PENALTY - LINE_COST - line.link_chars
    return plain - LINK_PENALTY * line.link_chars


def best_run(lines: list[Line]) -> tuple[int, int]:
    """[start, end) of the contiguous run of lines with the largest total score (Kadane)."""
    best, best_span = 0.0, (0, 0)
    total, start = 0.0, 0
    for i, line in enumerate(lines):
        if total <= 0:
            total, start = 0.0, i
        total += line_score(line)
        if total > best:
            best, best_span = total, (start, i + 1)
    return best_span


def extend_run(lines: list[Line], start: int, end: int) -> int:
    """Extend [start, end) over trailing plain lines in the same container as the run's end.

    Unpunctuated closing lines (a letter's date and signature) score below zero, so
    Kadane stops before them; they belong to the text when they are siblings of its
    last paragraph and carry no links.
    """
    if end <= start:
        return end
    parent = lines[end - 1].owner.getparent()
    while end < len(lines):
        line = lines[end]
        if line.record or line.anchors or line.heading or line.owner.getparent() is not parent \
                or line.size > TRAILING_LINE_MAX_CHARS:
            break
        end += 1
    return end


def extend_back(lines: list[Line], start: int, end: int) -> int:
    """Move `start` back over sentences in the text's own container.

    A link box inside an article (a wiki's table of contents, a floated "相关" box) can
    cost more than the lead paragraph above it gains, so Kadane starts below the box.
    Sentence lines above it whose block is a child of the same container as most of
    the run's sentences are the same text; the box's own lines stay out of the body
    (they are links).
    """
    parents: dict[etree._Element, int] = {}
    for line in lines[start:end]:
        if is_sentence_line(line):
            parent = line.owner.getparent()
            if parent is not None:
                parents[parent] = parents.get(parent, 0) + line.size
    if not parents:
        return start
    box = max(parents, key=parents.__getitem__)
    if box.tag in ("body", "html"):
        return start
    new_start = start
    for i in range(start - 1, max(-1, start - 1 - BACK_LINES), -1):
        node: etree._Element | None = lines[i].owner
        while node is not None and node is not box:
            node = node.getparent()
        if node is None:
            break
        if lines[i].owner.getparent() is box and is_sentence_line(lines[i]):
            new_start = i
    return new_start


def _depth(el: etree._Element, cache: dict[etree._Element, int]) -> int:
    known = cache.get(el)
    if known is None:
        parent = el.getparent()
        known = cache[el] = 0 if parent is None else _depth(parent, cache) + 1
    return known


def _climb(
    a: etree._Element, b: etree._Element, cache: dict[etree._Element, int]
) -> tuple[int, bool]:
    """Levels the shallower-reaching of `a` and `b` climbs to their common ancestor, and
    whether the two children of that ancestor holding them look alike (tag and class)."""
    if a is b:
        return 0, True
    da, db = _depth(a, cache), _depth(b, cache)
    x: Any = a
    y: Any = b
    ux, uy = 0, 0
    while da > db:
        x, da, ux = x.getparent(), da - 1, ux + 1
    while db > da:
        y, db, uy = y.getparent(), db - 1, uy + 1
    px, py = x, y
    while x is not y:
        px, py = x, y
        x, y, ux, uy = x.getparent(), y.getparent(), ux + 1, uy + 1
    return min(ux, uy), (px.tag == py.tag and px.get("class") == py.get("class"))


def is_heading_like(line: Line) -> bool:
    """A heading element, a short bold line, or a whole-line link long enough for a title."""
    return bool(line.heading) or (line.strong and line.size <= 40) \
        or (line.link_ratio >= 0.9 and LINKED_TITLE_MIN_CHARS <= line.size <= TITLE_MAX_CHARS
            and not URL_TEXT.search(line.text))  # a bare address is no title


def opens_with_heading(lines: list[Line], start: int, end: int) -> bool:
    """The block starts with a heading of its own (another story's title) before its text."""
    for line in lines[start:min(end, start + ITEM_HEAD_LINES)]:
        if is_heading_like(line) and line.size >= TITLE_MIN_CHARS:
            return True
        if line_score(line) > 0:
            return False
    return False


def split_items(lines: list[Line], start: int, end: int, jump: int) -> list[tuple[int, int]]:
    """Cut [start, end) where consecutive prose lines live in different items.

    Paragraphs of one text are siblings (or nearly): their common ancestor is a level
    or two up. A story and the next one in a feed, a post and the next post, a text and
    the teasers after it meet only `jump` or more levels up from both sides. Replies
    of a thread are alike items too, but they stay with the post: an item alike to the
    one before it (same tag and class) is cut off only when it opens with a heading
    of its own (the next story of a feed), never a reply.
    """
    if end - start < 2:
        return [(start, end)]
    cache: dict[etree._Element, int] = {}
    cuts = [start]
    last: Line | None = None
    gap_start = start
    for i in range(start, end):
        line = lines[i]
        if line_score(line) <= 0:
            continue
        if last is not None:
            levels, alike = _climb(last.owner, line.owner, cache)
            if levels >= jump and not alike and opens_item(lines, gap_start, i, end):
                cuts.append(gap_start)  # the gap (the next story's title) goes with it
        last = line
        gap_start = i + 1
    cuts.append(end)
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def is_sentence_line(line: Line) -> bool:
    """A line of written sentences: long enough, punctuated, not a link."""
    return line.size >= SENTENCE_MIN_CHARS and line.punctuation >= 2 \
        and line.link_ratio < LINK_LINE_RATIO and not line.record


def prose_chars(lines: list[Line], start: int, end: int) -> int:
    """Characters of sentence lines in lines[start:end] (how much text a block holds)."""
    return sum(line.size for line in lines[start:end] if is_sentence_line(line))


def opens_item(lines: list[Line], gap_start: int, at: int, end: int) -> bool:
    """A title in the gap before lines[at], then sentences: a story of its own.

    A short section label (更多回答, 你可能还想看) is not a story's title: replies under
    it stay with the thread, while the stories of a feed each carry their own title.
    """
    if not any(is_heading_like(line) and line.size >= TITLE_MIN_CHARS
               for line in lines[gap_start:at + 1]):
        return False
    return any(is_sentence_line(line) for line in lines[at:min(end, at + ITEM_HEAD_LINES)])
