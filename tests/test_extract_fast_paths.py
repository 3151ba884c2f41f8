"""Fast paths of the extractors answer exactly as the plain implementations they shortcut.

Each speed-up (case-folded regexes, first-character prefilters, string tests instead of
`$`-anchored searches, parsing UTF-8 bytes) is
checked against the straightforward reference on inputs chosen to hit its edges.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest
from lxml import etree

from fanwen_crawler.extractors import CONTROL_CHARS, PARSER, XML_DECLARATION, _parse
from fanwen_crawler.extractors import links as L
from fanwen_crawler.extractors.article import TEASER_END, breaks_off
from fanwen_crawler.extractors.boilerplate import (
    CHROME_LINE,
    DECORATION_LINE,
    HIDDEN_STYLE,
    LATIN_CHROME_LINE,
    MORE_CHROME_LINE,
    PAGER_ROW,
    SHORT_CHROME_LINE,
    SHORT_LINE_CHARS,
    SIMPLE_SELECTOR,
    css_rules,
    hidden_css_names,
    hides,
    is_chrome_line,
    is_pager_row,
)
from fanwen_crawler.extractors.related import TAG_LABEL, TAG_LABEL_FIRST
from fanwen_crawler.extractors.text import (
    WATERMARK_DOMAIN,
    _normalise_chars,
    clean_text,
    remove_watermarks,
)


def test_url_shape_folded_patterns_equal_ignorecase_ones() -> None:
    paths = ["/List_2.HTML", "/Category/x", "/a/ARTICLE/123", "/Index.PHP", "/Search.php?Q=1",
             "/show-12-3.Html", "/a.php?ID=3", "/ſearch/x", "/İndex.html", "/page/3/",
             "/2023/08/Slug-Title/", "/Forum-2-1.html", "/tags/新教师.html", "/list.aspx",
             "/cat/", "/a/b.jpg", "/Home.aspx", "/t20230811_123.shtml", "/p/12",
             "/a.php?CatID=3", "/Lanmu/x", "/ſort/1", "/x.php?fid=2&y", "/List.php", "/catalog.html",
             "/x?cid=1", "/TYPE-2/", "/index_3.html", "/channel", "/column.aspx", "/a/b/c.html",
             "/x?p=12", "/v.php?s=1&aid=7", "/n&id=5", "/q.php?kw=中", "/a?Q=1", "/d/1.pdf?x=1"]
    for path, scheme in itertools.product(paths, ("http://x.cn", "https://Y.cn")):
        shape = L.url_shape(scheme + path)
        denied = bool(L.DENY_URL.search(path))
        article = bool(L.ARTICLE_URL.search(path)) and not denied
        root = bool(L.ROOT_PAGE.match(path))
        listing = not denied and not root and (bool(L.LIST_URL.search(path)) or (
            path.endswith("/") and not L.ARTICLE_URL.search(path)))
        assert (shape.denied, shape.article, shape.root, shape.listing) == \
            (denied, article, root, listing), path


CHROME_REFERENCE = re.compile(
    "|".join((CHROME_LINE.pattern, MORE_CHROME_LINE.pattern, LATIN_CHROME_LINE.pattern)),
    re.IGNORECASE,
)


@pytest.mark.parametrize("text", [
    "上一篇：工作总结", "本站备案号：京ICP备123号", "Copyright 2023 x.cn", "ıcp备 12",
    "İCP证 123", "all  rights reserved", "© 2023", "更多精彩内容请关注本站", "更多",
    "今天召开全县安全生产工作会议。", "ICP", "cop yright", "",
])
def test_chrome_line_split_patterns_equal_one_ignorecase_pattern(text: str) -> None:
    reference = bool(
        CHROME_REFERENCE.search(text) or PAGER_ROW.match(text) or DECORATION_LINE.match(text)
        or (len(text) <= SHORT_LINE_CHARS and SHORT_CHROME_LINE.search(text))
    )
    assert is_chrome_line(text) == reference


@pytest.mark.parametrize("text", [
    "", " ", "1", "１２", "٣ ٤", "第1页", "  下一页", "…", "x 1", "1 2 3 4 5 6 7 8 9 10 x",
    "共 3 页 ", "\u3000第2页", "首页 上一页 1 2 下一页 尾页", "«", "今天 1 2",
])
def test_pager_row_prefilter(text: str) -> None:
    assert is_pager_row(text) == bool(PAGER_ROW.match(text))


# PAGER_ROW as it read before its possessive quantifiers (backtracking through every split).
PAGER_ROW_REFERENCE = re.compile(
    r"^(?:\s*(?:第?\s*\d+\s*页|\d+|\[\d+\]|上一页|下一页|首页|尾页|末页|全文|共\s*\d+\s*页|"
    r"共?\s*\d+\s*(?:条|篇|项)(?:记录)?|\d+\s*/\s*\d+\s*页?|"
    r"[<>«»‹›]+|\.\.\.|…|前一页|后一页|上页|下页)\s*)+$"
)


def test_pager_row_possessive_runs_match_the_same_rows() -> None:
    import random

    rng = random.Random(7)
    tokens = ["1", "2", "0", "12", "页", "第", "共", "条", "篇", "项", "记录", "/", " ", "  ", "\n",
              "[", "]", "上一页", "下一页", "首页", "尾页", "全文", "...", "…", "<", "»", "x", "年"]
    for _ in range(20000):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 8)))
        assert bool(PAGER_ROW.match(text)) == bool(PAGER_ROW_REFERENCE.match(text)), repr(text)


def test_pager_row_fails_fast_on_long_runs() -> None:
    import time

    start = time.perf_counter()
    for text in ("20230811123456789012 x", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 x", "<" * 30 + " x"):
        assert not is_pager_row(text)
    assert is_pager_row("首页 上一页 1 2 3 4 5 6 7 8 9 10 下一页 尾页")
    assert time.perf_counter() - start < 0.05


@pytest.mark.parametrize("text", [
    "今年上半年…", "有序推进...", "有序推进.. \n", "结束。。。", "结束。。", "a.", "…  ",
    "正文", "", "..x",
])
def test_breaks_off_equals_teaser_pattern(text: str) -> None:
    assert breaks_off(text) == bool(TEASER_END.search(text))


@pytest.mark.parametrize("css", [
    "display:none", "DISPLAY : NONE", "visibility:hidden", "Visibility: Hıdden",
    "font-size:0", "font-size: 0px;", "FONT-SIZE:0.00EM!important", "font-size:12px",
    "color:red", "display: block; /* 隐藏 */ visibility: hidden", "dıſplay:none",
    "font-family:'微软雅黑'; DISPLAY:NONE", "字体:大; font-size:\u30000", "İ{x}; visibility:hidden",
    "ſ; display:none", "vıſibility:hidden; 中", "font-size\u3000:\u30000px;", "中 font-size:0.0EM",
])
def test_hides_equals_ignorecase_pattern(css: str) -> None:
    assert hides(css) == bool(HIDDEN_STYLE.search(css))


def _reference_hidden_css_names(root: etree._Element) -> tuple[set[str], set[str]]:
    """Every rule of every stylesheet that hides, one search per rule."""
    classes: set[str] = set()
    ids: set[str] = set()
    for style in root.iter("style"):
        css = style.text or ""
        if not hides(css):
            continue
        for selectors, declarations in css_rules(css):
            if hides(declarations):
                for selector in selectors.split(","):
                    match = SIMPLE_SELECTOR.match(selector.strip().split("@")[-1].strip())
                    if match:
                        (classes if match.group(1) == "." else ids).add(match.group(2))
    return classes, ids


@pytest.mark.parametrize("css", [
    ".a{display:none}", ".a{font-size:0}", ".a{font-size:0\n}", ".a{font-size:0 }.b{x:y}",
    ".x,.y{color:red;display:none}", "@media x{.a{display:none}} .b{display:block}",
    ".a{display:none{b}", ".q{visibility:hidden", "}.a{display:none}", ".a{b}display:none{c}",
    ".A .b{DISPLAY:NONE}", "#Z{font-size:0px !important}", ".k{diſplay:none}",
    ".k{vısibility:hidden}", ".İ{display:none} .j{display:none}", ".m{display:none}.m{x:y}",
    ".u{display:\u3000none} /* 中文 */", ".v{display\x85:none}", ".w{font-size:0;display:none}",
    "display:none", ".n{display:nonee}", "a{x}b{display :none;} c{font-size: 0.00em}",
    ".Kelvin\u212a{display:none}", "", "/* display:none */", ".e{}",
])
def test_hidden_css_names_equals_one_search_per_rule(css: str) -> None:
    html = f"<html><head><style>{css}</style></head><body><p>x</p><style>{css}</style></body></html>"
    root = etree.fromstring(html, etree.HTMLParser())
    assert hidden_css_names(root) == _reference_hidden_css_names(root)


def test_tag_label_first_characters() -> None:
    for label in ("相关热词搜索：", "热词搜索", "TAG标签：", "tags:", "Tag:", "标签：", "关键词：",
                  "关键字", "热门标签", "本文标签：", "文章标签："):
        assert TAG_LABEL.match(label) and label[0] in TAG_LABEL_FIRST


@pytest.mark.parametrize("text", [
    "做 m.example.com 好各项", "版本2.5升级", "见www.x.cn。", "a.b", "今天...", "中x.com",
])
def test_watermark_prefilter(text: str) -> None:
    assert remove_watermarks(text) == WATERMARK_DOMAIN.sub("", text)


@pytest.mark.parametrize("text", [
    "", "  ", "正文\u3000第一段\n  第二句", "a \u200b b", "x\u00ady", "&amp;lt;p&amp;gt;",
    "&nbsp;前后&#12288;", "AT&T", "e\u0301", "\ufeff标题", "a\u2060\u3000b", "\x7f控制",
    "\ue000私用", "Ｆｕｌｌ　ｗｉｄｔｈ，", "a&#8203;b",
])
def test_clean_text_fast_path_equals_full_normalisation(text: str) -> None:
    reference = unicodedata.normalize("NFC", " ".join(_normalise_chars(text).split()))
    assert clean_text(text) == reference


@pytest.mark.parametrize("href", [
    "http://www.a.cn/x/1.html", "https://a.cn/", "http://a.cn/A/B;c=1,d=(2)*", "http://a.cn/~u/@x",
    "http://a.cn/x/./y", "http://a.cn/x/../y", "http://a.cn/x/.z", "http://a.cn/[1]/$!&'+",
    "http://a.cn/a:b/", "http://a.cn/x%20y", "http://A.cn/x", "HTTP://a.cn/x", "http://a.cn",
    "http://a.cn:80/x", "http://u@a.cn/x", "http://a.cn/x?y=1", "http://a.cn/x#f", "http://a.cn/中",
    "http://a.cn/x y", "http://a.cn/x\\y", "http://a.cn/x|y", "http://a.cn/x\"y",
])
def test_request_form_fast_path_equals_full_resolution(href: str) -> None:
    from fanwen_crawler.urls import resolve_url

    base = "http://www.a.cn/dir/page.html"
    # A leading space takes the full path (stripped first), with the same answer.
    assert resolve_url(base, href) == resolve_url(base, " " + href)


def _reference_same_site(url: str, site_url: str) -> bool:
    """same_site as it read before SiteTest: both URLs parsed on every call."""
    from urllib.parse import urlsplit

    from fanwen_crawler.urls import SITE_HOST_PREFIX, _is_ip, site_of

    if url.startswith(("http://", "https://")) and (
            url.split("/", 3)[2:3] == site_url.split("/", 3)[2:3] != [""]):
        return True
    a, b = urlsplit(url), urlsplit(site_url)
    if a.scheme not in ("http", "https"):
        return False
    host_a, host_b = (a.hostname or "").lower(), (b.hostname or "").lower()
    if not host_a or not host_b:
        return False
    if _is_ip(host_a) or _is_ip(host_b) or host_a == "localhost" or host_b == "localhost":
        return site_of(url) == site_of(site_url)
    if site_of(url).partition(":")[2] != site_of(site_url).partition(":")[2]:
        return False
    base_a, base_b = SITE_HOST_PREFIX.sub("", host_a), SITE_HOST_PREFIX.sub("", host_b)
    return base_a == base_b or base_a.endswith("." + base_b) or base_b.endswith("." + base_a)


SITES = ["http://www.a.cn/x.html", "https://a.cn", "http://127.0.0.1:8000/", "http://localhost/",
         "http://m.a.cn:8080/", "http://[::1]:80/x", "ftp://a.cn/", "http:///x"]
URLS = ["http://a.cn/1", "https://WWW.A.CN/2", "http://b.a.cn/", "http://a.cn:8080/", "http://x.cn/",
        "http://127.0.0.1:8000/p", "http://127.0.0.1/", "http://localhost:80/", "mailto:x@a.cn",
        "http://m.a.cn:8080/z", "http://[::1]/y", "http://a.cn:bad/", "//a.cn/", "http:///",
        "http://www.localhost/", "http://x.127.0.0.1/"]


def test_site_test_equals_same_site_parsing_both() -> None:
    from fanwen_crawler.urls import SiteTest

    for site in SITES:
        test = SiteTest(site)
        for url in URLS:
            assert test(url) == _reference_same_site(url, site), (url, site)


@pytest.mark.parametrize(("body", "content_type"), [
    ("<p>中文</p>".encode(), None), (b"\xef\xbb\xbf<p>\xe4\xb8\xad</p>", None),
    (b"\xef\xbb\xbf\xef\xbb\xbf<p>x</p>", "text/html; charset=utf-8"),
    ("<meta charset=gbk><p>中文</p>".encode(), None), ("<p>中文</p>".encode("gbk"), None),
    (b"<meta charset=utf-8><p>\xe4\xb8</p>", None), (b"<p>ascii</p>", "text/html; charset=ascii"),
    ("<p>中文</p>".encode(), "text/html; charset=gb2312"), (b"", None),
    ("<?xml version='1.0' encoding='gbk'?><p>中</p>".encode(), None),
])
def test_decode_page_bytes_are_the_texts_utf8(body: bytes, content_type: str | None) -> None:
    from fanwen_crawler.extractors.decoding import decode_html, decode_page

    text, codec, utf8 = decode_page(body, content_type)
    assert (text, codec) == decode_html(body, content_type)
    if utf8 is not None:
        assert utf8 == text.encode("utf-8")
        parsed, reference = _parse(text, utf8), _parse(text)
        assert (parsed is None and reference is None) or \
            etree.tostring(parsed) == etree.tostring(reference)


@pytest.mark.parametrize("texts", [
    [], [""], ["标题"], ["ΟΔΟΣ-X", "Σ", "ΑΣ", "Σa"], ["İstanbul", "KELVIN\u212a"], ["a\ua66eb", "c"],
    ["关于印发《办法》的通知 - 国务院", "", "  ", "2023年 工作总结_范文网", "AΣ\u0301", "x_y"],
])
def test_title_keys_in_one_pass_equal_one_by_one(texts: list[str]) -> None:
    from fanwen_crawler.extractors.article import _title_keys
    from fanwen_crawler.extractors.text import title_key

    assert _title_keys(texts) == [title_key(t) for t in texts]


DIGIT_TOKEN_REFERENCE = re.compile(r"\S*\d\S*")  # tried from every position


def test_digit_token_from_token_starts_removes_the_same_tokens() -> None:
    import random

    from fanwen_crawler.extractors.listing import DIGIT_TOKEN

    rng = random.Random(5)
    pieces = ["a", "b", "-", "_", "1", "2", "\u0663", " ", "  ", "\t", "\u3000", "x9", "post", "\u00a0"]
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert DIGIT_TOKEN.sub("", text) == DIGIT_TOKEN_REFERENCE.sub("", text), repr(text)


def test_markup_path_with_a_shared_memo_equals_a_walk_per_element() -> None:
    from fanwen_crawler.extractors.listing import PATH_DEPTH, markup_path

    def walk(el: etree._Element) -> tuple[str, object]:
        parts, node = [], el
        for _ in range(PATH_DEPTH):
            if node is None:
                break
            cls = " ".join(DIGIT_TOKEN_REFERENCE.sub("", node.get("class") or "").split())
            parts.append(f"{node.tag}.{cls}" if cls else node.tag)
            node = node.getparent()
        return "/".join(parts), node

    html = ("<html><body><div class='w'><div class='main c1'><ul class='list'>"
            + "".join(f"<li class='it post-{i}'><a href='/{i}.html'>t{i}</a><span><a>x</a></span></li>"
                      for i in range(4))
            + "</ul></div><a>top</a></div><a>shallow</a><div><div><div><div><div><div><p><a>deep</a>"
            "</p></div></div></div></div></div></div></body></html>")
    root = etree.fromstring(html, etree.HTMLParser())
    memo: dict[object, object] = {}
    for el in [*root.iter("a"), root, *root.iter("li"), *reversed(list(root.iter("a")))]:
        assert markup_path(el, memo) == walk(el)


def test_link_chains_built_from_their_parents_equal_a_walk_per_link() -> None:
    from fanwen_crawler.extractors.links import PageLink
    from fanwen_crawler.extractors.listing import ITEM_MAX_DEPTH, Chains, _chain

    def walk(el: etree._Element) -> list[etree._Element]:
        chain: list[etree._Element] = []
        node = el.getparent()
        while node is not None and node.tag not in ("body", "html") and len(chain) < ITEM_MAX_DEPTH:
            chain.append(node)
            node = node.getparent()
        return chain

    deep = "<div>" * 20 + "<ul>" + "<li><a href='/1'>a</a></li><li><span><a>b</a></span></li>" + \
        "</ul>" + "</div>" * 20
    html = f"<html><body><a>top</a><p><a>p</a></p>{deep}<table><tr><td><a>t</a></td></tr></table>" \
        "</body></html>"
    root = etree.fromstring(html, etree.HTMLParser())
    anchors = list(root.iter("a"))
    chains: Chains = {}
    links = [PageLink(el, "http://a.cn/", "x") for el in [*reversed(anchors), *anchors]]
    for link in links:  # alive together: chains are keyed by the PageLink's id
        assert _chain(link, chains) == walk(link.el)


def _reference_find_records(root: etree._Element) -> set[etree._Element]:
    """find_records with every time leaf walking all its levels."""
    from collections import defaultdict

    from fanwen_crawler.extractors import records as R

    groups: dict[tuple[etree._Element, str], set[etree._Element]] = defaultdict(set)
    for leaf in R._time_leaves(R.TIME_LEAF_CANDIDATES(root)):
        node = leaf
        for _ in range(R.ANCESTOR_DEPTH):
            parent = node.getparent()
            if parent is None or parent.tag in ("body", "html"):
                break
            groups[(parent, R._signature(node))].add(node)
            node = parent
    found: set[etree._Element] = set()
    for (parent, sig), dated in groups.items():
        siblings = sum(1 for child in parent if isinstance(child.tag, str)
                       and R._signature(child) == sig)
        if len(dated) >= R.MIN_RECORDS and len(dated) >= R.MIN_DATED_SHARE * siblings:
            short = [el for el in dated if len(R.node_text(el)) <= R.MAX_RECORD_CHARS
                     and next(el.iter("h1"), None) is None]
            if len(short) >= R.MIN_RECORDS:
                found.update(short)
    return found


def test_find_records_stops_where_a_thread_was_walked() -> None:
    from fanwen_crawler.extractors.records import find_records

    def post(n: int, replies: int) -> str:
        inner = "".join(f"<li class='r'><span>u{k}</span><em>2023-05-0{k + 1} 10:1{k}</em>"
                        f"<p>reply {k}</p></li>" for k in range(replies))
        return (f"<div class='post p{n}'><b>user</b><span class='t'>发表于 2023-05-08 10:1{n}</span>"
                f"<span class='t2'>{n}天前</span><p>text {n}</p><ul>{inner}</ul></div>")

    html = ("<html><body><div class='main'><div class='thread'>"
            + "".join(post(n, n % 4) for n in range(6))
            + "</div></div><div><p>2023-05-08 10:10 左右</p></div></body></html>")
    root = etree.fromstring(html, etree.HTMLParser())
    assert find_records(root) == _reference_find_records(root)
    assert find_records(root)
    # A deep time leaf walks up to its item first; a shallow one in the same item must
    # still walk on above it (the sections are the records here).
    section = ("<section class='s'><div class='item'><div><div><div><div><span>2023-05-08 10:10"
               "</span></div></div></div></div><em>3天前</em></div></section>")
    root = etree.fromstring(f"<html><body><div class='main'>{section * 3}</div></body></html>",
                            etree.HTMLParser())
    assert find_records(root) == _reference_find_records(root)
    assert {el.tag for el in find_records(root)} >= {"section"}


def _reference_parse(text: str) -> str | None:
    text = CONTROL_CHARS.sub("", XML_DECLARATION.sub("", text, count=1))
    if not text.strip():
        return None
    try:
        root = etree.fromstring(text, parser=PARSER)
    except (etree.ParserError, ValueError):
        return None
    return etree.tostring(root, encoding=str) if root is not None and len(root) else None


@pytest.mark.parametrize("text", [
    "<p>a\x01b\x0cc\x00d</p>", "\x01", "\u3000", " \x1c ", "<p>\x1fx</p>", "x",
    "<?xml version='1.0' encoding='gbk'?><html><body><p>中文</p></body></html>",
    "<meta charset='gbk'><p>中文</p>", "<p>\u2028</p>", "\ufeff<p>a</p>", "<p>a\ud800b</p>",
    "\u3000<p>正文</p>", "<!-- c --><p>&#1;</p>",
])
def test_parse_bytes_equals_parse_text(text: str) -> None:
    root = _parse(text)
    assert (None if root is None else etree.tostring(root, encoding=str)) == \
        _reference_parse(text)
