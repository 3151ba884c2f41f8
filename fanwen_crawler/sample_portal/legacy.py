"""An old table-layout article template: one div of `&nbsp;` indented lines split by <br />.

No <p> at all: paragraphs are the lines between <br /> tags inside div#text, each
indented with four `&nbsp;`, an ad script in the middle. Breadcrumb 您现在的位置,
info line 发布时间/作者/来源/阅读, 【打印本文】【关闭窗口】, 相关文章 list.
"""

# Template lines mirror real markup, one HTML line per source line.
# ruff: noqa: E501

from __future__ import annotations

from fanwen_crawler.sample_portal.context import (
    ICP,
    SITE_NAME,
    Article,
    Ctx,
    esc,
    inline,
)

INDENT = "&nbsp;&nbsp;&nbsp;&nbsp;"


def render_article(article: Article, page_no: int, ctx: Ctx) -> str:
    cat = article.category
    lines = []
    for i, raw in enumerate(article.spec.pages[page_no - 1]):
        lines.append(f"{INDENT}{inline(raw)}<br />")
        if i == 3:
            lines.append('<script type="text/javascript">ad_show("legacy_mid");</script><br />')
    nav = " | ".join(f'<a href="{c.list_path(1)}">{esc(c.name)}</a>' for c in ctx.categories)
    related = "".join(f'<li><a href="{r.path}" target="_blank">{esc(r.title)}</a></li>'
                      for r in article.related)
    prev = (f'<a href="{article.prev.path}">{esc(article.prev.title)}</a>' if article.prev
            else "没有了")
    nxt = (f'<a href="{article.next.path}">{esc(article.next.title)}</a>' if article.next
           else "没有了")
    return f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{esc(article.title)}--{SITE_NAME}</title>
<link href="/static/css/style.css" rel="stylesheet" type="text/css">
</head>
<body topmargin="0" leftmargin="0">
<table width="960" border="0" align="center" cellpadding="0" cellspacing="0" class="top">
<tr><td><a href="/">{SITE_NAME}</a></td><td align="right"><a href="/">首页</a> | {nav}</td></tr>
</table>
<table width="960" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td class="local">您现在的位置：<a href="/">首页</a> &gt;&gt; <a href="{cat.list_path(1)}">{esc(cat.name)}</a> &gt;&gt; 正文</td></tr>
</table>
<table width="960" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td valign="top" class="artbox">
<div class="arttitle"><h2>{esc(article.title)}</h2></div>
<div class="artinfo">发布时间：{article.published_raw}&nbsp;&nbsp;作者：{esc(article.spec.author or "")}&nbsp;&nbsp;来源：{esc(article.spec.source)}&nbsp;&nbsp;阅读：<span>{article.hits}</span>次</div>
<div id="text" class="artbody">
{chr(10).join(lines)}
</div>
<div class="prenext">上一篇：{prev}<br />下一篇：{nxt}</div>
<div class="share"><a href="javascript:window.print()">【打印本文】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="xiangguan"><b>相关文章：</b><ul>{related}</ul></div>
</td></tr>
</table>
<div class="copyright" align="center">Copyright &copy; {SITE_NAME} All Rights Reserved <a href="https://beian.miit.gov.cn/" target="_blank">{ICP}</a></div>
</body>
</html>
"""
