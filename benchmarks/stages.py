"""(b) Per-stage cost per article, calling the library functions on generated pages.

Stages, in crawl order: decode (bytes → text), extract (text → Page), normalise,
validate, dedupe (content hash + MinHash + lookups in the corpus database), store
(batched upsert into a fresh SQLite file, with the write-time duplicate recheck), and the
post-crawl keywords (jieba TF-IDF). Everything runs
single-threaded in this process, so the sum is the CPU one article costs one core.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fanwen_crawler.extractors import extract_html
from fanwen_crawler.extractors.decoding import decode_html
from fanwen_crawler.items import ArticleItem, Page
from fanwen_crawler.urls import site_of

BASE = "http://127.0.0.1:8000"
CTYPE = "text/html; charset=utf-8"


def _item(page: Page) -> ArticleItem:
    return ArticleItem(
        url=page.url,
        site=site_of(page.url),
        title=page.title or "",
        body=page.body or "",
        paragraphs=list(page.paragraphs),
        category=page.category,
        published_at=page.published_at,
        published_raw=page.published_raw,
        source=page.source,
        author=page.author,
        tags=list(page.tags),
        related=list(page.related),
        sections=list(page.sections),
        page_urls=[page.url],
        encoding=page.encoding,
        crawled_at="2026-01-01T00:00:00+00:00",
    )


def _timed(fn: Callable[[Any], Any], inputs: list[Any]) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    out = [fn(x) for x in inputs]
    return time.perf_counter() - started, out


WORKER_STAGES = ("keywords", "segment")
"""Stages the crawl's enrich worker runs (another process), not the crawl process."""


def bench_stages(n_articles: int) -> dict[str, Any]:
    """Seconds per article for each stage over `n_articles` single-page articles."""
    from benchmarks.sitegen import generate_site
    from fanwen_crawler.corpus.keywords import KeywordExtractor
    from fanwen_crawler.corpus.storage import open_corpus
    from pipelines.dedupe import DedupePipeline
    from pipelines.normalise import normalise_article
    from pipelines.validate import validate_article

    site = generate_site(n_articles, seed=7)
    pages = [(BASE + a.path, site.pages[a.path]) for a in site.articles if len(a.pages) == 1]
    n = len(pages)
    chars = sum(len(b) for _, b in pages)
    costs: dict[str, float] = {}
    costs["decode"], texts = _timed(lambda p: (p[0], decode_html(p[1], CTYPE)[0]), pages)
    costs["extract"], extracted = _timed(lambda t: extract_html(t[1], t[0]), texts)
    items = [_item(p) for p in extracted if p.page_type == "article"]
    costs["normalise"], items = _timed(normalise_article, items)
    costs["validate"], _ = _timed(validate_article, items)
    # Dedupe looks up the corpus database (bands + hashes) as in a crawl, so it and the
    # store alternate batch by batch, as the store pipeline's batches do.
    costs["dedupe"] = costs["store"] = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stages.db"
        corpus = open_corpus(path)
        dedupe = DedupePipeline(corpus=corpus)  # the crawl's one corpus, as crawler.corpus
        dedupe.open_spider()
        try:
            for i in range(0, len(items), 50):
                seconds, batch = _timed(dedupe.process_item, items[i : i + 50])
                costs["dedupe"] += seconds
                seconds, _ = _timed(corpus.write_articles, [batch])
                costs["store"] += seconds
        finally:
            corpus.close()
    extractor = KeywordExtractor()
    started = time.perf_counter()
    extractor.extract("预热分词器")  # dictionary load, once per process
    warmup = time.perf_counter() - started
    costs["keywords"], _ = _timed(lambda it: extractor.extract(f"{it.title}\n{it.body}"), items)
    from fanwen_crawler.corpus.search_index import default_segmenter, segment

    seg = default_segmenter()
    costs["segment"], _ = _timed(lambda it: (segment(it.title, seg), segment(it.body, seg)),
                                 items)
    per_article = {stage: seconds / n for stage, seconds in costs.items()}
    return {
        "articles": n,
        "article_types": len(items),
        "avg_html_bytes": chars / n,
        "per_article": per_article,
        "keywords_warmup": warmup,
        "crawl_cpu_per_article": sum(v for k, v in per_article.items()
                                     if k not in WORKER_STAGES),
    }
