"""The randomised choices of one generated portal, drawn from its seed.

Everything a template varies lives here: family and URL scheme, charset and where it is
declared, class/id names, where trailers, share rows, tags, prev/next and related
blocks sit (inside the article container or after it), list sizes, comments, article
lengths, re-posts, sitemaps and robots rules. `sample_config(seed)` is deterministic;
keyword overrides pin any choice (tests use them for the query-router portal and the
broken-pagination portal).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field, fields

from portalgen.schemes import FAMILIES, FAMILY_SCHEMES

CHARSETS = ("utf-8", "gbk", "gb2312")
SITEMAPS = ("none", "robots", "conventional", "index", "txt", "stale")
BODY_STYLES = ("p", "p-indent", "br", "div", "p-span")
TRAILERS = ("addr", "copyright", "editor", "more", "download")
BLOCKS = ("trailers", "share", "tags", "prevnext", "related")
# Family defaults for the name slots; a renamed slot gets a plausible other name.
SLOT_ALTERNATIVES = {
    "content": ["content", "article-content", "neirong", "zhengwen", "art_con", "detail-body",
                "con_text", "news_txt", "txt", "main-text"],
    "article": ["article", "viewbox", "art-box", "detail", "news-detail", "wenzhang", "post-wrap",
                "main-article"],
    "title": ["title", "art-title", "biaoti", "detail-title", "news_title", "tit"],
    "info": ["info", "meta", "art-info", "xinxi", "news_info", "time-source", "pubinfo"],
    "list": ["list", "catlist", "news-list", "liebiao", "list_box", "art-list", "lb"],
    "pager": ["pages", "pagelist", "page-nav", "fenye", "paging", "pg"],
    "related": ["related", "xiangguan", "like-list", "tuijian", "rel-box", "more-art"],
    "side": ["sidebar", "right", "side-box", "col-r", "aside-hot"],
    "nav": ["nav", "menu", "daohang", "main-nav", "topnav"],
    "crumbs": ["position", "crumbs", "weizhi", "breadcrumb", "place", "location"],
}
SITE_NAMES = ["百花范文网", "第一范文网", "星火范文", "好范文网", "学习啦范文", "书香范文网",
              "公文易写网", "文秘帮", "范文大全网", "红叶文库", "易文网", "千篇范文网"]
CATEGORY_POOL = [
    ("zongjie", "工作总结", "总结"), ("jihua", "工作计划", "计划"), ("jianghua", "讲话稿", "讲话"),
    ("xinde", "心得体会", "心得"), ("hetong", "合同范本", "合同"), ("shenqing", "申请书", "其他"),
    ("shuzhi", "述职报告", "总结"), ("fangan", "活动方案", "计划"), ("zhuchici", "主持词", "讲话"),
    ("duhougan", "读后感", "心得"), ("xieyi", "协议书", "合同"), ("diaoyan", "调研报告", "其他"),
]


@dataclass(kw_only=True)
class PortalConfig:
    """All randomised choices of one portal."""

    seed: int
    family: str
    scheme: str
    n_articles: int
    site_name: str
    categories: list[tuple[str, str, str]]
    per_page: int
    one_item_last_page: bool
    charset: str
    charset_in_header: bool
    names: dict[str, str]
    use_id: dict[str, bool]
    body_style: str
    trailers: list[str]
    inside: dict[str, bool]
    """Block → True when it sits inside the article container."""
    comments: bool
    summary_block: bool
    """A 摘要/intro line repeating the body's first characters above the body."""
    sidebar_hot_tracking: bool
    absolute_links: bool
    list_item_style: str
    multipage_share: float
    short_share: float
    reposts: int
    near_reposts: int
    sitemap: str
    broken_pagination: bool
    dede_folder: str
    wp_style: str
    rare_names: bool
    extra: dict[str, object] = field(default_factory=dict)

    def features(self) -> dict[str, object]:
        """The choices as a flat dict (for reports)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}


def _token(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 5))) + (
        rng.choice(["", "_box", "-wrap", str(rng.randint(1, 9))]))


def sample_config(seed: int, **overrides: object) -> PortalConfig:
    """Draw every choice from `seed`; `overrides` pin fields (family, scheme, n_articles …)."""
    rng = random.Random(f"portalgen-config-{seed}")
    # The family cycles with the seed, so any 7 consecutive seeds cover every family.
    family = str(overrides.get("family") or FAMILIES[seed % len(FAMILIES)])
    scheme = str(overrides.get("scheme") or rng.choice(FAMILY_SCHEMES[family]))
    n_articles = int(overrides.get("n_articles") or rng.randint(15, 30))  # type: ignore[call-overload]
    n_cats = max(2, min(len(CATEGORY_POOL), rng.randint(3, 6), n_articles // 3 or 2))
    if n_articles > 200:
        n_cats = rng.randint(6, len(CATEGORY_POOL))
    names = {}
    use_id = {}
    for slot, options in SLOT_ALTERNATIVES.items():
        roll = rng.random()
        names[slot] = options[0] if roll < 0.35 else (
            rng.choice(options[1:]) if roll < 0.75 else _token(rng))
        use_id[slot] = rng.random() < 0.25
    per_page = rng.choice([3, 4, 5, 6, 8]) if n_articles <= 60 else rng.choice([10, 15, 20, 25])
    charset = rng.choices(CHARSETS, weights=[5, 3, 2])[0]
    if family == "dede" and rng.random() < 0.6:
        charset = "gbk"
    if family == "wordpress":
        charset = "utf-8"
    cfg = PortalConfig(
        seed=seed, family=family, scheme=scheme, n_articles=n_articles,
        site_name=rng.choice(SITE_NAMES),
        categories=rng.sample(CATEGORY_POOL, n_cats),
        per_page=per_page, one_item_last_page=rng.random() < 0.6,
        charset=charset, charset_in_header=rng.random() < 0.5,
        names=names, use_id=use_id,
        body_style=rng.choice(BODY_STYLES),
        trailers=rng.sample(TRAILERS, rng.randint(1, 3)),
        inside={b: rng.random() < 0.45 for b in BLOCKS},
        comments=rng.random() < 0.6, summary_block=rng.random() < 0.35,
        sidebar_hot_tracking=rng.random() < 0.5, absolute_links=rng.random() < 0.3,
        list_item_style=rng.choice(["plain", "dated", "excerpt", "thumb", "table"]),
        multipage_share=rng.choice([0.0, 0.1, 0.2]), short_share=rng.choice([0.05, 0.15, 0.25]),
        reposts=rng.randint(0, 2), near_reposts=rng.randint(0, 2),
        sitemap=rng.choice(SITEMAPS), broken_pagination=False,
        dede_folder=rng.choice(["", "a"]), wp_style=rng.choice(["month", "day", "cn", "archives"]),
        rare_names=charset != "utf-8" and rng.random() < 0.5,
    )
    for key, value in overrides.items():
        if key in ("family", "scheme", "n_articles") or value is None:
            continue
        if not hasattr(cfg, key):
            raise ValueError(f"unknown portal option {key!r}")
        setattr(cfg, key, value)
    if cfg.broken_pagination and cfg.sitemap in ("none", "stale"):
        cfg.sitemap = "robots"
    return cfg
