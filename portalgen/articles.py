"""The article block of each CMS family: title, date/source/author line, body container, pager.

Each function takes the page's `Parts` (already rendered pieces and the portal's class-name
helpers) and returns the family's markup: DedeCMS viewbox (info line with <small> labels,
the body in a table cell, dede_pages, ------分隔线------), PHPCMS v9 #Article (the date and
来源 inside the h1's span), EmpireCMS title_info table (pager inside td#text), WordPress
article.post (time datetime=…, page-links inside entry-content), Z-Blog post (post-date
above the title), Discuz! portal view (h1.ph, p.xg1 with 发布者/查看/来自, td#article_content,
.ptw pager) and a hand-made table page (发布时间/作者/来源/阅读).
"""

# Template lines mirror real markup.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape as esc

from portalgen.model import ArticleSpec


@dataclass(frozen=True, slots=True)
class Parts:
    """The rendered pieces of one article page."""

    a: ArticleSpec
    title: str
    """Escaped title."""
    raw: str
    """The date as the family shows it."""
    source: str
    author: str
    hits: int
    summary: str
    body: str
    inside: str
    """Blocks placed inside the article container, after the body."""
    after: str
    """Blocks placed after the container."""
    pager: str
    attr: Callable[[str], str]
    """Slot → `class="…"` or `id="…"`."""
    name: Callable[[str], str]
    self_url: str
    list_url: str


def dede(p: Parts) -> str:
    return (f'<div {p.attr("article")}><div {p.attr("title")}><h2>{p.title}</h2></div>'
            f'<div {p.attr("info")}><small>时间:</small>{p.raw}<small>来源:</small>{p.source} <small>作者:</small>{p.author} '
            f'<small>点击:</small><script src="/plus/count.php?view=yes&amp;aid={p.a.id}" type="text/javascript"></script> 次</div>'
            f"{p.summary}<div {p.attr('content')}><table width='100%'><tr><td>{p.body}{p.inside}</td></tr></table></div>"
            f"{p.pager}<div class=\"boxoff\"><strong>------分隔线----------------------------</strong></div>"
            f"{p.after}</div>")


def phpcms(p: Parts) -> str:
    return (f'<div {p.attr("article")}><h1>{p.title}<br /><span>{p.raw} 来源：{p.source} &nbsp;&nbsp;评论：'
            f'<a href="#comment_iframe" id="comment">0</a> 点击：<span id="hits">{p.hits}</span></span></h1>'
            f"{p.summary}<div {p.attr('content')}>{p.body}{p.inside}</div>{p.pager}{p.after}</div>")


def empire(p: Parts) -> str:
    return (f'<table width="100%" border="0" cellspacing="0" cellpadding="0" {p.attr("article")}><tr><td>'
            f'<table width="100%" border="0" cellpadding="0" cellspacing="0" {p.attr("title")}>'
            f"<tr><td><h1>{p.title}</h1></td></tr><tr><td {p.attr('info')}>时间：{p.raw}&nbsp;&nbsp;来源：{p.source}"
            f"&nbsp;&nbsp;作者：{p.author}</td></tr></table>{p.summary}"
            f'<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr><td {p.attr("content")}>{p.body}{p.inside}{p.pager}</td></tr></table>'
            f"{p.after}</td></tr></table>")


def wordpress(p: Parts) -> str:
    a = p.a
    iso = f"{a.year:04d}-{a.month:02d}-{a.day:02d}T{a.hour:02d}:{a.minute:02d}:{a.second:02d}+08:00"
    return (f'<article id="post-{a.id}" class="post-{a.id} post type-post status-publish hentry">'
            f'<header class="entry-header"><h1 class="{p.name("title")}">{p.title}</h1>'
            f'<div {p.attr("info")}><span class="posted-on">发布于 <a href="{esc(p.self_url)}" rel="bookmark">'
            f'<time class="entry-date published" datetime="{iso}">{p.raw}</time></a></span>'
            f'<span class="byline"> 作者 <span class="author vcard">{p.author}</span></span></div></header>'
            f"{p.summary}<div {p.attr('content')}>{p.body}{p.pager}{p.inside}</div>"
            f'<footer class="entry-footer"><span class="cat-links">分类：<a href="{esc(p.list_url)}" rel="category tag">{esc(a.category.name)}</a></span></footer>'
            f"</article>{p.after}")


def zblog(p: Parts) -> str:
    return (f'<div {p.attr("article")}><h4 class="post-date">{p.raw}</h4><h2 class="{p.name("title")}">{p.title}</h2>'
            f"{p.summary}<div {p.attr('content')}>{p.body}{p.inside}</div>"
            f'<h6 class="post-footer">发布:{p.author} | 分类:<a href="{esc(p.list_url)}">{esc(p.a.category.name)}</a> | 评论:0 | 浏览:<span>{p.hits}</span></h6>'
            f"{p.after}</div>")


def discuz(p: Parts) -> str:
    src_part = f'<span class="pipe">|</span>来自: {p.source}' if p.source else ""
    return (f'<div {p.attr("article")}><div class="h hm"><h1 class="{p.name("title")}">{p.title}</h1>'
            f'<p class="{p.name("info")}">{p.raw}<span class="pipe">|</span> 发布者: <a href="/home.php?mod=space&amp;uid=1">{p.author}</a>'
            f'<span class="pipe">|</span> 查看: <em id="_viewnum">{p.hits}</em><span class="pipe">|</span> 评论: <em>0</em>{src_part}</p></div>'
            f'{p.summary}<div class="d"><table cellpadding="0" cellspacing="0" class="vwtb"><tr><td {p.attr("content")}>{p.body}{p.inside}</td></tr></table>'
            f'<div class="ptw pbw cl">{p.pager}</div></div>{p.after}</div>')


def hand(p: Parts) -> str:
    return (f'<table width="960" border="0" align="center" cellpadding="0" cellspacing="0"><tr><td valign="top" {p.attr("article")}>'
            f'<div {p.attr("title")}><h2>{p.title}</h2></div>'
            f'<div {p.attr("info")}>发布时间：{p.raw}&nbsp;&nbsp;作者：{p.author}&nbsp;&nbsp;来源：{p.source}&nbsp;&nbsp;阅读：<span>{p.hits}</span>次</div>'
            f"{p.summary}<div {p.attr('content')}>{p.body}{p.inside}</div>{p.pager}{p.after}</td></tr></table>")


MAIN = {"dede": dede, "phpcms": phpcms, "empire": empire, "wordpress": wordpress,
        "zblog": zblog, "discuz": discuz, "hand": hand}
