"""A generated portal: its articles, routes and ground truth; pages rendered on demand.

    portal = generate_portal(7)                      # seeded, deterministic
    portal.truth()                                   # PortalTruth
    portal.respond("/a/2023/0528/1193.html", "127.0.0.1:8000")   # (status, headers, bytes)

Nothing is pre-rendered: a 20,000-article portal holds only its article specs and a
route table; a page's text is derived from its article's seed when it is requested.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from portalgen import render, sitemaps
from portalgen.blocks import ICP_NUMBERS, markers
from portalgen.config import PortalConfig, sample_config
from portalgen.model import ArticleSpec, ArticleTruth, Category, PortalTruth
from portalgen.schemes import FAMILY_SCHEMES, Scheme, build_schemes
from portalgen.text import (
    AUTHORS,
    GB18030_ONLY_NAMES,
    GBK_ONLY_NAMES,
    SOURCES,
    grammar_sentence,
    paragraphs,
    title,
)

TRACKING = re.compile(r"^(?:utm_[^=]*|from|spm|ref)=", re.I)
HEX_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
TAG_POOL = ["总结", "工作总结", "年终总结", "计划", "讲话稿", "心得体会", "合同", "演讲稿",
            "申请书", "述职报告", "党建", "安全生产", "教师", "学生", "实习", "社区", "乡村振兴",
            "廉政", "培训", "活动方案", "主持词", "读后感"]
SOURCELESS_FAMILIES = ("wordpress", "zblog")


@dataclass(frozen=True, slots=True)
class Route:
    kind: str
    """home | article | list | tag | robots | sitemap | member | printed | about"""
    arg: object = None


def _hex_upper(target: str) -> str:
    return HEX_ESCAPE.sub(lambda m: m.group(0).upper(), target)


def _drop_tracking(target: str) -> str:
    path, sep, query = target.partition("?")
    if not sep or "=" not in query:
        return target
    kept = [p for p in query.split("&") if p and not TRACKING.match(p)]
    return path + ("?" + "&".join(kept) if kept else "")


def _lenient_key(target: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(target)
    pairs = parse_qsl(parts.query, keep_blank_values=True, encoding="latin-1")
    return parts.path, tuple(sorted((k, v) for k, v in pairs if not TRACKING.match(k + "=")))


class Portal:
    """One generated portal: config, articles, route table, truth and page rendering."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config
        self.scheme: Scheme = build_schemes(config.dede_folder, config.wp_style)[config.scheme]
        self.family = config.family
        rng = random.Random(f"portalgen-build-{config.seed}")
        self.icp = rng.choice(ICP_NUMBERS)
        self.categories = [Category(index=i, slug=slug, name=name, cid=rng.randint(1, 9) + i * 10,
                                    group=group)
                           for i, (slug, name, group) in enumerate(config.categories)]
        self.tags = rng.sample(TAG_POOL, min(len(TAG_POOL), 8 + len(self.categories)))
        self.articles = self._place_articles(rng)
        self.by_id = {a.id: a for a in self.articles}
        self.by_cat: dict[int, list[ArticleSpec]] = {c.index: [] for c in self.categories}
        self.newest = sorted(self.articles, key=lambda a: a.id, reverse=True)
        for a in self.newest:
            self.by_cat[a.category.index].append(a)
        self.position = {a.id: i for items in self.by_cat.values() for i, a in enumerate(items)}
        self.stale_ids = self._stale_ids(rng)
        self.routes: dict[str, Route] = {}
        self.static: dict[str, Route] = {}
        self.lenient: dict[tuple[str, tuple[tuple[str, str], ...]], Route] = {}
        self._build_routes()
        self.renderer = render.Renderer(self)

    # -- placement -------------------------------------------------------------------------

    def _category_sizes(self, rng: random.Random, n: int) -> list[int]:
        k = len(self.categories)
        sizes = [1] * k
        for _ in range(n - k):
            sizes[rng.randrange(k)] += 1
        per = self.config.per_page
        if self.config.one_item_last_page and n - (per + 1) >= k - 1 and sizes[0] != per + 1:
            # Category 0 gets exactly one item on its last list page.
            want = per + 1 if n < 10 * per else (n // k // per) * per + 1
            rest = n - want
            sizes = [want] + [1] * (k - 1)
            for _ in range(rest - (k - 1)):
                sizes[1 + rng.randrange(k - 1)] += 1
        return sizes

    def _place_articles(self, rng: random.Random) -> list[ArticleSpec]:
        cfg = self.config
        n = cfg.n_articles
        sizes = self._category_sizes(rng, n)
        cats = [c for c, size in zip(self.categories, sizes, strict=True) for _ in range(size)]
        rng.shuffle(cats)
        next_id = rng.randint(100, 5000)
        year, day_of = rng.randint(2013, 2019), rng.randint(0, 300)
        specs: list[ArticleSpec] = []
        # Small portals: the config's counts; large ones: about 2 % of the articles.
        reposts = (min(cfg.reposts + cfg.near_reposts, n // 6) if n <= 60 else n // 50)
        for i, cat in enumerate(cats):
            day_of += rng.randint(0, 9 if n < 200 else 2)
            y = min(year + day_of // 365, 2024)
            doy = day_of % 365
            month, day = 1 + doy // 31 % 12, 1 + doy % 28
            roll = rng.random()
            pages = 1
            if roll < cfg.short_share:
                chars = rng.randint(110, 200)
            elif self.scheme.multipage and roll > 1 - cfg.multipage_share:
                pages = rng.randint(2, 4)
                chars = rng.randint(500, 900) * pages
            else:
                chars = rng.randint(300, 1600)
            name = None
            if cfg.rare_names and rng.random() < 0.3:
                name = rng.choice(GBK_ONLY_NAMES + (GB18030_ONLY_NAMES if cfg.charset != "utf-8"
                                                    else []))
            source = None if cfg.family in SOURCELESS_FAMILIES else rng.choice(SOURCES)
            specs.append(ArticleSpec(
                id=next_id, category=cat, title=title(rng, cat.group, y, i + 1), year=y,
                month=month, day=day, hour=rng.randint(6, 22), minute=rng.randint(0, 59),
                second=rng.randint(0, 59), source=source, author=rng.choice(AUTHORS),
                chars=chars, pages=pages, text_seed=rng.getrandbits(32), name=name,
                tags=rng.sample(self.tags, rng.randint(1, 3)),
            ))
            next_id += rng.choice([1, 1, 1, 2, 3])
        # Re-posts: the last articles become copies of earlier long single-page ones.
        candidates = [s for s in specs[: max(1, n // 2)] if s.pages == 1]
        rng.shuffle(candidates)
        for j in range(min(reposts, len(candidates))):
            orig, copy = candidates[j], specs[n - 1 - j]
            orig.chars = max(orig.chars, 900)
            orig.name = None
            copy.duplicate_of, copy.pages, copy.name = orig.id, 1, None
            copy.near = j >= cfg.reposts if n <= 60 else j % 2 == 1
            copy.title = orig.title if not copy.near else orig.title + "（修订稿）"
            copy.text_seed = orig.text_seed
        if cfg.sitemap == "stale":
            for s in specs[int(n * 0.7):]:
                s.in_sitemap = False
        return specs

    def _stale_ids(self, rng: random.Random) -> list[int]:
        if self.config.sitemap != "stale":
            return []
        used = set(self.by_id)
        start = min(used)
        gaps = [i for i in range(start, max(used)) if i not in used]
        return rng.sample(gaps, min(3, len(gaps)))

    # -- text ------------------------------------------------------------------------------

    @lru_cache(maxsize=4096)  # noqa: B019 - one portal per process; bounded
    def page_paragraphs(self, aid: int) -> tuple[tuple[str, ...], ...]:
        """The article's clean paragraphs, grouped by page."""
        a = self.by_id[aid]
        orig = self.by_id[a.duplicate_of] if a.duplicate_of else a
        paras = paragraphs(random.Random(orig.text_seed), orig.chars, orig.name)
        if a.near:
            rng = random.Random(a.id)
            i = max(range(len(paras)), key=lambda k: len(paras[k]))
            _, sep, rest = paras[i].partition("。")
            paras[i] = grammar_sentence(rng) + rest if sep and rest else paras[i] + \
                grammar_sentence(rng)
        if a.pages == 1:
            return (tuple(paras),)
        pages = min(a.pages, len(paras))
        per = -(-len(paras) // pages)
        chunks = [tuple(paras[k:k + per]) for k in range(0, len(paras), per)]
        return tuple(c for c in chunks if c)

    def n_pages(self, a: ArticleSpec) -> int:
        return len(self.page_paragraphs(a.id)) if a.pages > 1 else 1

    # -- routes ----------------------------------------------------------------------------

    def list_chunks(self, cat: Category) -> list[list[ArticleSpec]]:
        items, per = self.by_cat[cat.index], self.config.per_page
        return [items[k:k + per] for k in range(0, len(items), per)] or [[]]

    def _add(self, target: str, route: Route, routing: str) -> None:
        key = _hex_upper(target)
        self.routes[key] = route
        if routing == "static":
            self.static[_hex_upper(urlsplit(target).path)] = route
        elif routing == "lenient":
            self.lenient[_lenient_key(key)] = route

    def _build_routes(self) -> None:
        s = self.scheme
        self._add("/", Route("home"), "static")
        self._add("/robots.txt", Route("robots"), "static")
        self._add("/about.html", Route("about"), "static")
        for a in self.articles:
            for n in range(1, self.n_pages(a) + 1):
                self._add(s.article(a, n), Route("article", (a.id, n)), s.article_routing)
            self._add(s.printed(a), Route("printed", a.id), "strict")
        for c in self.categories:
            for n in range(1, len(self.list_chunks(c)) + 1):
                self._add(s.listing(c, n), Route("list", (c.index, n)), s.list_routing)
        for i, t in enumerate(self.tags):
            self._add(s.tag(i, t, self.config.charset), Route("tag", i), s.tag_routing)
        self._add(s.member, Route("member"), "strict")
        for name in sitemaps.files(self):
            self._add(name, Route("sitemap", name), "static")

    @property
    def crawlable_pages(self) -> int:
        """HTML pages a complete crawl fetches: home, lists, articles and their pages, tags."""
        kinds = ("home", "about", "article", "list", "tag")
        return sum(1 for target, r in self.routes.items()
                   if r.kind in kinds and not target.startswith(self.scheme.disallow))

    def resolve(self, target: str) -> Route | None:
        """The route a request target reaches, following the scheme's router rules."""
        key = _hex_upper(target)
        route = self.routes.get(key) or self.routes.get(_drop_tracking(key))
        path = urlsplit(key).path
        if route is None and path != "/" and not path.endswith((".php", ".asp")):
            # A file server ignores the query; the home page and scripts do not.
            route = self.static.get(path)
        if route is None and "?" in key:
            route = self.lenient.get(_lenient_key(key))
        return route

    def respond(self, target: str, host: str) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for a request target; `host` builds absolute links."""
        route = self.resolve(target)
        base = f"http://{host}"
        if route is None:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, render.NOT_FOUND
        if route.kind == "robots":
            return 200, {"Content-Type": "text/plain"}, sitemaps.robots(self, base).encode()
        if route.kind == "sitemap":
            ctype, text = sitemaps.render(self, str(route.arg), base)
            return 200, {"Content-Type": ctype}, text.encode("utf-8")
        text = self.renderer.page(route, base)
        declared = self.config.charset
        ctype = f"text/html; charset={declared}" if self.config.charset_in_header else "text/html"
        codec = "utf-8" if declared == "utf-8" else "gb18030"
        return 200, {"Content-Type": ctype}, text.encode(codec)

    # -- truth -----------------------------------------------------------------------------

    def published(self, a: ArticleSpec) -> tuple[str, str]:
        """(raw as shown, ISO as precise as shown) in the family's date style."""
        y, mo, d, h, mi, se = a.year, a.month, a.day, a.hour, a.minute, a.second
        day = f"{y:04d}-{mo:02d}-{d:02d}"
        f = self.family
        if f == "dede":
            return f"{day} {h:02d}:{mi:02d}", f"{day}T{h:02d}:{mi:02d}"
        if f in ("phpcms", "empire"):
            return f"{day} {h:02d}:{mi:02d}:{se:02d}", f"{day}T{h:02d}:{mi:02d}:{se:02d}"
        if f == "wordpress":
            return f"{y}年{mo}月{d}日", day
        if f == "zblog":
            return f"{y}年{mo:02d}月{d:02d}日", day
        if f == "discuz":
            return f"{y}-{mo}-{d} {h:02d}:{mi:02d}", f"{day}T{h:02d}:{mi:02d}"
        return f"{y}/{mo}/{d}", day

    def truth(self) -> PortalTruth:
        s, cfg = self.scheme, self.config
        arts, conts = [], []
        where = {a.id: (n, len(chunk)) for c in self.categories
                 for n, chunk in enumerate(self.list_chunks(c), 1) for a in chunk}
        for a in self.articles:
            pages = self.page_paragraphs(a.id)
            urls = [s.article(a, n) for n in range(1, self.n_pages(a) + 1)]
            conts += urls[1:]
            orig = self.by_id[a.duplicate_of] if a.duplicate_of else None
            arts.append(ArticleTruth(
                url=urls[0], title=a.title, published_at=self.published(a)[1],
                published_day=f"{a.year:04d}-{a.month:02d}-{a.day:02d}", source=a.source,
                author=a.author, category=a.category.name,
                paragraphs=[p for page in pages for p in page], page_urls=urls,
                page_paragraphs=[list(page) for page in pages],
                duplicate_of=s.article(orig, 1) if orig else None, near_duplicate=a.near,
                family=self.family, scheme=s.name, in_sitemap=a.in_sitemap,
                list_page=where[a.id][0], list_page_items=where[a.id][1],
            ))
        lists = [s.listing(c, n) for c in self.categories
                 for n in range(1, len(self.list_chunks(c)) + 1)]
        return PortalTruth(
            seed=cfg.seed, family=self.family, scheme=s.name, articles=arts,
            continuation_urls=conts, list_urls=lists, robots_disallowed=list(s.disallow),
            forbidden_in_body=markers(cfg.site_name, self.icp), sitemap=cfg.sitemap,
            stale_urls=[sitemaps.stale_target(self, i) for i in self.stale_ids],
            broken_pagination=cfg.broken_pagination, features=cfg.features(),
        )


def generate_portal(seed: int, **overrides: object) -> Portal:
    """The portal of `seed`; overrides pin config fields (family, scheme, n_articles …)."""
    scheme = overrides.get("scheme")
    if scheme and not overrides.get("family"):
        overrides["family"] = next(f for f, ss in FAMILY_SCHEMES.items() if scheme in ss)
    return Portal(sample_config(seed, **overrides))
