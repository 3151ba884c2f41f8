"""The PHPCMS v9 default-template family (UTF-8): articles and list pages.

div.crumbs breadcrumb, #Article h1 holding the title AND a <span> with
"2020年12月25日 来源：…", div.content <p> paragraphs, #pages pager, 相关热词搜索 line,
div.related 延伸阅读 list, 上一篇/下一篇, an Article-Tool share row, and a rel=canonical
link with the portal's absolute URL.
"""

# Template lines mirror real markup, one HTML line per source line.
# ruff: noqa: E501

from __future__ import annotations

from fanwen_crawler.sample_portal.context import (
    SITE_NAME,
    Article,
    Category,
    Ctx,
    esc,
    inline,
    summary,
)
from fanwen_crawler.sample_portal.seed import footer as seed_footer


def head(title: str, keywords: str, description: str, canonical: str) -> str:
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<meta http-equiv="X-UA-Compatible" content="IE=7" />
<title>{esc(title)}</title>
<meta name="keywords" content="{esc(keywords)}">
<meta name="description" content="{esc(description)}">
<link rel="canonical" href="{esc(canonical)}" />
<link href="/static/css/phpcms.css" rel="stylesheet" type="text/css" />
<script type="text/javascript" src="/static/js/common.js"></script>
</head>
<body>
"""


def header(ctx: Ctx) -> str:
    nav = "".join(f'<li class="line">|</li><li><a href="{c.list_path(1)}"><span>{esc(c.name)}</span></a></li>'
                  for c in ctx.categories)
    return f"""<div class="body-top"><div class="content"><div class="login lh24 blue"><a href="{ctx.member_paths['login']}">登录</a><span> | </span><a href="{ctx.member_paths['register']}">注册</a></div></div></div>
<div class="header"><div class="logo"><a href="/">{SITE_NAME}</a></div>
<div class="nav-bar"><map><ul class="nav-site cu-span"><li><a href="/"><span>首页</span></a></li>{nav}</ul></map></div></div>
"""


def pager(article: Article, page_no: int) -> str:
    if len(article.page_paths) == 1:
        return ""
    names = [p.rsplit("/", 1)[1] for p in article.page_paths]
    prev = names[page_no - 2] if page_no > 1 else names[0]
    nxt = names[page_no] if page_no < len(names) else names[-1]
    parts = [f'<a class="a1" href="{prev}">上一页</a>']
    for n, name in enumerate(names, 1):
        parts.append(f"<span>{n}</span>" if n == page_no else f'<a href="{name}">{n}</a>')
    parts.append(f'<a class="a1" href="{nxt}">下一页</a>')
    return f'<div id="pages" class="text-c">{" ".join(parts)}</div>\n'


def render_article(article: Article, page_no: int, ctx: Ctx) -> str:
    cat = article.category
    paras = article.spec.pages[page_no - 1]
    out = []
    for i, raw in enumerate(paras):
        out.append(f'<p style="text-indent:2em">{inline(raw)}</p>')
        if i == 1:
            out.append('<div class="ad"><script type="text/javascript">show_ad("content_mid");</script></div>')
    related = "".join(
        f'<li>·<a href="{r.path}" target="_blank">{esc(r.title)}</a><span>({r.date_day})</span></li>'
        for r in article.related
    )
    tags = " ".join(f'<a href="{ctx.tag_paths[t]}" class="blue">{esc(t)}</a>' for t in article.spec.tags)
    prev = (f'<a href="{article.prev.path}">{esc(article.prev.title)}</a>' if article.prev
            else "已经是第一篇")
    nxt = (f'<a href="{article.next.path}">{esc(article.next.title)}</a>' if article.next
           else "已经是最后一篇")
    digg = "".join(f'<li><a href="{a.path}?from=digg" target="_blank">{esc(a.title)}</a></li>'
                   for a in ctx.hot)
    comments = "".join(f'<li><strong>{esc(u)}</strong>：{esc(c)}</li>' for u, c in article.comments())
    page_path = article.page_paths[page_no - 1]
    return (
        head(f"{article.title} - {cat.name} - {SITE_NAME}", ",".join(article.spec.tags),
             summary(article), ctx.absolute(page_path))
        + header(ctx)
        + f"""<div class="main">
<div class="col-left">
<div class="crumbs"><a href="/">首页</a><span> &gt; </span><a href="{cat.list_path(1)}">{esc(cat.name)}</a> &gt;  正文</div>
<div id="Article">
<h1>{esc(article.title)}<br />
<span>{article.published_raw} 来源：{esc(article.spec.source)} &nbsp;&nbsp;&nbsp;评论：<a href="#comment_iframe" id="comment">2</a> 点击：<span id="hits">{article.hits}</span></span></h1>
<div class="content">
{chr(10).join(out)}
</div>
{pager(article, page_no)}<p style="margin-bottom:10px"><strong>相关热词搜索：</strong>{tags}</p>
<p class="f14"><strong>上一篇：</strong>{prev}<br /><strong>下一篇：</strong>{nxt}</p>
<div class="Article-Tool">分享到：<a href="javascript:;" class="qzone">QQ空间</a> <a href="javascript:;" class="tsina">新浪微博</a> <a href="javascript:;" onclick="window.print();">打印本文</a> <a href="javascript:window.close();">关闭窗口</a></div>
<div class="related"><h5 class="blue">延伸阅读：</h5><ul class="list blue lh24 f14">{related}</ul></div>
<div class="bk15"></div>
<div id="comment_iframe"><h5>网友评论</h5><ul>{comments}</ul></div>
</div>
</div>
<div class="col-auto"><div class="box"><h5 class="title-2">频道总排行</h5><ul class="content digg">{digg}</ul></div></div>
</div>
"""
        + seed_footer()
    )


def render_list(cat: Category, page_no: int, items: list[Article], pages: int, ctx: Ctx) -> str:
    lis = "\n".join(
        f'<li><span class="rt">{a.date_day}</span>·<a href="{a.path}" target="_blank">{esc(a.title)}</a></li>'
        for a in items
    )
    count = len(ctx.by_category(cat))
    prev = cat.list_path(max(page_no - 1, 1))
    nxt = cat.list_path(min(page_no + 1, pages))
    parts = [f'<a class="a1">{count}条</a>', f'<a href="{prev}" class="a1">上一页</a>']
    for n in range(1, pages + 1):
        parts.append(f"<span>{n}</span>" if n == page_no else f'<a href="{cat.list_path(n)}">{n}</a>')
    parts.append(f'<a href="{nxt}" class="a1">下一页</a>')
    return (
        head(f"{cat.name} - {SITE_NAME}", cat.name, f"{cat.name}频道", ctx.absolute(cat.list_path(page_no)))
        + header(ctx)
        + f"""<div class="main">
<div class="crumbs"><a href="/">首页</a><span> &gt; </span><a href="{cat.list_path(1)}">{esc(cat.name)}</a> &gt; 列表</div>
<div class="col-left"><div class="box"><h5 class="title-2">{esc(cat.name)}</h5>
<ul class="list lh24 f14">
{lis}
</ul>
<div id="pages" class="text-c">{" ".join(parts)}</div>
</div></div>
</div>
"""
        + seed_footer()
    )
