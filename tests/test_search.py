"""Word-level full-text search: index kept in sync by triggers, recall/precision, CLI, SQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from fanwen_crawler.analysis.search import SearchError, make_snippet, search
from fanwen_crawler.cli import main
from fanwen_crawler.corpus.search_index import fts_query, pending_count, segment, sync_search_index
from fanwen_crawler.corpus.storage import open_corpus
from fanwen_crawler.items import ArticleItem
from tests.corpus_fixture import demo_db  # noqa: F401

# Words of several kinds: sub-words of longer words (教育 in 党史学习教育, 生产 in 安全生产),
# user-dictionary terms (安全生产, 工作总结), common and rare words.
QUERY_WORDS = ["教育", "安全", "合同", "党员", "培训", "学习", "社区", "甲方", "学生", "安全生产",
               "责任", "工作总结", "心得体会", "教师", "防汛", "会计", "营商环境", "志愿", "租赁",
               "服务", "管理", "质量", "群众", "企业", "财务", "图书馆", "军训", "党支部", "述职"]


def _texts(db: Path) -> dict[int, str]:
    with sqlite3.connect(db) as conn:
        return {i: f"{t}\n{b}" for i, t, b in conn.execute("SELECT id, title, body FROM articles")}


def test_recall_and_precision_on_the_demo_corpus(demo_db: Path) -> None:  # noqa: F811
    texts = _texts(demo_db)
    total_relevant = total_found = 0
    for word in QUERY_WORDS:
        relevant = {i for i, text in texts.items() if word in text}
        found = {h.id for h in search(demo_db, word, limit=1000)}
        assert relevant, f"{word} does not occur in the demo corpus: pick another word"
        assert found == relevant, (word, sorted(relevant - found), sorted(found - relevant))
        total_relevant += len(relevant)
        total_found += len(found)
    assert total_found == total_relevant > 150


def test_sub_words_and_whole_words(demo_db: Path) -> None:  # noqa: F811
    whole = {h.id for h in search(demo_db, "安全生产", limit=100)}
    part = {h.id for h in search(demo_db, "生产", limit=100)}
    assert whole and whole <= part


def test_every_term_must_occur_and_filters(demo_db: Path) -> None:  # noqa: F811
    both = {h.id for h in search(demo_db, "合同 甲方", limit=100)}
    assert both == {h.id for h in search(demo_db, "合同", limit=100)} & {
        h.id for h in search(demo_db, "甲方", limit=100)}
    assert all(h.duplicate_of is None for h in search(demo_db, "社区", unique=True))
    assert len(search(demo_db, "社区", unique=True)) < len(search(demo_db, "社区"))
    assert all(h.published_at >= "2023-06" for h in search(demo_db, "教育", since="2023-06"))
    assert search(demo_db, "教育", site="nowhere.example") == []


def test_title_matches_rank_first(demo_db: Path) -> None:  # noqa: F811
    hits = search(demo_db, "述职", limit=10)
    assert "述职" in hits[0].title
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)


def test_query_without_words_is_an_error(demo_db: Path) -> None:  # noqa: F811
    with pytest.raises(SearchError):
        search(demo_db, "，。 ！")


def test_plain_sql_search_as_documented(demo_db: Path) -> None:  # noqa: F811
    with sqlite3.connect(demo_db) as conn:
        rows = conn.execute(
            "select a.id, a.title, snippet(articles_fts, 1, '[', ']', '…', 10) "
            "from articles_fts join articles a on a.id = articles_fts.rowid "
            "where articles_fts match '教育' order by rank").fetchall()
    assert {r[0] for r in rows} == {h.id for h in search(demo_db, "教育", limit=100)}
    assert all("[教育]" in r[2] for r in rows)


def test_triggers_keep_the_index_in_sync(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with open_corpus(db) as corpus:
        corpus.write_articles([ArticleItem(url="http://x.cn/1.html", site="x.cn", title="职业教育",
                                           body="大力发展职业教育，深化产教融合。")])
    assert sync_search_index(db) == 1  # a new index queues the articles already stored
    assert [h.id for h in search(db, "教育")] == [1]
    with open_corpus(db) as corpus:  # insert through the store: the trigger queues it
        corpus.write_articles([ArticleItem(url="http://x.cn/2.html", site="x.cn", title="乡村振兴",
                                           body="发展乡村旅游，带动农民增收。")])
    with sqlite3.connect(db) as conn:
        assert pending_count(conn) == 1
    before = db.read_bytes()
    assert search(db, "旅游") == []  # a search reads only: not indexed until a sync
    assert db.read_bytes() == before
    assert [h.id for h in search(db, "旅游", sync=True)] == [2]  # sync=True indexes first
    with sqlite3.connect(db) as conn:  # an update from a plain SQL client
        conn.execute("UPDATE articles SET body = '完善农村道路和饮水设施。' WHERE id = 2")
        conn.execute("UPDATE articles SET category = '讲话' WHERE id = 1")  # not re-queued
        assert pending_count(conn) == 1
    assert search(db, "旅游", sync=True) == [] and [h.id for h in search(db, "饮水")] == [2]
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM articles WHERE id = 1")
        assert conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == 1
    assert search(db, "教育") == []


def test_segmentation_and_query() -> None:
    assert set(segment("发展职业教育").split()) >= {"职业", "教育", "职业教育"}
    assert fts_query("职业教育  改革") == '"职业教育" AND "改革"'
    assert fts_query('a"b') == '"a b"'  # quotes are not words: FTS5 syntax cannot leak in


def test_fts5_syntax_in_a_query_is_just_text(demo_db: Path) -> None:  # noqa: F811
    assert search(demo_db, '教育 OR "NEAR(') == []
    assert len(search(demo_db, '"教育"*')) == len(search(demo_db, "教育"))


def test_snippet_marks_terms_in_the_original_text() -> None:
    text = "第一段。\n" + "无关内容" * 30 + "发展职业教育，办好职业教育。"
    snippet = make_snippet(text, ["教育"], width=40)
    assert snippet.startswith("…") and snippet.count("<mark>教育</mark>") == 2


def test_cli_search_json_lines(demo_db: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(main, ["search", "党员", "--db", str(demo_db), "--json",
                                       "--limit", "3"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    assert {"id", "url", "title", "snippet", "rank"} <= set(lines[0])
    assert "<mark>党员</mark>" in lines[0]["snippet"]


def test_cli_search_text_and_errors(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(main, ["search", "防汛", "--db", str(demo_db)])
    assert result.exit_code == 0 and "[防汛]" in result.stdout
    assert CliRunner().invoke(main, ["search", "。", "--db", str(demo_db)]).exit_code == 2
    assert CliRunner().invoke(main, ["search", "x", "--db", str(tmp_path / "no.db")]).exit_code == 3
