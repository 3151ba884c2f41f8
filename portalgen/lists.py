"""List-like pages of a generated portal: category lists, the home page, tag pages.

List items come in the family's markup (WordPress article.post + entry-summary, Discuz!
dl/dt/dd) or one of the config's item styles: plain links, dated, with an excerpt,
DedeCMS-style thumbnail + title + intro (two links per item), or table rows. The pager
may be broken (rendered by script only) when the portal's sitemap is complete.
"""

# Template lines mirror real markup.
# ruff: noqa: E501

from __future__ import annotations

from html import escape as esc
from typing import TYPE_CHECKING

from portalgen import blocks
from portalgen.model import ArticleSpec, Category

if TYPE_CHECKING:
    from portalgen.render import Renderer


def list_items(r: Renderer, items: list[ArticleSpec], base: str) -> str:
    style, fam = r.cfg.list_item_style, r.p.family
    out = []
    for a in items:
        url, t = esc(r.art_url(a, base)), esc(a.title)
        day = f"{a.year}-{a.month:02d}-{a.day:02d}"
        if fam == "wordpress":
            out.append(f'<article class="post-{a.id} post"><header class="entry-header"><h2 class="entry-title">'
                       f'<a href="{url}" rel="bookmark">{t}</a></h2><div class="entry-meta">{day}</div></header>'
                       f'<div class="entry-summary"><p>{esc(r.excerpt(a, 70))} […]</p></div></article>')
        elif fam == "discuz":
            out.append(f'<dl class="bbda cl"><dt class="xs2"><a href="{url}" class="xi2">{t}</a></dt>'
                       f'<dd class="xs2 cl">{esc(r.excerpt(a, 60))}</dd><dd><span class="xg1">{day}</span></dd></dl>')
        elif style == "plain":
            out.append(f'<li><a href="{url}" title="{t}">{t}</a></li>')
        elif style == "dated":
            out.append(f'<li><span class="date">{day}</span><a href="{url}" target="_blank">{t}</a></li>')
        elif style == "excerpt":
            out.append(f'<li><h3><a href="{url}">{t}</a></h3><p>{esc(r.excerpt(a, 70))}</p><span>{day}</span></li>')
        elif style == "thumb":
            out.append(f'<li><a href="{url}" class="preview"><img src="/uploads/thumb/{a.id}.jpg" alt="{t}"/></a>'
                       f'<a href="{url}" class="title">{t}</a><span class="info"><small>日期：</small>{day}'
                       f'<small>点击：</small>{a.id % 900}</span><p class="intro">{esc(r.excerpt(a, 60))}</p></li>')
        else:
            out.append(f'<tr><td class="t"><a href="{url}">{t}</a></td><td class="d">{day}</td></tr>')
    if fam in ("wordpress", "discuz"):
        return "".join(out)
    if style == "table" and fam not in ("wordpress", "discuz"):
        return f'<table width="100%" class="tab">{"".join(out)}</table>'
    return f"<ul>{''.join(out)}</ul>"

def listing(r: Renderer, c: Category, n: int, base: str) -> str:
    p, cfg = r.p, r.cfg
    chunks = p.list_chunks(c)
    items = chunks[n - 1]
    fam = p.family
    pager = blocks.numbered_pager(
        len(chunks), n, lambda k: r.list_url(c, k, base),
        style=fam if fam in ("dede", "phpcms", "empire", "wordpress", "zblog", "discuz") else "hand",
        broken=cfg.broken_pagination and len(chunks) > 1,
        total_items=len(p.by_cat[c.index]))
    title = c.name if n == 1 else f"{c.name}_第{n}页"
    return (r.head(f"{title}_{cfg.site_name}") + r.top(base, c)
            + '<div class="main"><div class="left">' + r.crumbs(c, "列表", base)
            + f'<div {r.attr("list")}><h2>{esc(c.name)}</h2>{list_items(r, items, base)}</div>'
            + pager + "</div>" + r.sidebar(base) + "</div>\n" + r.foot())

def home(r: Renderer, base: str) -> str:
    p = r.p
    boxes = []
    for c in p.categories:
        latest = "".join(f'<li><a href="{esc(r.art_url(a, base))}">{esc(a.title)}</a></li>'
                         for a in p.by_cat[c.index][:5])
        boxes.append(f'<div class="catbox"><h2><a href="{esc(r.list_url(c, 1, base))}">{esc(c.name)}</a>'
                     f'<a class="more" href="{esc(r.list_url(c, 1, base))}">更多&gt;&gt;</a></h2><ul>{latest}</ul></div>')
    cloud = " ".join(f'<a href="{esc(r.href(p.scheme.tag(i, t, r.cfg.charset), base))}">{esc(t)}</a>'
                     for i, t in enumerate(p.tags))
    return (r.head(f"{r.cfg.site_name}_工作总结_工作计划_心得体会") + r.top(base)
            + '<div class="main"><div class="left">' + "".join(boxes) + "</div>"
            + r.sidebar(base) + f'<div class="tagcloud"><h3>热门标签</h3>{cloud}</div></div>\n'
            + '<div class="links">友情链接：<a href="http://www.example.com/">示例网站</a></div>' + r.foot())

def tag_page(r: Renderer, i: int, base: str) -> str:
    p = r.p
    t = p.tags[i]
    tagged = [a for a in p.newest if t in a.tags][:20]
    items = "".join(f'<li><a href="{esc(r.art_url(a, base))}">{esc(a.title)}</a>'
                    f"<span>{a.year}-{a.month:02d}-{a.day:02d}</span></li>" for a in tagged)
    return (r.head(f"{t}_{r.cfg.site_name}") + r.top(base)
            + f'<div class="main"><div class="taglist"><h2>标签：{esc(t)}</h2><ul>{items}</ul></div></div>\n'
            + r.foot())
