"""Body selection classes of issue #10 on small synthetic pages (regression tests).

Class names here are made up on purpose: the rules are structural (where a story's
container ends, what a trailer says), never keyed to a site.
"""

from __future__ import annotations

import pytest
from lxml import etree

from fanwen_crawler.extractors import extract_html
from fanwen_crawler.extractors.boilerplate import is_chrome_line, is_end_marker, is_trailer
from fanwen_crawler.extractors.dates import find_labelled_date
from fanwen_crawler.extractors.tuning import use_thresholds

URL = "https://news.example-zixun.cn/a/2024/0520/778899.html"
STORY = ("路透月度调查显示，日本企业信心五月保持稳定，但制造业及服务业反映，日元疲弱带来的通胀压力"
         "正损害利润，企业面对原材料价格、劳动力及电费等成本上升。")
TEASERS = [
    ("重置城寨不如搞港版环球影城吧", "最新港产片热播，好评如潮，不少人建议政府复刻该片的城寨场景作为旅游景点。" * 4),
    ("名人趁市旺连环卖楼的背后原因", "继某明星上月以高价卖出豪宅后，其好友近日亦卖出同屋苑单位，账面获利逾千万元。" * 4),
    ("日元继续低位徘徊兑换价比较", "近日日元低位徘徊，自然吸引不少市民兑换日元准备去旅行，我们比较了多间找换店。" * 4),
]


def _feed_page() -> str:
    items = "".join(
        f"<li class='q-item'><div class='q-src'>某某财经·8 小时前</div>"
        f"<h4 class='q-t'><a href='/n/{n}.html'>{t}</a></h4><p class='q-p'>{body}</p></li>"
        for n, (t, body) in enumerate(TEASERS)
    )
    return (
        "<html><head><title>日本企业五月信心保持稳定</title></head><body><div class='wrap'>"
        "<div class='col-main'><article class='story'><header><h1>日本企业五月信心保持稳定</h1>"
        "<div class='when'>2024年5月22日 上午8:21</div></header>"
        f"<div class='story-body'><div class='story-txt'><p>{STORY}</p></div></div></article>"
        "<div class='more-mod'><div class='more-head'><h2>你可能还想看</h2></div>"
        f"<ul class='q-list'>{items}</ul></div></div></div></body></html>"
    )


def test_story_is_not_run_into_the_feed_after_it() -> None:
    page = extract_html(_feed_page(), URL)
    assert page.page_type == "article"
    assert page.body == STORY


def test_without_item_cuts_the_feed_would_join_the_story() -> None:
    with use_thresholds(container_jump=99):  # the cut switched off: the test above can fail
        page = extract_html(_feed_page(), URL)
    assert page.body != STORY


POST = ("Ruby 的许多特性强烈地偏向对脚本语言的良好支持，在很多场合都能写出简洁的代码，"
        "这也是我一直用它做日常工作的原因，欢迎大家讨论。")
REPLIES = ["我也一直在用，日常脚本写起来很顺手，速度也够用，社区氛围也不错。",
           "除了速度，综合来讲可以完败其它语言，还好现实世界里速度往往不是瓶颈。",
           "绝大部分公司的核心业务并不需要靠编程语言的性能来取胜，开发效率更重要。"]


def test_replies_of_a_thread_stay_with_the_post() -> None:
    replies = "".join(
        f"<div class='rp'><div class='rp-who'><a href='/u/{n}'>user{n}</a> #{n + 1}</div>"
        f"<div class='rp-md'><p>{text}</p></div></div>" for n, text in enumerate(REPLIES))
    html = (
        "<html><head><title>日常工作还在用 Ruby 吗 · 社区</title></head><body><div class='main'>"
        "<div class='topic'><h1>日常工作还在用 Ruby 吗</h1><div class='topic-body'>"
        f"<p>{POST}</p></div></div><div class='replies-box'><div class='items'>{replies}"
        "</div></div></div></body></html>"
    )
    page = extract_html(html, "https://forum.example-ruby.cn/topics/43661")
    assert POST in page.body
    for text in REPLIES:
        assert text in page.body


def test_blog_index_keeps_the_first_post_up_to_its_comment_row() -> None:
    first = "距城西北约一百一十公里处，是当年发现第一块天然黄金的地方，现在是最受游客欢迎的城市。" * 3
    second = "头发留得很长很长了，每天总是花很多时间去梳头，以前总为一头美丽的长发而骄傲。" * 8
    row = ("<tr><td class='pf'>由作者张贴 @ 2005-03-21 01:20:44 (359) 共 3 篇评论 "
           "<a href='/c/1'>发表评论</a></td></tr>")
    html = (
        "<html><head><title>海边的博客</title></head><body><table class='posts'>"
        f"<tr><td class='pt'>淘金小城游记</td></tr><tr><td class='pb'>{first}</td></tr>{row}"
        f"<tr><td class='pt'>长发剪了</td></tr><tr><td class='pb'>{second}</td></tr>{row}"
        "</table></body></html>"
    )
    page = extract_html(html, "https://blog.example-boke.cn/u/123/")
    assert page.body == first


@pytest.mark.parametrize("line", [
    "以上就是小编为大家整理的关于春节作文的相关介绍",
    "更多“关于春节的作文怎么写才能打动人心呢”请关注 www.example.com",
    "转载请注明：原文链接 - 某某网",
    "原创版权禁止商业转载，违者必究",
    "【字体：大 中 小】",
    "信息网络传播视听节目许可证编号：0108263",
    "平台声明：该文观点仅代表作者本人，本平台仅提供信息存储空间服务。",
])
def test_trailers_are_chrome(line: str) -> None:
    assert is_chrome_line(line)


def test_trailer_class_does_not_catch_prose() -> None:
    assert not is_trailer("他说，以上这些经验来自多年的一线工作，希望能对同行有所启发。")
    assert not is_chrome_line("我们要转变作风，把服务群众的工作做细做实。")


@pytest.mark.parametrize("heading", ["相关作文：", "相关合同", "猜你喜欢", "你可能还想看", "推荐"])
def test_related_headings_end_the_body_when_links_follow(heading: str) -> None:
    assert is_end_marker(heading, True)
    assert not is_end_marker(heading, False)  # a heading inside the text, prose follows


def test_publication_date_beats_other_labelled_dates() -> None:
    assert find_labelled_date(["成文日期：2022-01-10 发布日期：2022-01-20"])[0] == "2022-01-20"
    assert find_labelled_date(["孩子的奶酪 2005-02-06 13:26更新 来源：转载"])[0] \
        == "2005-02-06T13:26"


def test_stamp_beats_a_date_inside_a_sentence() -> None:
    found = find_labelled_date([
        "2022-02-13 07:00:00来源：某某网",
        "某某网北京2月13日消息，日前签署命令，发布《规定》，自2022年2月10日起施行。",
    ])
    assert found is not None and found[0] == "2022-02-13T07:00:00"


def test_h1_beats_a_site_only_title() -> None:
    html = (
        "<html><head><title>-某某政务网</title></head><body><div class='p'>"
        "<h1>关于做好2024年春季农业生产工作的通知</h1><div class='m'>发布日期：2024-03-01</div>"
        f"<div class='c'><p>{STORY}</p><p>{STORY}</p></div></div></body></html>"
    )
    page = extract_html(html, "https://www.example-gov.cn/zwgk/2024/0301/1.html")
    assert page.title == "关于做好2024年春季农业生产工作的通知"


def test_player_and_button_labels_around_the_text_are_trimmed() -> None:
    html = (
        "<html><head><title>日本企业五月信心保持稳定</title></head><body><div class='p'>"
        "<h1>日本企业五月信心保持稳定</h1><div class='m'>2024-05-22 08:21</div>"
        "<div class='player'><div class='ctl'>倍速</div><div class='ctl'>高清</div>"
        "<div class='ctl'>00:00/01:45</div></div>"
        f"<div class='c'><p>{STORY}</p><p>{STORY}</p></div>"
        "<div class='act'><div class='b'>微信扫码分享</div><div class='b'>不喜欢</div></div>"
        "</div></body></html>"
    )
    page = extract_html(html, URL)
    assert page.paragraphs == [STORY, STORY]


@pytest.mark.parametrize("heading", ["相关作文：", "相关合同", "推荐"])
def test_related_block_under_any_related_heading(heading: str) -> None:
    links = "".join(f"<li><a href='/zuowen/{n}.html'>关于春天的作文第{n}篇范文</a></li>"
                    for n in range(1, 5))
    html = (
        "<html><head><title>日本企业五月信心保持稳定</title></head><body><div class='p'>"
        "<h1>日本企业五月信心保持稳定</h1><div class='m'>2024-05-22 08:21</div>"
        f"<div class='c'><p>{STORY}</p><p>{STORY}</p></div></div>"
        f"<div class='rel'><div class='rel-h'>{heading}</div><ul>{links}</ul></div>"
        "</body></html>"
    )
    page = extract_html(html, URL)
    assert [link.url.rsplit("/", 1)[-1] for link in page.related] == \
        [f"{n}.html" for n in range(1, 5)]
    assert heading.rstrip("：") not in page.body


def test_unlabelled_source_beside_the_date() -> None:
    from fanwen_crawler.extractors.article import source_and_author

    assert source_and_author(["2022-01-20 16:31 光明网"]) == ("光明网", None)
    assert source_and_author(["2022-01-20 来源：新华社"]) == ("新华社", None)
    assert source_and_author(["发布时间：2022-01-20 点击：35"]) == (None, None)


def test_hash_routed_page_of_a_single_page_app_is_not_the_home_page() -> None:
    html = (
        "<html><head><title>泡泡详情</title></head><body><div class='p'>"
        "<h1>泡泡详情</h1><div class='m'>发布于 2023-07-06 23:12</div>"
        f"<div class='c'><p>{STORY}</p><p>{STORY}</p></div></div></body></html>"
    )
    routed = extract_html(html, "https://www.example-sns.cn/#/post?id=1080035365")
    assert routed.page_type == "article"
    assert extract_html(html, "https://www.example-sns.cn/").page_type == "other"


def test_comment_section_longer_than_the_text_is_never_the_body() -> None:
    comments = "".join(
        f"<h4># re: 入住博客 2004-12-27 12:{n:02d} user{n}</h4>"
        f"<p>{'拜读了你翻译的书，很不错，期待你的新作早日出版，我们都会去买来认真学习。' * 3}</p>"
        for n in range(12))
    html = (
        "<html><head><title>博客</title></head><body><div class='side'><ul>"
        "<li><a href='/a/1'>2005年3月 (1)</a></li></ul></div>"
        f"<div class='post'><h2><a href='/p/1'>很高兴入住博客堂</a></h2><p>{STORY}</p>"
        f"<p class='pf'>发表于 2004年12月27日 12:40</p></div>"
        f"<div class='fb'><h3>评论</h3>{comments}</div></body></html>"
    )
    page = extract_html(html, "https://blog.example-boke.cn/p/1.html")
    assert page.body == STORY


def test_player_controls_are_not_prose() -> None:
    from fanwen_crawler.extractors.blocks import Line, line_score

    el = etree.Element("li")
    assert all(line_score(Line(t, el, 0)) < 0 for t in ("2.0X", "1.75X", "00:00/01:45"))
    assert line_score(Line("他说，这是真的。", el, 0)) > 0


def test_text_above_a_title_repeated_under_it_is_kept() -> None:
    html = (
        "<html><head><title>播客热潮迅速蔓延 - 多维博客</title></head><body><table><tr><td>"
        f"<p>{STORY}</p><p>{STORY}</p><p>{STORY}</p>"
        "<h3>播客热潮迅速蔓延</h3><p>好文，写得很实在，值得一读再读。</p></td></tr></table></body></html>"
    )
    page = extract_html(html, "https://blog.example-boke.cn/p/1700.html")
    assert page.paragraphs[:3] == [STORY, STORY, STORY]


def test_lead_above_a_table_of_contents_stays_with_the_text() -> None:
    toc = "".join(f"<li><a href='#s{n}'>{n} 第{n}节</a></li>" for n in range(1, 40))
    html = (
        "<html><head><title>某某条目 - 百科</title></head><body><h1>某某条目</h1>"
        f"<div class='body-text'><p>{STORY}</p><div class='toc'><ul>{toc}</ul></div>"
        f"<h2>简介</h2><p>{STORY[::-1]}</p><p>{STORY}</p></div></body></html>"
    )
    page = extract_html(html, "https://wiki.example-baike.cn/wiki/1")
    assert page.paragraphs[0] == STORY
    assert "第1节" not in page.body


def test_wiki_section_edit_links_are_not_text() -> None:
    html = (
        "<html><head><title>某某条目 - 百科</title></head><body><h1>某某条目</h1>"
        f"<div class='body-text'><p>{STORY}</p><h2>历史沿革<span>[<a href='/e'>编辑</a>]</span>"
        f"</h2><p>{STORY}</p></div></body></html>"
    )
    page = extract_html(html, "https://wiki.example-baike.cn/wiki/2")
    assert page.paragraphs == [STORY, "历史沿革", STORY]


def test_short_post_under_the_title_is_not_cut_off_by_a_button_row() -> None:
    post = "发现个端到端加密的聊天和文件共享工具，开源的，大家可以试试"
    buttons = "".join(f"<div class='opt'>{label}</div>"
                      for label in ("0", "19", "0", "0", "评论数", "默认", "最新", "分享",
                                    "收藏", "举报", "点赞", "关注", "更多", "复制"))
    replies = "".join(f"<div class='rp'><div class='who'>user{n}</div><div class='txt'>{t}</div>"
                      f"</div>" for n, t in enumerate(REPLIES))
    html = (
        "<html><head><title>泡泡详情 | 微社区</title></head><body><div class='card'>"
        f"<h2>泡泡详情</h2><div class='thing'><div class='content'>{post}</div>"
        f"<div class='actions'>{buttons}</div></div><div class='replies'>{replies}</div>"
        "</div></body></html>"
    )
    page = extract_html(html, "https://www.example-sns.cn/#/post?id=1080035365")
    assert page.paragraphs[0] == post
    assert REPLIES[0] in page.body


def test_related_box_beats_a_recommendation_box_before_it() -> None:
    def box(label: str, prefix: str) -> str:
        links = "".join(f"<li><a href='/{prefix}/{n}.html'>{prefix}关于春天的作文第{n}篇</a></li>"
                        for n in range(1, 4))
        return f"<div class='b'><div class='h'>{label}</div><ul>{links}</ul></div>"

    html = (
        "<html><head><title>日本企业五月信心保持稳定</title></head><body><div class='p'>"
        "<h1>日本企业五月信心保持稳定</h1><div class='m'>2024-05-22 08:21</div>"
        f"<div class='c'><p>{STORY}</p><p>{STORY}</p></div></div>"
        f"{box('推荐文章', 'tj')}{box('相关文章', 'xg')}</body></html>"
    )
    page = extract_html(html, URL)
    assert [link.url.rsplit("/", 2)[-2] for link in page.related] == ["xg"] * 3


def test_a_menu_of_section_names_is_never_the_article_list() -> None:
    menu = "".join(f"<li><a href='/{slug}/'>{name}</a></li>" for slug, name in (
        ("flfg", "法律法规"), ("tzzjy", "投资者教育"), ("gsgg", "公司公告"), ("xwzx", "新闻中心"),
        ("cyzn", "常用指南"), ("jgdt", "监管动态"), ("gywm", "关于我们"), ("lxwm", "联系我们")))
    notices = "".join(
        f"<li><a href='/uploads/2024/{n}.pdf'>关于2024年第{n}季度信息披露工作的公告</a>"
        f"<span>2024-0{n}-15</span></li>" for n in range(1, 6))
    html = (
        "<html><head><title>公司公告_某某证券</title></head><body>"
        f"<div class='side'><ul class='menu'>{menu}</ul></div>"
        f"<div class='main'><h2>公司公告</h2><ul class='notices'>{notices}</ul></div>"
        "</body></html>"
    )
    page = extract_html(html, "https://www.example-zq.cn/gsgg/")
    assert not {link.url for link in page.article_links} & {
        f"https://www.example-zq.cn/{slug}/" for slug in ("flfg", "tzzjy", "xwzx", "jgdt")}
