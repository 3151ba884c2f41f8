"""Library API for running a crawl: `run_crawl(start_urls, **flags) -> CrawlResult`.

The CLI and `fanwen demo` are thin wrappers around this. A crawl runs the Scrapy
engine in this process (Twisted's reactor cannot be restarted, so call it once per
process); the post-crawl stages (keywords, search index) run inside it, from an
extension at spider_closed; then the corpus summary is read.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from fanwen_crawler.corpus.storage import (
    CorpusError,
    open_corpus,
    open_corpus_readonly,
    pid_alive,
)
from fanwen_crawler.flags import defaults, settings_for, unknown_setting
from fanwen_crawler.frontier import FILENAME as FRONTIER_FILE
from fanwen_crawler.profiles import load_profile
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
            "extract_workers": {"pages": int(stats.get("fanwen/extract_workers/pages", 0)),
                                "failed": int(stats.get("fanwen/extract_workers/failed", 0))},
            "corpus": {k: self.summary.get(k) for k in ("articles", "unique", "duplicates")},
        }


def check_database(db_path: Path) -> None:
    """Fail early, with a clear message, when the corpus cannot be written."""
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        corpus = open_corpus(db_path)
        corpus.close()
    except (OSError, sqlite3.Error, CorpusError) as exc:
        raise CrawlSetupError(f"cannot write database {db_path}: {exc}", EXIT_DATABASE) from exc


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
        if pid and pid != os.getpid() and pid_alive(pid):
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


def parse_set_options(items: Iterable[str]) -> dict[str, str]:
    """`--set NAME=VALUE` items as a dict; an unknown FANWEN_* name (a typo) is refused."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CrawlSetupError(f"--set expects NAME=VALUE, got {item!r}", EXIT_USAGE)
        if problem := unknown_setting(name):
            raise CrawlSetupError(f"--set {problem}", EXIT_USAGE)
        out[name] = value
    return out


def build_settings(flags: Mapping[str, Any], *, progress: bool = False) -> Settings:
    """Project settings plus this run's flags (see `fanwen_crawler.flags`) and `--set`s."""
    settings = Settings()
    settings.setmodule("fanwen_crawler.settings", priority="project")
    over = {"FANWEN_PROGRESS": progress, **settings_for(flags)}
    if over.get("FANWEN_UNTIL"):
        from fanwen_crawler.middlewares.until import parse_until

        try:
            over["FANWEN_UNTIL"] = parse_until(over["FANWEN_UNTIL"])
        except ValueError as exc:
            raise CrawlSetupError(f"--until expects YYYY-MM-DD: {exc}", EXIT_USAGE) from exc
    over.update(parse_set_options(flags.get("set_options") or ()))
    settings.setdict(over, priority="cmdline")
    return settings


def run_crawl(start_urls: Iterable[str] = (), *, progress: bool = False,
              **flags: Any) -> CrawlResult:
    """Crawl, store, run the post-crawl stages, summarise. Raises CrawlSetupError before starting.

    `flags` are `fanwen crawl`'s options by keyword name (`fanwen_crawler.flags.FLAGS`:
    db_path, profile, delay, max_articles, set_options …); `progress` shows the tqdm bar.
    """
    urls = list(start_urls)
    values = {**defaults(), **flags}
    settings = build_settings(flags, progress=progress)
    state_dir = Path(values["state_dir"]) if values["state_dir"] else None
    if not urls and not values["profile"]:
        raise CrawlSetupError("give at least one start URL (or a profile with start_urls)",
                              EXIT_USAGE)
    redis_url = settings.get("FANWEN_REDIS_URL")
    if redis_url and state_dir:
        raise CrawlSetupError("--redis and --state-dir exclude each other: with --redis the "
                              "frontier lives in Redis", EXIT_USAGE)
    if redis_url:
        check_redis(redis_url)
    if values["profile"]:
        load_profile(values["profile"])  # a bad profile is a usage error before anything runs
    db_path = Path(settings["FANWEN_DB_PATH"])
    check_database(db_path)
    if state_dir is not None:
        settings.set("JOBDIR", str(prepare_state_dir(state_dir)), priority="cmdline")

    started = time.monotonic()
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, start_url=",".join(urls), profile=values["profile"])
    process.start()
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    # The crawl's own duration, as reported: the post-crawl stages ran inside it.
    elapsed = time.monotonic() - started - float(stats.get("fanwen/postcrawl/seconds", 0))
    finish_reason = str(stats.get("finish_reason", "unknown"))

    if state_dir is not None:
        # Clean finish: the next run with this state dir starts a fresh crawl. Ctrl-C:
        # Scrapy saved the frontier; the lock goes so a resume may start.
        (state_dir / LOCK_NAME).unlink(missing_ok=True)
        if finish_reason == "finished":
            shutil.rmtree(state_dir / JOBDIR_NAME, ignore_errors=True)

    # The store pipeline stops the crawl at a write that cannot succeed (disk full, read-only):
    # no keyword catch-up then (see extensions/enrich.py), and exit 3; so do articles it could
    # not store even on retry.
    store_fatal = stats.get("fanwen/store/fatal")
    try:
        with open_corpus_readonly(db_path) as corpus:
            summary = corpus.summary()
    except (CorpusError, sqlite3.Error) as exc:
        logger.error("cannot read the corpus summary: %s", exc)
        summary = {}
    result = CrawlResult(exit_code=EXIT_OK, finish_reason=finish_reason, elapsed=elapsed,
                         stats=stats, summary=summary,
                         keywords_computed=int(stats.get("fanwen/keywords/computed", 0)))
    if store_fatal or stats.get("fanwen/store/failed"):
        result.exit_code = EXIT_DATABASE
        result.finish_reason = (f"corpus write failed ({store_fatal})" if store_fatal else
                                f"{stats['fanwen/store/failed']} article(s) could not be stored")
    elif finish_reason == "shutdown":
        result.exit_code = EXIT_INTERRUPTED
    elif result.pages == 0 and not stats.get("fanwen/skipped/stored") and not (
        redis_url and stats.get("fanwen/redis/joined")
    ):
        # (A Redis worker that joined after the frontier was drained fetched nothing: fine.)
        result.exit_code = EXIT_FAILED
    if values["stats_json"] is not None:
        write_stats_json(result, Path(values["stats_json"]))
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
    from fanwen_crawler.extras import MissingExtra, require

    try:
        require("distributed", feature="--redis")
    except MissingExtra as exc:
        raise CrawlSetupError(str(exc), EXIT_USAGE) from exc
    import redis
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as exc:
        raise CrawlSetupError(f"cannot reach Redis at {url}: {exc}", EXIT_FAILED) from exc
