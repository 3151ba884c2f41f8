"""Shared test fixtures: the bundled portal on loopback and a runner for the real CLI."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FANWEN = [sys.executable, "-m", "fanwen_crawler"]


@pytest.fixture()
def portal() -> Iterator[Any]:
    """The bundled sample portal served on 127.0.0.1 (a fresh server per test)."""
    from fanwen_crawler.sample_portal import serve_portal

    with serve_portal(host="127.0.0.1", port=0) as served:
        yield served


def run_fanwen(*args: str, cwd: Path | None = None, timeout: float = 300,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `fanwen` command line in a subprocess (fresh reactor each time)."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run([*FANWEN, *args], cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout, env=full_env, check=False)


def query_rows(db: Path, sql: str, *args: Any) -> list[sqlite3.Row]:
    """Run one query on a corpus file and return its rows (sqlite3.Row: by name or index)."""
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return list(con.execute(sql, args))
    finally:
        con.close()


CORPUS_EXTENSIONS = {"fanwen_crawler.extensions.corpus.CrawlCorpus": 100,
                     "fanwen_crawler.extensions.failures.FailureRecorder": 200}


def crawler_with_corpus(db: Path, spidercls: Any = None, **settings: Any) -> Any:
    """A Scrapy crawler whose corpus (`crawler.corpus`) is open at `db`, as in a real crawl."""
    from scrapy.utils.test import get_crawler

    return get_crawler(spidercls, {"FANWEN_DB_PATH": str(db), "EXTENSIONS": CORPUS_EXTENSIONS,
                                   **settings})


def crawl_extension(crawler: Any, cls: type) -> Any:
    """The crawler's enabled extension of class `cls`."""
    return next(ext for ext in crawler.extensions.middlewares if isinstance(ext, cls))
