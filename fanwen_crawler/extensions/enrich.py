"""Keywords and the search index, computed while the crawl runs: the `Enrich` extension.

So every entry point leaves the same corpus: `fanwen crawl`, `scrapy crawl portal …` and
a scrapyd job all end with TF-IDF keywords for the new articles and the word-level
search index up to date. At spider_opened one worker process starts
(`fanwen_crawler.corpus.enrich.EnrichWorker`, spawned); the store pipeline sends
`articles_stored` with the ids of each batch it committed, and the worker does them while
the crawl goes on, writing in its own short transactions. At spider_closed the extension
waits for the batches still queued, then runs a catch-up in this process
(`compute_keywords` for articles missing keywords, `sync_search_index` for queued ones),
so nothing is lost after a resume, a busy corpus or a dead worker (logged as an error and
counted in `fanwen/enrich/worker_died`).

An interrupted crawl (reason "shutdown") stops the worker after its round in hand and
leaves the rest to the next run, as does a crawl stopped by a corpus write failure; the
rounds already written stay. Off with FANWEN_KEYWORDS = False (`--no-keywords`): no worker
then. Stats: `fanwen/keywords/computed`, `fanwen/search/indexed` (totals),
`fanwen/keywords/caught_up`, `fanwen/search/caught_up` (the closing catch-up's share),
`fanwen/enrich/submitted` (ids handed to the worker), `fanwen/enrich/rounds`,
`fanwen/enrich/worker_seconds` (its busy time), `fanwen/enrich/errors`,
`fanwen/enrich/worker_died` (why, when it did), `fanwen/enrich/wait_seconds` (spider_closed
waiting for the worker) and `fanwen/postcrawl/seconds` (wait + catch-up).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from fanwen_crawler.corpus.storage import Corpus
from fanwen_crawler.extensions.corpus import articles_stored, crawl_corpus

logger = logging.getLogger(__name__)

POLL_INTERVAL_S = 2.0
ABORT_WAIT_S = 10.0
FINISH_WAIT_S = 1800.0
"""How long spider_closed waits for the worker's backlog (~700 articles/s) before giving up
on it (reported as dead; the catch-up does the rest in this process)."""


class Enrich:
    """Hand each stored batch to the worker; wait for it and catch up at spider_closed."""

    def __init__(self, crawler: Crawler, corpus: Corpus, progress: bool) -> None:
        self.crawler = crawler
        self.corpus = corpus
        self.progress = progress
        self.worker: Any = None
        self._task: Any = None
        self._died_reported = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Enrich:
        if not crawler.settings.getbool("FANWEN_KEYWORDS", True):
            raise NotConfigured
        ext = cls(crawler, crawl_corpus(crawler), crawler.settings.getbool("FANWEN_PROGRESS"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.articles_stored, signal=articles_stored)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _set(self, key: str, value: Any) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(key, value)

    def spider_opened(self, spider: Any = None) -> None:
        from fanwen_crawler.corpus.search_index import migrate_segmenter

        # An index another segmenter built is queued whole now (the catch-up re-segments
        # it), so the worker never adds rows of a second segmentation to it.
        migrate_segmenter(self.corpus.db.conn)
        if self.corpus.path is None:
            return  # an in-memory corpus: no worker can open it; the catch-up does it all
        from scrapy.utils.asyncio import create_looping_call

        from fanwen_crawler.corpus.enrich import EnrichWorker

        self.worker = EnrichWorker(self.corpus.path)
        self.worker.start()
        self._task = create_looping_call(self.poll)
        self._task.start(POLL_INTERVAL_S, now=False)

    def articles_stored(self, ids: list[int]) -> None:
        if self.worker is not None and not self.worker.submit(ids):
            self.poll()

    def poll(self) -> None:
        """Take the worker's progress into the stats; report a dead worker once."""
        if self.worker is None:
            return
        done = self.worker.poll()
        self._set("fanwen/keywords/computed", done.keywords)
        self._set("fanwen/search/indexed", done.indexed)
        if self.worker.died is not None and not self._died_reported:
            self._died_reported = True
            logger.error("keywords/search-index worker died (%s); the articles it had not "
                         "done are caught up when the crawl ends", self.worker.died)
            self._set("fanwen/enrich/worker_died", self.worker.died)

    def spider_closed(self, spider: Any = None, reason: str = "finished") -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        stats = self.crawler.stats
        fatal = stats is not None and stats.get_value("fanwen/store/fatal")
        started = time.monotonic()
        if self.worker is not None:
            if reason == "shutdown" or fatal:
                self.worker.abort(ABORT_WAIT_S)
            else:
                self.worker.finish(FINISH_WAIT_S)
            self.poll()
            done = self.worker.progress
            self._set("fanwen/enrich/submitted", self.worker.submitted)
            self._set("fanwen/enrich/rounds", done.rounds)
            self._set("fanwen/enrich/worker_seconds", round(done.seconds, 3))
            if done.errors:
                self._set("fanwen/enrich/errors", len(done.errors))
                for error in done.errors:
                    logger.warning("keywords/search-index worker: %s", error)
        self._set("fanwen/enrich/wait_seconds", round(time.monotonic() - started, 3))
        if reason == "shutdown" or fatal:
            return  # a resumed run catches up; a corpus that cannot be written takes nothing
        self.catch_up()
        self._set("fanwen/postcrawl/seconds", round(time.monotonic() - started, 3))

    def catch_up(self) -> None:
        """Keywords and index rows still missing (resume, busy corpus, dead worker)."""
        from fanwen_crawler.corpus.keywords import compute_keywords
        from fanwen_crawler.corpus.search_index import sync_search_index

        keywords = compute_keywords(self.corpus, progress=self.progress)
        indexed = sync_search_index(self.corpus.db.conn)
        done = self.worker.progress if self.worker is not None else None
        self._set("fanwen/keywords/caught_up", keywords)
        self._set("fanwen/search/caught_up", indexed)
        self._set("fanwen/keywords/computed", keywords + (done.keywords if done else 0))
        self._set("fanwen/search/indexed", indexed + (done.indexed if done else 0))
        if keywords or indexed:
            logger.info("keywords/search index caught up at close: %d / %d articles",
                        keywords, indexed)
