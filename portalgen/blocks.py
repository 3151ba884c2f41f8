"""Shared page blocks of generated portals: chrome, trailers, share rows, tags, prev/next,
related lists with excerpts, comment threads, pagers, sidebars and footers.

Each block returns HTML text; `Markers` lists the constant strings of these blocks that
must never end up in an article body (the ground truth's `forbidden_in_body`).
"""

# Template lines mirror real markup.
# ruff: noqa: E501

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from portalgen.text import COMMENT_TEXTS, COMMENT_USERS

esc = html.escape

ICP_NUMBERS = ["京ICP备12003456号-1", "苏ICP备20001234号-2", "粤ICP备17065432号", "浙ICP备09012345号-3"]
SHARE_ROWS = [
    "分享到：<a href=\"javascript:;\" class=\"bds_weixin\">微信</a> <a href=\"javascript:;\" "
    "class=\"bds_qzone\">QQ空间</a> <a href=\"javascript:;\" class=\"bds_tsina\">新浪微博</a>",
    "<span>扫一扫，分享到朋友圈</span> <a href=\"javascript:window.print();\">打印本文</a> "
    "<a href=\"javascript:;\" onclick=\"addFav()\">收藏本文</a>",
    "【<a href=\"javascript:window.print()\">打印本页</a>】【<a href=\"javascript:window.close()\">"
    "关闭窗口</a>】【<a href=\"javascript:;\">加入收藏</a>】",
]
SHARE_MARKERS = ["分享到：", "扫一扫，分享到朋友圈", "打印本页", "关闭窗口", "打印本文", "收藏本文"]
RELATED_HEADINGS = ["相关文章", "相关推荐", "推荐阅读", "延伸阅读", "猜你喜欢", "你可能还喜欢"]
TAG_LABELS = ["标签：", "TAG标签：", "相关热词搜索：", "Tags:", "关键词："]
PREV_LABELS = [("上一篇：", "下一篇："), ("上一篇文章：", "下一篇文章："), ("前一篇：", "后一篇：")]
NONE_TEXTS = ["没有了", "已经是第一篇", "无"]
COMMENT_HEADINGS = ["网友评论", "最新评论", "读者评论"]
SIDEBAR_HEADINGS = ["热门文章", "最新更新", "热门标签"]
TRAILER_MARKERS = {
    "addr": "转载请保留出处",
    "copyright": "声明：本站部分内容来源于网络，版权归原作者所有，如有侵权请联系删除。",
    "editor": "（责任编辑：",
    "more": "范文，请关注本站栏目",
    "download": "下载Word文档",
}


def marker_block(marker: str) -> str:
    """Which movable block (config.BLOCKS) a forbidden string belongs to, else "chrome"."""
    if marker in TRAILER_MARKERS.values():
        return "trailers"
    if marker in SHARE_MARKERS:
        return "share"
    if marker in RELATED_HEADINGS:
        return "related"
    if marker in TAG_LABELS:
        return "tags"
    if any(marker in pair for pair in PREV_LABELS):
        return "prevnext"
    if marker in COMMENT_HEADINGS or marker in COMMENT_TEXTS:
        return "comments"
    if marker in SIDEBAR_HEADINGS:
        return "sidebar"
    return "chrome"


def markers(site_name: str, icp: str) -> list[str]:
    """Constant strings of chrome and trailers; none may appear in any stored body."""
    out = [*TRAILER_MARKERS.values(), *SHARE_MARKERS, *RELATED_HEADINGS, *TAG_LABELS,
           *(p for pair in PREV_LABELS for p in pair), *COMMENT_HEADINGS, *COMMENT_TEXTS, *SIDEBAR_HEADINGS,
           site_name, icp, "当前位置", "您现在的位置", "版权所有"]
    return list(dict.fromkeys(out))


def tag(name: str, cls: str, use_id: bool, inner: str, extra: str = "") -> str:
    """`<name class=cls>` or `<name id=cls>` around `inner`."""
    attr = f'id="{cls}"' if use_id else f'class="{cls}"'
    return f"<{name} {attr}{extra}>{inner}</{name}>"


def trailer(kind: str, *, abs_url: str, site_name: str, editor: str, cat_name: str,
            download: str, as_p: bool) -> str:
    """One trailer line: 本文地址 …, 声明 …, 责任编辑, 更多 … 范文, 下载Word."""
    text = {
        "addr": f'本文地址：<a href="{esc(abs_url)}">{esc(abs_url)}</a> 转载请保留出处',
        "copyright": TRAILER_MARKERS["copyright"],
        "editor": f"（责任编辑：{esc(editor)}）",
        "more": f"更多{esc(cat_name)}范文，请关注本站栏目：<a href=\"/\">{esc(site_name)}</a>",
        "download": f'<a href="{esc(download)}" rel="nofollow">【点击下载Word文档】</a>',
    }[kind]
    return f"<p>{text}</p>" if as_p else f'<div class="tip-{kind}">{text}</div>'


def share_row(variant: int) -> str:
    return f'<div class="share-bar">{SHARE_ROWS[variant % len(SHARE_ROWS)]}</div>'


def tag_row(label: str, tags: Sequence[tuple[str, str]]) -> str:
    links = " ".join(f'<a href="{esc(href)}">{esc(t)}</a>' for t, href in tags)
    return f'<div class="tag-row">{esc(label)}{links}</div>'


def prev_next(labels: tuple[str, str], prev: tuple[str, str] | None,
              nxt: tuple[str, str] | None, none_text: str) -> str:
    def one(item: tuple[str, str] | None) -> str:
        return f'<a href="{esc(item[0])}">{esc(item[1])}</a>' if item else none_text
    return (f'<div class="prenext"><p>{labels[0]}{one(prev)}</p>'
            f"<p>{labels[1]}{one(nxt)}</p></div>")


def related_list(heading: str, cls: str, items: Sequence[tuple[str, str, str, str]],
                 with_excerpts: bool) -> str:
    """(href, title, excerpt, date) items under a heading."""
    lis = []
    for href, title, excerpt, day in items:
        ex = f"<p>{esc(excerpt)}</p>" if with_excerpts else ""
        lis.append(f'<li><a href="{esc(href)}" target="_blank">{esc(title)}</a>{ex}'
                   f"<span>{day}</span></li>")
    return f'<div class="{cls}"><h3>{heading}</h3><ul>{"".join(lis)}</ul></div>'


def comments(heading: str, seed: int, login_href: str) -> str:
    n = 2 + seed % 3
    items = "".join(
        f'<li><span class="user">{esc(COMMENT_USERS[(seed + i * 3) % len(COMMENT_USERS)])}'
        f"</span><p>{esc(COMMENT_TEXTS[(seed + i) % len(COMMENT_TEXTS)])}</p></li>"
        for i in range(n))
    return (f'<div class="comment-box" id="comments"><h3>{heading}</h3><ul>{items}</ul>'
            f'<p class="more"><a href="{esc(login_href)}">登录</a>后发表评论</p></div>')


def numbered_pager(pages: int, current: int, href: Callable[[int], str], *, style: str,
                   broken: bool = False, total_items: int | None = None) -> str:
    """A pager in one of the families' markups; `broken` renders it by script only."""
    if broken:
        return (f'<div class="pager"><script type="text/javascript">showPages({current},'
                f'{pages});</script></div>')
    if pages <= 1:
        return ""
    nums = range(1, pages + 1)

    def a(n: int, text: str | None = None) -> str:
        return f'<a href="{esc(href(n))}">{text or n}</a>'

    nxt = current + 1 if current < pages else None
    prev = current - 1 if current > 1 else None
    if style == "dede":
        items = [f"<li><a>共{pages}页: </a></li>"]
        items.append(f"<li>{a(prev, '上一页')}</li>" if prev else "<li><a href='#'>上一页</a></li>")
        for n in nums:
            items.append(f"<li class=\"thisclass\"><a href='#'>{n}</a></li>" if n == current
                         else f"<li>{a(n)}</li>")
        items.append(f"<li>{a(nxt, '下一页')}</li>" if nxt else "<li><a href='#'>下一页</a></li>")
        return f'<div class="dede_pages"><ul class="pagelist">{"".join(items)}</ul></div>'
    if style == "phpcms":
        parts = [f'<a class="a1">{total_items}条</a>' if total_items else ""]
        parts.append(f'<a href="{esc(href(prev or 1))}" class="a1">上一页</a>')
        parts += [f"<span>{n}</span>" if n == current else a(n) for n in nums]
        parts.append(f'<a href="{esc(href(nxt or pages))}" class="a1">下一页</a>')
        return f'<div id="pages" class="text-c">{" ".join(parts)}</div>'
    if style == "empire":
        parts = [f'<a title="Page">&nbsp;<b>{current}</b>/<b>{pages}</b>&nbsp;</a>']
        parts += [f"<b>{n}</b>" if n == current else a(n) for n in nums]
        if nxt:
            parts += [a(nxt, "下一页"), a(pages, "尾页")]
        return f'<p align="center" class="pageLink">{"&nbsp;".join(parts)}</p>'
    if style == "wordpress":
        parts = [f'<span aria-current="page" class="page-numbers current">{n}</span>'
                 if n == current else f'<a class="page-numbers" href="{esc(href(n))}">{n}</a>'
                 for n in nums]
        if nxt:
            parts.append(f'<a class="next page-numbers" href="{esc(href(nxt))}">下一页</a>')
        return ('<nav class="navigation pagination" role="navigation"><div class="nav-links">'
                + "".join(parts) + "</div></nav>")
    if style == "wp-post":
        parts = [f'<span class="post-page-numbers current" aria-current="page">{n}</span>'
                 if n == current else f'<a href="{esc(href(n))}" class="post-page-numbers">{n}</a>'
                 for n in nums]
        return f'<div class="page-links">页面： {" ".join(parts)}</div>'
    if style == "zblog":
        parts = [f'<span class="page now-page">{n}</span>' if n == current
                 else f'<a href="{esc(href(n))}"><span class="page">{n}</span></a>' for n in nums]
        if nxt:
            parts.append(f'<a href="{esc(href(nxt))}"><span class="page">›</span></a>')
        return f'<div class="pagebar">{"".join(parts)}</div>'
    if style == "discuz":
        parts = [f"<strong>{n}</strong>" if n == current else a(n) for n in nums]
        if nxt:
            parts.append(f'<a href="{esc(href(nxt))}" class="nxt">下一页</a>')
        return f'<div class="pg">{"".join(parts)}</div>'
    # hand-made: 首页 上一页 [1] 2 3 下一页 尾页
    parts = [a(1, "首页"), a(prev, "上一页") if prev else "上一页"]
    parts += [f"<font color=red>[{n}]</font>" if n == current else a(n) for n in nums]
    parts += [a(nxt, "下一页") if nxt else "下一页", a(pages, "尾页")]
    return f'<div class="showpage">{" ".join(parts)}</div>'


def footer(site_name: str, icp: str) -> str:
    return (f'<div class="footer"><p><a href="/about.html">关于我们</a> | '
            f'<a href="/about.html#contact">联系我们</a> | <a href="/about.html#copyright">版权声明</a></p>'
            f"<p>本站部分内容来自网络，如有侵权请联系删除。Copyright &copy; 2012-2024 {esc(site_name)} "
            f"版权所有</p><p><a href=\"https://beian.miit.gov.cn/\" rel=\"nofollow\">{icp}</a></p>"
            "</div>")
