"""Render the pages of a generated portal in its CMS family's markup, randomised.

Families: DedeCMS (viewbox / info / content table / dede_pages), PHPCMS v9 (#Article h1
with the date span, .content, #pages), EmpireCMS (title_info table, td#text with the
pageLink pager inside it), WordPress (article.post / .entry-content / .page-links /
comment-list), Z-Blog (.post-title / .post-body / .pagebar), Discuz! portal (h1.ph,
p.xg1, td#article_content, .pg) and hand-made table/div sites. On top of the family's
skeleton the portal's config decides class names, body markup, which blocks sit inside
the article container, and the list item style.
"""

# Template lines mirror real markup.
# ruff: noqa: E501

from __future__ import annotations

import html
import random
from typing import TYPE_CHECKING

from portalgen import articles, blocks, lists
from portalgen.model import ArticleSpec, Category

if TYPE_CHECKING:
    from portalgen.portal import Portal, Route

esc = html.escape
NOT_FOUND = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>404 Not Found</title>"
             "</head><body><h1>404 Not Found</h1><p>您访问的页面不存在或已被删除。</p></body></html>"
             ).encode()
CANONICAL = {  # family → slot → the family's own class name
    "dede": {"content": "content", "article": "viewbox", "title": "title", "info": "info",
             "list": "listbox", "crumbs": "place", "side": "pright", "nav": "nav"},
    "phpcms": {"content": "content", "article": "Article", "title": "title", "info": "info",
               "list": "list lh24 f14", "crumbs": "crumbs", "side": "col-auto", "nav": "nav-bar"},
    "empire": {"content": "text", "article": "box", "title": "title_info", "info": "info_text",
               "list": "news_list", "crumbs": "position", "side": "sider", "nav": "nav"},
    "wordpress": {"content": "entry-content", "article": "post", "title": "entry-title",
                  "info": "entry-meta", "list": "site-main", "crumbs": "breadcrumbs",
                  "side": "widget-area", "nav": "main-navigation"},
    "zblog": {"content": "post-body", "article": "post single", "title": "post-title",
              "info": "post-date", "list": "divMain", "crumbs": "crumbs", "side": "divSidebar",
              "nav": "divNavBar"},
    "discuz": {"content": "article_content", "article": "bm vw", "title": "ph", "info": "xg1",
               "list": "bm_c xld", "crumbs": "z", "side": "sd", "nav": "nv"},
    "hand": {"content": "artbody", "article": "artbox", "title": "arttitle", "info": "artinfo",
             "list": "listbox", "crumbs": "local", "side": "right", "nav": "top"},
}


class Renderer:
    """Renders any route of one portal to HTML text."""

    def __init__(self, portal: Portal) -> None:
        self.p = portal
        self.cfg = cfg = portal.config
        rng = random.Random(f"portalgen-render-{cfg.seed}")
        self.related_heading = rng.choice(blocks.RELATED_HEADINGS)
        self.tag_label = rng.choice(blocks.TAG_LABELS)
        self.prev_labels = rng.choice(blocks.PREV_LABELS)
        self.none_text = rng.choice(blocks.NONE_TEXTS)
        self.comment_heading = rng.choice(blocks.COMMENT_HEADINGS)
        self.share_variant = rng.randrange(len(blocks.SHARE_ROWS))
        self.editor = rng.choice(["小雅", "admin", "佚名", "周编辑", "xiaobian"])
        self.excerpts = rng.random() < 0.7
        self.related_count = rng.randint(3, 6)
        self.ad_in_body = rng.random() < 0.5
        self.hot_count = rng.randint(4, 8)
        self.charset_meta = rng.choice(["http-equiv", "charset"])
        self._side: tuple[str, str] | None = None

    # -- helpers ---------------------------------------------------------------------------

    def name(self, slot: str) -> str:
        """The slot's class name: the family's own unless the config renamed it."""
        chosen = self.cfg.names.get(slot, slot)
        default = CANONICAL[self.p.family].get(slot, slot)
        return default if chosen == self._first(slot) else chosen

    @staticmethod
    def _first(slot: str) -> str:
        from portalgen.config import SLOT_ALTERNATIVES

        return SLOT_ALTERNATIVES[slot][0]

    def attr(self, slot: str) -> str:
        n = self.name(slot)
        return f'id="{n}"' if self.cfg.use_id.get(slot) and " " not in n else f'class="{n}"'

    def href(self, target: str, base: str) -> str:
        return base + target if self.cfg.absolute_links else target

    def a(self, target: str, text: str, base: str, extra: str = "") -> str:
        return f'<a href="{esc(self.href(target, base))}"{extra}>{esc(text)}</a>'

    def art_url(self, a: ArticleSpec, base: str, n: int = 1) -> str:
        return self.href(self.p.scheme.article(a, n), base)

    def list_url(self, c: Category, n: int, base: str) -> str:
        return self.href(self.p.scheme.listing(c, n), base)

    def excerpt(self, a: ArticleSpec, length: int = 50) -> str:
        first = "".join(self.p.page_paragraphs(a.id)[0])
        return first[:length] + "…"

    # -- page skeleton ---------------------------------------------------------------------

    def head(self, title: str) -> str:
        cs = self.cfg.charset
        meta = (f'<meta charset="{cs}">' if self.charset_meta == "charset" else
                f'<meta http-equiv="Content-Type" content="text/html; charset={cs}" />')
        return (f"<!DOCTYPE html>\n<html>\n<head>\n{meta}\n<title>{esc(title)}</title>\n"
                f'<meta name="keywords" content="{esc(self.cfg.site_name)}">\n'
                '<link rel="stylesheet" href="/static/css/style.css">\n</head>\n<body>\n')

    def top(self, base: str, current: Category | None = None) -> str:
        cfg, p = self.cfg, self.p
        items = [f"<li>{self.a('/', '首页', base)}</li>"]
        for c in p.categories:
            on = ' class="on"' if c is current else ""
            items.append(f'<li{on}><a href="{esc(self.list_url(c, 1, base))}">{esc(c.name)}</a></li>')
        return (f'<div class="topbar">欢迎来到{esc(cfg.site_name)}！ '
                f'<a href="{esc(self.href(p.scheme.member, base))}" rel="nofollow">登录</a> | '
                f'<a href="{esc(self.href(p.scheme.member, base))}">注册</a></div>\n'
                f'<div class="header"><div class="logo"><a href="/">{esc(cfg.site_name)}</a></div>'
                '<form class="search" action="/search.php" method="get"><input type="text" name="q">'
                '<button type="submit">搜索</button></form></div>\n'
                f'<div {self.attr("nav")}><ul>{"".join(items)}</ul></div>\n')

    def crumbs(self, cat: Category, last: str, base: str) -> str:
        """The breadcrumb (it names the category) in the family's style."""
        fam, at = self.p.family, self.attr("crumbs")
        home, cat_a = self.a("/", "首页", base), f'<a href="{esc(self.list_url(cat, 1, base))}">{esc(cat.name)}</a>'
        if fam == "dede":
            inner = f"<strong>当前位置:</strong> {self.a('/', '主页', base)} &gt; {cat_a} &gt; "
        elif fam == "phpcms":
            inner = f"{home}<span> &gt; </span>{cat_a} &gt;  {esc(last)}"
        elif fam == "discuz":
            site = self.a("/", self.cfg.site_name, base, ' class="nvhm"')
            inner = (f'<div class="z">{site} <em>&rsaquo;</em> '
                     f'{self.a("/", "门户", base)} <em>&rsaquo;</em> {cat_a} <em>&rsaquo;</em> '
                     f"{'查看内容' if last == '正文' else esc(last)}</div>")
        elif fam == "wordpress":
            inner = f'<span>{home}</span> » <span>{cat_a}</span> » <span class="breadcrumb_last">{esc(last)}</span>'
        elif fam == "empire":
            inner = f"您当前的位置：{home}&nbsp;&gt;&nbsp;{cat_a}"
        elif fam == "hand":
            inner = f"您现在的位置：{home} &gt;&gt; {cat_a} &gt;&gt; {esc(last)}"
        else:
            inner = f"当前位置：{home} &gt; {cat_a} &gt; {esc(last)}"
        return f"<div {at}>{inner}</div>\n"

    def sidebar(self, base: str) -> str:
        p = self.p
        if self._side is not None and self._side[0] == base:
            return self._side[1]
        hot = p.articles[:: max(1, len(p.articles) // self.hot_count)][: self.hot_count]
        q = "?from=hot" if self.cfg.sidebar_hot_tracking and "?" not in p.scheme.article(hot[0], 1) else ""
        hot_items = "".join(
            f'<li><a href="{esc(self.art_url(a, base) + q)}">{esc(a.title)}</a></li>' for a in hot)
        latest = p.newest[:6]
        latest_items = "".join(
            f'<li><a href="{esc(self.art_url(a, base))}">{esc(a.title)}</a>'
            f"<span>{a.month:02d}-{a.day:02d}</span></li>" for a in latest)
        html_ = (f'<div {self.attr("side")}><div class="box"><h3>热门文章</h3><ul>{hot_items}</ul></div>'
                 f'<div class="box"><h3>最新更新</h3><ul>{latest_items}</ul></div></div>\n')
        self._side = (base, html_)
        return html_

    def foot(self) -> str:
        return blocks.footer(self.cfg.site_name, self.p.icp) + "\n</body>\n</html>\n"

    # -- dispatch --------------------------------------------------------------------------

    def page(self, route: Route, base: str) -> str:
        kind = route.kind
        if kind == "article":
            aid, n = route.arg  # type: ignore[misc]
            return self.article(self.p.by_id[aid], n, base)
        if kind == "list":
            cidx, n = route.arg  # type: ignore[misc]
            return lists.listing(self, self.p.categories[cidx], n, base)
        if kind == "tag":
            return lists.tag_page(self, int(route.arg), base)  # type: ignore[call-overload]
        if kind == "home":
            return lists.home(self, base)
        if kind == "printed":
            a = self.p.by_id[int(route.arg)]  # type: ignore[call-overload]
            body = "".join(f"<p>{esc(t)}</p>" for pg in self.p.page_paragraphs(a.id) for t in pg)
            return self.head(a.title) + f"<h1>{esc(a.title)}</h1>{body}</body></html>"
        if kind == "member":
            return self.head("会员登录") + '<form method="post"><input name="userid"><input type="password" name="pwd"></form></body></html>'
        return (self.head(f"关于我们_{self.cfg.site_name}") + self.top(base)
                + "<div class=\"about\"><h1>关于我们</h1><p>本站致力于收集整理各类实用范文。</p></div>"
                + self.foot())

    # -- article ---------------------------------------------------------------------------

    def body_html(self, paras: tuple[str, ...]) -> str:
        style, out = self.cfg.body_style, []
        for i, t in enumerate(paras):
            t = esc(t)
            out.append({"p": f"<p>{t}</p>", "p-indent": f"<p>\u3000\u3000{t}</p>",
                        "br": f"&nbsp;&nbsp;&nbsp;&nbsp;{t}<br /><br />", "div": f"<div>{t}</div>",
                        "p-span": f'<p><span style="font-size:16px;">{t}</span></p>'}[style])
            if self.ad_in_body and i == 1 and len(paras) > 3:
                out.append('<script type="text/javascript">ad_show("art_mid");</script>')
        return "\n".join(out)

    def extras(self, a: ArticleSpec, base: str) -> dict[str, str]:
        """The movable blocks of an article page, by name."""
        p, cfg = self.p, self.cfg
        siblings = p.by_cat[a.category.index]
        i = p.position[a.id]
        older = siblings[i + 1] if i + 1 < len(siblings) else None
        newer = siblings[i - 1] if i > 0 else None
        rel = [s for s in siblings[i + 1:i + 2 + self.related_count] if s is not a]
        rel = (rel + [s for s in siblings[:i][-self.related_count:]])[: self.related_count]
        abs_url = base + p.scheme.article(a, 1)
        trailers = "".join(
            blocks.trailer(k, abs_url=abs_url, site_name=cfg.site_name, editor=self.editor,
                           cat_name=a.category.name, download=p.scheme.printed(a),
                           as_p=(a.id + j) % 2 == 0)
            for j, k in enumerate(cfg.trailers))
        tags = [(t, self.href(p.scheme.tag(p.tags.index(t), t, cfg.charset), base)) for t in a.tags]
        return {
            "trailers": trailers,
            "share": blocks.share_row(self.share_variant),
            "tags": blocks.tag_row(self.tag_label, tags),
            "prevnext": blocks.prev_next(
                self.prev_labels,
                (self.art_url(older, base), older.title) if older else None,
                (self.art_url(newer, base), newer.title) if newer else None, self.none_text),
            "related": blocks.related_list(
                self.related_heading, self.name("related"),
                [(self.art_url(r, base), r.title, self.excerpt(r),
                  f"{r.year}-{r.month:02d}-{r.day:02d}") for r in rel], self.excerpts)
            if rel else "",
        }

    def article(self, a: ArticleSpec, n: int, base: str) -> str:
        p, cfg, fam = self.p, self.cfg, self.p.family
        pages = p.n_pages(a)
        raw, _ = p.published(a)
        paras = p.page_paragraphs(a.id)[n - 1]
        ex = self.extras(a, base)
        inside = "".join(ex[b] for b in ex if cfg.inside[b])
        after = "".join(ex[b] for b in ex if not cfg.inside[b])
        first_name = (p.scheme.article(a, 1).rsplit("/", 1)[-1]
                      if fam in ("dede", "empire") and not cfg.absolute_links else None)

        def page_href(k: int) -> str:
            if first_name and "?" not in first_name:
                return p.scheme.article(a, k).rsplit("/", 1)[-1]  # relative: 1193_2.html
            return self.art_url(a, base, k)

        pager = blocks.numbered_pager(
            pages, n, page_href,
            style={"wordpress": "wp-post"}.get(fam, fam if fam != "hand" else "hand")) if pages > 1 else ""
        summary = ""
        if cfg.summary_block and n == 1:
            text = esc(self.excerpt(a, 60))
            summary = (f'<div class="s"><div><strong>摘要</strong>: {text}</div></div>' if fam == "discuz"
                       else f'<div class="intro">{text}</div>' if fam == "dede"
                       else f'<div class="summary">摘要：{text}</div>')
        comments = (blocks.comments(self.comment_heading, a.id, self.href(p.scheme.member, base))
                    if cfg.comments else "")
        parts = articles.Parts(
            a=a, title=esc(a.title), raw=raw, source=esc(a.source or ""),
            author=esc(a.author or ""), hits=(a.id * 37) % 5000 + 100, summary=summary,
            body=self.body_html(paras), inside=inside, after=after, pager=pager,
            attr=self.attr, name=self.name, self_url=self.art_url(a, base),
            list_url=self.list_url(a.category, 1, base))
        main = articles.MAIN[fam](parts)
        title_tag = f"{a.title}({n})" if n > 1 else a.title
        return (self.head(f"{title_tag}_{a.category.name}_{cfg.site_name}") + self.top(base, a.category)
                + '<div class="main"><div class="left">' + self.crumbs(a.category, "正文", base)
                + main + comments + "</div>" + self.sidebar(base) + "</div>\n" + self.foot())
