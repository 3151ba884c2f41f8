"""Plain `scrapy crawl portal …` is a first-class route: same corpus, profile pace, feeds."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, query_rows, run_fanwen

pytestmark = pytest.mark.slow


def scrapy_crawl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", "crawl", "portal", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def corpus_digest(db: Path) -> dict[str, Any]:
    """What a crawl leaves, independent of ids and times."""
    one = lambda sql: query_rows(db, sql)[0][0]  # noqa: E731
    return {
        "articles": sorted((r["url"], r["title"], r["body"])
                           for r in query_rows(db, "select * from articles")),
        # Which copy of a re-post is "the duplicate" depends on fetch order (concurrency).
        "duplicates": one("select count(*) from articles where duplicate_of is not null"),
        "keywords": sorted(tuple(r) for r in query_rows(
            db, "select a.url, k.keyword, k.method from keywords k "
                "join articles a on a.id = k.article_id")),
        "fts": one("select count(*) from articles_fts"),
        "pending": one("select count(*) from fts_pending"),
        "errors": sorted(tuple(r) for r in query_rows(db, "select url, reason from crawl_errors")),
        "runs": [r["status"] for r in query_rows(db, "select status from crawl_runs")],
    }


def test_scrapy_crawl_leaves_the_same_corpus_and_exports_jsonl(portal: Any,
                                                               tmp_path: Path) -> None:
    ours, theirs, feed = tmp_path / "fanwen.db", tmp_path / "scrapy.db", tmp_path / "x.jsonl"
    proc = run_fanwen("crawl", portal.url, "--db", str(ours), "--profile", "sample", "--quiet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = scrapy_crawl("-a", f"start_url={portal.url}", "-a", "profile=sample",
                        "-s", f"FANWEN_DB_PATH={theirs}", "-O", str(feed))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "not JSON serializable" not in proc.stderr and "ERROR" not in proc.stderr
    digest = corpus_digest(theirs)
    assert digest == corpus_digest(ours)
    assert digest["fts"] == len(digest["articles"]) == len(portal.truth.articles)
    assert digest["pending"] == 0 and digest["keywords"] and digest["runs"] == ["finished"]
    rows = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(portal.truth.articles)
    assert {r["url"] for r in rows} == {url for url, *_ in digest["articles"]}
    assert all(r["title"] and r["body"] and "minhash" not in r for r in rows)
    assert all(isinstance(link["url"], str) for r in rows for link in r["related"])


def test_scrapy_crawl_exports_csv(portal: Any, tmp_path: Path) -> None:
    feed = tmp_path / "x.csv"
    proc = scrapy_crawl("-a", f"start_url={portal.url}", "-a", "profile=sample",
                        "-s", f"FANWEN_DB_PATH={tmp_path / 'c.db'}", "-s", "FANWEN_KEYWORDS=False",
                        "-s", "FANWEN_BATCH_SIZ=5", "-O", str(feed))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ERROR" not in proc.stderr
    assert ("setting FANWEN_BATCH_SIZ: no such setting (did you mean FANWEN_BATCH_SIZE?)"
            in proc.stderr)
    with feed.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(portal.truth.articles)
    assert "minhash" not in rows[0]
    assert all(r["title"] and r["body"] for r in rows)
    tags = [json.loads(r["tags"]) for r in rows]
    assert any(tags) and all(isinstance(t, list) for t in tags)
    assert all(isinstance(json.loads(r["related"]), list) for r in rows)


def test_scrapy_crawl_applies_the_profile_pace(portal: Any, tmp_path: Path) -> None:
    profile = tmp_path / "slow.toml"
    profile.write_text("download_delay = 0.6\nconcurrency = 1\n", encoding="utf-8")
    db = tmp_path / "c.db"
    proc = scrapy_crawl("-a", f"start_url={portal.url}", "-a", f"profile={profile}",
                        "-s", f"FANWEN_DB_PATH={db}", "-s", "CLOSESPIDER_PAGECOUNT=5",
                        "-s", "FANWEN_KEYWORDS=False", "-s", "LOG_LEVEL=INFO")
    assert proc.returncode == 0, proc.stderr[-3000:]
    overridden = re.search(r"Overridden settings:\n(\{.*?\})", proc.stderr, re.S)
    assert overridden, proc.stderr[-3000:]
    assert "'DOWNLOAD_DELAY': 0.6" in overridden.group(1)
    assert "'CONCURRENT_REQUESTS_PER_DOMAIN': 1" in overridden.group(1)
    [stats] = [json.loads(r["stats"]) for r in query_rows(db, "select stats from crawl_runs")]
    # 5+ responses (robots.txt included) one at a time, at least 0.3 s apart (0.6 s ± 50%).
    assert stats["downloader/response_count"] >= 5
    assert stats["elapsed_time_seconds"] >= 0.3 * (stats["downloader/response_count"] - 1)
    # The command line still wins over the profile.
    proc = scrapy_crawl("-a", f"start_url={portal.url}", "-a", f"profile={profile}",
                        "-s", f"FANWEN_DB_PATH={tmp_path / 'd.db'}", "-s", "DOWNLOAD_DELAY=0",
                        "-s", "CLOSESPIDER_PAGECOUNT=3", "-s", "FANWEN_KEYWORDS=False",
                        "-s", "LOG_LEVEL=INFO")
    assert proc.returncode == 0, proc.stderr[-3000:]
    overridden = re.search(r"Overridden settings:\n(\{.*?\})", proc.stderr, re.S)
    assert overridden, proc.stderr[-3000:]
    assert "'DOWNLOAD_DELAY': '0'" in overridden.group(1)
    assert "'DOWNLOAD_DELAY_JITTER': 0" in overridden.group(1)
    # Back at Scrapy's default (off), so no longer listed as overridden.
    assert "'AUTOTHROTTLE_ENABLED'" not in overridden.group(1)
