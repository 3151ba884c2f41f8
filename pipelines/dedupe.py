"""The dedupe pipeline: mark exact and near duplicates as articles pass (kept, not dropped).

The hashing, MinHash signatures and the LSH index live in `fanwen_crawler.corpus.dedupe`;
this module is the Scrapy adapter around them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from scrapy.crawler import Crawler

from fanwen_crawler.corpus.dedupe import DuplicateIndex, load_rows, mark_duplicate
from fanwen_crawler.corpus.storage import Corpus
from fanwen_crawler.items import ArticleItem

logger = logging.getLogger(__name__)


class DedupePipeline:
    """Scrapy adapter: mark exact and near duplicates (kept, not dropped).

    Sets `content_hash`, `minhash` and, for duplicates, `duplicate_of_url` + `similarity`;
    counts `fanwen/dedupe/exact` and `fanwen/dedupe/near`. With a corpus (the crawl's,
    `crawler.corpus`), articles stored by earlier runs are loaded at open_spider so later
    re-posts are marked.
    """

    def __init__(self, crawler: Crawler | None = None, corpus: Corpus | None = None) -> None:
        self.crawler = crawler
        self.corpus = corpus
        self.index = DuplicateIndex()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler, getattr(crawler, "corpus", None))

    def open_spider(self, spider: Any = None) -> None:
        if self.corpus is None:
            return
        loaded = self.load(self.corpus.dedupe_state(with_duplicate_of=True))
        logger.info("dedupe: loaded %d stored articles", loaded)

    def load(self, rows: Iterable[tuple[Any, ...]]) -> int:
        """Index already-stored articles: (url, content_hash, signature[, duplicate_of_url])."""
        return load_rows(self.index, rows)

    def _inc(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        kind = mark_duplicate(self.index, item)
        if kind is not None:
            self._inc(f"fanwen/dedupe/{kind}")
        return item
