"""Page roles on unseen layouts: article pagers, lists, continuation pages.

Small hand-written pages (regression tests, not evidence: the evidence is the generated
portals of tests/test_portalgen_e2e.py and the real pages of test_extract_real.py).
"""

from __future__ import annotations

from fanwen_crawler.extractors import extract_html, extract_page
from fanwen_crawler.extractors.pager import article_keys

SENTENCES = ("在上级的正确领导下，我们切实抓好作风建设，问题整改率达到百分之九十以上。"
             "通过这次学习，车间积极探索数据统计，为下一步工作打下了坚实的基础。")


def _article(title: str, pager: str = "", body: str = SENTENCES * 2) -> str:
    return (f"<html><head><title>{title}_范文网</title></head><body>"
            f"<div class='nav'><a href='/'>首页</a> » <a href='/category/a/'>工作计划</a></div>"
            f"<h1>{title}</h1><div class='meta'>发布时间：2023-05-28 10:00</div>"
            f"<div class='content'><p>{body}</p><p>{body}</p>{pager}</div></body></html>")


def test_a_lone_id_parameter_on_the_home_path_is_no_page_number() -> None:
    assert article_keys("http://a.cn/?p=123")[0] == ("http://a.cn/?p=123", 1)
    assert article_keys("http://a.cn/index.php?id=5")[0] == ("http://a.cn/index.php?id=5", 1)
    assert article_keys("http://a.cn/?p=123&page=2")[0] == ("http://a.cn/?p=123", 2)
    page = extract_html(_article("学校开学典礼致辞"), "http://a.cn/?p=123")
    assert page.page_type == "article"
    assert page.first_page is None and page.next_page is None


def test_query_continuation_points_at_its_first_page() -> None:
    pager = ("<div class='links'>页面： <a href='/?p=123'>1</a> <span>2</span> "
             "<a href='/?p=123&amp;page=3'>3</a></div>")
    page = extract_html(_article("学校开学典礼致辞", pager), "http://a.cn/?p=123&page=2")
    assert page.first_page == "http://a.cn/?p=123"
    assert page.next_page == "http://a.cn/?p=123&page=3"


def test_path_segment_pager_is_read_from_the_pager_links() -> None:
    first = extract_html(_article("学校开学典礼致辞", "<div>页面： <span>1</span> "
                                  "<a href='/archives/123/2/'>2</a></div>"),
                         "http://a.cn/archives/123/")
    assert first.first_page is None
    assert first.next_page == "http://a.cn/archives/123/2/"
    second = extract_html(_article("学校开学典礼致辞", "<div>页面： <a href='/archives/123/'>1</a>"
                                   " <span>2</span> <a href='/archives/123/3/'>3</a></div>"),
                          "http://a.cn/archives/123/2/")
    assert second.first_page == "http://a.cn/archives/123/"
    assert second.next_page == "http://a.cn/archives/123/3/"
    # Without a pager, a numbered folder is the article's own id.
    alone = extract_html(_article("学校开学典礼致辞"), "http://a.cn/archives/123/")
    assert alone.first_page is None and alone.next_page is None


def _related(n: int, inside: str = "") -> str:
    items = "".join(
        f"<li><a href='/news/2023/05/{100 + k}.html'>第{k}篇工作总结范文精选</a>"
        f"<span>2023-05-0{1 + k % 9}</span><p>回顾过去的一年，我们在上级的正确领导下，认真落实各项工作，"
        f"取得了较好的成绩……</p></li>" for k in range(n))
    return f"<div class='box'><h3>相关范文</h3><ul>{items}</ul></div>"


def test_a_short_article_beside_a_related_list_with_excerpts_is_an_article() -> None:
    body = SENTENCES[:70]
    html = _article("学校开学典礼致辞", body=body).replace("</body>", _related(8) + "</body>")
    page = extract_html(html, "http://a.cn/news/2023/05/99.html")
    assert page.page_type == "article"
    # The same related list with no text of its own under the title is a list.
    html = _article("学校开学典礼致辞", body="").replace("</body>", _related(8) + "</body>")
    assert extract_html(html, "http://a.cn/news/list_3.html").page_type != "article"


def test_category_is_the_last_linked_crumb_not_the_page_itself() -> None:
    html = _article("学校开学典礼致辞").replace(
        "<div class='nav'><a href='/'>首页</a> » <a href='/category/a/'>工作计划</a></div>",
        "<div class='z'><a href='/'>某某网</a> › <a href='/'>门户</a> › "
        "<a href='/list.php?catid=1'>调研报告</a> › 查看内容</div>")
    page = extract_html(html, "http://a.cn/view.php?aid=1")
    assert page.page_type == "article"
    assert page.category == "调研报告"


def _list_page(items: str, pager: str) -> str:
    hot = "".join(f"<li><a href='/news/2013/05/{500 + k}.html?from=hot'>热门的第{k}篇工作总结范文精选稿"
                  f"</a></li>" for k in range(8))
    return ("<html><head><title>工作总结_范文网</title></head><body>"
            "<div class='nav'><a href='/'>首页</a> &gt; <a href='/zongjie/'>工作总结</a></div>"
            f"<div class='l'><h2>工作总结</h2><ul>{items}</ul>{pager}</div>"
            f"<div class='r'><div class='b'><h3>热门文章</h3><ul>{hot}</ul></div></div>"
            "</body></html>")


def test_the_sidebar_is_never_the_list_and_one_item_is_a_list() -> None:
    item = ("<li><a href='/zongjie/2013/0807/2999.html'>车间述职报告</a><span>2013-08-07</span>"
            "<p>我们切实抓好廉政风险排查，为下一步工作打下了基础……</p></li>")
    pager = ("<div class='pages'><a href='/zongjie/'>上一页</a> <a href='/zongjie/'>1</a> "
             "<b>2</b></div>")
    page = extract_html(_list_page(item, pager), "http://a.cn/zongjie/list_4_2.html")
    assert page.page_type == "list"
    assert [link.url for link in page.article_links] == ["http://a.cn/zongjie/2013/0807/2999.html"]
    three = item * 1 + item.replace("2999", "2998") + item.replace("2999", "2997")
    page = extract_html(_list_page(three, ""), "http://a.cn/zongjie/")
    assert page.page_type == "list"
    assert len(page.article_links) == 3
    assert all("from=hot" not in link.url for link in page.article_links)


def test_related_items_with_excerpts_and_tag_rows_never_reach_the_body() -> None:
    body = SENTENCES[:70]
    inside = ("<p>标签：<a href='/tag/1'>开学</a> <a href='/tag/2'>致辞</a></p>"
              "<p>延伸阅读</p>" + _related(4).replace("<h3>相关范文</h3>", ""))
    html = _article("学校开学典礼致辞", body=body).replace(
        f"<p>{body}</p></div>", f"<p>{body}</p>{inside}</div>")
    page = extract_html(html, "http://a.cn/news/2023/05/99.html")
    assert page.page_type == "article"
    assert page.body == f"{body}\n{body}"


def test_labelled_pager_and_tag_rows_with_a_label_are_cut() -> None:
    rows = ("<div>页面： <span>1</span> <a href='/archives/123/2/'>2</a> "
            "<a href='/archives/123/3/'>3</a></div><p>TAG标签：<a href='/tags/1'>读后感</a></p>")
    page = extract_html(_article("学校开学典礼致辞", rows), "http://a.cn/archives/123/")
    assert page.body == f"{SENTENCES * 2}\n{SENTENCES * 2}"
    assert page.next_page == "http://a.cn/archives/123/2/"


def test_dash_numbered_and_zero_based_continuations_find_their_first_page() -> None:
    pager = ("<div class='pg'><a href='/article-152-1.html'>1</a><strong>2</strong>"
             "<a href='/article-152-3.html'>3</a><a href='/article-152-3.html'>下一页</a></div>")
    page = extract_html(_article("学校开学典礼致辞", pager), "http://a.cn/article-152-2.html")
    assert page.first_page == "http://a.cn/article-152-1.html"
    assert page.next_page == "http://a.cn/article-152-3.html"
    # page=1 is the second page when the link numbered 3 says page=2.
    pager = ("<p><a href='/show.php?id=9'>1</a> <b>2</b> <a href='/show.php?id=9&amp;page=2'>3</a>"
             " <a href='/show.php?id=9&amp;page=2'>下一页</a></p>")
    page = extract_html(_article("学校开学典礼致辞", pager), "http://a.cn/show.php?id=9&page=1")
    assert page.first_page == "http://a.cn/show.php?id=9"
    assert page.next_page == "http://a.cn/show.php?id=9&page=2"


def test_bracketed_current_page_makes_a_pager_row() -> None:
    from fanwen_crawler.extractors.boilerplate import is_pager_row

    assert is_pager_row("首页 上一页 1 [2] 下一页 尾页")
    assert not is_pager_row("[2] 见附件")


def test_last_page_counted_from_zero_points_back_to_its_first_page() -> None:
    pager = "<p><a href='/show.php?id=9'>1</a> <b>2</b></p>"
    page = extract_html(_article("学校开学典礼致辞", pager), "http://a.cn/show.php?id=9&page=1")
    assert page.first_page == "http://a.cn/show.php?id=9"


def test_a_lone_plain_item_without_pager_beats_a_dated_sidebar() -> None:
    item = "<li><a href='/zongjie/2013/0807/2999.html'>车间述职报告范文</a></li>"
    latest = "".join(f"<li><a href='/news/2013/05/{600 + k}.html'>最新的第{k}篇工作总结范文精选稿</a>"
                     f"<span>05-0{k + 1}</span></li>" for k in range(6))
    html = _list_page(item, "").replace(
        "</div></body>", f"<div class='b'><h3>最新更新</h3><ul>{latest}</ul></div></div></body>")
    page = extract_html(html, "http://a.cn/zongjie/")
    assert page.page_type == "list"
    assert [link.url for link in page.article_links] == ["http://a.cn/zongjie/2013/0807/2999.html"]


def test_a_related_list_of_one_item_is_cut() -> None:
    box = ("<div class='x'><h3>相关推荐</h3><ul><li><a href='/news/2023/05/7.html'>关于银行工作计划的范文"
           "</a><p>全年按时申报纳税，没有发生任何税务违规行为。修订完善了门卫值班、食堂管理等制…</p>"
           "<span>2018-09-06</span></li></ul></div>")
    html = _article("学校开学典礼致辞", box, body=SENTENCES[:40])  # a short text
    page = extract_html(html, "http://a.cn/news/2023/05/99.html")
    assert page.body == f"{SENTENCES[:40]}\n{SENTENCES[:40]}"


def test_an_excerpt_ending_in_bracketed_ellipsis_breaks_off() -> None:
    from fanwen_crawler.extractors.article import breaks_off

    assert breaks_off("村“两委”班子共… […]")
    assert breaks_off("全文见附件 [...]")


def test_the_articles_own_pages_are_not_list_links() -> None:
    pager = ("<div>页面： <span>1</span> <a href='/archives/123/2/'>2</a> "
             "<a href='/archives/123/3/'>3</a></div>")
    page = extract_html(_article("学校开学典礼致辞", pager), "http://a.cn/archives/123/")
    assert "http://a.cn/archives/123/2/" in page.page_links
    assert not set(page.page_links) & set(page.list_links)


def test_a_short_last_page_keeps_its_text_beside_a_longer_related_list() -> None:
    short = "在上级的正确领导下，学校切实抓好环境整治，取得了明显成效。"
    pager = "<p><a href='/a/7.html'>1</a> <a href='/a/7_2.html'>2</a> <b>3</b></p>"
    html = (f"<html><head><title>开学典礼致辞(3)_范文网</title></head><body><h1>开学典礼致辞</h1><p>时间：2023-05-28 10:00</p>"
            f"<div class='t'><div>{short}</div><div>{short}</div><div>{short}</div>{pager}</div>"
            + _related(15).replace("<h3>相关范文</h3>", "") + "</body></html>")
    page = extract_html(html, "http://a.cn/a/7_3.html")
    assert page.page_type == "article"
    assert page.body == f"{short}\n{short}\n{short}"
    assert page.first_page == "http://a.cn/a/7.html"


def test_generated_last_page_with_heavier_related_excerpts_keeps_its_own_text() -> None:
    from portalgen.portal import generate_portal

    portal = generate_portal(1092)  # dede: page 4 of 4 is shorter than its related excerpts
    truth = next(a for a in portal.truth().articles if a.url == "/duhougan/2019/0710/2496.html")
    target = truth.page_urls[-1]
    status, headers, body = portal.respond(target, "127.0.0.1:8000")
    page = extract_page(body, "http://127.0.0.1:8000" + target, headers)
    assert status == 200 and page.page_type == "article"
    assert page.body == "\n".join(truth.page_paragraphs[-1])
