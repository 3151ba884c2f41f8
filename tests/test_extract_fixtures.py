"""Fixture tests: every tests/fixtures/extract/<case>/ is one parametrised test.

A case holds `page.html` (raw bytes as served), `meta.json` (url, content_type) and
`expected.json`. Keys of expected.json that are `Page` fields are compared exactly;
the helper keys below assert decisive snippets of long values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fanwen_crawler.extractors import extract_page
from fanwen_crawler.items import Page

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file())
PAGE_FIELDS = set(Page.__slots__)
CHROME = ("上一篇", "下一篇", "相关推荐", "版权声明", "扫码关注", "相关热词搜索")


def _load(case: str) -> tuple[Page, dict[str, Any]]:
    folder = FIXTURES / case
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    headers = {"Content-Type": meta["content_type"]} if meta.get("content_type") else None
    page = extract_page((folder / "page.html").read_bytes(), meta["url"], headers)
    return page, json.loads((folder / "expected.json").read_text(encoding="utf-8"))


def _check_helper(page: Page, key: str, want: Any) -> None:
    body = page.body or ""
    if key == "body_startswith":
        assert body.startswith(want), body[:200]
    elif key == "body_endswith":
        assert body.endswith(want), body[-200:]
    elif key == "body_contains":
        for snippet in want:
            assert snippet in body, snippet
    elif key == "body_excludes":
        for snippet in want:
            assert snippet not in body, snippet
    elif key == "paragraph_count":
        assert len(page.paragraphs) == want, page.paragraphs
    elif key == "related_urls":
        assert [link.url for link in page.related] == want
    elif key == "article_link_urls":
        assert [link.url for link in page.article_links] == want
    elif key == "article_links_include":
        urls = [link.url for link in page.article_links]
        for url in want:
            assert url in urls, url
    elif key == "list_links_include":
        for url in want:
            assert url in page.list_links, url
    elif key == "list_links_exclude":
        for url in want:
            assert url not in page.list_links, url
    elif key == "section_headings":
        assert [s.heading for s in page.sections] == want
    elif key == "section_paragraph_counts":
        assert [len(s.paragraphs) for s in page.sections] == want
    else:
        raise AssertionError(f"unknown expectation key {key!r}")


@pytest.mark.parametrize("case", CASES)
def test_fixture(case: str) -> None:
    page, expected = _load(case)
    data = page.to_dict()
    for key, want in expected.items():
        if key in PAGE_FIELDS:
            assert data[key] == want, f"{case}: field {key}"
        else:
            _check_helper(page, key, want)


@pytest.mark.parametrize("case", CASES)
def test_no_chrome_in_body(case: str) -> None:
    """Global invariant: no extracted body carries site chrome."""
    page, _ = _load(case)
    for phrase in CHROME:
        assert phrase not in (page.body or ""), phrase


def test_cases_cover_the_required_kinds() -> None:
    types = {json.loads((FIXTURES / c / "expected.json").read_text("utf-8")).get("page_type")
             for c in CASES}
    assert types == {"article", "list", "other"}
