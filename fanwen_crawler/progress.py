"""A tqdm progress bar for crawls on a terminal: pages, articles, duplicates, errors.

Enabled by FANWEN_PROGRESS (the CLI sets it when stderr is a TTY and --quiet is not
given). It only counts signals; it never touches items.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from tqdm import tqdm

from fanwen_crawler.items import ArticleItem, CrawlError


class ProgressBar:
    def __init__(self) -> None:
        self.bar: tqdm[Any] | None = None
        self.articles = self.duplicates = self.errors = self.dropped = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressBar:
        if not crawler.settings.getbool("FANWEN_PROGRESS"):
            raise NotConfigured
        ext = cls()
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response, signal=signals.response_received)
        crawler.signals.connect(ext.scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.dropped_item, signal=signals.item_dropped)
        crawler.signals.connect(ext.error, signal=signals.spider_error)
        return ext

    def opened(self, spider: Any) -> None:
        self.bar = tqdm(desc="pages", unit="page", dynamic_ncols=True, leave=True)

    def closed(self, spider: Any, reason: str) -> None:
        if self.bar is not None:
            self._refresh()
            self.bar.close()

    def _refresh(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix(articles=self.articles, duplicates=self.duplicates,
                                 errors=self.errors, dropped=self.dropped, refresh=False)

    def response(self, response: Any, request: Any, spider: Any) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self._refresh()

    def scraped(self, item: Any, response: Any, spider: Any) -> None:
        if isinstance(item, ArticleItem):
            self.articles += 1
            self.duplicates += item.duplicate_of_url is not None
        elif isinstance(item, CrawlError):
            self.errors += 1
        self._refresh()

    def dropped_item(self, item: Any, response: Any, exception: Any, spider: Any) -> None:
        self.dropped += 1
        self._refresh()

    def error(self, failure: Any, response: Any, spider: Any) -> None:
        self.errors += 1
        self._refresh()
