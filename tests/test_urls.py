"""Canonical URLs and same-site checks."""

import pytest

from fanwen_crawler.urls import canonical_url, same_site, site_of


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
