"""Distributed crawling: many worker processes share one frontier in Redis (scrapy-redis).

`fanwen crawl URL --redis redis://HOST:PORT/DB --db shard-N.db` on any number of hosts
runs one crawl together: scrapy-redis' Scheduler keeps the request queue in Redis and its
RFPDupeFilter keeps one fingerprint set, so no page is fetched twice and the start URL,
pushed by whichever worker comes first, is fetched once. Each worker writes its own shard
database; `fanwen merge` combines them (see `fanwen_crawler.corpus.merge`).

Everything is driven by settings (FANWEN_REDIS_URL, FANWEN_REDIS_KEY, FANWEN_IDLE_EXIT),
so `scrapy crawl` and scrapyd can start workers too. `RedisFrontierAddon` switches the
scheduler and dupefilter over when FANWEN_REDIS_URL is set; `RedisFrontier` (an extension)
does what scrapy-redis leaves to the user:

- Ending: a worker whose own work is done waits while the shared queue is non-empty or
  any worker was busy within the last FANWEN_IDLE_EXIT seconds (workers publish a
  heartbeat to `<key>:busy` twice a second while they have requests in flight), and
  exits on its own after that. The reactor is never blocked (no BLPOP).
- Starting: if the queue is empty, nothing is being processed and no worker has been
  busy recently, the previous crawl under this key is over, so its fingerprint set is
  cleared (under a Redis lock, so two workers starting together do not both reset it).

Reliable queue (`ReliableScheduler` + `ReliablePriorityQueue`, the reliable-queue pattern
on scrapy-redis): a worker takes a request by moving it, atomically (a Lua script), from
the shared queue to `<key>:requests:processing`, under a token naming the worker. It
renews a lease for itself in `<key>:requests:alive` (Redis server time + FANWEN_REDIS_LEASE
seconds) twice a second. When the engine is done with a request (the same test as the
crash-safe SQLite frontier: `fanwen_crawler.frontier.InFlight`) and the worker's buffering
pipelines have written its items to the shard, the entry is deleted. Live workers put the
entries of workers whose lease expired back in the queue. So a worker killed by SIGKILL, OOM
or power loses nothing: what it held is crawled by the others, fetched twice at most for
the requests it had in flight. A worker stopped by Ctrl-C puts its unfinished requests back
itself. A worker holds at most CONCURRENT_REQUESTS unfinished requests.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
import warnings
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured, ScrapyDeprecationWarning
from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

DEFAULT_KEY = "fanwen:%(spider)s"
HEARTBEAT_SECONDS = 0.5
LOCK_SECONDS = 10
DEFAULT_LEASE_SECONDS = 30.0
PROCESSING_SUFFIX = ":processing"
ALIVE_SUFFIX = ":alive"
TOKEN = "fanwen_redis_token"
"""Request meta key: the processing-entry token of a request a worker took."""

# KEYS: queue, processing; ARGV: token. Move the first request to processing (score|data).
TAKE = """
local items = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #items == 0 then return false end
redis.call('ZREM', KEYS[1], items[1])
redis.call('HSET', KEYS[2], ARGV[1], items[2] .. '|' .. items[1])
return items[1]
"""
# KEYS: queue, processing, alive; ARGV: worker ('' = any whose lease expired). Put back.
RELEASE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local fields = redis.call('HGETALL', KEYS[2])
local n = 0
for i = 1, #fields, 2 do
  local worker = string.match(fields[i], '^(.*)#')
  local expiry = redis.call('ZSCORE', KEYS[3], worker)
  local gone = (not expiry) or tonumber(expiry) < t
  if (ARGV[1] == '' and gone) or worker == ARGV[1] then
    local sep = string.find(fields[i + 1], '|', 1, true)
    redis.call('ZADD', KEYS[1], tonumber(string.sub(fields[i + 1], 1, sep - 1)),
               string.sub(fields[i + 1], sep + 1))
    redis.call('HDEL', KEYS[2], fields[i])
    n = n + 1
  end
end
return n
"""
# KEYS: alive; ARGV: worker, lease seconds. The worker's lease runs to server time + lease.
RENEW = """
local now = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(now[1]) + tonumber(now[2]) / 1e6 + tonumber(ARGV[2]),
           ARGV[1])
return 1
"""


def redis_keys(key: str) -> dict[str, str]:
    """The Redis keys of one distributed crawl under the prefix `key`."""
    keys = {name: f"{key}:{name}" for name in ("requests", "dupefilter", "busy", "lock")}
    keys["processing"] = keys["requests"] + PROCESSING_SUFFIX
    keys["alive"] = keys["requests"] + ALIVE_SUFFIX
    return keys


class RedisFrontierAddon:
    """Point Scrapy's scheduler and dupefilter at Redis when FANWEN_REDIS_URL is set."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("FANWEN_REDIS_URL")
        if not url:
            return
        # scrapy-redis 0.9 still passes spider= to the stats collector on every request.
        warnings.filterwarnings("ignore", message="Passing a 'spider' argument",
                                category=ScrapyDeprecationWarning, module="scrapy_redis")
        if settings.get("JOBDIR"):
            raise ValueError("FANWEN_REDIS_URL and JOBDIR exclude each other: the frontier "
                             "lives in Redis")
        keys = redis_keys(settings.get("FANWEN_REDIS_KEY") or DEFAULT_KEY)
        for name, value in {
            "SCHEDULER": "fanwen_crawler.extensions.distributed.ReliableScheduler",
            "SCHEDULER_QUEUE_CLASS": "fanwen_crawler.extensions.distributed.ReliablePriorityQueue",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "REDIS_URL": url,
            # A worker that finishes must not wipe the queue the others still work on.
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_FLUSH_ON_START": False,
            # No blocking pop: it would stall the reactor. RedisFrontier polls instead.
            "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
            "SCHEDULER_QUEUE_KEY": keys["requests"],
            "SCHEDULER_DUPEFILTER_KEY": keys["dupefilter"],
        }.items():
            settings.set(name, value, priority="addon")
        settings["EXTENSIONS"]["fanwen_crawler.extensions.distributed.RedisFrontier"] = 510


class RedisFrontier:
    """Worker heartbeat, stale-crawl reset and idle exit for a shared Redis frontier."""

    def __init__(self, crawler: Crawler, url: str, key: str, idle_exit: float) -> None:
        import redis

        self.crawler = crawler
        self.server = redis.Redis.from_url(url)
        self.key_template = key
        self.idle_exit = idle_exit
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.keys: dict[str, str] = {}
        self._loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisFrontier:
        url = crawler.settings.get("FANWEN_REDIS_URL")
        if not url:
            raise NotConfigured
        ext = cls(crawler, url, crawler.settings.get("FANWEN_REDIS_KEY") or DEFAULT_KEY,
                  crawler.settings.getfloat("FANWEN_IDLE_EXIT", 10.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def queue_size(self) -> int:
        """Requests waiting in the shared queue (all workers)."""
        return int(self.server.zcard(self.keys["requests"]))

    def processing_size(self) -> int:
        """Requests taken by some worker and not finished yet (all workers)."""
        return int(self.server.hlen(self.keys["processing"]))

    def _last_busy(self) -> float:
        newest = self.server.zrevrange(self.keys["busy"], 0, 0, withscores=True)
        return float(newest[0][1]) if newest else 0.0

    def spider_opened(self, spider: Any) -> None:
        from scrapy.utils.asyncio import create_looping_call

        self.keys = redis_keys(self.key_template % {"spider": spider.name})
        lock = self.server.lock(self.keys["lock"], timeout=LOCK_SECONDS,
                                blocking_timeout=LOCK_SECONDS)
        with lock:
            running = (self.queue_size() > 0 or self.processing_size() > 0
                       or time.time() - self._last_busy() < self.idle_exit)
            if not running:
                # The previous crawl under this key is over: forget what it fetched.
                # (Leases stay: this worker's own is already there, a dead one's expires.)
                self.server.delete(self.keys["dupefilter"], self.keys["busy"])
                logger.info("redis frontier %s: starting a new crawl", self.keys["requests"])
            else:
                logger.info("redis frontier %s: joining a running crawl (%d queued)",
                            self.keys["requests"], self.queue_size())
                if self.crawler.stats is not None:
                    self.crawler.stats.set_value("fanwen/redis/joined", 1)
            self.server.zadd(self.keys["busy"], {self.worker: time.time()})
        self._loop = create_looping_call(self._heartbeat)
        self._loop.start(HEARTBEAT_SECONDS, now=False)

    def _heartbeat(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine.spider is None:
            return
        scraper_slot = getattr(engine.scraper, "slot", None)
        if engine.downloader.active or (scraper_slot is not None and not scraper_slot.is_idle()):
            self.server.zadd(self.keys["busy"], {self.worker: time.time()})
        # Let the engine pull from the shared queue (other workers fill it) and re-check
        # spider_idle now rather than at its 5-second heartbeat. Scrapy has no public hook.
        slot = getattr(engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def spider_idle(self, spider: Any) -> None:
        if self.queue_size() > 0:
            raise DontCloseSpider
        if self.processing_size() > 0:
            # Held by a worker: it finishes them, or its lease expires and they come back.
            raise DontCloseSpider
        quiet_for = time.time() - self._last_busy()
        if quiet_for < self.idle_exit:
            raise DontCloseSpider
        logger.info("redis frontier empty and no worker busy for %.1fs: exiting", quiet_for)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.keys:
            self.server.zrem(self.keys["busy"], self.worker)
        self.server.close()


class ReliablePriorityQueue:
    """scrapy-redis' priority queue, taking a request into a processing entry (see above)."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        from scrapy_redis.queue import PriorityQueue

        self._queue = PriorityQueue(server, spider, key, serializer)
        self.server, self.key = server, self._queue.key
        self.processing_key = self.key + PROCESSING_SUFFIX
        self.alive_key = self.key + ALIVE_SUFFIX
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._seq = 0
        self._take = server.register_script(TAKE)
        self._release = server.register_script(RELEASE)
        self._renew = server.register_script(RENEW)

    def __len__(self) -> int:
        return len(self._queue)

    def clear(self) -> None:
        self._queue.clear()

    def push(self, request: Any) -> None:
        request.meta.pop(TOKEN, None)  # a child or retry copied its parent's meta
        self._queue.push(request)

    def pop(self, timeout: int = 0) -> Any:
        self._seq += 1
        token = f"{self.worker}#{self._seq}"
        data = self._take(keys=[self.key, self.processing_key], args=[token])
        if not data:
            return None
        request = self._queue._decode_request(data)
        request.meta[TOKEN] = token
        return request

    def ack(self, tokens: list[str]) -> None:
        if tokens:
            self.server.hdel(self.processing_key, *tokens)

    def renew(self, lease: float) -> None:
        self._renew(keys=[self.alive_key], args=[self.worker, lease])

    def release(self, worker: str = "") -> int:
        """Put back the entries of `worker`, or ('') of every worker whose lease expired."""
        return int(self._release(keys=[self.key, self.processing_key, self.alive_key],
                                 args=[worker]))

    def leave(self) -> None:
        self.release(self.worker)
        self.server.zrem(self.alive_key, self.worker)


class ReliableScheduler:
    """scrapy-redis' Scheduler with acknowledged requests, leases and reclaiming (see above)."""

    def __init__(self, inner: Any, crawler: Crawler) -> None:
        from fanwen_crawler.frontier import InFlight

        self.inner = inner
        self.crawler = crawler
        self.inflight = InFlight(crawler)
        self.max_inflight = max(1, crawler.settings.getint("CONCURRENT_REQUESTS", 16))
        self.lease = crawler.settings.getfloat("FANWEN_REDIS_LEASE", DEFAULT_LEASE_SECONDS)
        self._loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReliableScheduler:
        from scrapy_redis.scheduler import Scheduler

        return cls(Scheduler.from_crawler(crawler), crawler)

    @property
    def queue(self) -> ReliablePriorityQueue:
        return self.inner.queue  # type: ignore[no-any-return]

    @property
    def df(self) -> Any:
        """The shared (Redis) duplicate filter, for requests made outside the queue."""
        return self.inner.df

    def open(self, spider: Any) -> None:
        from scrapy.utils.asyncio import create_looping_call

        self.inner.open(spider)
        self.queue.renew(self.lease)
        self._loop = create_looping_call(self._heartbeat)
        self._loop.start(HEARTBEAT_SECONDS, now=False)

    def _heartbeat(self) -> None:
        self.queue.renew(self.lease)
        self._ack_done()
        reclaimed = self.queue.release()
        if reclaimed:
            logger.warning("redis frontier: put back %d requests of a worker that is gone",
                           reclaimed)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("fanwen/redis/reclaimed", reclaimed)

    def _ack_done(self) -> None:
        done = self.inflight.done()
        if done:
            from fanwen_crawler.frontier import flush_pipelines

            flush_pipelines(self.crawler)  # the shard holds what they produced: then forget
            self.queue.ack(done)

    def close(self, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._ack_done()
        self.queue.leave()  # unfinished requests go back to the shared queue
        self.inner.close(reason)

    def __len__(self) -> int:
        return len(self.inner)

    def has_pending_requests(self) -> bool:
        self._ack_done()
        return bool(self.inner.has_pending_requests())

    def enqueue_request(self, request: Any) -> bool:
        return bool(self.inner.enqueue_request(request))

    def next_request(self) -> Any:
        self._ack_done()
        if len(self.inflight) >= self.max_inflight:
            return None
        request = self.inner.next_request()
        if request is not None:
            self.inflight.add(request.meta[TOKEN], request)
        return request
