"""The custom 范文 template modelled on the seed page (UTF-8): articles and list pages.

Chrome an extractor must see through: nav menu, breadcrumb 站名 > 栏目 > 子栏目 > 标题,
the 时间/来源/本文已影响 line, the editorial lead-in, the title repeated as the first
body line, ads and scripts inside the body, 相关热词搜索, share row, 推荐访问 list,
comments, a hot-articles sidebar with tracking parameters, copyright + ICP footer.
"""

# Template lines mirror real markup, one HTML line per source line.
# ruff: noqa: E501

from __future__ import annotations

from fanwen_crawler.sample_portal.context import (
    BEIAN_URL,
    DOMAIN,
    ICP,
    SITE_NAME,
    Article,
    Category,
    Ctx,
    esc,
    inline,
    summary,
)

LEAD_IN = "下面是小编为大家整理的{title}，供大家参考。"


def head(title: str, keywords: str = "", description: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<meta name="keywords" content="{esc(keywords)}">
<meta name="description" content="{esc(description)}">
<link rel="stylesheet" href="/static/css/style.css">
<script src="/static/js/common.js"></script>
</head>
<body>
"""


def header(ctx: Ctx, current: str = "") -> str:
    items = ['<li><a href="/">网站首页</a></li>']
    for cat in ctx.categories:
        cls = ' class="on"' if cat.slug == current else ""
        items.append(f'<li{cls}><a href="{cat.list_path(1)}">{esc(cat.name)}</a></li>')
    return f"""<div class="topbar"><div class="w1200"><span>欢迎来到{SITE_NAME}！</span>
<span class="login"><a href="{ctx.member_paths['login']}">登录</a> | <a href="{ctx.member_paths['register']}">注册</a></span></div></div>
<div class="header w1200"><div class="logo"><a href="/">{SITE_NAME}</a></div>
<form class="search" action="/search.php" method="get"><input type="text" name="q" placeholder="输入关键词"><button type="submit">搜索</button></form></div>
<div class="nav"><ul class="w1200">{"".join(items)}</ul></div>
"""


def sidebar(ctx: Ctx) -> str:
    hot = "".join(
        f'<li><a href="{a.path}?from=hot">{esc(a.title)}</a></li>' for a in ctx.hot
    )
    return f"""<div class="right">
<div class="box hot"><h3>热门范文</h3><ul>{hot}</ul></div>
<div class="box ad"><iframe src="about:blank" width="300" height="250" frameborder="0" scrolling="no"></iframe></div>
</div>
"""


def footer() -> str:
    return f"""<div class="footer"><div class="w1200">
<p><a href="/about.html">关于我们</a> | <a href="/about.html#contact">联系我们</a> | <a href="/about.html#copyright">版权声明</a></p>
<p>本站部分内容来自网络，如有侵权请联系删除。Copyright &copy; 2012-2023 {SITE_NAME} {DOMAIN} 版权所有</p>
<p><a href="{BEIAN_URL}" rel="nofollow" target="_blank">{ICP}</a></p>
</div></div>
<script>var _hmt = _hmt || [];</script>
</body>
</html>
"""


def crumbs(cat: Category, last: str) -> str:
    return (f'<div class="position"><a href="/">{SITE_NAME}</a> &gt; '
            f'<a href="/#gongwen">{esc(cat.parent)}</a> &gt; '
            f'<a href="{cat.list_path(1)}">{esc(cat.name)}</a> &gt; {esc(last)}</div>')


def pager(article: Article, page_no: int) -> str:
    if len(article.page_paths) == 1:
        return ""
    paths = article.page_paths
    prev = paths[page_no - 2] if page_no > 1 else "#"
    nxt = paths[page_no] if page_no < len(paths) else "#"
    items = [f'<li><a href="{prev}">上一页</a></li>']
    for n, path in enumerate(paths, 1):
        if n == page_no:
            items.append(f'<li class="thisclass"><a href="#">{n}</a></li>')
        else:
            items.append(f'<li><a href="{path}">{n}</a></li>')
    items.append(f'<li><a href="{nxt}">下一页</a></li>')
    return f'<div class="pagebreak"><ul>{"".join(items)}</ul></div>\n'


def body_html(article: Article, page_no: int) -> str:
    paras = article.spec.pages[page_no - 1]
    out = []
    if page_no == 1:
        out.append(f"<p>{esc(LEAD_IN.format(title=article.title))}</p>")
        out.append(f"<p>{esc(article.title)}</p>")
    for i, raw in enumerate(paras):
        out.append(f"<p>{inline(raw)}</p>")
        if i == 2:
            out.append('<div class="ad"><script>ad_show("art_mid");</script></div>')
    out.append('<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-0000000000000000"'
               ' data-ad-slot="1234567890"></ins><script>(adsbygoogle = window.adsbygoogle || []).push({});</script>')
    return "\n".join(out)


def render_article(article: Article, page_no: int, ctx: Ctx) -> str:
    cat = article.category
    suffix = f"({page_no})" if page_no > 1 else ""
    tags = " ".join(f'<a href="{ctx.tag_paths[t]}">{esc(t)}</a>' for t in article.spec.tags)
    related = "".join(f'<li><a href="{r.path}">{esc(r.title)}</a></li>' for r in article.related)
    prev = (f'<a href="{article.prev.path}">{esc(article.prev.title)}</a>'
            if article.prev else "没有了")
    nxt = (f'<a href="{article.next.path}">{esc(article.next.title)}</a>'
           if article.next else "没有了")
    comments = "".join(
        f'<li><span class="user">{esc(u)}</span><p>{esc(c)}</p></li>' for u, c in article.comments()
    )
    return (
        head(f"{article.title}{suffix}_{SITE_NAME}", ",".join(article.spec.tags), summary(article))
        + header(ctx, cat.slug)
        + f"""<div class="main w1200"><div class="left">
{crumbs(cat, article.title)}
<div class="article">
<h1 class="title">{esc(article.title)}</h1>
<div class="info">时间:{article.published_raw}来源:{esc(article.spec.source)}本文已影响<span id="hits"><script>document.write("{article.hits}")</script></span>人</div>
<div class="ad ad-top"><script>ad_show("art_top");</script></div>
<div class="content" id="article-content">
{body_html(article, page_no)}
</div>
{pager(article, page_no)}<div class="tags">相关热词搜索：{tags}</div>
<div class="share">打印本文 <a href="javascript:window.print();">打印</a> <a href="javascript:;" onclick="addFav()">收藏</a> 分享到：<a href="javascript:;" class="bds_weixin">微信</a> <a href="javascript:;" class="bds_qzone">QQ空间</a> <a href="javascript:;" class="bds_tsina">微博</a></div>
<div class="prenext"><p>上一篇：{prev}</p><p>下一篇：{nxt}</p></div>
</div>
<div class="recommend"><h3>推荐访问</h3><ul>{related}</ul></div>
<div class="comment" id="comments"><h3>网友评论</h3><ul>{comments}</ul>
<p class="more"><a href="{ctx.member_paths['login']}">登录</a>后发表评论</p></div>
</div>
{sidebar(ctx)}</div>
"""
        + footer()
    )


def render_list(cat: Category, page_no: int, items: list[Article], pages: int, ctx: Ctx) -> str:
    lis = "\n".join(
        f'<li><h3><a href="{a.path}" title="{esc(a.title)}" target="_blank">{esc(a.title)}</a></h3>'
        f'<p>{esc(summary(a))}</p><span class="date">{a.date_day}</span></li>'
        for a in items
    )
    nav = [f'<li><a href="{cat.list_path(1)}">首页</a></li>']
    if page_no > 1:
        nav.append(f'<li><a href="{cat.list_path(page_no - 1)}">上一页</a></li>')
    for n in range(1, pages + 1):
        nav.append(f'<li class="thisclass">{n}</li>' if n == page_no
                   else f'<li><a href="{cat.list_path(n)}">{n}</a></li>')
    if page_no < pages:
        nav.append(f'<li><a href="{cat.list_path(page_no + 1)}">下一页</a></li>')
    nav.append(f'<li><a href="{cat.list_path(pages)}">尾页</a></li>')
    title = cat.name if page_no == 1 else f"{cat.name}_第{page_no}页"
    return (
        head(f"{title}_{SITE_NAME}", cat.name, f"{SITE_NAME}{cat.name}栏目")
        + header(ctx, cat.slug)
        + f"""<div class="main w1200"><div class="left">
<div class="position"><a href="/">{SITE_NAME}</a> &gt; <a href="/#gongwen">{esc(cat.parent)}</a> &gt; {esc(cat.name)}</div>
<div class="catlist"><h2>{esc(cat.name)}</h2><ul>
{lis}
</ul></div>
<div class="pages"><ul>{"".join(nav)}</ul></div>
</div>
{sidebar(ctx)}</div>
"""
        + footer()
    )
