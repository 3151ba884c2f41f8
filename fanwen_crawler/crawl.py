"""Library API for running a crawl: `run_crawl(CrawlOptions(...)) -> CrawlResult`.

The CLI and `fanwen demo` are thin wrappers around this. A crawl runs the Scrapy
engine in this process (Twisted's reactor cannot be restarted, so call it once per
process), then the post-crawl keyword stage, then reads the corpus summary.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from fanwen_crawler.corpus.search_index import sync_search_index
from fanwen_crawler.corpus.storage import open_corpus
from fanwen_crawler.frontier import FILENAME as FRONTIER_FILE
from fanwen_crawler.profiles import Profile, load_profile
from fanwen_crawler.spiders.portal import PortalSpider

logger = logging.getLogger(__name__)

# Documented exit codes (README "Exit codes").
EXIT_OK = 0
EXIT_FAILED = 1  # nothing fetched: start URL unreachable, or every request failed
EXIT_USAGE = 2  # bad arguments, unknown profile, state dir in use
EXIT_DATABASE = 3  # the database cannot be opened or written
EXIT_INTERRUPTED = 4  # stopped by a signal (Ctrl-C / SIGTERM) before finishing

LOCK_NAME = "crawl.lock"
JOBDIR_NAME = "jobdir"


class CrawlSetupError(Exception):
    """The crawl cannot start; `exit_code` says why."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(kw_only=True)
class CrawlOptions:
    """Everything one crawl needs; defaults are the polite ones from settings.py."""

    start_urls: list[str]
    db_path: Path = Path("data/corpus.db")
    state_dir: Path | None = None
    profile: str | None = None
    max_pages: int | None = None
    delay: float | None = None
    concurrency: int | None = None
    refresh: bool = False
    progress: bool = False
    keywords: bool = True
    log_level: str = "INFO"
    log_file: Path | None = None
    max_articles: int | None = None
    until: str | None = None
    retry_failed: bool = False
    user_agent: str | None = None
    scrub_pii: bool = False
    stats_json: Path | None = None
    redis_url: str | None = None
    redis_key: str | None = None
    idle_exit: float | None = None
    extra_settings: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class CrawlResult:
    """What a crawl did: Scrapy stats, the corpus summary, and the exit code."""

    exit_code: int
    finish_reason: str
    elapsed: float
    stats: dict[str, Any]
    summary: dict[str, Any]
    keywords_computed: int = 0

    @property
    def pages(self) -> int:
        """HTML pages fetched and parsed (robots.txt and error responses excluded)."""
        return sum(int(v) for k, v in self.stats.items() if k.startswith("fanwen/pages/"))

    @property
    def pages_per_second(self) -> float:
        """Pages per second of crawling (spider open to close; start-up excluded)."""
        crawl_time = float(self.stats.get("elapsed_time_seconds") or self.elapsed)
        return self.pages / crawl_time if crawl_time > 0 else 0.0

    @property
    def articles(self) -> dict[str, int]:
        """This run's articles: new, changed (text or fields), unchanged (incl. 304s)."""
        get = lambda key: int(self.stats.get(key, 0))  # noqa: E731
        return {
            "new": get("fanwen/store/inserted"),
            "changed": get("fanwen/store/updated"),
            "unchanged": get("fanwen/store/unchanged") + get("fanwen/refresh/not_modified"),
            "versions_kept": get("fanwen/store/versioned"),
            "not_modified": get("fanwen/refresh/not_modified"),
            "skipped_stored": get("fanwen/skipped/stored"),
            "older_than_until": get("fanwen/until/older"),
        }

    def report(self) -> dict[str, Any]:
        """The machine-readable run summary written by --stats-json."""
        stats = self.stats
        return {
            "exit_code": self.exit_code,
            "exit_reason": self.finish_reason,
            "duration_seconds": round(self.elapsed, 3),
            "crawl_seconds": float(stats.get("elapsed_time_seconds") or 0.0),
            "pages": self.pages,
            "pages_per_second": round(self.pages_per_second, 2),
            "articles": self.articles,
            "duplicates": {"exact": int(stats.get("fanwen/dedupe/exact", 0)),
                           "near": int(stats.get("fanwen/dedupe/near", 0))},
            "errors": int(stats.get("fanwen/store/errors", 0)),
            "retry_failed": {"requested": int(stats.get("fanwen/retry_failed/requested", 0)),
                             "resolved": int(stats.get("fanwen/retry_failed/resolved", 0))},
            "keywords_computed": self.keywords_computed,
            "corpus": {k: self.summary.get(k) for k in ("articles", "unique", "duplicates")},
        }


def check_database(db_path: Path) -> None:
    """Fail early, with a clear message, when the corpus cannot be written."""
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        corpus = open_corpus(db_path)
        corpus.close()
    except (OSError, sqlite3.Error) as exc:
        raise CrawlSetupError(f"cannot write database {db_path}: {exc}", EXIT_DATABASE) from exc


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_state_dir(state_dir: Path) -> Path:
    """Lock the state dir; after an unclean stop, keep the frontier only if it is crash-safe.

    The SQLite frontier (`fanwen_crawler.frontier`) is consistent after any stop, SIGKILL
    included, and resumes as it is. Scrapy's own JOBDIR queues (a state dir written before
    it) are only consistent after a clean shutdown, so those are restarted instead; stored
    articles are skipped anyway (SkipStoredMiddleware), so nothing stored is fetched again.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    lock = state_dir / LOCK_NAME
    jobdir = state_dir / JOBDIR_NAME
    if lock.exists():
        try:
            pid = int(lock.read_text().strip() or 0)
        except ValueError:
            pid = 0
        if pid and pid != os.getpid() and _pid_alive(pid):
            raise CrawlSetupError(f"state dir {state_dir} is in use by process {pid}", EXIT_USAGE)
        if (jobdir / FRONTIER_FILE).exists():  # crash-safe: every committed request resumes
            logger.warning("previous crawl in %s did not stop cleanly; resuming its frontier",
                           state_dir)
        else:
            logger.warning("previous crawl in %s did not stop cleanly; restarting its frontier "
                           "(stored articles are not fetched again)", state_dir)
            shutil.rmtree(jobdir, ignore_errors=True)
    lock.write_text(str(os.getpid()))
    return jobdir


def build_settings(options: CrawlOptions, profile: Profile | None) -> Settings:
    """Project settings plus this run's overrides (CLI > profile > settings.py)."""
    settings = Settings()
    settings.setmodule("fanwen_crawler.settings", priority="project")
    over: dict[str, Any] = {
        "FANWEN_DB_PATH": str(options.db_path),
        "FANWEN_PROGRESS": options.progress,
        "FANWEN_SKIP_STORED": not options.refresh,
        "LOG_LEVEL": options.log_level,
    }
    if options.log_file:
        over["LOG_FILE"] = str(options.log_file)
    delay = options.delay if options.delay is not None else (profile and profile.download_delay)
    concurrency = options.concurrency or (profile and profile.concurrency)
    if delay is not None and delay is not False:
        over["DOWNLOAD_DELAY"] = float(delay)
        if float(delay) == 0:
            # Unthrottled: for one's own mirror, the bundled portal, and benchmarks.
            over["AUTOTHROTTLE_ENABLED"] = False
            over["DOWNLOAD_DELAY_JITTER"] = 0
    if concurrency:
        over["CONCURRENT_REQUESTS_PER_DOMAIN"] = int(concurrency)
        over["CONCURRENT_REQUESTS"] = max(int(concurrency), 16)
    if options.max_pages:
        over["CLOSESPIDER_PAGECOUNT"] = int(options.max_pages)
    if options.max_articles:
        over["FANWEN_MAX_ARTICLES"] = int(options.max_articles)
    if options.until:
        over["FANWEN_UNTIL"] = options.until
    if options.retry_failed:
        over["FANWEN_RETRY_FAILED"] = True
    if options.user_agent:
        over["USER_AGENT"] = options.user_agent
    if options.scrub_pii:
        over["FANWEN_SCRUB_PII"] = True
    if options.redis_url:
        over["FANWEN_REDIS_URL"] = options.redis_url
        # A worker holds only what it downloads right now: a killed worker loses less.
        over["CONCURRENT_REQUESTS"] = int(concurrency or settings.getint(
            "CONCURRENT_REQUESTS_PER_DOMAIN"))
        if options.redis_key:
            over["FANWEN_REDIS_KEY"] = options.redis_key
        if options.idle_exit is not None:
            over["FANWEN_IDLE_EXIT"] = float(options.idle_exit)
    over.update(options.extra_settings)
    settings.setdict(over, priority="cmdline")
    return settings


def run_crawl(options: CrawlOptions) -> CrawlResult:
    """Crawl, store, compute keywords, summarise. Raises CrawlSetupError before starting."""
    if not options.start_urls and not options.profile:
        raise CrawlSetupError("give at least one start URL (or a profile with start_urls)",
                              EXIT_USAGE)
    if options.redis_url and options.state_dir:
        raise CrawlSetupError("--redis and --state-dir exclude each other: with --redis the "
                              "frontier lives in Redis", EXIT_USAGE)
    if options.until:
        from fanwen_crawler.middlewares.until import parse_until

        try:
            options.until = parse_until(options.until)
        except ValueError as exc:
            raise CrawlSetupError(f"--until expects YYYY-MM-DD: {exc}", EXIT_USAGE) from exc
    if options.redis_url:
        check_redis(options.redis_url)
    profile = load_profile(options.profile) if options.profile else None
    check_database(options.db_path)
    jobdir = prepare_state_dir(options.state_dir) if options.state_dir else None
    settings = build_settings(options, profile)
    if jobdir is not None:
        settings.set("JOBDIR", str(jobdir), priority="cmdline")

    started = time.monotonic()
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, start_url=",".join(options.start_urls), profile=options.profile)
    process.start()
    elapsed = time.monotonic() - started
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    finish_reason = str(stats.get("finish_reason", "unknown"))

    if options.state_dir is not None and finish_reason != "shutdown":
        # Clean finish: the next run with this state dir starts a fresh crawl.
        (options.state_dir / LOCK_NAME).unlink(missing_ok=True)
        if jobdir is not None and finish_reason == "finished":
            shutil.rmtree(jobdir, ignore_errors=True)
    elif options.state_dir is not None:
        # Ctrl-C: Scrapy saved the frontier; the lock goes so a resume may start.
        (options.state_dir / LOCK_NAME).unlink(missing_ok=True)

    computed = 0
    if options.keywords and finish_reason != "shutdown":
        # Imported here: jieba and its models cost ~100 MB that the crawl itself never needs.
        from fanwen_crawler.corpus.keywords import compute_keywords

        computed = compute_keywords(options.db_path, progress=options.progress)
        # The word-level search index is maintained in the same post-crawl stage.
        sync_search_index(options.db_path)

    corpus = open_corpus(options.db_path)
    try:
        summary = corpus.summary()
    finally:
        corpus.close()

    result = CrawlResult(exit_code=EXIT_OK, finish_reason=finish_reason, elapsed=elapsed,
                         stats=stats, summary=summary, keywords_computed=computed)
    if finish_reason == "shutdown":
        result.exit_code = EXIT_INTERRUPTED
    elif result.pages == 0 and not stats.get("fanwen/skipped/stored") and not (
        options.redis_url and stats.get("fanwen/redis/joined")
    ):
        # (A Redis worker that joined after the frontier was drained fetched nothing: fine.)
        result.exit_code = EXIT_FAILED
    if options.stats_json is not None:
        write_stats_json(result, options.stats_json)
    return result


def write_stats_json(result: CrawlResult, path: Path) -> None:
    """Write `result.report()` as JSON (atomically: a scheduler never reads half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result.report(), ensure_ascii=False, indent=2) + "\n",
                   encoding="utf-8")
    tmp.replace(path)


def check_redis(url: str) -> None:
    """Fail early, with a clear message, when the Redis frontier is unreachable."""
    try:
        import redis
    except ImportError as exc:
        raise CrawlSetupError("--redis needs the redis and scrapy-redis packages", EXIT_USAGE) \
            from exc
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as exc:
        raise CrawlSetupError(f"cannot reach Redis at {url}: {exc}", EXIT_FAILED) from exc
