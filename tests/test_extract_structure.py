"""Structural rules of the extractor on small synthetic pages.

The markup here deliberately uses class names no CMS in the fixtures uses: the rules
must hold on portal layouts the fixtures never saw (comment threads, teasers, label
tables, related boxes, white watermarks, list pagers).
"""

from __future__ import annotations

from fanwen_crawler.extractors import extract_html

URL = "https://www.example-fanwen.cn/wenzhang/2023/0508/12345.html"
PARAGRAPHS = [
    "近年来，我们坚持以人民为中心的发展思想，认真落实各项工作部署，取得了明显成效。现将有关情况报告如下。",
    "一是强化组织领导。成立了工作领导小组，定期召开专题会议，研究解决工作中遇到的困难和问题。",
    "二是狠抓工作落实。建立了任务清单和责任清单，明确时间节点，确保各项工作按期完成。",
    "三是加强督促检查。对工作推进情况进行跟踪问效，发现问题及时整改，推动工作落到实处。",
]
COMMENT = (
    "写得很实在，结构清晰，拿来改一改就能用，感谢分享！"
    "我们单位也是这样做的，效果不错，值得推广学习。"
)


def _page(body: str, title: str = "关于加强基层工作的报告") -> str:
    return (
        f"<html><head><title>{title}_范文网</title></head><body>"
        f"<div class='hdr'><a href='/'>首页</a> &gt; <a href='/wenzhang/'>文章</a></div>"
        f"<div class='box-a'><h1>{title}</h1>"
        f"<div class='m'>发布时间：2023-05-08 16:10 来源：本站原创</div>{body}"
        f"</body></html>"
    )


def _article(extra: str = "") -> str:
    paras = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return _page(f"<div class='txt'>{paras}</div></div>{extra}")


def test_comment_thread_longer_than_the_article_is_not_body() -> None:
    items = "".join(
        f"<div class='zz-item'><div class='who'><span>网友{i}</span>"
        f"<i>2023-05-0{i % 9 + 1} 1{i % 10}:2{i % 6}</i>"
        f"</div><div class='say'>{COMMENT}</div></div>"
        for i in range(20)
    )
    page = extract_html(_article(f"<div class='zz'><h4>读者说</h4>{items}</div>"), URL)
    assert page.page_type == "article"
    assert page.paragraphs == PARAGRAPHS


def test_relative_time_comments_are_records() -> None:
    items = "".join(
        f"<li class='c'><b>用户{i}</b> <span>{i + 1}小时前</span><p>{COMMENT}</p></li>"
        for i in range(12)
    )
    page = extract_html(_article(f"<ul class='cl'>{items}</ul>"), URL)
    assert page.paragraphs == PARAGRAPHS


def test_dated_paragraphs_of_the_text_stay_in_the_body() -> None:
    days = [
        f"<p><strong>2023年{m}月5日 09:30</strong>，{PARAGRAPHS[m % 4]}</p>" for m in range(1, 7)
    ]
    page = extract_html(_page("".join(days) + "</div>", "2023年工作大事记"), URL)
    assert len(page.paragraphs) == 6


def test_leading_teaser_that_repeats_the_text_is_dropped() -> None:
    teaser = f"<div class='sum'>摘要：{PARAGRAPHS[0][:30]}...</div>"
    page = extract_html(_article().replace("<div class='txt'>", teaser + "<div class='txt'>"), URL)
    assert page.paragraphs == PARAGRAPHS


def test_label_value_table_gives_source_and_author() -> None:
    table = (
        "<table><tr><td>来源：</td><td>县农业农村局</td></tr>"
        "<tr><td>作者：</td><td>刘佳</td></tr></table>"
    )
    html_text = _article().replace(
        "<div class='m'>发布时间：2023-05-08 16:10 来源：本站原创</div>",
        "<div class='m'>2023-05-08 16:10</div>" + table,
    )
    page = extract_html(html_text, URL)
    assert (page.source, page.author) == ("县农业农村局", "刘佳")
    assert page.paragraphs == PARAGRAPHS


def test_related_links_are_the_nearest_box_after_the_text() -> None:
    near = "".join(
        f"<li><a href='/wenzhang/2023/0101/{i}.html'>相关范文标题{i}</a></li>" for i in range(5)
    )
    far = "".join(
        f"<li><a href='/other/2023/0101/{i}.html'>侧栏推荐标题{i}</a></li>" for i in range(9)
    )
    extra = (
        f"<div class='xg'><h3>相关文章</h3><ul>{near}</ul></div>"
        f"<div class='side'><h3>猜你喜欢</h3><ul>{far}</ul></div>"
        "<div class='ft'><a href='/'>首页</a> | <a href='?pc=1'>电脑版</a></div>"
    )
    page = extract_html(_article(extra), URL)
    assert [link.url.rsplit("/", 1)[1] for link in page.related] == [f"{i}.html" for i in range(5)]


def test_white_watermark_inside_a_sentence_is_removed_but_white_box_titles_stay() -> None:
    marked = PARAGRAPHS[1].replace("成立了", "成立了<span style='color:#fff'>example.cn原创</span>")
    html_text = _article().replace(PARAGRAPHS[1], marked)
    html_text = html_text.replace(
        "<div class='txt'>", "<div class='txt'><p><font color='white'>正文</font></p>"
    )
    page = extract_html(html_text, URL)
    assert PARAGRAPHS[1] in page.paragraphs
    assert "正文" in page.paragraphs


def test_list_page_takes_the_group_its_pager_follows() -> None:
    items = "".join(
        f"<li><a href='/wenzhang/{900 + i}.html'>短标题{i}号</a><em>2023-05-0{i % 9 + 1}</em></li>"
        for i in range(8)
    )
    side = "".join(
        f"<li><a href='/tuijian/{500 + i}.html'>"
        f"在全市2023年第{i}次工作会议上的重要讲话全文</a></li>"
        for i in range(30)
    )
    html_text = (
        "<html><head><title>文章列表_范文网</title></head><body>"
        f"<div class='l'><h2>文章</h2><ul class='q'>{items}</ul>"
        "<div class='pg'><a href='/wenzhang/'>首页</a><span>1</span>"
        "<a href='/wenzhang/list_2.html'>2</a>"
        "<a href='/wenzhang/list_2.html'>下一页</a></div></div>"
        f"<div class='r'><h3>热门</h3><ul class='w'>{side}</ul></div></body></html>"
    )
    page = extract_html(html_text, "https://www.example-fanwen.cn/wenzhang/")
    assert page.page_type == "list"
    assert [link.url.rsplit("/", 1)[1] for link in page.article_links] == [
        f"{900 + i}.html" for i in range(8)
    ]
    assert page.next_page == "https://www.example-fanwen.cn/wenzhang/list_2.html"
