"""Canonical URLs and same-site checks."""

import pytest

from fanwen_crawler.urls import (
    CANONICAL_META,
    address_kind,
    canonical_of,
    canonical_url,
    clean_url,
    linked_canonical,
    remember_canonical,
    resolve_url,
    same_site,
    site_of,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://WWW.Example.CN:80/a/1.html#comments", "http://www.example.cn/a/1.html"),
        ("http://x.cn/a.html?utm_source=wx&utm_medium=m&id=3", "http://x.cn/a.html?id=3"),
        ("http://x.cn/a.html?from=nav&spm=1.2", "http://x.cn/a.html"),
        ("http://x.cn/list.php?page=2&cid=5", "http://x.cn/list.php?cid=5&page=2"),
        ("http://x.cn", "http://x.cn/"),
        ("https://x.cn:443/p", "https://x.cn/p"),
        ("http://127.0.0.1:8765/a_2.html?from=list#top", "http://127.0.0.1:8765/a_2.html"),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


def test_canonical_url_is_idempotent() -> None:
    url = "http://x.cn/a.html?b=2&a=1&utm_campaign=z#f"
    assert canonical_url(canonical_url(url)) == canonical_url(url)


def test_site_of_keeps_non_default_port() -> None:
    assert site_of("http://127.0.0.1:8765/x") == "127.0.0.1:8765"
    assert site_of("https://www.x.cn/x") == "www.x.cn"


@pytest.mark.parametrize(
    ("url", "site", "same"),
    [
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/", True),
        ("http://127.0.0.1:8001/a", "http://127.0.0.1:8000/", False),
        ("http://127.0.0.2:8000/a", "http://127.0.0.1:8000/", False),
        ("http://m.fanwen.cn/a", "http://www.fanwen.cn/", True),
        ("http://fanwen.cn/a", "http://www.fanwen.cn/", True),
        ("http://news.fanwen.cn/a", "http://www.fanwen.cn/", True),
        ("http://www.example.com/", "http://www.fanwen.cn/", False),
        ("http://fanwen.cn.evil.com/", "http://www.fanwen.cn/", False),
        ("mailto:a@b.cn", "http://www.fanwen.cn/", False),
        ("javascript:void(0)", "http://www.fanwen.cn/", False),
    ],
)
def test_same_site(url: str, site: str, same: bool) -> None:
    assert same_site(url, site) is same


# --- The request form: what the site wrote ------------------------------------------------

BASES = [
    "http://x.cn/a/b/c.html", "http://x.cn/a/b/", "http://x.cn/", "http://x.cn/a",
    "https://x.cn/p.php?mod=view&aid=3", "http://x.cn/a/b.html?x=/y/z",
    "http://X.cn/a/", "http://x.cn:8080/a/", "http://127.0.0.1:8000/a/b.html",
]
HREFS = [
    "./", "../", "../../../x.html", "./a.html", "../a/b.html?id=2&from=x", "//www.y.cn",
    "//www.y.cn/a?b=1", "//", "///x", "//Y.cn/a", "//y.cn:80/a", "//u@y.cn/", "forum.php",
    "forum.php?mod=list&catid=2", "./../a", "../.", "..", ".", "./a/../b", "a/./b",
    ".hidden", "../~u/%E4%B8%AD.html", "中文.html", "../中文/", "?p=2", "#x", "./?a=1",
    "../#frag", "./a.html#b", "a//b", "//y.cn//a", "/a/./b", "/a/../b", "/a b", "/a\\b",
    "/", "/.x", "/a?utm_source=1&b=2", "/a?b=%20", "/中文/1.html", "HTTP://Y.CN/A",
    "https://y.cn", "/tags.php?/读后感/", "/plus/x.php?aid=1&title=爱岗：标题 一&b=c/d",
    "?a=1+2", "?a=%E4%B8%AD", "?b=2&a", "?中=文&utm_source=x&Ref=1&a=1&a=0",
    "?x=a=b&&y", "?a=<b>&c=#d", "http://x.cn/a\nb.html", "/a\tb.html", "a\rb.html",
    "/a/b.html?x=1\n2", "?t=中\n文", "/tags.php?/%D7%DC%BD%E1/", "?q=50%off&Page=2",
    "http://x.cn/a/../b/./c.html?z=1&a=2", "mailto:a@x.cn", "javascript:void(0)",
    "a:b.html", "x.html?utm_source=1#f", "?", "/?", "/#", "?#", "list_2.html", "2/", "a b/c",
    "/a/b.html?from=x&utm_medium=y", "ftp://x.cn/a", "HTTPS://x.cn/A/./b", "a/..", "/..",
]


@pytest.mark.parametrize("base", BASES)
def test_resolve_url_is_what_scrapy_requests(base: str) -> None:
    """resolve_url == browser resolution + clean_url, and Scrapy requests it unchanged."""
    from urllib.parse import urljoin

    from scrapy import Request
    from w3lib.url import safe_url_string

    for href in HREFS:
        got = resolve_url(base, href)
        joined = urljoin(base, href.strip().replace("\t", "").replace("\n", "").replace("\r", ""))
        if not joined.lower().startswith(("http://", "https://")) or href.startswith("#"):
            assert got is None, (base, href)  # a fragment-only link is this same page
            continue
        if href == "a//b":  # urljoin drops the empty segment; browsers (WHATWG) keep it
            joined = joined[: -len("a/b")] + "a//b"
        if href in ("?", "?#"):  # urljoin keeps the base's query; browsers send an empty one
            joined = joined.split("?", 1)[0]
        assert got == safe_url_string(clean_url(joined)), (base, href)
        assert Request(got).url == got, (base, href)  # requested byte-for-byte
        assert "#" not in got and "utm_source" not in got


@pytest.mark.parametrize(("url", "expected"), [
    # Query routers answer 404 to re-ordered parameters: order stays.
    ("http://x.cn/index.php?m=content&c=index&a=show&catid=1&id=123",
     "http://x.cn/index.php?m=content&c=index&a=show&catid=1&id=123"),
    # GBK-escaped values (DedeCMS tags, search) keep their bytes and their case.
    ("http://x.cn/tags.php?/%D7%DC%BD%E1/", "http://x.cn/tags.php?/%D7%DC%BD%E1/"),
    ("http://x.cn/plus/search.php?q=%d7%dc&kwtype=0",
     "http://x.cn/plus/search.php?q=%d7%dc&kwtype=0"),
    ("http://x.cn/Show/A.HTML?b=2&a=1&utm_source=x#top", "http://x.cn/Show/A.HTML?b=2&a=1"),
    ("HTTP://WWW.X.CN:80/a.html?from=nav", "http://www.x.cn/a.html"),
    ("http://x.cn/a.html?a+b=%20&&c", "http://x.cn/a.html?a+b=%20&&c"),
])
def test_clean_url_keeps_what_the_site_wrote(url: str, expected: str) -> None:
    assert clean_url(url) == expected


def test_canonical_form_sorts_but_keeps_gbk_bytes_distinct() -> None:
    a = "http://x.cn/index.php?m=content&c=index&a=show&catid=1&id=123"
    b = "http://x.cn/index.php?id=123&catid=1&a=show&c=index&m=content&utm_medium=x"
    assert canonical_url(a) == canonical_url(b)
    # Two different GBK tags never share an identity (parse_qsl would decode both to U+FFFD).
    assert canonical_url("http://x.cn/tags.php?/%D7%DC%BD%E1/") != canonical_url(
        "http://x.cn/tags.php?/%C4%EA%D6%D5/")
    # Escape case is not identity; the page linked both ways is one page.
    assert canonical_url("http://x.cn/t.php?q=%d7%dc") == canonical_url(
        "http://x.cn/t.php?q=%D7%DC")


def test_request_meta_carries_the_canonical_form() -> None:
    from scrapy import Request

    request = Request("http://x.cn/index.php?b=2&a=1")
    canon = remember_canonical(request)
    assert canon == "http://x.cn/index.php?a=1&b=2"
    assert request.meta[CANONICAL_META] == (request.url, canon)
    assert canonical_of(request) == canon
    # A redirect hop copies meta: its own identity is its own URL's, the linked one stays.
    hop = request.replace(url="http://x.cn/new.php?z=1",
                          meta={**request.meta, "redirect_urls": [request.url]})
    assert canonical_of(hop) == "http://x.cn/new.php?z=1"
    assert linked_canonical(hop.meta, hop.url) == canon


def test_fingerprint_uses_the_canonical_form() -> None:
    from scrapy import Request

    from fanwen_crawler.fingerprint import CanonicalFingerprinter

    fp = CanonicalFingerprinter()
    a = Request("http://x.cn/index.php?m=content&c=index&a=show&id=1")
    b = Request("http://x.cn/index.php?id=1&a=show&c=index&m=content#x")
    c = Request("http://x.cn/tags.php?/%D7%DC%BD%E1/")
    d = Request("http://x.cn/tags.php?/%C4%EA%D6%D5/")
    remember_canonical(a)
    assert fp.fingerprint(a) == fp.fingerprint(b)
    assert fp.fingerprint(c) != fp.fingerprint(d)


@pytest.mark.parametrize(("ip", "kind"), [
    ("127.0.0.1", "loopback"), ("169.254.169.254", "link_local"), ("10.1.2.3", "private"),
    ("192.168.0.1", "private"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("fe80::1", "link_local"), ("0.0.0.0", "reserved"), ("8.8.8.8", None), ("x.cn", None),
])
def test_address_kind(ip: str, kind: str | None) -> None:
    assert address_kind(ip) == kind


def test_raw_query_text_is_encoded_in_the_page_charset_as_a_browser_does() -> None:
    from lxml import html

    from fanwen_crawler.extractors.links import collect_links

    root = html.fromstring('<div><a href="/tags.php?/总结/">总结</a>'
                           '<a href="/标签/a.html?q=年终总结&amp;p=2">x</a></div>')
    urls = [link.url for link in collect_links(root, "http://x.cn/", "gb18030")]
    assert urls == ["http://x.cn/tags.php?/%D7%DC%BD%E1/",
                    "http://x.cn/%E6%A0%87%E7%AD%BE/a.html?q=%C4%EA%D6%D5%D7%DC%BD%E1&p=2"]
    # A character outside the page's charset falls back to UTF-8 rather than being lost.
    assert resolve_url("http://x.cn/", "?q=€", "gbk") == "http://x.cn/?q=%E2%82%AC"
