"""A tqdm progress bar for crawls on a terminal: pages (and pages/s), articles,
duplicates, errors and the scheduler's queue size (the shared Redis queue with --redis).

Enabled by FANWEN_PROGRESS (the CLI sets it when stderr is a TTY and --quiet is not
given). It only counts signals; it never touches items.
"""

from __future__ import annotations

import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from tqdm import tqdm

from fanwen_crawler.failures import request_failed
from fanwen_crawler.items import ArticleItem

QUEUE_EVERY = 0.5  # seconds between queue-size reads (a Redis round trip with --redis)


class ProgressBar:
    def __init__(self, crawler: Crawler | None = None) -> None:
        self.crawler = crawler
        self.bar: tqdm[Any] | None = None
        self.articles = self.duplicates = self.errors = self.dropped = 0
        self.queue = 0
        self._queue_read = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressBar:
        if not crawler.settings.getbool("FANWEN_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response, signal=signals.response_received)
        crawler.signals.connect(ext.scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.dropped_item, signal=signals.item_dropped)
        crawler.signals.connect(ext.error, signal=signals.spider_error)
        crawler.signals.connect(ext.failed, signal=request_failed)
        return ext

    def opened(self, spider: Any) -> None:
        self.bar = tqdm(desc="pages", unit="page", dynamic_ncols=True, leave=True)  # rate: page/s

    def closed(self, spider: Any, reason: str) -> None:
        if self.bar is not None:
            self._refresh()
            self.bar.close()

    def _queue_size(self) -> int:
        now = time.monotonic()
        if now - self._queue_read >= QUEUE_EVERY and self.crawler is not None:
            self._queue_read = now
            # Scrapy exposes no public accessor for the scheduler; len() is its queue size.
            slot = getattr(self.crawler.engine, "_slot", None)
            scheduler = getattr(slot, "scheduler", None)
            try:
                self.queue = len(scheduler) if scheduler is not None else self.queue
            except (TypeError, OSError):
                pass
        return self.queue

    def _refresh(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix(articles=self.articles, duplicates=self.duplicates,
                                 errors=self.errors, dropped=self.dropped,
                                 queue=self._queue_size(), refresh=False)

    def response(self, response: Any, request: Any, spider: Any) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self._refresh()

    def scraped(self, item: Any, response: Any, spider: Any) -> None:
        if isinstance(item, ArticleItem):
            self.articles += 1
            self.duplicates += item.duplicate_of_url is not None
        self._refresh()

    def failed(self, error: Any = None, **kwargs: Any) -> None:
        if error is not None:
            self.errors += 1
            self._refresh()

    def dropped_item(self, item: Any, response: Any, exception: Any, spider: Any) -> None:
        self.dropped += 1
        self._refresh()

    def error(self, failure: Any, response: Any, spider: Any) -> None:
        self.errors += 1
        self._refresh()
