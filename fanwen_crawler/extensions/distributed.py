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
- Starting: if the queue is empty and no worker has been busy recently, the previous
  crawl under this key is over, so its fingerprint set is cleared (under a Redis lock, so
  two workers starting together do not both reset it).

Limitation: requests a worker has taken from the queue are in that worker's memory. If
it is killed (SIGKILL, OOM, power), those requests — and articles it parsed but had not
yet written — are lost to this run; their URLs stay in the fingerprint set. The other
workers finish the rest of the frontier. Recover the lost articles with an incremental
sweep after merging: `fanwen crawl URL --db corpus.db` fetches list pages and only the
articles the corpus lacks.
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


def redis_keys(key: str) -> dict[str, str]:
    """The Redis keys of one distributed crawl under the prefix `key`."""
    return {name: f"{key}:{name}" for name in ("requests", "dupefilter", "busy", "lock")}


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
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
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

    def _last_busy(self) -> float:
        newest = self.server.zrevrange(self.keys["busy"], 0, 0, withscores=True)
        return float(newest[0][1]) if newest else 0.0

    def spider_opened(self, spider: Any) -> None:
        from scrapy.utils.asyncio import create_looping_call

        self.keys = redis_keys(self.key_template % {"spider": spider.name})
        lock = self.server.lock(self.keys["lock"], timeout=LOCK_SECONDS,
                                blocking_timeout=LOCK_SECONDS)
        with lock:
            running = self.queue_size() > 0 or time.time() - self._last_busy() < self.idle_exit
            if not running:
                # The previous crawl under this key is over: forget what it fetched.
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
