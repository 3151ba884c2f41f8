"""A crash-safe frontier: Scrapy's scheduler interface over a SQLite file in the job dir.

Scrapy's own JOBDIR queues are only consistent after a clean shutdown: after SIGKILL the
seen-set may list requests whose queue entries were lost, and the active priorities are
never written. `SqliteFrontier` (a `BaseScheduler`, set by `FrontierAddon` whenever JOBDIR
is set and the frontier is not in Redis) keeps both in one SQLite database,
`JOBDIR/frontier.sqlite3`, and changes them in transactions:

- `requests (id, priority, taken, data)`: every request not yet finished; `data` is the
  pickled `Request.to_dict()` (plain values only, rebuilt with `request_from_dict`, which
  ignores keys another Scrapy version added, so a state dir from another version resumes).
- `seen (fingerprint)`: the duplicate filter, written in the same transaction as the queue.

A request handed to the engine stays in `requests` until the engine is done with it: its
callback ran, the requests it yielded are in `requests`, its items passed the pipelines. Then
its row is deleted, in the same transaction as the rows of its children. Before that
transaction commits, item pipelines that buffer (those with a `flush()` method, such as the
store) are flushed, so a request is forgotten only once what it produced is on disk.
Commits happen every `COMMIT_EVERY` finished requests and at least every `COMMIT_SECONDS`.

At most CONCURRENT_REQUESTS requests are handed out and not yet committed as finished at
any time (downloading, waiting for the spider, or finished in the open transaction):
`next_request` returns None (commits first, if that frees a place) until one finishes.

Ctrl-C, SIGTERM and SIGKILL therefore resume the same way: every row still in `requests`
is queued again. What is fetched twice is at most those CONCURRENT_REQUESTS requests; no
page whose children were committed is fetched again.

"Done with it" is read from the engine's set of requests in progress, the one piece of
Scrapy internals used here (`engine._slot.inprogress`); tests/test_frontier.py fails if a
Scrapy upgrade removes it. Without it the frontier still works, but finished rows are only
deleted when the crawl finishes (a resume then refetches more).

A retry or redirect the downloader middlewares schedule for a handed-out request replaces
that request's row; a request yielded by a callback is a new row. Requests that cannot be
pickled stay in memory (counted as `fanwen/frontier/memory`; lost on a crash).
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
import time
from collections import deque
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.request import request_from_dict

logger = logging.getLogger(__name__)

FILENAME = "frontier.sqlite3"
FORMAT = "1"
ROW = "fanwen_frontier_row"
"""Request meta key: the frontier row of a handed-out request (set by `next_request`)."""
COMMIT_EVERY = 4
COMMIT_SECONDS = 0.5
PICKLE_PROTOCOL = 4

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS frontier_meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, priority INTEGER NOT NULL, "
    "taken INTEGER NOT NULL DEFAULT 0, data BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS requests_next ON requests (priority DESC, id) WHERE taken = 0",
    "CREATE TABLE IF NOT EXISTS seen (fingerprint BLOB PRIMARY KEY) WITHOUT ROWID",
)


class InFlight:
    """Requests handed to the engine, by key, until the engine is done with them.

    "Done" is read from the engine's set of requests in progress (`engine._slot.inprogress`):
    a request leaves it once its callback or errback ran, the requests it yielded were
    scheduled and its items passed the pipelines. Shared by the SQLite and Redis frontiers.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._requests: dict[Any, Request] = {}
        self._warned = False

    def __len__(self) -> int:
        return len(self._requests)

    def __contains__(self, key: Any) -> bool:
        return key in self._requests

    def add(self, key: Any, request: Request) -> None:
        self._requests[key] = request

    def discard(self, key: Any) -> None:
        self._requests.pop(key, None)

    def done(self) -> list[Any]:
        """Keys of the handed-out requests the engine is done with (removed from here)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        inprogress = getattr(slot, "inprogress", None)
        if inprogress is None:
            if not self._warned and self._requests:
                self._warned = True
                logger.warning("frontier: this Scrapy has no engine._slot.inprogress; handed-"
                               "out requests are forgotten only when the crawl finishes")
            return []
        finished = [k for k, request in self._requests.items() if request not in inprogress]
        for key in finished:
            del self._requests[key]
        return finished


def flush_pipelines(crawler: Crawler) -> None:
    """Make item pipelines that buffer (those with a `flush()`, e.g. the store) write now."""
    itemproc = getattr(getattr(crawler.engine, "scraper", None), "itemproc", None)
    for pipeline in getattr(itemproc, "middlewares", ()):
        flush = getattr(pipeline, "flush", None)
        if callable(flush):
            flush()


class FrontierAddon:
    """Use `SqliteFrontier` as the scheduler whenever JOBDIR is set (and not Redis)."""

    def update_settings(self, settings: BaseSettings) -> None:
        if settings.get("JOBDIR") and not settings.get("FANWEN_REDIS_URL"):
            settings.set("SCHEDULER", "fanwen_crawler.frontier.SqliteFrontier", priority="addon")


def open_frontier_db(path: Path) -> sqlite3.Connection:
    """Open (creating) the frontier database; autocommit mode, transactions made explicit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL: a killed process loses nothing committed; only power loss may drop the last.
    conn.execute("PRAGMA synchronous = NORMAL")
    for statement in SCHEMA:
        conn.execute(statement)
    return conn


class SqliteFrontier(BaseScheduler):
    """The scheduler: a SQLite queue + seen-set, rows deleted only when their request is done."""

    def __init__(self, crawler: Crawler, jobdir: Path, max_inflight: int = 16) -> None:
        self.crawler = crawler
        self.max_inflight = max(1, max_inflight)
        self.path = jobdir / FILENAME
        self.conn: sqlite3.Connection | None = None
        self.spider: Spider | None = None
        self.resumed = False
        self._pending = 0
        self._inflight = InFlight(crawler)
        self._responded: set[int] = set()
        self._finished: list[int] = []
        self._memory: deque[Request] = deque()
        self._last_commit = time.monotonic()
        self._loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SqliteFrontier:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise ValueError("SqliteFrontier needs JOBDIR (the state dir's job directory)")
        frontier = cls(crawler, Path(jobdir),
                       max_inflight=crawler.settings.getint("CONCURRENT_REQUESTS", 16))
        crawler.signals.connect(frontier.response_received, signal=signals.response_received)
        crawler.signals.connect(frontier.spider_opened, signal=signals.spider_opened)
        return frontier

    # --- lifecycle ------------------------------------------------------------------------

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.conn = open_frontier_db(self.path)
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR IGNORE INTO frontier_meta VALUES ('format', ?)", [FORMAT])
        self.resumed = conn.execute("SELECT count(*) FROM seen").fetchone()[0] > 0
        # Whatever was handed out when the last run stopped (any way) is queued again.
        conn.execute("UPDATE requests SET taken = 0 WHERE taken != 0")
        conn.execute("COMMIT")
        self._pending = conn.execute("SELECT count(*) FROM requests").fetchone()[0]
        self._begin()
        if self.resumed:
            logger.info("frontier: resuming %d pending requests from %s", self._pending,
                        self.path)
            self._stat("fanwen/frontier/resumed", self._pending)

    def spider_opened(self, spider: Any = None) -> None:
        # Started from the signal, inside the running event loop.
        from scrapy.utils.asyncio import create_looping_call

        self._loop = create_looping_call(self._tick)
        self._loop.start(COMMIT_SECONDS, now=False)

    def close(self, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.conn is None:
            return
        self._sweep()
        self._commit()
        logger.info("frontier: closed (%s) with %d requests left in %s", reason,
                    self.conn.execute("SELECT count(*) FROM requests").fetchone()[0], self.path)
        self.conn.close()
        self.conn = None

    def __len__(self) -> int:
        return self._pending + len(self._memory)

    def has_pending_requests(self) -> bool:
        self._sweep()
        return len(self) > 0

    # --- the queue --------------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        assert self.conn is not None
        replaces = request.meta.get(ROW)
        if replaces is not None and (replaces not in self._inflight
                                     or replaces in self._responded):
            replaces = None  # a callback's child that copied its parent's meta: a new row
        if self._filtered(request):
            if replaces is not None:  # a redirect to a page already seen: the row is done
                self._inflight.discard(replaces)
                self._finished.append(replaces)
            return False
        data = self._serialise(request)
        if data is None:
            self._memory.append(request)
            self._stat("fanwen/frontier/memory")
            return True
        if replaces is not None:
            # A retry or redirect of a handed-out request: it takes over the row.
            self._inflight.discard(replaces)
            self.conn.execute("UPDATE requests SET priority = ?, taken = 0, data = ? WHERE id = ?",
                              [request.priority, data, replaces])
        else:
            self.conn.execute("INSERT INTO requests (priority, data) VALUES (?, ?)",
                              [request.priority, data])
        self._pending += 1
        self._stat("scheduler/enqueued/disk")
        return True

    def next_request(self) -> Request | None:
        assert self.conn is not None
        self._sweep()
        if len(self._inflight) + len(self._finished) >= self.max_inflight:
            # Never more unfinished (or finished, uncommitted) requests than the concurrency:
            # that is all a crash may cost. The engine asks again when one finishes.
            if self._finished:
                self._commit()
            if len(self._inflight) >= self.max_inflight:
                return None
        if self._memory:
            return self._memory.popleft()
        while self._pending > 0:
            row = self.conn.execute(
                "SELECT id, data FROM requests WHERE taken = 0 ORDER BY priority DESC, id LIMIT 1"
            ).fetchone()
            if row is None:
                self._pending = 0
                return None
            row_id, data = row
            self.conn.execute("UPDATE requests SET taken = 1 WHERE id = ?", [row_id])
            self._pending -= 1
            request = self._deserialise(data)
            if request is None:  # unreadable (code changed under the state dir): dropped
                self._finished.append(row_id)
                continue
            request.meta[ROW] = row_id
            self._inflight.add(row_id, request)
            self._stat("scheduler/dequeued/disk")
            return request
        return None

    def response_received(self, response: Any, request: Request, spider: Any = None) -> None:
        # From now on, a request carrying this row id was yielded by its callback.
        row = request.meta.get(ROW)
        if row is not None and row in self._inflight:
            self._responded.add(row)

    def request_seen(self, request: Request) -> bool:
        """Whether `request` was seen before, recording it if not: the dupefilter's question
        for requests downloaded outside the queue (sitemaps), kept across resumes too."""
        assert self.conn is not None
        fingerprint = self.crawler.request_fingerprinter.fingerprint(request)  # type: ignore[union-attr]
        return not self.conn.execute("INSERT OR IGNORE INTO seen VALUES (?)",
                                     [fingerprint]).rowcount

    # --- internals --------------------------------------------------------------------------

    def _filtered(self, request: Request) -> bool:
        assert self.conn is not None
        fingerprint = self.crawler.request_fingerprinter.fingerprint(request)  # type: ignore[union-attr]
        added = self.conn.execute("INSERT OR IGNORE INTO seen VALUES (?)",
                                  [fingerprint]).rowcount
        if added:
            return False
        start_again = self.resumed and request.meta.get("is_start_request")
        if request.dont_filter and not start_again:
            return False
        self._stat("dupefilter/filtered")
        return True

    def _serialise(self, request: Request) -> bytes | None:
        try:
            d = request.to_dict(spider=self.spider)
            d["meta"] = {k: v for k, v in d.get("meta", {}).items() if k != ROW}
            return pickle.dumps(d, protocol=PICKLE_PROTOCOL)
        except (ValueError, TypeError, AttributeError, pickle.PicklingError) as exc:
            logger.debug("frontier: keeping %s in memory (%s)", request, exc)
            return None

    def _deserialise(self, data: bytes) -> Request | None:
        try:
            return request_from_dict(pickle.loads(data), spider=self.spider)
        except Exception as exc:  # a request pickled by other code: say so, go on
            logger.warning("frontier: dropping a stored request that cannot be read: %r", exc)
            self._stat("fanwen/frontier/unreadable")
            return None

    def _sweep(self) -> None:
        """Move handed-out requests the engine is done with to the finished list."""
        done = self._inflight.done()
        for row in done:
            self._responded.discard(row)
        self._finished.extend(done)
        if len(self._finished) >= COMMIT_EVERY:
            self._commit()

    def _tick(self) -> None:
        self._sweep()
        if self._finished or time.monotonic() - self._last_commit >= COMMIT_SECONDS:
            self._commit()

    def _begin(self) -> None:
        assert self.conn is not None
        self.conn.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        """Flush buffering pipelines, delete finished rows, commit, start the next transaction."""
        if self.conn is None:
            return
        if self._finished:
            flush_pipelines(self.crawler)
            self.conn.executemany("DELETE FROM requests WHERE id = ?",
                                  [(r,) for r in self._finished])
            self._stat("fanwen/frontier/finished", len(self._finished))
            self._finished = []
        self.conn.execute("COMMIT")
        self._last_commit = time.monotonic()
        self._begin()

    def _stat(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)
