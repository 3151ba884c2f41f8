"""Keywords and search index computed during the crawl: the worker, the catch-up, the segmenter."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fanwen_crawler.corpus.enrich import EnrichWorker
from fanwen_crawler.corpus.keywords import compute_keywords
from fanwen_crawler.corpus.search_index import (
    JiebaSegmenter,
    index_segmenter,
    rebuild_search_index,
    sync_search_index,
)
from fanwen_crawler.corpus.storage import open_corpus
from fanwen_crawler.items import ArticleItem
from tests.conftest import FANWEN, ROOT, query_rows, run_fanwen
from tests.test_keywords import TEXTS

FAST = ("--delay", "0", "--concurrency", "8", "--quiet")
KEYWORDS_SQL = "SELECT article_id, keyword, weight FROM keywords WHERE method = 'tfidf' ORDER BY 1, 2"
INDEX_SQL = "SELECT rowid, title, body FROM articles_fts ORDER BY rowid"
BY_URL_SQL = ("SELECT a.url, f.title, f.body, (SELECT group_concat(k.keyword || ' ' || k.weight) "
              "FROM keywords k WHERE k.article_id = a.id AND k.method = 'tfidf') "
              "FROM articles a JOIN articles_fts f ON f.rowid = a.id ORDER BY a.url")


def _corpus(path: Path, n: int) -> list[int]:
    with open_corpus(path) as corpus:
        result = corpus.write_articles([
            ArticleItem(url=f"https://www.example.cn/{i}.html", site="www.example.cn",
                        title=f"范文{i}", body=TEXTS[i % len(TEXTS)] + f"第{i}篇。")
            for i in range(n)])
    return result.ids


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in query_rows(db, sql)]


def _after_the_crawl(db: Path, tmp: Path) -> tuple[list[Any], list[Any]]:
    """Keywords and index rows as the old post-crawl path makes them, on a copy of `db`."""
    copy = tmp / "post.db"
    shutil.copy(db, copy)
    with open_corpus(copy) as corpus:
        corpus.db.execute("DELETE FROM keywords")
        corpus.db.conn.commit()
        compute_keywords(corpus, workers=0)
        rebuild_search_index(corpus.db.conn)
    return _rows(copy, KEYWORDS_SQL), _rows(copy, INDEX_SQL)


def test_worker_enriches_submitted_ids_as_the_batch_stage_would(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ids = _corpus(db, 30)
    worker = EnrichWorker(db)
    worker.start()
    assert worker.submit(ids[:12]) and worker.submit(ids[12:])
    done = worker.finish(timeout=120)
    assert worker.died is None and not done.errors
    assert (done.keywords, done.indexed) == (30, 30)
    assert query_rows(db, "SELECT count(*) FROM fts_pending")[0][0] == 0
    assert (_rows(db, KEYWORDS_SQL), _rows(db, INDEX_SQL)) == _after_the_crawl(db, tmp_path)
    with open_corpus(db) as corpus:
        assert index_segmenter(corpus.db.conn) == "rjieba"


def test_dead_worker_is_reported_and_its_ids_left_for_the_catch_up(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ids = _corpus(db, 9)
    worker = EnrichWorker(db)
    worker.start()
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait(30)
    worker.poll()
    assert worker.died == f"worker exited with code {-signal.SIGKILL}"
    assert not worker.submit(ids)
    assert compute_keywords(db) == 9 and sync_search_index(db) == 9


def _crawl_killing_the_worker(portal: Any, db: Path, stats: Path) -> int:
    """`fanwen crawl` with its enrich worker SIGKILLed as soon as it exists; the exit code."""
    proc = subprocess.Popen([*FANWEN, "crawl", portal.url, "--db", str(db), *FAST,
                             "--stats-json", str(stats)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 60
    killed = False
    while proc.poll() is None and time.monotonic() < deadline and not killed:
        for pid in (children.read_text().split() if children.exists() else []):
            try:  # the worker (no other child is expected)
                if b"fanwen_crawler.corpus.enrich" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    os.kill(int(pid), signal.SIGKILL)
                    killed = True
            except (ProcessLookupError, FileNotFoundError):
                pass
        time.sleep(0.01)
    assert killed, "the crawl started no worker process"
    return proc.wait(timeout=300)


@pytest.mark.slow
def test_crawl_enriches_while_crawling_and_a_dead_worker_is_caught_up(
        portal: Any, tmp_path: Path) -> None:
    db, stats_json = tmp_path / "c.db", tmp_path / "s.json"
    proc = run_fanwen("crawl", portal.url, "--db", str(db), *FAST, "--stats-json", str(stats_json))
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = json.loads(query_rows(db, "SELECT stats FROM crawl_runs")[0][0])
    articles = query_rows(db, "SELECT count(*) FROM articles")[0][0]
    # The worker did every article while the crawl ran; the closing catch-up found nothing.
    assert stats["fanwen/enrich/submitted"] == articles > 20
    assert stats["fanwen/keywords/computed"] == stats["fanwen/search/indexed"] == articles
    assert stats["fanwen/keywords/caught_up"] == stats["fanwen/search/caught_up"] == 0
    assert "fanwen/enrich/worker_died" not in stats
    assert json.loads(stats_json.read_text())["keywords_computed"] == articles
    assert (_rows(db, KEYWORDS_SQL), _rows(db, INDEX_SQL)) == _after_the_crawl(db, tmp_path)

    killed_db = tmp_path / "killed.db"
    assert _crawl_killing_the_worker(portal, killed_db, tmp_path / "k.json") == 0
    stats = json.loads(query_rows(killed_db, "SELECT stats FROM crawl_runs")[0][0])
    assert stats["fanwen/enrich/worker_died"].startswith("worker exited with code")
    assert stats["fanwen/keywords/caught_up"] == articles  # killed before its first round
    # Ids follow the (concurrent) fetch order: compare by URL.
    assert _rows(killed_db, BY_URL_SQL) == _rows(db, BY_URL_SQL)


@pytest.mark.slow
def test_no_keywords_starts_no_worker(portal: Any, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    proc = subprocess.Popen([*FANWEN, "crawl", portal.url, "--db", str(db), *FAST,
                             "--no-keywords"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    seen: set[str] = set()
    while proc.poll() is None:
        for pid in (children.read_text().split() if children.exists() else []):
            with contextlib.suppress(OSError):
                if b"fanwen_crawler.corpus.enrich" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    seen.add(pid)
        time.sleep(0.01)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert not seen
    stats = json.loads(query_rows(db, "SELECT stats FROM crawl_runs")[0][0])
    assert not [k for k in stats if k.startswith(("fanwen/enrich", "fanwen/keywords"))]
    assert query_rows(db, "SELECT count(*) FROM keywords")[0][0] == 0


def test_an_index_built_by_jieba_answers_then_is_resegmented(tmp_path: Path) -> None:
    from fanwen_crawler.analysis.search import search

    db = tmp_path / "c.db"
    _corpus(db, 6)
    assert sync_search_index(db, segmenter=JiebaSegmenter()) == 6
    with open_corpus(db) as corpus:  # as a corpus indexed before the segmenter was recorded
        corpus.db.execute("DELETE FROM corpus_meta WHERE key = 'search_segmenter'")
        corpus.db.conn.commit()
        assert index_segmenter(corpus.db.conn) == "jieba"
    hits = search(db, "职业教育")
    assert hits and hits[0].rank < 0  # ranked by the word index: jieba-segmented query
    assert sync_search_index(db) == 6  # the write path re-segments every article with rjieba
    with open_corpus(db) as corpus:
        assert index_segmenter(corpus.db.conn) == "rjieba"
    assert [h.id for h in search(db, "职业教育")] == [h.id for h in hits]


def test_the_crawl_process_never_imports_jieba() -> None:
    code = ("import sys; import fanwen_crawler.crawl, fanwen_crawler.extensions.enrich; "
            "print(sorted(m for m in ('jieba', 'rjieba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


def _trigram_check(db: Path) -> int:
    """Rows of the trigram index; raises if it disagrees with the articles it holds."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        # rank = 1: also compared with the content table (articles), row by row.
        conn.execute("INSERT INTO articles_trigram (articles_trigram, rank) "
                     "VALUES ('integrity-check', 1)")
        return int(conn.execute("SELECT count(*) FROM articles_trigram_docsize").fetchone()[0])


def test_trigram_rows_are_made_with_the_index_and_pending_articles_are_still_found(
        tmp_path: Path) -> None:
    from fanwen_crawler.analysis.search import search

    db = tmp_path / "c.db"
    _corpus(db, 6)
    with open_corpus(db) as corpus:
        assert corpus.db.execute("SELECT count(*) FROM articles_trigram_docsize").fetchone()[0] == 0
    # The store writes no trigram row (the crawl's worker does): pending ones are scanned.
    assert len(search(db, "职业教育体系")) == 2 and len(search(db, "乡村振兴战略")) == 2
    assert sync_search_index(db) == 6 and _trigram_check(db) == 6
    assert len(search(db, "职业教育体系")) == 2
    with open_corpus(db) as corpus:  # a changed body: its old trigram row goes at once
        corpus.write_articles([ArticleItem(url="https://www.example.cn/0.html",
                                           site="www.example.cn", title="范文0",
                                           body="全新的正文：垃圾分类进社区。")])
        assert corpus.db.execute("SELECT count(*) FROM articles_trigram_docsize"
                                 ).fetchone()[0] == 5
    assert len(search(db, "职业教育体系")) == 1 and len(search(db, "垃圾分类进社区")) == 1
    assert sync_search_index(db) == 1 and _trigram_check(db) == 6
    with open_corpus(db) as corpus:
        corpus.db.execute("DELETE FROM articles WHERE url = 'https://www.example.cn/1.html'")
        corpus.db.conn.commit()
    assert _trigram_check(db) == 5 and len(search(db, "垃圾分类进社区")) == 1
