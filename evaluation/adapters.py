"""Adapters: run one extractor on one page and map its output onto `Prediction`.

Each adapter times only the extractor's own call. Competitors receive the page text
decoded once by the harness; ours receives the raw bytes and headers, because
decoding is part of `extract_page`'s contract (its time is included). Fields an
extractor does not produce are left `None` and score 0 (see docs/extraction-eval.md).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evaluation.fixtures import Case
from evaluation.magic_worker import html_text  # one helper; the worker imports nothing of ours


@dataclass(slots=True)
class Prediction:
    """What an extractor said about a page, in the gold schema's terms."""

    page_type: str | None = None
    title: str | None = None
    published_at: str | None = None
    source: str | None = None
    author: str | None = None
    body: str = ""
    tags: list[str] | None = None
    related: list[str] | None = None
    article_links: list[str] | None = None
    next_page: str | None = None


@dataclass(slots=True)
class Adapter:
    """One extractor: `extract(case, text)` returns (prediction, seconds in the library)."""

    name: str
    module: str
    fields: frozenset[str]
    extract: Callable[[Case, str], tuple[Prediction, float]]
    version: str = field(default="")

    def available(self) -> bool:
        """True when the extractor's package can be imported here."""
        try:
            importlib.import_module(self.module)
        except ImportError:
            return False
        if not self.version:
            dist = {
                "fanwen_crawler.extractors": "fanwen-crawler",
                "readability": "readability-lxml",
            }
            try:
                self.version = importlib.metadata.version(dist.get(self.module, self.module))
            except importlib.metadata.PackageNotFoundError:
                self.version = "?"
        return True


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def _ours(case: Case, text: str) -> tuple[Prediction, float]:
    from fanwen_crawler.extractors import extract_page

    page, seconds = _timed(lambda: extract_page(case.body, case.url, case.headers))
    return Prediction(
        page_type=page.page_type,
        title=page.title,
        published_at=page.published_at,
        source=page.source,
        author=page.author,
        body=page.body or "\n".join(page.paragraphs),
        tags=list(page.tags),
        related=[link.url for link in page.related],
        article_links=[link.url for link in page.article_links],
        next_page=page.next_page,
    ), seconds


def _trafilatura(case: Case, text: str) -> tuple[Prediction, float]:
    import trafilatura

    doc, seconds = _timed(
        lambda: trafilatura.bare_extraction(
            text, url=case.url, favor_precision=True, include_comments=False, with_metadata=True
        )
    )
    if doc is None:
        return Prediction(), seconds
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    tags = data.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.replace("，", ",").split(",") if t.strip()]
    return Prediction(
        title=data.get("title"),
        published_at=data.get("date"),
        author=data.get("author"),
        body=data.get("text") or "",
        tags=list(tags),
    ), seconds


def _gne(case: Case, text: str) -> tuple[Prediction, float]:
    from gne import GeneralNewsExtractor  # type: ignore[import-untyped]

    extractor = GeneralNewsExtractor()
    out, seconds = _timed(lambda: extractor.extract(text))
    return Prediction(
        title=out.get("title"),
        published_at=out.get("publish_time"),
        author=out.get("author"),
        body=out.get("content") or "",
    ), seconds


def _readability(case: Case, text: str) -> tuple[Prediction, float]:
    from readability import Document  # type: ignore[import-untyped]

    def call() -> tuple[str, str]:
        doc = Document(text, url=case.url)
        return doc.summary(html_partial=True), doc.short_title()

    (summary, title), seconds = _timed(call)
    return Prediction(title=title, body=html_text(summary)), seconds


ALL_FIELDS = frozenset(
    {
        "page_type",
        "title",
        "published_at",
        "source",
        "author",
        "body",
        "tags",
        "related",
        "article_links",
        "next_page",
    }
)
ADAPTERS: dict[str, Adapter] = {
    "ours": Adapter("ours", "fanwen_crawler.extractors", ALL_FIELDS, _ours),
    "trafilatura": Adapter(
        "trafilatura",
        "trafilatura",
        frozenset({"title", "published_at", "author", "body", "tags"}),
        _trafilatura,
    ),
    "gne": Adapter("gne", "gne", frozenset({"title", "published_at", "author", "body"}), _gne),
    "readability": Adapter(
        "readability", "readability", frozenset({"title", "body"}), _readability
    ),
}
