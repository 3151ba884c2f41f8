"""The dedupe pipeline: mark exact and near duplicates as articles pass (kept, not dropped).

The hashing, MinHash signatures and the lookups live in `fanwen_crawler.corpus.dedupe`;
this module is the Scrapy adapter around them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler

from fanwen_crawler.corpus.dedupe import DuplicateFinder
from fanwen_crawler.items import ArticleItem

logger = logging.getLogger(__name__)


class DedupePipeline:
    """Scrapy adapter: mark exact and near duplicates (kept, not dropped).

    Sets `content_hash`, `minhash` and, for duplicates, `duplicate_of_url` + `similarity`;
    counts `fanwen/dedupe/exact` and `fanwen/dedupe/near`. When FANWEN_DB_PATH is set, every
    lookup also asks the corpus database (its LSH band table), so articles stored by earlier
    runs, or by another crawl writing the same database right now, are found; nothing is
    loaded at start. The database is opened once it exists (the store pipeline creates it).
    """

    def __init__(self, crawler: Crawler | None = None, db_path: str | None = None) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.corpus: Any = None
        self.finder = DuplicateFinder()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler, crawler.settings.get("FANWEN_DB_PATH"))

    def open_spider(self, spider: Any = None) -> None:
        self._connect()

    def _connect(self) -> None:
        if self.corpus is not None or not self.db_path or not Path(self.db_path).exists():
            return
        from fanwen_crawler.corpus.storage import open_corpus

        self.corpus = open_corpus(self.db_path)
        recent = self.finder.recent
        self.finder = DuplicateFinder(self.corpus.db.conn)
        if len(recent):  # marked before the database existed: keep them findable
            self.finder.recent = recent
        logger.info("dedupe: looking up duplicates in %s", self.db_path)

    def close_spider(self, spider: Any = None) -> None:
        if self.corpus is not None:
            self.corpus.close()
            self.corpus = None

    def _inc(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        self._connect()
        kind = self.finder.mark(item)
        if kind is not None:
            self._inc(f"fanwen/dedupe/{kind}")
        return item
