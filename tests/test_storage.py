import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import ClassVar

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

from fanwen_crawler.corpus import schema
from fanwen_crawler.corpus.storage import CorpusError, open_corpus
from fanwen_crawler.extensions.corpus import CrawlCorpus
from fanwen_crawler.extensions.failures import FailureRecorder
from fanwen_crawler.items import ArticleItem, CrawlError, Link, Section
from pipelines.store import StoragePipeline
from tests.conftest import crawl_extension, crawler_with_corpus, query_rows

REPO = Path(__file__).resolve().parents[1]
BODY = "各位领导、同志们：现将本人一年来的工作情况汇报如下。\n一、加强学习，提高素质。"



def stored(db):
    """Articles committed to the corpus file, as another connection sees them."""
    return query_rows(db, "SELECT count(*) FROM articles")[0][0] if db.exists() else 0

def article(n: int = 1, **kw) -> ArticleItem:
    fields = dict(
        url=f"https://www.example.cn/zj/{n}.html", site="www.example.cn", title=f"工作总结{n}",
        body=f"{BODY}\n第{n}篇。", paragraphs=BODY.split("\n"), category="工作总结",
        published_at="2023-08-11", published_raw="2023年08月11日", tags=["总结", "述职"],
        related=[Link(url="https://www.example.cn/zj/99.html", title="相关")],
        sections=[Section(heading="篇一：总结", paragraphs=["甲。", "乙。"])],
        page_urls=[f"https://www.example.cn/zj/{n}.html", f"https://www.example.cn/zj/{n}_2.html"],
        pages=2, content_hash=f"{n:064x}", minhash=b"\x01" * 512, encoding="gb18030",
    )
    return ArticleItem(**{**fields, **kw})


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}


def test_open_creates_schema_and_is_idempotent(tmp_path):
    db = tmp_path / "sub" / "dir" / "corpus.db"
    with open_corpus(db) as corpus:
        assert corpus.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert corpus.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        columns = [c.name for c in corpus.db["articles"].columns]
    assert columns[:4] == ["id", "url", "site", "category"]
    assert {"articles", "sections", "keywords", "tags", "related_links", "page_urls", "minhashes",
            "crawl_runs", "crawl_errors", "_sqlite_migrations", "unique_articles", "articles_fts",
            "fts_pending", "articles_overview", "corpus_meta"} <= tables(db)
    with open_corpus(db) as corpus:
        names = [r[0] for r in corpus.db.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = 'fanwen' ORDER BY id")]
        assert names == schema.known_names() and names == sorted(names)
        assert schema.apply_migrations(corpus.db) == []
        with sqlite3.connect(db) as conn:
            triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert triggers == {"articles_fts_insert", "articles_fts_update", "articles_fts_delete",
                            "articles_trigram_update",  # its inserts: search_index.write_index
                            "articles_trigram_delete", "minhashes_lsh_insert",
                            "minhashes_lsh_update", "minhashes_lsh_delete"}


def test_articles_table_matches_the_item(tmp_path):
    # The item is the schema: every stored ArticleItem field is a column, and nothing else
    # (besides id and the derived char_count / updated_at) is.
    import dataclasses

    with open_corpus(tmp_path / "c.db") as corpus:
        columns = {c.name: c.type for c in corpus.db["articles"].columns}
    item_fields = {f.name for f in dataclasses.fields(ArticleItem)}
    assert set(columns) - {"id"} == set(schema.article_columns())
    assert set(schema.article_columns()) - {"char_count", "updated_at"} <= item_fields
    assert {"paragraphs", "tags", "minhash", "duplicate_of_url"}.isdisjoint(columns)
    sqlite_type = {str: "TEXT", int: "INTEGER", float: "REAL", bytes: "BLOB"}
    assert {c: sqlite_type[t] for c, t in schema.article_columns().items()} == \
        {c: t for c, t in columns.items() if c != "id"}


def test_new_migration_is_applied_once(tmp_path, monkeypatch):
    db = tmp_path / "c.db"
    open_corpus(db).close()
    calls = []
    monkeypatch.setattr(schema.MIGRATIONS, "_migrations", list(schema.MIGRATIONS._migrations))
    schema.MIGRATIONS(name="9999_test")(lambda d: calls.append(d))
    open_corpus(db).close()
    open_corpus(db).close()
    assert len(calls) == 1


LEGACY_SCHEMA_V4 = """
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT);
INSERT INTO schema_migrations VALUES (1, 'initial corpus schema', '2026-01-01T00:00:00+00:00'),
  (2, 'article versions, HTTP validators, resolved errors', '2026-01-02T00:00:00+00:00'),
  (3, 'URL aliases (redirect sources) of articles', '2026-01-03T00:00:00+00:00'),
  (4, 'MinHash signatures recomputed with rensa', '2026-01-04T00:00:00+00:00');
"""


def _legacy_corpus(db: Path, *, with_fts: bool) -> None:
    """A corpus as the former registry left it: migrations 1-4 in schema_migrations."""
    from sqlite_utils import Database

    d = Database(db)
    for m in schema.MIGRATIONS._migrations[:4]:
        m.fn(d)
    d.conn.executescript(LEGACY_SCHEMA_V4)
    d.conn.execute("INSERT INTO articles (url, site, title, body) VALUES ('https://a.cn/1', 'a.cn', '教育工作总结', '职业教育的发展。')")
    if with_fts:  # the former search module created the index outside the migrations
        d.conn.executescript(schema.SEARCH_SCHEMA)
        d.conn.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (1, '教育 工作 总结', '职业 教育 职业教育')")
    d.conn.commit()
    d.conn.close()


@pytest.mark.parametrize("with_fts", [False, True])
def test_old_corpus_with_schema_migrations_upgrades_cleanly(tmp_path, with_fts):
    db = tmp_path / "old.db"
    _legacy_corpus(db, with_fts=with_fts)
    with open_corpus(db) as corpus:
        c = corpus.db
        assert "schema_migrations" not in c.table_names()
        rows = c.execute("SELECT name, applied_at FROM _sqlite_migrations ORDER BY id").fetchall()
        assert [r[0] for r in rows] == schema.known_names()
        assert rows[0][1] == "2026-01-01T00:00:00+00:00"  # the legacy record, kept
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert corpus.article_count() == 1
        pending = c.execute("SELECT article_id FROM fts_pending").fetchall()
        assert pending == ([] if with_fts else [(1,)])  # a new index queues every article
        run = corpus.start_run(["https://a.cn/"])
        corpus.finish_run(run, "failed", {}, reason="disk_full: test")
        assert c.execute("SELECT status, reason FROM crawl_runs").fetchall() == [("failed", "disk_full: test")]
    with open_corpus(db) as corpus:  # and stays upgraded
        assert schema.apply_migrations(corpus.db) == []


def test_corpus_of_a_newer_version_is_refused_untouched(tmp_path):
    from fanwen_crawler.corpus.storage import NotACorpus, open_corpus_readonly

    db = tmp_path / "new.db"
    open_corpus(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('fanwen', '9999_future', 'x')")
    conn.close()
    before = db.read_bytes()
    for opener in (open_corpus, open_corpus_readonly):
        with pytest.raises(NotACorpus, match="newer fanwen-crawler"):
            opener(db)
    assert db.read_bytes() == before


def test_unwritable_path_raises_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CorpusError, match="cannot"):
        open_corpus(blocker / "corpus.db")


def test_write_and_upsert_keeps_one_row_and_id(tmp_path):
    with open_corpus(tmp_path / "c.db") as corpus:
        r = corpus.write_articles([article(1), article(2)])
        assert (r.inserted, r.updated, r.unchanged) == (2, 0, 0)
        first_id = corpus.db.execute("SELECT id FROM articles WHERE url = ?", [article(1).url]).fetchone()[0]
        r = corpus.write_articles([article(1)])
        assert (r.inserted, r.updated, r.unchanged) == (0, 0, 1)
        r = corpus.write_articles([article(1, title="新标题", tags=["新"], sections=[])])
        assert (r.inserted, r.updated, r.unchanged) == (0, 1, 0)
        rows = corpus.db.execute("SELECT id, title FROM articles WHERE url = ?", [article(1).url]).fetchall()
        assert rows == [(first_id, "新标题")]
        assert corpus.db.execute("SELECT tag FROM tags WHERE article_id = ?", [first_id]).fetchall() == [("新",)]
        assert corpus.db.execute("SELECT count(*) FROM sections WHERE article_id = ?", [first_id]).fetchone()[0] == 0
        assert corpus.article_count() == 2
        assert corpus.stored_urls("www.example.cn") == {article(1).url, article(2).url}
        assert corpus.stored_urls("other") == set()


def test_child_tables_written(tmp_path):
    with open_corpus(tmp_path / "c.db") as corpus:
        corpus.write_articles([article(1)])
        db = corpus.db
        a = next(db["articles"].rows)
        assert a["char_count"] == len("".join(a["body"].split())) and a["pages"] == 2
        assert a["crawled_at"] and a["updated_at"]
        assert [r["heading"] for r in db["sections"].rows] == ["篇一：总结"]
        assert next(db["sections"].rows)["body"] == "甲。\n乙。"
        assert sorted(r["tag"] for r in db["tags"].rows) == ["总结", "述职"]
        assert [(r["url"], r["title"]) for r in db["related_links"].rows] == [("https://www.example.cn/zj/99.html", "相关")]
        assert [r["position"] for r in db["page_urls"].rows] == [0, 1]
        assert next(db["minhashes"].rows)["signature"] == b"\x01" * 512
        assert list(db.execute(
            "SELECT a.url, a.content_hash, m.signature FROM articles a "
            "JOIN minhashes m ON m.article_id = a.id")) == [(a["url"], a["content_hash"], b"\x01" * 512)]


def test_duplicate_of_resolved_within_batch_and_across_runs(tmp_path):
    db = tmp_path / "c.db"
    with open_corpus(db) as corpus:
        corpus.write_articles([
            article(1),
            article(2, duplicate_of_url=article(1).url, similarity=1.0, content_hash=f"{1:064x}"),
        ])
    with open_corpus(db) as corpus:
        # C was matched against B (a duplicate of A): stored pointing at A.
        corpus.write_articles([article(3, duplicate_of_url=article(2).url, similarity=0.9)])
        rows = dict(corpus.db.execute("SELECT url, duplicate_of FROM articles").fetchall())
        a_id = corpus.db.execute("SELECT id FROM articles WHERE url = ?", [article(1).url]).fetchone()[0]
        assert rows == {article(1).url: None, article(2).url: a_id, article(3).url: a_id}
        assert [r["url"] for r in corpus.db["unique_articles"].rows] == [article(1).url]
        s = corpus.summary()
        assert (s["articles"], s["unique"], s["duplicates"], s["exact"], s["near"]) == (3, 1, 2, 1, 1)
        assert s["sites"] == {"www.example.cn": 1}  # unique articles (corpus/figures.py)


def test_unknown_duplicate_target_is_stored_as_unique(tmp_path):
    with open_corpus(tmp_path / "c.db") as corpus:
        corpus.write_articles([article(1, duplicate_of_url="https://gone.cn/1.html", similarity=0.9)])
        assert corpus.summary()["duplicates"] == 0


def test_failure_mid_batch_rolls_back_whole_batch(tmp_path, monkeypatch):
    with open_corpus(tmp_path / "c.db") as corpus:
        corpus.write_articles([article(1)])
        real = corpus._write_children
        calls = []

        def failing(article_id, children):
            calls.append(article_id)
            if len(calls) == 2:  # the second article's row is in, its children are not
                raise sqlite3.OperationalError("disk I/O error (simulated)")
            real(article_id, children)

        monkeypatch.setattr(corpus, "_write_children", failing)
        with pytest.raises(sqlite3.OperationalError):
            corpus.write_articles([article(2), article(3), article(4)])
        assert corpus.stored_urls() == {article(1).url}
        for table in ("sections", "tags", "related_links", "page_urls", "minhashes"):
            assert corpus.db.execute(
                f"SELECT count(*) FROM {table} WHERE article_id NOT IN (SELECT id FROM articles)"
            ).fetchone()[0] == 0


def test_errors_and_runs_recorded(tmp_path):
    with open_corpus(tmp_path / "c.db") as corpus:
        run = corpus.start_run(["https://www.example.cn/"])
        n = corpus.record_errors([CrawlError(url="https://www.example.cn/x", reason="http_404", status=404),
                                  CrawlError(url="https://www.example.cn/y", reason="timeout")], run)
        corpus.finish_run(run, "finished", {"item_scraped_count": 3})
        assert n == 2
        assert corpus.summary()["errors"] == {"http_404": 1, "timeout": 1}
        row = next(corpus.db["crawl_runs"].rows)
        assert row["status"] == "finished" and json.loads(row["stats"]) == {"item_scraped_count": 3}
        assert json.loads(row["start_urls"]) == ["https://www.example.cn/"]
        assert next(corpus.db["crawl_errors"].rows)["status"] == 404


class FakeSpider:
    name = "fake"
    start_urls: ClassVar[list[str]] = ["https://www.example.cn/"]


def test_pipeline_requires_db_path():
    with pytest.raises(NotConfigured):
        StoragePipeline.from_crawler(get_crawler())


def test_pipeline_batches_errors_drops_and_run(tmp_path):
    db = tmp_path / "c.db"
    crawler = crawler_with_corpus(db, FANWEN_BATCH_SIZE=3)
    crawl_extension(crawler, CrawlCorpus).spider_opened(FakeSpider())
    recorder = crawl_extension(crawler, FailureRecorder)
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider(FakeSpider())
    pipeline.process_item(article(1))
    pipeline.process_item(article(2))
    assert stored(db) == 0  # still buffered
    recorder.request_failed(request=None, error=CrawlError(
        url="https://www.example.cn/404", reason="http_404", status=404))
    pipeline.process_item(article(3))
    assert stored(db) == 3  # batch of 3 flushed
    recorder.item_dropped(item=article(5), exception=DropItem("short_body"), response=None, spider=None)
    recorder.flush()
    pipeline.process_item(article(1))
    pipeline.close_spider()
    crawler.stats.set_value("finish_reason", "finished")
    crawl_extension(crawler, CrawlCorpus).close()
    stats = crawler.stats.get_stats()
    assert stats["fanwen/store/inserted"] == 3 and stats["fanwen/store/unchanged"] == 1
    assert stats["fanwen/store/errors"] == 2
    with open_corpus(db) as corpus:
        assert corpus.summary()["errors"] == {"dropped:short_body": 1, "http_404": 1}
        run = next(corpus.db["crawl_runs"].rows)
        assert run["status"] == "finished" and run["finished_at"]
        assert json.loads(run["start_urls"]) == FakeSpider.start_urls
        assert json.loads(run["stats"])["fanwen/store/inserted"] == 3
        assert {r["run_id"] for r in corpus.db["crawl_errors"].rows} == {run["id"]}


def test_pipeline_flushes_after_flush_seconds(tmp_path):
    db = tmp_path / "c.db"
    crawler = crawler_with_corpus(db, FANWEN_FLUSH_SECONDS=0.05)
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider(FakeSpider())
    pipeline.process_item(article(1))
    time.sleep(0.06)
    pipeline.flush_if_due()
    assert stored(db) == 1
    pipeline.close_spider()
    crawl_extension(crawler, CrawlCorpus).close()


def test_pipeline_unwritable_db_fails_at_open(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CorpusError):  # the crawl's corpus is opened when the crawler is built
        crawler_with_corpus(blocker / "c.db")


def test_pipeline_bad_article_does_not_lose_its_batch(tmp_path):
    db = tmp_path / "c.db"
    crawler = crawler_with_corpus(db, FANWEN_BATCH_SIZE=10)
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider(FakeSpider())
    for item in (article(1), article(2, title=None), article(3)):
        pipeline.process_item(item)
    pipeline.close_spider()
    crawl_extension(crawler, CrawlCorpus).close()
    with open_corpus(db) as corpus:
        assert corpus.stored_urls() == {article(1).url, article(3).url}
        assert corpus.summary()["errors"] == {"store_failed": 1}
    assert crawler.stats.get_value("fanwen/store/failed") == 1


WRITER = textwrap.dedent("""
    import sys
    from fanwen_crawler.items import ArticleItem, Section, Link
    from fanwen_crawler.corpus.storage import open_corpus
    corpus = open_corpus(sys.argv[1])
    n = 0
    while True:
        batch = []
        for _ in range(20):
            n += 1
            batch.append(ArticleItem(
                url=f"https://k.cn/{n % 500}.html", site="k.cn", title=f"t{n}", body="正文。" * 200 + str(n),
                sections=[Section(heading="篇一", paragraphs=["甲"] * 5)], tags=["a", "b"],
                related=[Link(url="https://k.cn/r", title="r")],
                page_urls=[f"https://k.cn/{n}.html"], content_hash=str(n), minhash=b"x" * 512))
        corpus.write_articles(batch)
        print(n, flush=True)
""")


def test_sigkill_leaves_consistent_database(tmp_path):
    db = tmp_path / "c.db"
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(script), str(db)], stdout=subprocess.PIPE, env=env, cwd=REPO)
    try:
        assert proc.stdout is not None
        for _ in range(30):  # let it get well into the loop (updates as well as inserts)
            assert proc.stdout.readline(), "writer died"
        time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    with open_corpus(db) as corpus:
        c = corpus.db
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []
        assert corpus.article_count() > 0
        for table in ("sections", "tags", "related_links", "page_urls", "minhashes"):
            assert c.execute(
                f"SELECT count(*) FROM articles WHERE id NOT IN (SELECT article_id FROM {table})"
            ).fetchone()[0] == 0, table


def test_migration_4_recomputes_signatures_with_rensa(tmp_path):
    from fanwen_crawler.corpus.dedupe import minhash_of, serialise_minhash

    db = tmp_path / "corpus.db"
    with open_corpus(db) as corpus:
        corpus.write_articles([article(1), article(2, minhash=None)])  # old-style / no signature
        corpus.db.execute("DELETE FROM _sqlite_migrations WHERE name = '0004_rensa_signatures'")
        corpus.db.commit()
        assert schema.apply_migrations(corpus.db) == ["0004_rensa_signatures"]
        rows = corpus.db.execute("SELECT a.body, m.signature FROM articles a "
                                 "JOIN minhashes m ON m.article_id = a.id").fetchall()
    assert rows == [(article(1).body, serialise_minhash(minhash_of(article(1).body)))]


def test_crawl_imports_neither_pandas_nor_jieba_but_pandas_still_works():
    code = textwrap.dedent("""
        import sys
        import fanwen_crawler.crawl
        print(sorted(m for m in ("pandas", "jieba", "scipy", "datasketch") if m in sys.modules))
        import sqlite_utils
        db = sqlite_utils.Database(memory=True)
        db["t"].insert({"a": 1})
        print(db["t"].count)
        try:
            import pandas
        except ImportError:
            print("no pandas")
        else:
            print(pandas.DataFrame({"a": [1]}).shape)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "1"
    assert out[2] in ("(1, 1)", "no pandas")


def test_signatures_of_another_minhash_implementation_are_refused(tmp_path):
    from fanwen_crawler.corpus.dedupe import SIGNATURE_ALGORITHM

    db = tmp_path / "c.db"
    with open_corpus(db) as corpus:
        stored = corpus.db.execute("SELECT value FROM corpus_meta WHERE key = 'signature_algorithm'")
        assert stored.fetchone()[0] == SIGNATURE_ALGORITHM
        corpus.db.execute("UPDATE corpus_meta SET value = 'datasketch-minhash'")
        corpus.db.commit()
    with pytest.raises(CorpusError, match="datasketch-minhash"):
        open_corpus(db)
