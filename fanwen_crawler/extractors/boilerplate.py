"""Boilerplate: markup that is never content, hidden text, and chrome lines.

`prune_tree` removes scripts, styles, frames, forms and hidden elements (inline
style, the `hidden` attribute, or a class/id hidden by a `<style>` rule) in one pass.
The named phrase patterns below recognise the generic Chinese portal chrome that
survives inside a content block: share rows, prev/next links, copyright lines,
editorial lead-ins, reader counters and article pager rows.
"""

from __future__ import annotations

import re

from lxml import etree

from fanwen_crawler.extractors.text import node_text

# Elements whose text is never article text.
DROP_TAGS = frozenset({"script", "style", "noscript", "iframe", "frame", "frameset", "object",
                       "embed", "svg", "canvas", "template", "select", "option", "button",
                       "textarea", "input", "audio", "video", "head"})
HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0*)?(?:px|pt|em|rem)?\s*(?:;|$|!)",
    re.IGNORECASE,
)
# HIDDEN_STYLE without IGNORECASE, for lower-cased ASCII text (nearly all CSS): the same
# test, and a search that starts only at d/v/f instead of trying every position.
HIDDEN_STYLE_FOLDED = re.compile(HIDDEN_STYLE.pattern)
# White text (white-on-white anti-copy watermarks); `background-color` is not text colour.
WHITE_TEXT_STYLE = re.compile(
    r"(?<![-\w])color\s*:\s*(?:#f{3}(?:f{3})?\b|white\b|rgb\(\s*255\s*,\s*255\s*,\s*255\s*\))",
    re.IGNORECASE,
)
# A hiding declaration as it reads inside a whole lower-cased stylesheet: where a rule's
# declarations end (`$` when `hides` reads them alone) the stylesheet has the rule's brace.
HIDDEN_DECLARATION_FOLDED = re.compile(
    HIDDEN_STYLE.pattern.replace("(?:;|$|!)", r"(?:;|$|!|(?=\}))"))
# Every HIDDEN_STYLE match starts with one of these (lower-cased): found by str.find, far
# faster than a regex scan of a whole stylesheet.
HIDDEN_PROPERTIES = ("display", "visibility", "font-size")
# Letters that IGNORECASE equates with an ASCII letter but str.lower() leaves alone (İ
# changes the text's length instead, and the Kelvin sign lower-cases to "k").
UNFOLDED_LETTERS = ("\u0131", "\u017f")
WHITE_FONT_COLOR = re.compile(r"^\s*(?:#f{3}(?:f{3})?|white)\s*$", re.IGNORECASE)
WHITE_WATERMARK_MAX_CHARS = 40
INLINE_TAGS = frozenset({"span", "font", "i", "em", "b", "strong", "small", "u", "a", "s"})
SIMPLE_SELECTOR = re.compile(r"^[a-zA-Z0-9]*([.#])([\w-]+)$")

# Lines that are chrome wherever they appear. Three patterns, because a search for
# CJK literals alone starts only at their first characters (a fast scan in C), while
# an IGNORECASE alternation is tried at every position of every line.
CHROME_LINE = re.compile(
    r"上一篇|下一篇|上一章|下一章|打印本文|打印此文|关闭窗口|收藏本文|加入收藏|收藏本站|分享到|"
    r"一键分享|扫码关注|扫一扫|版权所有|版权声明|版权归|备案号|公网安备|"
    r"本文已影响|相关热词搜索|相关推荐|推荐访问|猜你喜欢|相关文章|相关阅读|热门推荐|"
    r"返回顶部|返回首页|责任编辑|点击查看|点击下载|免费下载|下载文档|复制链接|©"
)
MORE_CHROME_LINE = re.compile(r"^更多.{0,40}(?:请关注|请访问|请点击|尽在|敬请关注)")
# Trailers and notices after a text: platform disclaimers, reprint and copyright notices,
# licence footers, "以上就是…的全部内容" wrap-ups. A line carrying one is never the text.
TRAILER_LINE = re.compile(
    r"仅提供信息存储|观点仅代表作者|不代表本(?:站|网|平台|刊)|转载请注明|转载请保留|"
    r"禁止(?:商业)?转载|未经(?:授权|许可).{0,8}(?:转载|使用)|反侵权公告|侵权.{0,6}联系.{0,6}删除|"
    r"许可证编号|视听节目许可证|出版物经营许可证|违法和不良信息举报|"
    r"^以上(?:就是|便是|是|为).{0,60}?(?:的)?(?:相关介绍|全部内容|相关内容|详细内容|介绍了)"
)
TRAILER_LINE_MAX_CHARS = 120
# "【字体：大 中 小】", "字号：T|T", "[打印] [关闭]" rows.
FONT_SIZE_ROW = re.compile(
    r"字[体号]\s*[:：]?\s*[【\[]?\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小"
)
LATIN_CHROME_LINE = re.compile(r"ICP\s*备|ICP证|Copyright|All\s+Rights\s+Reserved", re.IGNORECASE)
# Every character that LATIN_CHROME_LINE can start at (İ and ı match i under IGNORECASE).
LATIN_CHROME_START = re.compile("[IiCcAa\u0130\u0131]")
# Chrome phrases that only disqualify a *short* line (they can occur in real prose).
SHORT_CHROME_LINE = re.compile(
    r"^(?:当前位置|您的位置|您现在的位置|位置)[:：]|阅读\s*[:：(（]?\s*\d+|浏览\s*[:：]?\s*\d+|"
    r"点击\s*[:：]?\s*\d+|评论\s*[:：(（]?\s*\d+|^(?:分享|收藏|点赞|评论|举报|打印|字号)|"
    r"【(?:大|中|小)】|^标签[:：]|^关键词[:：]|^tags?\s*[:：]",
    re.IGNORECASE,
)
SHORT_LINE_CHARS = 40
# Editorial lead-ins: "下面是小编为大家整理的…，供大家参考。"
LEAD_IN = re.compile(
    r"^(?:下面|以下|本文|这篇|这是|如下).{0,80}?(?:小编|为大家|为您|帮大家|给大家|我们)"
    r".{0,80}?(?:整理|收集|精选|分享|带来|准备|搜集|编辑|提供)"
    r"|(?:供大家参考|仅供参考|欢迎阅读|欢迎大家阅读|希望对(?:你|您|大家)有(?:所)?帮助|欢迎借鉴)"
    r"[。！!，,]?(?:[^，。]{0,20}[。！!])?$"
)
# "第1页 第2页 下一页", "1 2 3 下一页 尾页", "共3页". Possessive where a run could be split
# between two repeats (a number, a row of «, the spaces between items): the same rows
# match, but a line that is no pager row ("20230811123456 x") fails at once instead of
# after trying every split (milliseconds on one line).
PAGER_ROW = re.compile(
    r"^(?:\s*(?:第?\s*\d+\s*页|\d++|\[\d+\]|上一页|下一页|首页|尾页|末页|全文|共\s*\d+\s*页|"
    r"共?\s*\d+\s*(?:条|篇|项)(?:记录)?|\d+\s*/\s*\d+\s*页?|"
    r"[<>«»‹›]++|\.\.\.|…|前一页|后一页|上页|下页)\s*+)+$"
)
# Every character a PAGER_ROW can start with besides digits (a cheap test first: a
# failing match of its nested repeats is slow).
PAGER_ROW_FIRST = frozenset("第上下首尾末全共<>«»‹›.…前后[")
# Short lines that open the comments after an article: the body ends there.
COMMENT_MARKER = re.compile(
    r"^(?:[【\[]?\s*(?:发表评论|网友评论|相关评论|最新评论|精彩评论|热门评论|评论区|我要评论|查看评论|"
    r"全部评论|读者评论|用户评论|文章评论|评论列表|发表留言|网友留言)"
    r"|.{0,20}已有\s*\d+\s*(?:件|条|个|篇)?评论|共\s*\d+\s*条评论"
    r"|(?:评论|留言|网友回复|读者留言)\s*(?:[(（]\s*\d+\s*[)）])?\s*[:：]?$)"
)
# Labels of link lists after an article; they end the body only when links follow.
LIST_MARKER = re.compile(
    r"^[【\[]?\s*(?:相关文章|相关推荐|相关阅读|相关范文|相关报道|相关链接|相关新闻|推荐访问|推荐阅读|"
    r"推荐文章|猜你喜欢|猜你感兴趣|延伸阅读|热门文章|热门推荐|相关热词搜索|上一篇|下一篇"
    r"|相关[\u4e00-\u9fff]{1,4}\s*[:：]?\s*$|你可能(?:还|還)?(?:想看|喜欢|喜歡|感兴趣|感興趣)"
    r"|为你推荐|為你推薦|推荐[\u4e00-\u9fff]{0,4}\s*[:：]?\s*$)"
)
END_MARKER_MAX_CHARS = 30
# A post's footer row offering comments: "由某某张贴 @ 2005-03-21 (359) 共 3 篇评论 发表评论".
COMMENT_ROW = re.compile(r"发表评论|我要评论|\d+\s*(?:篇|条|则)评论|评论\s*[(（]\s*\d+\s*[)）]")
COMMENT_ROW_MAX_CHARS = 80
# Rule lines: "------分隔线------", "＊＊＊＊", "——————".
DECORATION_LINE = re.compile(r"^[\W_]*(?:分隔线|分割线)?[\W_]*$")
NEXT_PAGE_TEXT = re.compile(r"^(?:下一页|下页|后一页|next|›|»|>|>>)$", re.IGNORECASE)


def css_rules(css: str) -> list[tuple[str, str]]:
    """(selectors, declarations) of each innermost `a { b }` rule, in linear time.

    A regex like `([^{}]+)\\{([^{}]*)\\}` retries from every position of a long run of
    text without braces (a data: URL, a big comment): seconds on one real stylesheet.
    """
    rules = []
    for chunk in css.split("}"):
        selectors, brace, declarations = chunk.rpartition("{")
        if brace and "{" not in declarations:
            selectors = selectors.rsplit("{", 1)[-1]
            rules.append((selectors, declarations))
    return rules


def hidden_css_names(root: etree._Element) -> tuple[set[str], set[str]]:
    """Class and id names that a `<style>` rule in the page hides."""
    classes: set[str] = set()
    ids: set[str] = set()
    for style in root.iter("style"):
        css = style.text or ""
        folded = css.lower()
        if css.isascii() or (len(folded) == len(css)
                             and not any(c in css for c in UNFOLDED_LETTERS)):
            hiding = _hiding_selectors(css, folded)
        elif hides(css):
            hiding = [s for s, declarations in css_rules(css) if hides(declarations)]
        else:
            continue
        for selectors in hiding:
            for selector in selectors.split(","):
                match = SIMPLE_SELECTOR.match(selector.strip().split("@")[-1].strip())
                if match:
                    (classes if match.group(1) == "." else ids).add(match.group(2))
    return classes, ids


def _hiding_selectors(css: str, folded: str) -> list[str]:
    """The selectors of the rules of `css_rules(css)` whose declarations `hides`.

    `folded` is `css.lower()`, character for character. Instead of a search in each of a
    stylesheet's (often thousands of) rules, only the rules around a hiding declaration
    in the whole text are looked at; none are when `hides(css)` is false.
    """
    starts = []
    strict = False
    for name in HIDDEN_PROPERTIES:
        at = folded.find(name)
        while at >= 0:
            if HIDDEN_DECLARATION_FOLDED.match(folded, at):
                starts.append(at)
                strict = strict or HIDDEN_STYLE_FOLDED.match(folded, at) is not None
            at = folded.find(name, at + 1)
    if not strict:  # `hides(css)`, as the whole text reads
        return []
    found = []
    counted = set()
    for at in starts:
        opened = folded.rfind("{", 0, at)
        if opened < 0 or opened in counted or folded.rfind("}", 0, at) > opened:
            continue  # no rule, one already counted, or text between rules
        closed = folded.find("}", at)
        end = closed if closed >= 0 else len(folded)
        if folded.find("{", at, end) >= 0:
            continue  # a selector before a nested block, not declarations
        counted.add(opened)
        if hides(css[opened + 1:end]):  # what css_rules would test: these declarations
            start = max(folded.rfind("{", 0, opened), folded.rfind("}", 0, opened)) + 1
            found.append(css[start:opened])
    return found


def hides(css: str) -> bool:
    """The CSS declarations hide what they apply to (display:none, font-size:0 …)."""
    if css.isascii():
        return HIDDEN_STYLE_FOLDED.search(css.lower()) is not None
    folded = css.lower()  # read as IGNORECASE reads it, unless a letter folds otherwise
    if len(folded) == len(css) and not any(c in css for c in UNFOLDED_LETTERS):
        return HIDDEN_STYLE_FOLDED.search(folded) is not None
    return HIDDEN_STYLE.search(css) is not None


def _is_hidden(el: etree._Element, classes: set[str], ids: set[str]) -> bool:
    style = el.get("style")
    if style and hides(style):
        return True
    if el.tag in INLINE_TAGS and (
        (style and WHITE_TEXT_STYLE.search(style) and "background" not in style.lower())
        or (el.tag == "font" and WHITE_FONT_COLOR.match(el.get("color") or ""))
    ):
        # A short white fragment inside a sentence is an anti-copy watermark; long white
        # passages are content shown on a dark box or revealed on selection (answers).
        return len(node_text(el)) <= WHITE_WATERMARK_MAX_CHARS and _inside_sentence(el)
    if el.get("hidden") is not None:
        return True
    if classes:
        cls = el.get("class")
        if cls and not classes.isdisjoint(cls.split()):
            return True
    return bool(ids) and el.get("id") in ids


def _inside_sentence(el: etree._Element) -> bool:
    """Text runs on both sides of the element (a box title in white stands alone)."""
    if not (el.tail or "").strip():
        return False
    prev = el.getprevious()
    before = prev.tail if prev is not None else el.getparent().text
    return bool((before or "").strip())


def prune_tree(root: etree._Element) -> None:
    """Remove never-content and hidden elements from the tree, in place."""
    classes, ids = hidden_css_names(root)
    # Only elements with a style/hidden/color attribute (or a class/id that a <style>
    # rule hides) can be hidden; an attribute lookup per node is cheaper than XPath here.
    by_css = bool(classes or ids)
    doomed = []
    for el in root.iter():
        names = el.keys()  # a plain list: cheaper than an attrib proxy per node
        if not names:
            continue
        if "style" in names or "hidden" in names or "color" in names:
            if _is_hidden(el, classes, ids):
                doomed.append(el)
        elif by_css and (("class" in names and not classes.isdisjoint(el.get("class").split()))
                         or ("id" in names and el.get("id") in ids)):
            doomed.append(el)  # what `_is_hidden` answers without those attributes
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        tail = el.tail
        if tail and tail.strip():
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(el)
    # Tails of dropped elements stay in place (with_tail=False).
    etree.strip_elements(root, *DROP_TAGS, with_tail=False)
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)


def is_pager_row(text: str) -> bool:
    """True for a pager row: "第1页 第2页 下一页", "1 2 3 下一页 尾页", "共3页"."""
    head = text.lstrip()[:1]
    if not head or (head not in PAGER_ROW_FIRST and not head.isdecimal()):
        return False
    return PAGER_ROW.match(text) is not None


def is_chrome_line(text: str) -> bool:
    """True for a line that is portal chrome, not article text."""
    if CHROME_LINE.search(text) or is_pager_row(text) or DECORATION_LINE.match(text):
        return True
    if text.startswith("更多") and MORE_CHROME_LINE.match(text):
        return True
    if len(text) <= TRAILER_LINE_MAX_CHARS and (TRAILER_LINE.search(text)
                                                or FONT_SIZE_ROW.search(text)):
        return True
    start = LATIN_CHROME_START.search(text)
    if start is not None and LATIN_CHROME_LINE.search(text, start.start()):
        return True
    return len(text) <= SHORT_LINE_CHARS and bool(SHORT_CHROME_LINE.search(text))


def is_end_marker(text: str, next_is_links: bool) -> bool:
    """True for a short line that opens comments, or a link list, after an article."""
    if len(text) > END_MARKER_MAX_CHARS:
        return False
    return bool(COMMENT_MARKER.match(text)) or (next_is_links and bool(LIST_MARKER.match(text)))


def is_comment_heading(text: str) -> bool:
    """A short line that opens a comment section (评论, 网友评论, 共 12 条评论 …)."""
    return len(text) <= END_MARKER_MAX_CHARS and COMMENT_MARKER.match(text) is not None


def is_comment_row(text: str) -> bool:
    """A post's footer row that offers comments (发表评论, 共 3 篇评论): the post ends there."""
    return len(text) <= COMMENT_ROW_MAX_CHARS and COMMENT_ROW.search(text) is not None


def is_trailer(text: str) -> bool:
    """A platform disclaimer, reprint/licence notice or wrap-up that closes a text."""
    return len(text) <= TRAILER_LINE_MAX_CHARS and TRAILER_LINE.search(text) is not None


def is_lead_in(text: str) -> bool:
    """True for an editorial lead-in such as "下面是小编为大家整理的…，供大家参考。"."""
    return len(text) <= 200 and bool(LEAD_IN.search(text))
