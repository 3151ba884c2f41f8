"""The portal generator (portalgen/): determinism, routers, and a self-consistent ground truth.

Fast: no crawl. The end-to-end property test that crawls generated portals with the real
`fanwen crawl` is tests/test_portalgen_e2e.py.
"""

from __future__ import annotations

import re
import urllib.request
from html import unescape

import pytest

from pipelines.normalise import normalise_text
from portalgen import generate_portal, serve
from portalgen.checker import identity
from portalgen.schemes import FAMILIES, FAMILY_SCHEMES

SCHEMES = [s for ss in FAMILY_SCHEMES.values() for s in ss]
HOST = "127.0.0.1:8000"
TAG = re.compile(r"<[^>]+>")


def _text(portal, target: str) -> str:
    status, _headers, body = portal.respond(target, HOST)
    assert status == 200, target
    codec = "utf-8" if portal.config.charset == "utf-8" else "gb18030"
    return body.decode(codec)


def _shingles(text: str, k: int = 5) -> set[str]:
    s = re.sub(r"\s+", "", text)
    return {s[i:i + k] for i in range(max(1, len(s) - k + 1))}


def _jaccard(a: str, b: str) -> float:
    x, y = _shingles(a), _shingles(b)
    return len(x & y) / len(x | y)


def test_same_seed_same_portal_other_seed_other_portal() -> None:
    a, b, c = generate_portal(11), generate_portal(11), generate_portal(12)
    assert a.truth() == b.truth()
    for art in a.truth().articles[:5]:
        assert a.respond(art.url, HOST) == b.respond(art.url, HOST)
    assert a.truth().articles[0].paragraphs != c.truth().articles[0].paragraphs


def test_seeds_cover_every_family_and_vary_the_templates() -> None:
    configs = [generate_portal(s).config for s in range(60)]
    assert {c.family for c in configs} == set(FAMILIES)
    assert len({c.charset for c in configs}) == 3
    assert len({c.sitemap for c in configs}) >= 5
    assert {True, False} <= {c.inside["trailers"] for c in configs}
    assert len({tuple(sorted(c.names.items())) for c in configs}) == len(configs)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_page_of_the_truth_is_served_and_holds_its_text(scheme: str) -> None:
    portal = generate_portal(5, scheme=scheme, n_articles=24, multipage_share=0.3)
    truth = portal.truth()
    assert truth.scheme == scheme and len(truth.articles) == 24
    for art in truth.articles:
        assert len(art.page_urls) == len(art.page_paragraphs)
        for url, paras in zip(art.page_urls, art.page_paragraphs, strict=True):
            html = _text(portal, url)
            text = unescape(TAG.sub("", html))
            assert f">{art.title}<" in unescape(html), url
            for para in paras:
                assert para in text, (url, para[:30])
    for url in truth.list_urls:
        _text(portal, url)
    # Every robots-disallowed prefix really is linked from the pages, so a crawl can trip on it.
    home = _text(portal, "/") + _text(portal, truth.articles[0].url)
    assert any(p.replace("&", "&amp;") in home or p in home for p in truth.robots_disallowed)


@pytest.mark.parametrize("seed", range(20))
def test_truth_text_is_already_normalised_and_free_of_chrome(seed: int) -> None:
    truth = generate_portal(seed).truth()
    for art in truth.articles:
        assert normalise_text(art.title) == art.title
        for para in art.paragraphs:
            assert normalise_text(para) == para and "\n" not in para
            assert len(para) > 0
        leaked = [m for m in truth.forbidden_in_body if m in art.body]
        assert not leaked, (art.url, leaked)
        assert art.published_at.startswith(art.published_day)


def test_article_pages_carry_the_chrome_the_checker_looks_for() -> None:
    """The leak check can fail: every article page shows some forbidden string."""
    for seed in range(14):
        portal = generate_portal(seed)
        truth = portal.truth()
        html = unescape(_text(portal, truth.articles[0].url))
        assert [m for m in truth.forbidden_in_body if m in html], seed


def test_lengths_reposts_and_one_item_last_pages() -> None:
    lengths, near, exact, one_item = [], [], [], 0
    for seed in range(40):
        portal = generate_portal(seed)
        truth = portal.truth()
        by_url = {a.url: a for a in truth.articles}
        lengths += [len(a.body) for a in truth.articles]
        for art in truth.articles:
            if art.duplicate_of:
                orig = by_url[art.duplicate_of]
                (near if art.near_duplicate else exact).append(_jaccard(art.body, orig.body))
        if portal.config.one_item_last_page:
            one_item += any(len(portal.list_chunks(c)[-1]) == 1 and len(portal.list_chunks(c)) > 1
                            for c in portal.categories)
    assert min(lengths) < 200 and max(lengths) > 2000
    assert exact and all(j == 1.0 for j in exact)
    assert near and all(0.8 <= j < 1.0 for j in near), near
    assert one_item >= 10


def test_unrelated_articles_are_not_near_duplicates() -> None:
    truth = generate_portal(3, n_articles=80).truth()
    arts = [a for a in truth.articles if not a.duplicate_of and len(a.body) > 300][:30]
    worst = max(_jaccard(a.body, b.body) for i, a in enumerate(arts) for b in arts[i + 1:])
    assert worst < 0.5


def test_query_router_rejects_reordered_parameters_and_re_encoded_escapes() -> None:
    portal = generate_portal(4, scheme="phpcms-query", charset="gbk")
    art = portal.truth().articles[0]
    assert art.url.startswith("/index.php?m=content&c=index&a=show&catid=")
    assert portal.respond(art.url, HOST)[0] == 200
    assert portal.respond(art.url + "&utm_source=x", HOST)[0] == 200
    assert portal.respond(art.url.lower(), HOST)[0] == 200 or art.url == art.url.lower()
    path, query = art.url.split("?")
    resorted = path + "?" + "&".join(sorted(query.split("&")))
    assert portal.respond(resorted, HOST)[0] == 404
    tag = portal.scheme.tag(0, portal.tags[0], "gbk")
    assert re.search(r"tag=(%[0-9A-F]{2}){4,}$", tag), tag
    assert portal.respond(tag, HOST)[0] == 200
    assert portal.respond(tag.replace("%", "%25"), HOST)[0] == 404
    utf8 = tag.split("tag=")[0] + "tag=" + urllib.parse.quote(portal.tags[0])
    assert portal.respond(utf8, HOST)[0] == 404


def test_dede_tags_are_gbk_escaped_and_static_pages_ignore_queries() -> None:
    portal = generate_portal(6, scheme="dede-static", charset="gbk")
    tag = portal.scheme.tag(0, "总结", "gbk")
    assert tag == "/tags.php?/%D7%DC%BD%E1/"
    art = portal.truth().articles[0].url
    assert portal.respond(art + "?from=hot", HOST)[0] == 200
    _status, headers, body = portal.respond(art, HOST)
    assert re.search(rb'charset="?gbk', body[:400])
    if not portal.config.charset_in_header:
        assert headers["Content-Type"] == "text/html"


def test_lenient_router_reads_parameters_in_any_order() -> None:
    portal = generate_portal(4, scheme="wp-plain", n_articles=30, multipage_share=0.5)
    art = next(a for a in portal.truth().articles if a.pages > 1)
    path, query = art.page_urls[1].split("?")
    swapped = path + "?" + "&".join(reversed(query.split("&")))
    assert portal.respond(swapped, HOST)[0] == 200


def test_gb2312_declared_pages_carry_gb18030_only_characters() -> None:
    for seed in range(200):
        portal = generate_portal(seed, charset="gb2312", rare_names=True)
        truth = portal.truth()
        rare = [a for a in truth.articles if any(n in a.body for n in ("吴㐂", "郑㙟", "孙䶮"))]
        if rare:
            _status, _, body = portal.respond(rare[0].url, HOST)
            assert re.search(rb'charset="?gb2312', body[:400])
            with pytest.raises(UnicodeDecodeError):
                body.decode("gbk")
            assert rare[0].paragraphs[0][:10] in body.decode("gb18030")
            return
    pytest.fail("no GB18030-only name in 200 seeds")


def test_sitemaps_and_broken_pagination() -> None:
    portal = generate_portal(8, broken_pagination=True, sitemap="robots", n_articles=40,
                             per_page=4)
    truth = portal.truth()
    robots = _text(portal, "/robots.txt")
    lines = [ln.split(": ", 1)[1] for ln in robots.splitlines() if ln.startswith("Sitemap: ")]
    assert lines == [f"http://{HOST}/sitemaps/articles.xml"]
    xml = _text(portal, "/sitemaps/articles.xml")
    locs = {identity(unescape(u)) for u in re.findall(r"<loc>([^<]+)</loc>", xml)}
    assert {identity(a.url) for a in truth.articles} <= locs
    cat = portal.categories[0]
    listing = _text(portal, portal.scheme.listing(cat, 1))
    assert portal.scheme.listing(cat, 2).replace("&", "&amp;") not in listing
    assert "showPages(" in listing

    stale = generate_portal(8, sitemap="stale", n_articles=40)
    truth = stale.truth()
    xml = _text(stale, "/sitemap.xml")
    listed = {identity(unescape(u)) for u in re.findall(r"<loc>([^<]+)</loc>", xml)}
    missing = [a for a in truth.articles if identity(a.url) not in listed]
    assert missing and all(not a.in_sitemap for a in missing)
    assert truth.stale_urls and all(stale.respond(u, HOST)[0] == 404 for u in truth.stale_urls)

    txt = generate_portal(8, sitemap="txt")
    assert _text(txt, "/sitemap.txt").count("\n") >= len(txt.truth().articles)
    assert "Sitemap:" not in _text(txt, "/robots.txt")


def test_server_logs_every_request_with_its_status() -> None:
    portal = generate_portal(9, n_articles=12)
    art = portal.truth().articles[0].url
    with serve(portal) as served:
        for target in ("/", art, "/no/such/page.html"):
            try:
                urllib.request.urlopen(served.url.rstrip("/") + target, timeout=5).read()
            except urllib.error.HTTPError as exc:
                assert exc.code == 404
        assert served.requests() == [("/", 200), (art, 200), ("/no/such/page.html", 404)]
    with pytest.raises(ValueError, match=r"127\.0\.0"):
        with serve(portal, host="0.0.0.0"):
            pass


def test_a_large_portal_is_cheap_to_build_and_serve() -> None:
    import time

    started = time.monotonic()
    portal = generate_portal(2, n_articles=20_000)
    built = time.monotonic() - started
    assert len(portal.articles) == 20_000
    assert built < 20, built
    started = time.monotonic()
    for art in portal.articles[5000:5200]:
        assert portal.respond(portal.scheme.article(art, 1), HOST)[0] == 200
    assert (time.monotonic() - started) / 200 < 0.02


def _corpus(path, truth, base: str, mutate=None) -> None:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, url TEXT UNIQUE, title TEXT, "
                "published_at TEXT, source TEXT, category TEXT, body TEXT, pages INTEGER, "
                "duplicate_of INTEGER)")
    con.execute("CREATE TABLE crawl_errors (url TEXT, reason TEXT)")
    ids = {}
    for i, a in enumerate(truth.articles, 1):
        ids[a.url] = i
        row = {"id": i, "url": base + a.url, "title": a.title, "published_at": a.published_at,
               "source": a.source, "category": a.category, "body": a.body, "pages": a.pages,
               "duplicate_of": ids.get(a.duplicate_of)}
        if mutate:
            row = mutate(a, row)
        if row:
            con.execute("INSERT INTO articles VALUES (:id, :url, :title, :published_at, :source, "
                        ":category, :body, :pages, :duplicate_of)", row)
    con.commit()
    con.close()


def test_checker_passes_a_perfect_corpus_and_names_each_kind_of_fault(tmp_path) -> None:
    from portalgen.checker import check

    portal = generate_portal(21, scheme="dede-static", reposts=1, near_reposts=1,
                             multipage_share=0.3, n_articles=30)
    truth = portal.truth()
    base = "http://127.0.0.1:1"
    requests = [(u, 200) for a in truth.articles for u in a.page_urls]
    _corpus(tmp_path / "good.db", truth, base)
    good = check(truth, base, tmp_path / "good.db", requests)
    assert good.ok, good.failures()
    assert good.body_exact == good.articles == 30 and good.dup_groups == 2

    multi = next(a for a in truth.articles if a.pages > 1)
    dup = next(a for a in truth.articles if a.duplicate_of)
    plain = [a for a in truth.articles if a.pages == 1 and not a.duplicate_of
             and all(a.url != d.duplicate_of for d in truth.articles)]
    victim, leaky, refetched = plain[:3]

    def mutate(a, row):
        if a is victim:
            return None
        if a is leaky:
            row["body"] += "\n本文地址：http://x/1.html 转载请保留出处"
            row["title"] += "_" + portal.config.site_name
        if a is multi:
            row["body"] = "\n".join(a.page_paragraphs[0])
        if a is dup:
            row["duplicate_of"] = None
        return row

    _corpus(tmp_path / "bad.db", truth, base, mutate)
    bad = check(truth, base, tmp_path / "bad.db",
                [*requests, ("/member/login.php", 200), (refetched.url, 200)])
    text = "\n".join(bad.failures())
    assert bad.stored_once == 29 and "fetched, not stored" in text
    assert bad.leaks == 1 and bad.body_why["extra text after body"] == 1
    assert bad.body_why["first page only"] == 1
    assert bad.title_ok == 28 and bad.disallowed_fetched == 1 and bad.refetched == 1
    assert bad.dup_groups_ok == 1


def test_crawlable_pages_counts_every_html_page_once() -> None:
    for seed, tags_allowed in ((7, True), (12, False)):  # dede tags.php; discuz misc.php
        portal = generate_portal(seed, n_articles=40, multipage_share=0.3)
        truth = portal.truth()
        pages = sum(a.pages for a in truth.articles) + len(truth.list_urls) + 2  # home, about
        assert portal.crawlable_pages == pages + (len(portal.tags) if tags_allowed else 0)
