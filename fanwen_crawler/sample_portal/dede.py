"""The DedeCMS (织梦) default-template family, served as GBK-encoded bytes.

The charset is declared only in `<meta http-equiv="Content-Type" ... charset=gb2312>`;
the bytes are GB18030 (some names use characters outside GBK, as real pages do).
Real Dede class names: div.place (当前位置), div.viewbox, div.info with <small> labels,
div.intro summary, div.content > table, div.dede_pages pager with relative hrefs,
div.boxoff, div.handle with 上一篇/下一篇, actbox, likearticle list.
"""

# Template lines mirror real markup, one HTML line per source line.
# ruff: noqa: E501

from __future__ import annotations

from fanwen_crawler.sample_portal.context import (
    ICP,
    SITE_NAME,
    Article,
    Category,
    Ctx,
    esc,
    inline,
    summary,
)


def head(title: str, keywords: str, description: str) -> str:
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{esc(title)}</title>
<meta name="keywords" content="{esc(keywords)}" />
<meta name="description" content="{esc(description)}" />
<link href="/static/css/dedecms.css" rel="stylesheet" media="screen" type="text/css" />
<script language="javascript" type="text/javascript" src="/static/js/common.js"></script>
</head>
<body class="articleview">
"""


def header(ctx: Ctx) -> str:
    nav = "".join(f"<li><a href='{c.list_path(1)}'><span>{esc(c.name)}</span></a></li>"
                  for c in ctx.categories)
    return f"""<div class="header_top"><div class="w960 center"><span id="time" class="time">织梦内容管理系统</span>
<div class="toplinks"><a href="{ctx.member_paths['submit']}" target="_blank">投稿</a>|<a href="{ctx.member_paths['login']}">会员中心</a></div></div></div>
<div class="header"><div class="top w960 center"><div class="title"><h1><a href="/">{SITE_NAME}</a></h1></div></div>
<div class="module blue mT10 wrapper w963"><div id="navMenu"><ul><li><a href='/'><span>主页</span></a></li>{nav}</ul></div></div></div>
"""


def footer() -> str:
    return f"""<div class="footer w960 center mt1 clear">
<div class="footer_left"></div>
<div class="footer_body"><p class="powered">Powered by <strong>DedeCMS</strong> &copy; 2004-2023 {SITE_NAME} 版权所有<br /><a href="https://beian.miit.gov.cn/" rel="nofollow">{ICP}</a></p></div>
<div class="footer_right"></div>
</div>
</body>
</html>
"""


def place(cat: Category) -> str:
    return (f"<div class=\"place\"><strong>当前位置:</strong> <a href='/'>主页</a> &gt; "
            f"<a href='{cat.list_path(1)}'>{esc(cat.name)}</a> &gt; </div>")


def pager(article: Article, page_no: int) -> str:
    if len(article.page_paths) == 1:
        return ""
    names = [p.rsplit("/", 1)[1] for p in article.page_paths]
    total = len(names)
    items = [f"<li><a>共{total}页: </a></li>"]
    items.append(f"<li><a href='{names[page_no - 2]}'>上一页</a></li>" if page_no > 1
                 else "<li><a href='#'>上一页</a></li>")
    for n, name in enumerate(names, 1):
        items.append(f"<li class=\"thisclass\"><a href='#'>{n}</a></li>" if n == page_no
                     else f"<li><a href='{name}'>{n}</a></li>")
    items.append(f"<li><a href='{names[page_no]}'>下一页</a></li>" if page_no < total
                 else "<li><a href='#'>下一页</a></li>")
    return f'<div class="dede_pages"><ul class="pagelist">{"".join(items)}</ul></div>\n'


def render_article(article: Article, page_no: int, ctx: Ctx) -> str:
    cat = article.category
    paras = article.spec.pages[page_no - 1]
    body = "\n".join(f"<p>\u3000\u3000{inline(p)}</p>" for p in paras)
    prev = (f"<a href='{article.prev.path}'>{esc(article.prev.title)}</a>" if article.prev
            else "没有了")
    nxt = (f"<a href='{article.next.path}'>{esc(article.next.title)}</a>" if article.next
           else "没有了")
    likes = "".join(f"<li><a href=\"{r.path}\">{esc(r.title)}</a><span>{r.date_day}</span></li>"
                    for r in article.related)
    tags = " ".join(f"<a href='{ctx.tag_paths[t]}'>{esc(t)}</a>" for t in article.spec.tags)
    hot = "".join(f'<li><a href="{a.path}?from=dede_hot">{esc(a.title)}</a></li>'
                  for a in ctx.hot[:5])
    comments = "".join(f"<dl><dt>{esc(u)} [{article.date_day}]</dt><dd>{esc(c)}</dd></dl>"
                       for u, c in article.comments())
    title = article.title if page_no == 1 else f"{article.title}({page_no})"
    return (
        head(f"{title}_{cat.name}_{SITE_NAME}", ",".join(article.spec.tags), summary(article, 80))
        + header(ctx)
        + f"""<div class="w960 center clear mt1">
<div class="pleft">
{place(cat)}
<div class="viewbox">
<div class="title"><h2>{esc(article.title)}</h2></div>
<div class="info"><small>时间:</small>{article.published_raw}<small>来源:</small>{esc(article.spec.source)} <small>作者:</small>{esc(article.spec.author or "")} <small>点击:</small><script type="text/javascript">document.write('{article.hits}');</script>次</div>
<div class="intro">{esc(summary(article, 80))}</div>
<div class="content">
<table width='100%'>
<tr><td>
<div id="contentMidPicAD" style="float:right; clear:both; top:0; vertical-align:top;"><script type="text/javascript">ad_show("dede_mid");</script></div>
{body}
</td></tr>
</table>
</div>
{pager(article, page_no)}<div class="tags">TAG标签: {tags}</div>
<div class="boxoff"><strong>------分隔线----------------------------</strong></div>
<div class="handle">
<div class="context"><ul><li>上一篇：{prev} </li><li>下一篇：{nxt} </li></ul></div>
<div class="actbox"><ul><li id="act-fav"><a href="javascript:;">收藏</a></li><li id="act-err"><a href="javascript:;">挑错</a></li><li id="act-pus"><a href="javascript:;">推荐</a></li><li id="act-pnt"><a href="javascript:;" onclick="window.print();">打印</a></li></ul></div>
</div>
</div>
<div class="likelist"><dl class="tbox"><dt><strong>相关文章</strong></dt><dd><ul class="d1 ico3">{likes}</ul></dd></dl></div>
<div class="commentbox" id="comments"><h3>最新评论</h3>{comments}<p><a href="{ctx.member_paths['login']}">登录</a>后才能发表评论</p></div>
</div>
<div class="pright"><div class="hot mt1"><dl class="tbox light"><dt class='light'><strong>热点内容</strong></dt><dd class='light'><ul class="c1 ico2">{hot}</ul></dd></dl></div></div>
</div>
"""
        + footer()
    )


def render_list(cat: Category, page_no: int, items: list[Article], pages: int, ctx: Ctx) -> str:
    lis = "\n".join(
        f"<li><a href='{a.path}' class='title'>{esc(a.title)}</a>"
        f"<span class='info'><small>日期：</small>{a.date_day} <small>点击：</small>{a.hits} "
        f"<small>好评：</small>0</span><p class='intro'>{esc(summary(a))}</p></li>"
        for a in items
    )
    nav = [f"<li><a href='{cat.list_path(1)}'>首页</a></li>"]
    if page_no > 1:
        nav.append(f"<li><a href='{cat.list_path(page_no - 1)}'>上一页</a></li>")
    for n in range(1, pages + 1):
        nav.append(f'<li class="thisclass">{n}</li>' if n == page_no
                   else f"<li><a href='{cat.list_path(n)}'>{n}</a></li>")
    if page_no < pages:
        nav.append(f"<li><a href='{cat.list_path(page_no + 1)}'>下一页</a></li>")
    nav.append(f"<li><a href='{cat.list_path(pages)}'>末页</a></li>")
    count = len(ctx.by_category(cat))
    nav.append(f'<li><span class="pageinfo">共 <strong>{pages}</strong>页<strong>{count}</strong>条</span></li>')
    return (
        head(f"{cat.name}_{SITE_NAME}", cat.name, f"{cat.name}栏目")
        + header(ctx)
        + f"""<div class="w960 center clear mt1">
<div class="pleft">
{place(cat)}
<div class="listbox"><ul class="e2">
{lis}
</ul></div>
<div class="dede_pages"><ul class="pagelist">{"".join(nav)}</ul></div>
</div>
</div>
"""
        + footer()
    )
