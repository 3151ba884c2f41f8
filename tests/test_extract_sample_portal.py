"""extract_page on the bundled sample portal's fixtures, field by field.

The fixtures (tests/fixtures/sample_portal/<case>/) are written from the portal's
ground truth, never from an extractor; see `evaluation.sample_fixtures`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fanwen_crawler.extractors import extract_page
from fanwen_crawler.items import Page

FIXTURES = Path(__file__).parent / "fixtures" / "sample_portal"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file())
# Fields compared exactly; link lists are compared as URL lists.
EXACT = (
    "url",
    "page_type",
    "encoding",
    "title",
    "published_at",
    "published_raw",
    "source",
    "author",
    "category",
    "paragraphs",
    "tags",
    "next_page",
    "first_page",
    "page_links",
)


def _extract(case: str) -> tuple[Page, dict[str, Any]]:
    folder = FIXTURES / case
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    page = extract_page(
        (folder / "page.html").read_bytes(), meta["url"], {"Content-Type": meta["content_type"]}
    )
    return page, expected


@pytest.mark.parametrize("case", CASES)
def test_sample_portal_fixture(case: str) -> None:
    page, expected = _extract(case)
    for key, want in expected.items():
        if key in EXACT:
            assert getattr(page, key) == want, key
        elif key in ("related", "article_links"):
            assert [link.url for link in getattr(page, key)] == want, key
        elif key == "sections":
            got = [{"heading": s.heading, "paragraphs": s.paragraphs} for s in page.sections]
            assert got == want, key
        elif key == "list_links":
            assert set(want) <= set(page.list_links), key
        else:
            raise AssertionError(f"unknown expected field {key!r}")
