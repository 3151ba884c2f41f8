"""The portal's non-article pages: home, tag pages, about, members area, robots.txt, static.

The home page carries the traps: tracking-parameter links to articles also linked
plainly, #comments links, a link to a 301-redirected old URL, a dead link (404),
links into the robots-disallowed members area and off-site friend links.
"""

# Template lines mirror real markup, one HTML line per source line.
# ruff: noqa: E501

from __future__ import annotations

from fanwen_crawler.sample_portal.context import (
    EXAMPLE_URL,
    SITE_NAME,
    Article,
    Ctx,
    esc,
)
from fanwen_crawler.sample_portal.seed import footer, head, header, sidebar

ROBOTS_TXT = """User-agent: *
Disallow: /member/
Disallow: /plus/
Disallow: /search.php
"""
STYLE_CSS = "body{font:14px/1.8 'Microsoft YaHei',sans-serif;margin:0}.w1200{width:1200px;margin:0 auto}\n"
COMMON_JS = "function ad_show(slot){}\nfunction show_ad(slot){}\nfunction addFav(){}\n"
NOT_FOUND_HTML = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>404 Not Found</title>"
                  "</head><body><h1>404 Not Found</h1><p>您访问的页面不存在或已被删除。</p>"
                  "<p><a href=\"/\">返回首页</a></p></body></html>\n")
DEAD_LINK_TITLE = "2021年清明节文明祭扫倡议书"
OLD_LINK_TITLE = "安全生产会议讲话稿（旧版）"


def _link_list(articles: list[Article], query: str = "") -> str:
    return "".join(f'<li><a href="{esc(a.path + query)}">{esc(a.title)}</a><span>{a.date_day[5:]}</span></li>'
                   for a in articles)


def render_home(ctx: Ctx) -> str:
    blocks = []
    for cat in ctx.categories:
        latest = ctx.by_category(cat)[:5]
        blocks.append(f"""<div class="catbox"><h2><a href="{cat.list_path(1)}">{esc(cat.name)}</a><a class="more" href="{cat.list_path(1)}">更多&gt;&gt;</a></h2>
<ul>{_link_list(latest)}</ul></div>""")
    hot = _link_list(ctx.hot[:4], "?from=nav&utm_source=x")
    commented = "".join(f'<li><a href="{a.path}#comments">{esc(a.title)}</a> (2条评论)</li>'
                        for a in ctx.hot[4:6])
    friends = (f'<a href="{ctx.offsite_url}links.html" target="_blank">范文链接网</a> '
               f'<a href="{EXAMPLE_URL}" target="_blank">示例网站</a>')
    return (
        head(f"{SITE_NAME}_讲话稿_工作总结_心得体会_合同范本", "范文,讲话稿,工作总结,心得体会,合同范本",
             f"{SITE_NAME}为您提供各类实用范文。")
        + header(ctx)
        + f"""<div class="main w1200"><div class="left">
<div class="box focus"><h3>热门推荐</h3><ul>{hot}</ul></div>
<a name="gongwen" id="gongwen"></a>
{chr(10).join(blocks)}
<div class="box"><h3>网友热评</h3><ul>{commented}</ul></div>
<div class="box"><h3>往期精选</h3><ul><li><a href="{ctx.redirect_from}">{OLD_LINK_TITLE}</a></li><li><a href="{ctx.missing}">{DEAD_LINK_TITLE}</a></li></ul></div>
<div class="box member"><a href="{ctx.member_paths['submit']}">我要投稿</a> <a href="{ctx.member_paths['register']}">免费注册</a></div>
</div>
{sidebar(ctx)}</div>
<div class="links w1200"><h3>友情链接</h3>{friends}</div>
"""
        + footer()
    )


def render_tag(tag: str, articles: list[Article], ctx: Ctx) -> str:
    return (
        head(f"{tag}_相关范文_{SITE_NAME}", tag, f"与{tag}相关的范文")
        + header(ctx)
        + f"""<div class="main w1200"><div class="left">
<div class="position"><a href="/">{SITE_NAME}</a> &gt; 热词 &gt; {esc(tag)}</div>
<div class="taglist"><h2>相关热词搜索：{esc(tag)}</h2><ul>{_link_list(articles)}</ul></div>
</div>
{sidebar(ctx)}</div>
"""
        + footer()
    )


def render_about(ctx: Ctx) -> str:
    return (
        head(f"关于我们_{SITE_NAME}")
        + header(ctx)
        + f"""<div class="main w1200"><div class="about"><h2>关于我们</h2>
<p>{SITE_NAME}是一个免费的范文分享网站。</p>
<h3 id="contact">联系我们</h3><p>邮箱：service@sample-fanwen.cn</p>
<h3 id="copyright">版权声明</h3><p>本站文章仅供学习参考，转载请注明出处。</p></div></div>
"""
        + footer()
    )


def render_member(title: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"robots\" "
            f"content=\"noindex,nofollow\"><title>{title}_{SITE_NAME}</title></head><body>"
            f"<h1>{title}</h1><form method=\"post\"><input name=\"userid\"><input "
            f"type=\"password\" name=\"pwd\"><button>提交</button></form>"
            f"<p><a href=\"/\">返回首页</a></p></body></html>\n")


def render_offsite() -> str:
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>范文链接网</title></head>"
            "<body><h1>范文链接网</h1><p>这是另一个网站，爬虫不应访问。</p></body></html>\n")
