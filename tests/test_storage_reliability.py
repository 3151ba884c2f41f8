"""Writes that cannot lose data: concurrent writers and readers, full disks, killed crawls.

Marked `reliability` so the suite can be run alone: `pytest -m reliability`.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fanwen_crawler.corpus.storage import CorpusWriteError, open_corpus, write_transaction
from fanwen_crawler.items import CrawlError
from tests.conftest import crawl_extension, crawler_with_corpus, query_rows, run_fanwen

pytestmark = pytest.mark.reliability
REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}

WRITER = textwrap.dedent("""
    import sys
    from fanwen_crawler.items import ArticleItem
    from pipelines.store import StoragePipeline
    from fanwen_crawler.extensions.corpus import CrawlCorpus
    from tests.conftest import crawl_extension, crawler_with_corpus

    db, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    crawler = crawler_with_corpus(db, FANWEN_BATCH_SIZE=2, FANWEN_FLUSH_SECONDS=0)
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider()
    for i in range(n):
        pipeline.process_item(ArticleItem(
            url=f"https://{prefix}.cn/{i}.html", site=f"{prefix}.cn", title=f"{prefix} 总结 {i}",
            body=("各位领导：现将一年来的工作汇报如下。" * 20) + str(i), content_hash=f"{prefix}{i}"))
    pipeline.close_spider()
    crawl_extension(crawler, CrawlCorpus).close()
    stats = crawler.stats.get_stats()
    print(stats.get("fanwen/store/inserted", 0), stats.get("fanwen/store/failed", 0))
""")

READER = textwrap.dedent("""
    import sys, time
    from fanwen_crawler.corpus.search_index import sync_search_index
    from fanwen_crawler.corpus.storage import open_corpus_readonly
    db, until = sys.argv[1], float(sys.argv[2])
    loops = 0
    while time.time() < until:
        sync_search_index(db)  # what `fanwen index` / the post-crawl stage write
        with open_corpus_readonly(db) as corpus:  # what `fanwen stats` reads
            corpus.summary()
        loops += 1
    print(loops)
""")


def test_two_writers_and_a_reader_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    open_corpus(db).close()
    (tmp_path / "w.py").write_text(WRITER, encoding="utf-8")
    (tmp_path / "r.py").write_text(READER, encoding="utf-8")
    n = 200  # with deferred transactions (before BEGIN IMMEDIATE) ~4 of these 400 were lost
    reader = subprocess.Popen([sys.executable, str(tmp_path / "r.py"), str(db),
                               str(time.time() + 60)], stdout=subprocess.PIPE, text=True,
                              env=ENV, cwd=REPO)
    writers = [subprocess.Popen([sys.executable, str(tmp_path / "w.py"), str(db), p, str(n)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=ENV, cwd=REPO) for p in ("a", "b")]
    try:
        outs = [w.communicate(timeout=120) for w in writers]
    finally:
        reader.send_signal(signal.SIGTERM)
        reader.communicate(timeout=30)
    for w, (out, err) in zip(writers, outs, strict=True):
        assert w.returncode == 0, err[-2000:]
        assert out.split() == [str(n), "0"], err[-2000:]  # all inserted, none failed
    rows = query_rows(db, "SELECT site, count(*) FROM articles GROUP BY site ORDER BY site")
    assert [tuple(r) for r in rows] == [("a.cn", n), ("b.cn", n)]
    assert query_rows(db, "SELECT count(*) FROM crawl_errors")[0][0] == 0
    assert query_rows(db, "PRAGMA integrity_check")[0][0] == "ok"


def test_busy_write_is_retried_with_backoff(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with open_corpus(db) as corpus:
        corpus.db.execute("PRAGMA busy_timeout = 50")
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock …
        calls = []
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            write_transaction(corpus.db.conn, lambda: calls.append(1), retries=2, backoff=0.01)
        assert calls == []  # … so nothing ran, and it was retried, not failed at once
        holder.execute("COMMIT")  # released: the next attempt succeeds
        assert write_transaction(corpus.db.conn, lambda: calls.append(1) or "done") == "done"
        holder.close()


def _mount_tmpfs(directory: Path, size: str) -> None:
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
            capture_output=True).returncode != 0:
        pytest.skip("cannot mount a size-limited tmpfs here (needs root): full-disk test skipped")


def test_full_disk_stops_with_a_failed_run_and_a_sound_database(tmp_path: Path) -> None:
    from fanwen_crawler.extensions.corpus import CrawlCorpus
    from fanwen_crawler.items import ArticleItem
    from pipelines.store import StoragePipeline

    disk = tmp_path / "disk"
    disk.mkdir()
    _mount_tmpfs(disk, "1m")
    try:
        db = disk / "c.db"
        crawler = crawler_with_corpus(db, FANWEN_BATCH_SIZE=5, FANWEN_FLUSH_SECONDS=0)
        run = crawl_extension(crawler, CrawlCorpus)
        run.spider_opened(None)
        pipeline = StoragePipeline.from_crawler(crawler)
        pipeline.open_spider()
        # fill the rest of the disk, leaving a little room
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\0" * max(0, free - 1024 * 1024))
        sent = 0
        while pipeline.fatal is None and sent < 2000:
            pipeline.process_item(ArticleItem(
                url=f"https://a.cn/{sent}.html", site="a.cn", title=f"总结{sent}",
                body=os.urandom(2000).hex(), content_hash=str(sent)))
            sent += 1
        assert pipeline.fatal is not None and pipeline.fatal.reason == "disk_full"
        stored_at_stop = sent
        for i in range(5):  # after the first failed write, nothing more is attempted
            pipeline.process_item(ArticleItem(url=f"https://a.cn/late{i}.html", site="a.cn",
                                              title="t", body="b"))
        assert crawler.stats.get_value("fanwen/store/fatal").startswith("disk_full")
        assert crawler.stats.get_value("fanwen/store/not_stored") >= 5
        pipeline.close_spider()
        run.close()  # the run's row: "failed", with the reason
        (disk / "filler").unlink()
        status, reason = query_rows(db, "SELECT status, reason FROM crawl_runs")[0]
        assert status == "failed" and reason.startswith("disk_full"), (status, reason)
        assert query_rows(db, "PRAGMA integrity_check")[0][0] == "ok"
        assert 0 < query_rows(db, "SELECT count(*) FROM articles")[0][0] < stored_at_stop
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_fatal_write_error_is_classified(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with open_corpus(db) as corpus:
        def boom() -> None:
            raise sqlite3.OperationalError("database or disk is full")

        # an error without SQLite's code is not classified as fatal: it propagates as is
        with pytest.raises(sqlite3.OperationalError):
            write_transaction(corpus.db.conn, boom)
        corpus.db.conn.execute("PRAGMA query_only = ON")  # now every write is refused
        with pytest.raises(CorpusWriteError) as info:
            corpus.record_errors([CrawlError(url="https://a.cn/x", reason="http_404")])
        assert info.value.reason == "read_only"


def test_crawl_after_sigkill_marks_the_stale_run_killed(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    script = "from fanwen_crawler.corpus.storage import open_corpus\n" \
             "c = open_corpus(__import__('sys').argv[1]); c.start_run(['https://a.cn/'])\n" \
             "print('started', flush=True); __import__('time').sleep(60)\n"
    proc = subprocess.Popen([sys.executable, "-c", script, str(db)], stdout=subprocess.PIPE,
                            text=True, env=ENV, cwd=REPO)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    with open_corpus(db) as corpus:  # a live crawl's run is left alone
        corpus.start_run(["https://b.cn/"])
    assert [r[0] for r in query_rows(db, "SELECT status FROM crawl_runs ORDER BY id")] == \
        ["running", "running"]
    proc.kill()
    proc.wait()
    proc.stdout.close()
    with open_corpus(db) as corpus:
        corpus.start_run(["https://c.cn/"])
    rows = query_rows(db, "SELECT status, finished_at IS NOT NULL, pid FROM crawl_runs ORDER BY id")
    assert [(r[0], r[1]) for r in rows] == [("killed", 1), ("running", 0), ("running", 0)]


@pytest.mark.slow
def test_crawl_on_a_full_disk_exits_3_and_a_rerun_completes(tmp_path: Path) -> None:
    from fanwen_crawler.sample_portal import serve_portal

    disk = tmp_path / "disk"
    disk.mkdir()
    _mount_tmpfs(disk, "3m")
    try:
        db = disk / "c.db"
        open_corpus(db).close()
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\0" * max(0, free - 160 * 1024))
        with serve_portal(host="127.0.0.1", port=0) as portal:
            args = ("crawl", portal.url, "--db", str(db), "--profile", "sample", "--delay", "0",
                    "--quiet")
            started = time.monotonic()
            full = run_fanwen(*args)
            elapsed = time.monotonic() - started
            assert full.returncode == 3, full.stderr[-3000:]
            errors = [ln for ln in full.stderr.splitlines() if "disk" in ln and "Traceback" not in ln]
            assert errors and "Traceback" not in full.stderr, full.stderr[-3000:]
            status, reason = query_rows(db, "SELECT status, reason FROM crawl_runs")[0]
            assert status == "failed" and "disk_full" in reason
            assert query_rows(db, "PRAGMA integrity_check")[0][0] == "ok"
            partial = query_rows(db, "SELECT count(*) FROM articles")[0][0]
            (disk / "filler").unlink()
            again = run_fanwen(*args)
        assert again.returncode == 0, again.stderr[-3000:]
        total = query_rows(db, "SELECT count(*) FROM articles")[0][0]
        assert partial < total, (partial, total)
        print(f"full disk: exit 3 after {elapsed:.1f}s with {partial} articles; rerun {total}")
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_an_article_whose_write_fails_is_retried_before_the_crawl_ends(tmp_path: Path,
                                                                       monkeypatch) -> None:
    from fanwen_crawler.items import ArticleItem
    from pipelines import store
    from pipelines.store import StoragePipeline

    monkeypatch.setattr(store, "PENDING_RETRY_DELAY_S", 0)
    db = tmp_path / "c.db"
    crawler = crawler_with_corpus(db, FANWEN_BATCH_SIZE=2, FANWEN_FLUSH_SECONDS=60)
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider()
    assert pipeline.corpus is not None
    real, busy = pipeline.corpus.write_articles, {"left": 3}

    def flaky(items):  # the batch and both one-by-one writes fail, as under a long lock
        if busy["left"]:
            busy["left"] -= 1
            raise sqlite3.OperationalError("database is locked")
        return real(items)

    monkeypatch.setattr(pipeline.corpus, "write_articles", flaky)
    for i in range(2):
        pipeline.process_item(ArticleItem(url=f"https://a.cn/{i}.html", site="a.cn",
                                          title=f"t{i}", body="正文"))
    assert len(pipeline.pending) == 2 and query_rows(db, "SELECT count(*) FROM articles")[0][0] == 0
    pipeline.close_spider()
    assert query_rows(db, "SELECT count(*) FROM articles")[0][0] == 2
    assert crawler.stats.get_value("fanwen/store/retried") == 2
    assert crawler.stats.get_value("fanwen/store/failed") is None
