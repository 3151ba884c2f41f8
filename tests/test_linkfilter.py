"""The crawl's same-site / deny policy, including loopback IP hosts."""

import re

from fanwen_crawler.profiles import Profile
from fanwen_crawler.spiders.linkfilter import LinkFilter

SITE = "http://127.0.0.1:8765/"


def test_accepts_same_site_and_canonicalises() -> None:
    links = LinkFilter([SITE])
    assert links.accept("http://127.0.0.1:8765/a/1.html?utm_source=x#c") == (
        "http://127.0.0.1:8765/a/1.html"
    )


def test_rejects_other_port_other_host_and_schemes() -> None:
    links = LinkFilter([SITE])
    assert links.accept("http://127.0.0.1:8766/a.html") is None
    assert links.accept("http://www.example.com/") is None
    assert links.accept("mailto:x@y.cn") is None
    assert links.accept("javascript:;") is None
    assert links.accept(None) is None
    assert links.rejected == {"offsite": 2, "scheme": 2}


def test_rejects_binaries_and_utility_pages() -> None:
    links = LinkFilter([SITE])
    assert links.accept(SITE + "files/contract.doc") is None
    assert links.accept(SITE + "img/a.JPG") is None
    assert links.accept(SITE + "search.php?q=1") is None
    assert links.accept(SITE + "plus/search.php?kw=x") is None
    assert links.accept(SITE + "zongjie/list_2.html") is not None


def test_profile_deny_patterns() -> None:
    profile = Profile(name="t", deny_url_patterns=[re.compile(r"/vip/")])
    links = LinkFilter([SITE], profile)
    assert links.accept(SITE + "vip/1.html") is None
    assert links.rejected == {"profile_deny": 1}
