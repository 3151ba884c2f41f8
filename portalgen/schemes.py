"""URL schemes of the CMS families: where articles, their continuation pages, lists and tags live.

Each scheme writes targets (path + query) the way its CMS does, and says how the site's
router matches a request against them:

- `static`: a file server: the path decides, a query string is ignored
  (nginx serving DedeCMS/EmpireCMS HTML).
- `strict`: a query router that answers 404 unless the parameters arrive in the order
  the site wrote them, with the same percent-escapes (PHPCMS v9's show/lists links,
  DedeCMS tags.php?/%D7%DC%BD%E1/, EmpireCMS tag links). Hex case and tracking
  parameters (utm_*, from=, spm=) are tolerated, as PHP does.
- `lenient`: a query router that reads parameters by name in any order (WordPress ?p=).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from portalgen.model import ArticleSpec, Category


def escape(text: str, charset: str, *, lower: bool = False) -> str:
    """Percent-escape `text` in the page's charset (GBK portals escape GBK bytes)."""
    codec = "gb18030" if charset in ("gbk", "gb2312") else "utf-8"
    out = quote(text.encode(codec), safe="")
    return out.lower() if lower else out


def _ymd(a: ArticleSpec) -> tuple[str, str, str]:
    return f"{a.year:04d}", f"{a.month:02d}", f"{a.day:02d}"


@dataclass(frozen=True)
class Scheme:
    """One URL scheme: target builders plus the routing policy of each kind of page."""

    name: str
    family: str
    article: Callable[[ArticleSpec, int], str]
    """(article, page_no) → target; page_no 1 is the article's own URL."""
    listing: Callable[[Category, int], str]
    tag: Callable[[int, str, str], str]
    """(tag index, tag, charset) → target."""
    article_routing: str
    list_routing: str
    tag_routing: str
    disallow: tuple[str, ...]
    """robots.txt Disallow prefixes; `member` and `printed` targets fall under them."""
    member: str
    printed: Callable[[ArticleSpec], str]
    multipage: bool = True


def _dede(a: ArticleSpec, n: int, folder: str) -> str:
    y, m, d = _ymd(a)
    base = f"/{folder or a.category.slug}/{y}/{m}{d}/{a.id}"
    return f"{base}.html" if n == 1 else f"{base}_{n}.html"


def _phpcms_show(a: ArticleSpec, n: int) -> str:
    t = f"/index.php?m=content&c=index&a=show&catid={a.category.cid}&id={a.id}"
    return t if n == 1 else f"{t}&page={n}"


def _phpcms_list(c: Category, n: int) -> str:
    t = f"/index.php?m=content&c=index&a=lists&catid={c.cid}"
    return t if n == 1 else f"{t}&page={n}"


def _empire(a: ArticleSpec, n: int) -> str:
    y, m, d = _ymd(a)
    base = f"/{a.category.slug}/{y}-{m}-{d}/{a.id}"
    return f"{base}.html" if n == 1 else f"{base}_{n}.html"


def _wp_slug(a: ArticleSpec, style: str) -> str:
    y, m, d = _ymd(a)
    if style == "archives":
        return f"/archives/{a.id}/"
    slug = escape(a.title, "utf-8", lower=True) if style == "cn" else f"post-{a.id}"
    return f"/{y}/{m}/{d}/{slug}/" if style == "day" else f"/{y}/{m}/{slug}/"


def _suffix_page(target: str, n: int) -> str:
    return target if n == 1 else f"{target}{n}/"


def build_schemes(folder: str = "", wp_style: str = "month") -> dict[str, Scheme]:
    """All schemes; `folder` is the DedeCMS article folder ("" = the category's own)."""
    never = "/member/login.php"
    return {
        "dede-static": Scheme(
            "dede-static", "dede",
            article=lambda a, n: _dede(a, n, folder),
            listing=lambda c, n: f"/{c.slug}/" if n == 1 else f"/{c.slug}/list_{c.cid}_{n}.html",
            tag=lambda i, t, cs: f"/tags.php?/{escape(t, cs)}/",
            article_routing="static", list_routing="static", tag_routing="strict",
            disallow=("/plus/", "/member/", "/dede/", "/data/"), member=never,
            printed=lambda a: f"/plus/view.php?aid={a.id}",
        ),
        "phpcms-query": Scheme(
            "phpcms-query", "phpcms", article=_phpcms_show, listing=_phpcms_list,
            tag=lambda i, t, cs: f"/index.php?m=content&c=tag&a=lists&tag={escape(t, cs)}",
            article_routing="strict", list_routing="strict", tag_routing="strict",
            disallow=("/index.php?m=member", "/api.php", "/phpsso_server/"),
            member="/index.php?m=member&c=index&a=login",
            printed=lambda a: f"/api.php?op=print&catid={a.category.cid}&id={a.id}",
        ),
        "empire-static": Scheme(
            "empire-static", "empire", article=_empire,
            listing=lambda c, n: f"/{c.slug}/" if n == 1 else f"/{c.slug}/index_{n}.html",
            tag=lambda i, t, cs: f"/e/tags/?tagname={escape(t, cs)}",
            article_routing="static", list_routing="static", tag_routing="strict",
            disallow=("/e/member/", "/e/DoPrint/", "/e/search/", "/e/admin/"),
            member="/e/member/login/",
            printed=lambda a: f"/e/DoPrint/?classid={a.category.cid}&id={a.id}",
        ),
        "empire-dynamic": Scheme(
            "empire-dynamic", "empire",
            article=lambda a, n: f"/e/action/ShowInfo.php?classid={a.category.cid}&id={a.id}"
            + ("" if n == 1 else f"&page={n - 1}"),
            # EmpireCMS counts dynamic list pages from 0: page=1 is the second page.
            listing=lambda c, n: f"/e/action/ListInfo/?classid={c.cid}" if n == 1
            else f"/e/action/ListInfo/index.php?page={n - 1}&classid={c.cid}",
            tag=lambda i, t, cs: f"/e/tags/?tagname={escape(t, cs)}",
            article_routing="strict", list_routing="strict", tag_routing="strict",
            disallow=("/e/member/", "/e/DoPrint/", "/e/search/", "/e/admin/"),
            member="/e/member/login/",
            printed=lambda a: f"/e/DoPrint/?classid={a.category.cid}&id={a.id}",
        ),
        "wp-plain": Scheme(
            "wp-plain", "wordpress",
            article=lambda a, n: f"/?p={a.id}" + ("" if n == 1 else f"&page={n}"),
            listing=lambda c, n: f"/?cat={c.cid}" + ("" if n == 1 else f"&paged={n}"),
            tag=lambda i, t, cs: f"/?tag={escape(t, 'utf-8', lower=True)}",
            article_routing="lenient", list_routing="lenient", tag_routing="lenient",
            disallow=("/wp-admin/", "/wp-login.php", "/?s="), member="/wp-login.php",
            printed=lambda a: f"/wp-admin/post.php?post={a.id}&action=edit",
        ),
        "wp-pretty": Scheme(
            "wp-pretty", "wordpress",
            article=lambda a, n: _suffix_page(_wp_slug(a, wp_style), n),
            listing=lambda c, n: f"/category/{c.slug}/" + ("" if n == 1 else f"page/{n}/"),
            tag=lambda i, t, cs: f"/tag/{escape(t, 'utf-8', lower=True)}/",
            article_routing="static", list_routing="static", tag_routing="static",
            disallow=("/wp-admin/", "/wp-login.php", "/?s="), member="/wp-login.php",
            printed=lambda a: f"/wp-admin/post.php?post={a.id}&action=edit",
        ),
        "zblog-static": Scheme(
            "zblog-static", "zblog",
            article=lambda a, n: f"/post/{a.id}.html",
            listing=lambda c, n: f"/category-{c.cid}.html" if n == 1
            else f"/category-{c.cid}_{n}.html",
            tag=lambda i, t, cs: f"/tags-{i + 1}.html",
            article_routing="static", list_routing="static", tag_routing="static",
            disallow=("/zb_system/", "/zb_users/"), member="/zb_system/login.php",
            printed=lambda a: f"/zb_system/cmd.php?act=ArticleEdt&id={a.id}", multipage=False,
        ),
        "zblog-query": Scheme(
            "zblog-query", "zblog",
            article=lambda a, n: f"/?id={a.id}",
            listing=lambda c, n: f"/?cate={c.cid}" + ("" if n == 1 else f"&page={n}"),
            tag=lambda i, t, cs: f"/?tags={i + 1}",
            article_routing="lenient", list_routing="lenient", tag_routing="lenient",
            disallow=("/zb_system/", "/zb_users/"), member="/zb_system/login.php",
            printed=lambda a: f"/zb_system/cmd.php?act=ArticleEdt&id={a.id}", multipage=False,
        ),
        "discuz-query": Scheme(
            "discuz-query", "discuz",
            article=lambda a, n: f"/portal.php?mod=view&aid={a.id}"
            + ("" if n == 1 else f"&page={n}"),
            listing=lambda c, n: f"/portal.php?mod=list&catid={c.cid}"
            + ("" if n == 1 else f"&page={n}"),
            tag=lambda i, t, cs: f"/misc.php?mod=tag&name={escape(t, cs)}",
            article_routing="strict", list_routing="strict", tag_routing="strict",
            disallow=("/member.php", "/misc.php", "/home.php", "/search.php", "/api/"),
            member="/member.php?mod=logging&action=login",
            printed=lambda a: f"/home.php?mod=spacecp&ac=favorite&type=article&id={a.id}",
        ),
        "discuz-rewrite": Scheme(
            "discuz-rewrite", "discuz",
            article=lambda a, n: f"/article-{a.id}-{n}.html",
            listing=lambda c, n: f"/portal.php?mod=list&catid={c.cid}"
            + ("" if n == 1 else f"&page={n}"),
            tag=lambda i, t, cs: f"/misc.php?mod=tag&name={escape(t, cs)}",
            article_routing="static", list_routing="strict", tag_routing="strict",
            disallow=("/member.php", "/misc.php", "/home.php", "/search.php", "/api/"),
            member="/member.php?mod=logging&action=login",
            printed=lambda a: f"/home.php?mod=spacecp&ac=favorite&type=article&id={a.id}",
        ),
        "hand-asp": Scheme(
            "hand-asp", "hand",
            article=lambda a, n: f"/show.asp?id={a.id}" + ("" if n == 1 else f"&page={n}"),
            listing=lambda c, n: f"/list.asp?classid={c.cid}" + ("" if n == 1 else f"&page={n}"),
            tag=lambda i, t, cs: f"/search.asp?key={escape(t, cs)}",
            article_routing="strict", list_routing="strict", tag_routing="strict",
            disallow=("/admin/", "/search.asp", "/user/"), member="/user/login.asp",
            printed=lambda a: f"/admin/edit.asp?id={a.id}",
        ),
        "hand-htm": Scheme(
            "hand-htm", "hand",
            article=lambda a, n: f"/{a.category.slug}/{a.id}"
            + (".htm" if n == 1 else f"_{n}.htm"),
            listing=lambda c, n: f"/{c.slug}/index.htm" if n == 1
            else f"/{c.slug}/index{n}.htm",
            tag=lambda i, t, cs: f"/search.asp?key={escape(t, cs)}",
            article_routing="static", list_routing="static", tag_routing="strict",
            disallow=("/admin/", "/search.asp", "/user/"), member="/user/login.asp",
            printed=lambda a: f"/admin/edit.asp?id={a.id}",
        ),
    }


FAMILY_SCHEMES = {
    "dede": ("dede-static",),
    "phpcms": ("phpcms-query",),
    "empire": ("empire-static", "empire-dynamic"),
    "wordpress": ("wp-plain", "wp-pretty"),
    "zblog": ("zblog-static", "zblog-query"),
    "discuz": ("discuz-query", "discuz-rewrite"),
    "hand": ("hand-asp", "hand-htm"),
}
FAMILIES = tuple(FAMILY_SCHEMES)
