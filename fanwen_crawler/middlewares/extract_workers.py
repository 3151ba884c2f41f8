"""Downloader middleware: pages are extracted in worker processes, beside the crawl.

Scrapy runs the spider, the pipelines and every middleware on one thread, so on a crawl
of a fast portal that thread is the limit; extraction is the largest part of its work
per page (docs/benchmarks.md). `ExtractWorkersMiddleware` hands each HTML response the
spider will read to a process pool running the same pure `extract_page(body, url,
headers, profile)`, awaits the result (the reactor keeps fetching meanwhile) and leaves
it in the response's meta, where `spiders.pages.read_page` takes it instead of extracting
again. Nothing else changes: same function, same result, same error accounting.

- FANWEN_EXTRACT_WORKERS: worker processes; None (default) = one fewer than the CPUs,
  at most 4; 0 = extract in the crawl process, as before.
- FANWEN_EXTRACT_WORKERS_AFTER: pages extracted in-process before the pool starts
  (default 100): a small crawl never pays for starting workers (~0.5 s each).
- A worker that dies or a result that cannot be returned is counted
  (`fanwen/extract_workers/failed`), the page is extracted in-process instead and the
  pool is replaced; an `ExtractionError` in a worker is reported like one in-process.
Stats: `fanwen/extract_workers/pages` (extracted in workers), `…/workers`.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import is_asyncio_available

from fanwen_crawler.extractors.job import extract_or_error, start_worker
from fanwen_crawler.spiders.pages import PAGE_META, page_content_type

logger = logging.getLogger(__name__)

MAX_AUTO_WORKERS = 4


def auto_workers(cpus: int | None = None) -> int:
    """One fewer than the CPUs (the crawl keeps one), at most MAX_AUTO_WORKERS."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    return max(0, min(MAX_AUTO_WORKERS, cpus - 1))


class ExtractWorkersMiddleware:
    """Extract the spider's HTML responses in a process pool; the result goes in meta."""

    def __init__(self, crawler: Crawler, workers: int, after: int) -> None:
        self.crawler = crawler
        self.workers = workers
        self.after = after
        self.seen = 0
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractWorkersMiddleware:
        setting = crawler.settings.get("FANWEN_EXTRACT_WORKERS")
        workers = auto_workers() if setting in (None, "", "auto") else int(setting)
        if workers <= 0:
            raise NotConfigured
        mw = cls(crawler, workers, crawler.settings.getint("FANWEN_EXTRACT_WORKERS_AFTER", 100))
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _wanted(self, request: Request, response: Response) -> bool:
        spider = self.crawler.spider
        callback = getattr(request.callback, "__func__", None)
        if spider is None or callback is None or getattr(request.callback, "__self__", None) \
                is not spider or callback.__name__ not in ("parse_page", "parse_continuation"):
            return False
        if not 200 <= response.status < 300 or not response.body:
            return False
        return page_content_type(response) is not None

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            # spawn, not fork: the crawl process holds SQLite connections and threads.
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker, initargs=(os.getpid(),))
            self._inc("fanwen/extract_workers/workers", self.workers)
            logger.info("extracting pages in %d worker process(es)", self.workers)
        return self.pool

    async def process_response(self, request: Request, response: Response) -> Response:
        if not self._wanted(request, response) or not is_asyncio_available():
            return response
        self.seen += 1
        if self.seen <= self.after:
            return response
        ctype = page_content_type(response) or "text/html"
        try:
            future: Future[Any] = self._pool().submit(
                extract_or_error, response.body, response.url, ctype,
                getattr(self.crawler.spider, "profile", None))
            result = await asyncio.wrap_future(future)
        except Exception as exc:  # a dead worker (BrokenProcessPool), a pickling failure …
            self._inc("fanwen/extract_workers/failed")
            logger.warning("extract worker failed on %s (%s: %s); extracting in-process",
                           response.url, type(exc).__name__, exc)
            self._discard_pool()
            return response
        request.meta[PAGE_META] = result
        self._inc("fanwen/extract_workers/pages")
        return response

    def _discard_pool(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def spider_closed(self, spider: Any = None, reason: str = "") -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
