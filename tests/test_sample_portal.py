"""The bundled sample portal: served for real on 127.0.0.1, consistent with its truth."""

from __future__ import annotations

import http.client
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit
from urllib.request import Request, urlopen

import lxml.html
import pytest

from evaluation.sample_fixtures import CASES, FIXTURE_DIR, fixture_files, stale_files
from fanwen_crawler.profiles import load_profile
from fanwen_crawler.sample_portal import (
    PortalTruth,
    ServedPortal,
    Site,
    build_site,
    serve_portal,
)

GB18030_ONLY = ("䶮", "𠮷")
WATERMARKS = ("www.sample-fanwen.cn", " m.sample-fanwen.cn ")
SKIP_SCHEMES = ("javascript:", "about:", "mailto:")


@pytest.fixture(scope="module")
def served() -> Iterator[ServedPortal]:
    with serve_portal(host="127.0.0.1", port=0) as portal:
        yield portal


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site()


def _get(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    with urlopen(Request(url, method=method), timeout=10) as resp:
        return resp.status, dict(resp.headers), resp.read()


def _raw(portal: ServedPortal, path: str, method: str = "GET") -> http.client.HTTPResponse:
    host, port = urlsplit(portal.url).hostname, urlsplit(portal.url).port
    conn = http.client.HTTPConnection(host or "", port, timeout=10)
    conn.request(method, path)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def _shingles(text: str, k: int = 5) -> set[str]:
    return {text[i:i + k] for i in range(len(text) - k + 1)}


def _jaccard(a: str, b: str) -> float:
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / len(sa | sb)


def _visible_text(body: bytes, encoding: str) -> str:
    doc = lxml.html.fromstring(body.decode(encoding))
    for bad in doc.xpath("//script|//style"):
        bad.drop_tree()
    text = doc.text_content()
    for mark in WATERMARKS:
        text = text.replace(mark, "")
    return text


# --- serving -------------------------------------------------------------------------

def test_serves_over_http_on_loopback(served: ServedPortal) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", served.url)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", served.offsite_url)
    assert served.url != served.offsite_url
    status, headers, body = _get(served.url)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "春雨范文网" in body.decode("utf-8")


def test_only_loopback_addresses_are_accepted() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0"):
        with serve_portal(host="0.0.0.0", port=0):
            pass


def test_request_log_keeps_path_and_query_in_order(served: ServedPortal) -> None:
    before = len(served.requests)
    _get(served.url + "jianghua/list_2.html?from=nav&utm_source=x")
    _get(served.url + "robots.txt")
    assert served.requests[before:] == ["/jianghua/list_2.html?from=nav&utm_source=x",
                                        "/robots.txt"]


def test_head_is_supported(served: ServedPortal) -> None:
    resp = _raw(served, "/hetong/", "HEAD")
    assert resp.status == 200
    assert int(resp.headers["Content-Length"]) == len(served.site.pages["/hetong/"].body)


def test_gbk_pages_declare_charset_only_in_meta(served: ServedPortal) -> None:
    dede = [a for a in served.truth.articles if a.layout == "dede"]
    assert len(dede) >= 5
    found = set()
    for art in dede:
        status, headers, body = _get(served.url.rstrip("/") + art.url)
        assert status == 200 and headers["Content-Type"] == "text/html"
        assert b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />' in body
        text = body.decode("gb18030")
        found |= {ch for ch in GB18030_ONLY if ch in text}
    assert found == set(GB18030_ONLY)
    h1 = next(a for a in dede if "䶮" in "".join(a.paragraphs))
    _, _, body = _get(served.url.rstrip("/") + h1.url)
    with pytest.raises(UnicodeDecodeError):
        body.decode("gbk")


def test_robots_txt_and_member_pages(served: ServedPortal) -> None:
    status, headers, body = _get(served.url + "robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert "User-agent: *\nDisallow: /member/\n" in body.decode("utf-8")
    assert served.truth.robots_disallowed
    for path in served.truth.robots_disallowed:
        assert path.startswith("/member/")
        assert _get(served.url.rstrip("/") + path)[0] == 200
        assert path in served.requests


def test_missing_page_is_404_and_redirect_is_301(served: ServedPortal) -> None:
    for path in (served.truth.missing, "/no/such/page.html"):
        with pytest.raises(HTTPError) as err:
            _get(served.url.rstrip("/") + path)
        assert err.value.code == 404
        err.value.close()
    for old, target in served.truth.redirects.items():
        resp = _raw(served, old)
        assert resp.status == 301
        assert resp.headers["Location"] == served.url.rstrip("/") + target
        with urlopen(served.url.rstrip("/") + old, timeout=10) as followed:
            assert followed.url == served.url.rstrip("/") + target
            assert followed.status == 200


def test_offsite_server_logs_what_it_receives(served: ServedPortal) -> None:
    assert served.offsite_url + "links.html" in served.truth.offsite_links
    before = len(served.offsite_requests)
    assert _get(served.offsite_url + "links.html?x=1")[0] == 200
    assert served.offsite_requests[before:] == ["/links.html?x=1"]


def test_pagination_links_resolve_over_http(served: ServedPortal) -> None:
    base = served.url.rstrip("/")
    for art in served.truth.articles:
        for path in art.page_paths:
            assert _get(base + path)[0] == 200, path
    for lst in served.truth.lists.values():
        assert _get(base + lst.path)[0] == 200
        if lst.next_page:
            assert served.truth.lists[lst.next_page].page_no == lst.page_no + 1


# --- the site's structure -------------------------------------------------------------

def _links(path: str, body: bytes, encoding: str, base: str) -> Iterator[str]:
    doc = lxml.html.fromstring(body.decode(encoding))
    for attr in doc.xpath("//a/@href|//link/@href|//script/@src|//iframe/@src"):
        if not attr.startswith(SKIP_SCHEMES):
            yield urljoin(base.rstrip("/") + path, attr)


def test_every_link_on_the_site_resolves(site: Site) -> None:
    truth: PortalTruth = site.truth
    base = "http://sample.test/"
    linked_offsite, linked = set(), set()
    for path, res in site.pages.items():
        ctype = res.headers.get("Content-Type", "")
        if res.status != 200 or not ctype.startswith("text/html"):
            continue
        encoding = "utf-8" if "utf-8" in ctype else "gb18030"
        for url in _links(path, res.body, encoding, base):
            if not url.startswith(base):
                assert url in truth.offsite_links, (path, url)
                linked_offsite.add(url)
                continue
            target = urlsplit(url).path
            linked.add(target)
            assert target in site.pages or target == truth.missing, (path, url)
    assert linked_offsite == set(truth.offsite_links)
    assert truth.missing in linked
    assert set(truth.redirects) <= linked
    assert set(truth.robots_disallowed) <= linked
    unlinked = {p for p in site.pages if p not in linked} - {"/robots.txt"}
    assert unlinked == set(), "every page is reachable by a link"


def test_tracking_links_point_at_pages_also_linked_plainly(site: Site) -> None:
    home = site.pages["/"].body.decode("utf-8")
    tracked = re.findall(r'href="([^"]+)\?from=nav&amp;utm_source=x"', home)
    assert tracked
    plain = re.findall(r'href="([^"?#]+)"', home)
    assert set(tracked) <= set(plain) | {p for lst in site.truth.lists.values()
                                         for p in lst.article_links}
    assert re.search(r'href="[^"]+#comments"', home)


def test_site_shape(site: Site) -> None:
    truth: PortalTruth = site.truth
    assert 30 <= len(truth.articles) <= 45
    layouts = {a.layout for a in truth.articles}
    assert layouts == {"seed", "dede", "phpcms", "legacy"}
    assert len({a.url for a in truth.articles}) == len(truth.articles)
    assert any(re.search(r"/list_\d+\.html$", p) for p in truth.list_pages)
    assert any(re.search(r"/index_\d+\.html$", p) for p in truth.list_pages)
    assert sum(len(a.page_paths) == 3 for a in truth.articles) >= 2
    essays = [a for a in truth.articles if a.sections]
    assert len(essays) == 1 and len(essays[0].sections) == 3
    assert "精选3篇" in essays[0].title
    for art in truth.articles:
        assert 400 <= len("".join(art.paragraphs)) <= 2000, art.url
        assert art.paragraphs == [p for page in art.page_paragraphs for p in page]
        for p in art.related:
            assert p in {a.url for a in truth.articles}


def test_truth_paragraphs_are_on_the_pages(site: Site) -> None:
    for art in site.truth.articles:
        for path, paras in zip(art.page_paths, art.page_paragraphs, strict=True):
            res = site.pages[path]
            text = _visible_text(res.body, art.encoding)
            for para in paras:
                assert para in text, (path, para[:20])
            assert art.title in text


def test_watermarks_leadins_and_ads_are_present(site: Site) -> None:
    html_text = {p: r.body.decode("utf-8" if "utf-8" in r.headers["Content-Type"] else "gb18030")
                 for p, r in site.pages.items()}
    hidden = [p for p, t in html_text.items()
              if '<span style="display:none">www.sample-fanwen.cn</span>' in t]
    visible = [p for p, t in html_text.items() if "做 m.sample-fanwen.cn 好" in t
               or "签字 m.sample-fanwen.cn 盖章" in t]
    assert len(hidden) >= 3 and len(visible) >= 2
    seed_first = [a.url for a in site.truth.articles if a.layout == "seed"]
    for path in seed_first:
        art = site.truth.article(path)
        lead_in = f"<p>下面是小编为大家整理的{art.title}，供大家参考。</p>"
        assert lead_in in html_text[path]
        assert f"<p>{art.title}</p>" in html_text[path]
        assert "相关热词搜索" in html_text[path] and "推荐访问" in html_text[path]
        assert '<div class="ad">' in html_text[path] and "<ins " in html_text[path]
    for art in site.truth.articles:
        for para in art.paragraphs:
            assert "sample-fanwen" not in para and "小编" not in para


def test_texts_are_distinct_except_the_deliberate_duplicates(site: Site) -> None:
    arts = site.truth.articles
    pairs = {(a.url, a.duplicate_of) for a in arts if a.duplicate_of}
    near = [a for a in arts if a.near_duplicate]
    exact = [a for a in arts if a.duplicate_of and not a.near_duplicate]
    assert len(near) == 1 and len(exact) == 1
    for a, b in itertools.combinations(arts, 2):
        if (a.url, b.url) in pairs or (b.url, a.url) in pairs:
            continue
        assert _jaccard(a.body, b.body) < 0.3, (a.url, b.url)
    original = site.truth.article(near[0].duplicate_of)
    assert 0.8 <= _jaccard(near[0].body, original.body) <= 0.95
    copy, source = exact[0], site.truth.article(exact[0].duplicate_of)
    assert copy.paragraphs == source.paragraphs and copy.url != source.url
    assert copy.category != source.category


def test_build_is_deterministic() -> None:
    a, b = build_site(), build_site()
    assert a.pages == b.pages
    assert a.truth == b.truth


def test_profile_matches_the_portal(site: Site) -> None:
    profile = load_profile("sample")
    base = "http://127.0.0.1:8765"
    for art in site.truth.articles:
        for path in art.page_paths:
            assert profile.is_article_url(base + path) and not profile.is_denied(base + path)
    for path in site.truth.list_pages:
        assert profile.is_list_url(base + path) and not profile.is_article_url(base + path)
    assert profile.download_delay == 0 and profile.concurrency == 8


# --- fixtures -------------------------------------------------------------------------

def test_fixtures_are_up_to_date() -> None:
    assert stale_files() == [], "run: python -m evaluation.sample_fixtures --update"


def test_regenerated_fixtures_are_identical(tmp_path: Path) -> None:
    from evaluation.sample_fixtures import write_fixtures

    write_fixtures(tmp_path)
    for name, data in fixture_files().items():
        assert (tmp_path / name).read_bytes() == (FIXTURE_DIR / name).read_bytes() == data


@pytest.mark.parametrize("case", sorted(CASES))
def test_fixture_is_consistent_with_truth(case: str, site: Site) -> None:
    folder = FIXTURE_DIR / case
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    path = urlsplit(meta["url"]).path
    assert meta["url"] == expected["url"] == "http://sample.test" + path
    res = site.pages[path]
    assert (folder / "page.html").read_bytes() == res.body
    assert meta["content_type"] == res.headers["Content-Type"]
    if expected["page_type"] == "article":
        art = site.truth.article(path)
        assert expected["title"] == art.title and expected["category"] == art.category
        assert expected["paragraphs"] == art.page_paragraphs[art.page_paths.index(path)]
        text = _visible_text(res.body, expected["encoding"])
        assert all(p in text for p in expected["paragraphs"])
    elif expected["page_type"] == "list":
        assert [urlsplit(u).path for u in expected["article_links"]] == (
            site.truth.lists[path].article_links)
    else:
        assert path == site.truth.home and expected["list_links"]
