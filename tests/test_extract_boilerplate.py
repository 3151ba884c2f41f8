"""Boilerplate removal: pruning hidden markup and recognising chrome lines."""

from __future__ import annotations

import pytest
from lxml import html

from fanwen_crawler.extractors import ExtractionError, extract_html, extract_page
from fanwen_crawler.extractors.boilerplate import is_chrome_line, is_lead_in, prune_tree
from fanwen_crawler.profiles import parse_profile


def test_prune_removes_scripts_and_hidden_text() -> None:
    root = html.document_fromstring(
        "<html><head><style>.wm{display:none}</style></head><body><p>甲<script>x()</script>乙"
        "<span class='wm'>水印</span>丙<span style='font-size:0'>m.a.com</span>丁"
        "<i hidden>藏</i><span style='visibility: hidden'>隐</span>戊</p></body></html>"
    )
    prune_tree(root)
    assert root.find("body").text_content() == "甲乙丙丁戊"


@pytest.mark.parametrize("line", [
    "上一篇：2023年学校安全工作讲话稿", "打印本文 收藏 分享到", "Copyright © 2023 某某网 版权所有",
    "京ICP备12345678号-1", "本文已影响 1024 人", "第1页 第2页 第3页 下一页", "1 2 3 下一页 尾页",
    "相关热词搜索：讲话 教育", "------分隔线----------", "当前位置：首页 > 范文",
])
def test_chrome_lines(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize("line", [
    "同志们：", "一、提高站位，统一思想", "篇一：读书心得", "今天我们召开大会，总结上一阶段工作。",
])
def test_article_lines_are_not_chrome(line: str) -> None:
    assert not is_chrome_line(line)


@pytest.mark.parametrize("line", [
    "下面是小编为大家整理的2023年在全市职业教育工作会议上讲话(范文推荐),供大家参考。",
    "以下是小编为大家收集的工作总结范文，欢迎阅读。",
    "以下是本站为大家整理的心得体会，仅供参考，希望对你有帮助。",
])
def test_lead_ins(line: str) -> None:
    assert is_lead_in(line)


def test_ordinary_sentence_is_not_a_lead_in() -> None:
    assert not is_lead_in("下面，我讲三点意见。")


@pytest.mark.parametrize("raw", [
    b"", b"\x00\x01\x02", b"<html></html>", b"<?xml version='1.0'?><a/>",
    b"\xff\xfe\x00<", b"<html><body>" + b"<div>" * 5000 + b"x",
])
def test_bad_input_is_other_not_an_exception(raw: bytes) -> None:
    page = extract_page(raw, "http://example.com/a/1.html")
    assert page.page_type == "other"


ARTICLE = ("<html><head><title>标题_站</title></head><body><h1>标题</h1>"
           "<div class='x'><p>这是一段很长的正文内容，用于测试。" + "内容，" * 80
           + "</p></div></body></html>")


def test_profile_selectors_override_generic_extraction() -> None:
    profile = parse_profile({"selectors": {"title": "h1", "body": "div.x", "author": "h1::text"}},
                            "t")
    page = extract_html(ARTICLE, "http://example.com/a/1.html", profile)
    assert page.page_type == "article"
    assert page.author == "标题" and page.body and page.body.startswith("这是一段")


def test_profile_body_selector_that_breaks_raises() -> None:
    profile = parse_profile({"article_url_patterns": [r"/a/\d+\.html"],
                             "selectors": {"body": "div.gone"}}, "t")
    with pytest.raises(ExtractionError):
        extract_html(ARTICLE, "http://example.com/a/1.html", profile)


def test_profile_list_pattern_wins() -> None:
    profile = parse_profile({"list_url_patterns": [r"/a/"]}, "t")
    assert extract_html(ARTICLE, "http://example.com/a/1.html", profile).page_type == "list"


def test_css_rules_nested_and_linear_time() -> None:
    import time

    from lxml import etree

    from fanwen_crawler.extractors.boilerplate import css_rules, hidden_css_names

    css = ".a{display:none} @media x { .b , .c{ color:red } } .d {font-size:0}"
    assert css_rules(css) == [(".a", "display:none"), (" .b , .c", " color:red "),
                              (" .d ", "font-size:0")]
    # A long run without braces (a data: URL) made the old regex retry from every position.
    big = ".x{background:url(data:image/png;base64," + "A" * 300_000 + ")} .h{display:none}"
    root = etree.fromstring(f"<html><head><style>{big}</style></head><body/></html>")
    start = time.perf_counter()
    classes, _ids = hidden_css_names(root)
    assert classes == {"h"}
    assert time.perf_counter() - start < 1.0
