"""Page-type classification: "article", "list" or "other", from structure.

Signals: how much punctuated prose the content block holds, whether a title
heading and a date/meta line frame it, how many article-shaped links the content
block and the page's main link group hold, and the URL shape as a weak hint.
Profile URL patterns, when given, decide first.

An article is recognised by its own text first: sentences right under a dated title,
before any link line (`own_text_chars`), however many related excerpts, prev/next rows
or tag clouds follow. A page with no such text whose prose lies inside the items of its
main link group (excerpts and dates beside each title), or a short list with its pager
row (the one item of a last page), is a list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fanwen_crawler.extractors.blocks import LINK_LINE_RATIO, Line, is_sentence_line
from fanwen_crawler.extractors.dates import DATE_TIME
from fanwen_crawler.extractors.links import PageLink, url_shape
from fanwen_crawler.extractors.pager import article_keys
from fanwen_crawler.items import PageType
from fanwen_crawler.profiles import Profile

SOFT_404 = re.compile(
    r"404|not\s*found|页面不存在|页面未找到|找不到(?:该|此|您要的)?(?:页面|文章|网页)|"
    r"文章不存在|内容不存在|已被删除|已删除|无法找到|访问的页面|出错了|错误提示",
    re.IGNORECASE,
)
ARTICLE_MIN_CHARS = 200
SHORT_ARTICLE_MIN_CHARS = 60
LIST_MIN_LINKS = 5
CONTENT_LIST_LINKS = 5
MIN_TEASER_ITEMS = 3
OWN_TEXT_MIN_CHARS = SHORT_ARTICLE_MIN_CHARS
EXCERPT_SHARE = 0.5


@dataclass(slots=True)
class Evidence:
    """What the extractor measured on the page."""

    url: str
    body_chars: int
    paragraphs: int
    has_title_line: bool
    has_date: bool
    content_article_links: int
    title: str
    teasers: int = 0
    """Body paragraphs that break off with an ellipsis (excerpts of other pages)."""
    hash_route: bool = False
    """The page's own URL routes by fragment (`/#/post?id=1`, `#!/a/1`): a single-page app's
    page, whatever its canonical URL (fragment dropped) looks like."""
    own_text: int = 0
    """Sentence characters right under a dated title, before the first link line: the
    page's own text, however many related lists, excerpts or link rows follow it."""
    list_group: Callable[[], tuple[int, bool]] = lambda: (0, False)
    """Measured on demand (a clear article page never needs it): the number of links in
    the page's main link group, and whether a list pager (1 2 3 下一页) pages through it."""

    excerpt_share: Callable[[], float] = lambda: 0.0
    """Measured on demand: the share of the text's characters that lies inside the items
    of the main link group (a list's excerpts and dates, not a text of its own)."""

    list_paged: Callable[[], bool] = lambda: False
    """Measured on demand: a pager row (1 2 3, 上一页) follows the main link group."""

    @property
    def listed_links(self) -> int:
        return self.list_group()[0]

    @property
    def list_pager(self) -> bool:
        return self.list_group()[1]


def is_soft_404(ev: Evidence) -> bool:
    return ev.body_chars < 300 and bool(SOFT_404.search(ev.title or ""))


def classify(ev: Evidence, profile: Profile | None = None) -> PageType:
    """The page type from measured evidence."""
    if profile is not None:
        if profile.is_article_url(ev.url):
            return "article"
        if profile.is_list_url(ev.url):
            return "list"
    if is_soft_404(ev) or (ev.body_chars == 0 and ev.listed_links == 0):
        return "other"
    shape = url_shape(ev.url)  # the page's own URL, read once
    if (shape.root and not ev.hash_route) or shape.denied:
        return "other"
    article_shaped = shape.article
    if ev.own_text >= OWN_TEXT_MIN_CHARS and ev.has_title_line and ev.has_date:
        return "article"  # a title, its date line and sentences under them
    if ev.own_text == 0 and ev.listed_links >= 1 and (ev.body_chars == 0 or (
            ev.excerpt_share() >= EXCERPT_SHARE and (ev.list_pager or not article_shaped)
            and (ev.listed_links >= 2 or ev.teasers >= 1 or ev.list_paged()))):
        return "list"  # what text there is belongs to the items of a list (excerpts)
    if ev.own_text == 0 and ev.listed_links >= 1 and (ev.list_pager or ev.list_paged()) \
            and not article_shaped \
            and ev.body_chars < ARTICLE_MIN_CHARS and not (ev.has_title_line and ev.has_date):
        return "list"  # a short list (one item on a last page) with its pager
    list_shaped = shape.listing
    framed = ev.has_title_line or ev.has_date
    prose_is_list = (ev.content_article_links >= CONTENT_LIST_LINKS and (
        ev.body_chars < 150 * ev.content_article_links
    )) or (ev.content_article_links >= MIN_TEASER_ITEMS and ev.teasers >= MIN_TEASER_ITEMS - 1 \
        and 2 * ev.teasers >= ev.paragraphs)
    if ev.body_chars >= ARTICLE_MIN_CHARS and not prose_is_list:
        if not (list_shaped and ev.listed_links >= 2 * LIST_MIN_LINKS and not framed):
            return "article"
    # A short text under its own title heading with a date line is still an article.
    if ev.body_chars >= SHORT_ARTICLE_MIN_CHARS and ev.has_title_line and ev.has_date \
            and not prose_is_list and not list_shaped:
        return "article"
    if ev.listed_links >= LIST_MIN_LINKS and not article_shaped:
        return "list"
    if ev.body_chars >= SHORT_ARTICLE_MIN_CHARS and framed and not prose_is_list:
        return "article"
    if ev.listed_links >= LIST_MIN_LINKS and (list_shaped or prose_is_list):
        return "list"
    if ev.listed_links >= 2 * LIST_MIN_LINKS:
        return "list"
    if ev.listed_links >= MIN_TEASER_ITEMS and (ev.list_pager or prose_is_list) \
            and not article_shaped and (ev.body_chars < ARTICLE_MIN_CHARS or prose_is_list):
        return "list"
    return "other"


def own_text_chars(lines: list[Line], title_index: int, meta_indices: list[int],
                   by_el: dict[object, PageLink], page_url: str = "") -> int:
    """Sentence characters under the title, from its meta line to the first link line.

    Counted only when a meta line with a date frames the title (an article's heading);
    a list's excerpts each sit under their own link (a dated item line is no meta line),
    so a list has none to count.
    """
    if title_index < 0 or not any(DATE_TIME.search(lines[i].text) for i in meta_indices):
        return 0
    chars = 0
    skip = set(meta_indices)
    own_keys = {key for key, _ in article_keys(page_url)} if page_url else set()
    for i in range(title_index + 1, len(lines)):
        line = lines[i]
        links = [by_el[el] for el in line.anchors if el in by_el and by_el[el].internal]
        if any(link.shape.article and link.url != page_url
               and own_keys.isdisjoint(key for key, _ in article_keys(link.url))
               for link in links):
            break  # an item of a list: another article's title (not this article's permalink)
        if i in skip:
            continue
        if line.heading or line.record or line.link_ratio >= LINK_LINE_RATIO or links:
            break
        if is_sentence_line(line):
            chars += line.size
    return chars
