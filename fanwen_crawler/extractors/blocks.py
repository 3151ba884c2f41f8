"""Linearising the DOM into text lines and locating the main content block.

`linearise` walks the pruned tree once and emits one `Line` per visual line: block
elements and `<br>` break lines, inline text (including link text) joins. Each line
remembers the innermost block element that owns it and how much of it is link text.

`best_run` scores lines by what article prose looks like (long, punctuated, little
link text; chrome scores negative) and returns the contiguous run of lines with the
largest total (Kadane, linear). A run in document order tolerates link boxes
floated inside an article and does not care how deep the layout tables nest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import html

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
LINK_LINE_RATIO = 0.5
SHORT_PLAIN_PENALTY = 0.25
LINK_PENALTY = 1.0
LINE_COST = 5.0
TRAILING_LINE_MAX_CHARS = 30


@dataclass(slots=True)
class Line:
    """One visual line of text and where it came from."""

    text: str
    owner: html.HtmlElement
    link_chars: int
    heading: str | None = None
    strong: bool = False
    anchors: list[html.HtmlElement] = field(default_factory=list)
    record: bool = False
    """Inside a repeated, time-stamped record (a comment, a dated list item)."""

    @property
    def link_ratio(self) -> float:
        return self.link_chars / max(visible_length(self.text), 1)


class _Builder:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.parts: list[str] = []
        self.link_chars = 0
        self.owner: html.HtmlElement | None = None
        self.heading: str | None = None
        self.strong_chars = 0
        self.anchors: list[html.HtmlElement] = []
        self.record = False

    def add(self, text: str | None, owner: html.HtmlElement, in_link: bool,
            heading: str | None, strong: bool, record: bool) -> None:
        if not text:
            return
        if self.owner is None:
            if not text.strip():
                return
            self.owner = owner
            self.record = record
        self.parts.append(text)
        if in_link or strong:
            size = visible_length(clean_text(text))
            if in_link:
                self.link_chars += size
            if strong:
                self.strong_chars += size
        if heading and self.heading is None:
            self.heading = heading

    def flush(self) -> None:
        if self.owner is not None:
            text = clean_text("".join(self.parts))
            if text:
                self.lines.append(Line(
                    text, self.owner, min(self.link_chars, visible_length(text)), self.heading,
                    self.strong_chars >= visible_length(text) * 0.8, self.anchors, self.record,
                ))
        self.parts, self.link_chars, self.owner, self.heading = [], 0, None, None
        self.strong_chars = 0
        self.anchors = []
        self.record = False


def linearise(root: html.HtmlElement, records: set[html.HtmlElement] | None = None) -> list[Line]:
    """All text of the (pruned) tree as lines, in document order."""
    builder = _Builder()
    records = records or set()
    # Explicit stack instead of recursion: deep table layouts exceed Python's limit.
    stack: list[tuple[html.HtmlElement, bool, bool, str | None, bool, html.HtmlElement, bool]] = [
        (root, False, False, None, False, root, False)
    ]
    while stack:
        el, closing, in_link, heading, strong, owner, record = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else ""
        is_block = tag in BLOCK_TAGS
        if closing:
            if is_block:
                builder.flush()
            builder.add(el.tail, owner, in_link, heading, strong, record)
            continue
        if is_block:
            builder.flush()
        own = el if is_block else owner
        child_link = in_link or tag == "a"
        child_heading = tag if tag in HEADING_TAGS else heading
        child_strong = strong or tag in ("strong", "b")
        child_record = record or el in records
        if tag == "a":
            builder.anchors.append(el)
        builder.add(el.text, own, child_link, child_heading, child_strong, child_record)
        # The closing marker carries the *parent's* context for the tail text.
        stack.append((el, True, in_link, heading, strong, owner, record))
        for child in reversed(el):
            stack.append((child, False, child_link, child_heading, child_strong, own, child_record))
    builder.flush()
    return _join_label_cells(builder.lines)


def _join_label_cells(lines: list[Line]) -> list[Line]:
    """Join "来源：" | "县农业农村局" table cells (and dt/dd pairs) into one line."""
    joined: list[Line] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is not None and line.owner.tag in LABEL_CELL_TAGS and LABEL_CELL.match(line.text) \
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
    size = visible_length(line.text)
    if line.record:
        return -size - LINE_COST
    if line.link_ratio >= LINK_LINE_RATIO:
        return -LINK_PENALTY * line.link_chars - LINE_COST
    plain = size - line.link_chars
    if punctuation_count(line.text) == 0:
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
                or visible_length(line.text) > TRAILING_LINE_MAX_CHARS:
            break
        end += 1
    return end
