"""Word-level full-text search: index kept in sync by triggers, recall/precision, CLI, SQL."""

from __future__ import annotations

import itertools
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
    # A search reads only: the queued article is found (character level), ranked unindexed.
    assert [(h.id, h.rank) for h in search(db, "旅游")] == [(2, 0.0)]
    assert db.read_bytes() == before
    with sqlite3.connect(db) as conn:
        assert pending_count(conn) == 1
    assert [h.id for h in search(db, "旅游", sync=True)] == [2]  # sync=True indexes first
    with sqlite3.connect(db) as conn:
        assert pending_count(conn) == 0
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
    assert search(demo_db, '"NEAR(" 教育') == []
    assert search(demo_db, "教育 NOT") == [] and search(demo_db, "教育 AND") == []
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


# --- character-level matching, boolean syntax, dates ----------------------------------------

def _like_ids(db: Path, text: str) -> set[int]:
    """The reference: articles whose title or body contains `text`, by plain SQL LIKE."""
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute(
            "SELECT id FROM articles WHERE title LIKE ? OR body LIKE ?",
            [f"%{text}%", f"%{text}%"])}


def _ids(db: Path, query: str, **kwargs: object) -> set[int]:
    return {h.id for h in search(db, query, limit=None, **kwargs)}


def test_single_characters_find_every_article_containing_them(demo_db: Path) -> None:  # noqa: F811
    for char in ("党", "育", "甲", "的", "训"):
        expected = _like_ids(demo_db, char)
        assert expected, char
        assert _ids(demo_db, char) == expected, char
    assert len(_like_ids(demo_db, "党")) >= 10  # the probe: 2 of 14 found before


def test_cli_search_for_one_character_finds_all(demo_db: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(main, ["search", "党", "--db", str(demo_db), "--json",
                                       "--limit", "1000"])
    assert result.exit_code == 0, result.output
    ids = {json.loads(line)["id"] for line in result.stdout.splitlines()}
    assert ids == _like_ids(demo_db, "党")


def _split_by_jieba(db: Path) -> list[str]:
    """Strings of the corpus that span two jieba words (the last character of one word and
    the first two of the next), which the word index alone cannot find."""
    with sqlite3.connect(db) as conn:
        # By URL, not id: ids follow the crawl's order, which varies from run to run.
        bodies = [r[0] for r in conn.execute("SELECT body FROM articles ORDER BY url")]
    found = []
    for body in bodies:
        words = segment(body.split("\n")[0]).split()
        cut = [w for w in words if len(w) >= 2]
        for left, right in itertools.pairwise(cut):
            probe = left[-1] + right[:2]
            if all("\u4e00" <= c <= "\u9fff" for c in probe) and probe in body:
                found.append(probe)
                break
    return found


def test_strings_jieba_segments_differently_are_found(demo_db: Path) -> None:  # noqa: F811
    probes = _split_by_jieba(demo_db)
    assert len(probes) >= 5
    word_index_misses = 0
    with sqlite3.connect(demo_db) as conn:
        for probe in probes:
            expected = _like_ids(demo_db, probe)
            assert _ids(demo_db, probe) == expected, probe
            word_only = {r[0] for r in conn.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [fts_query(probe)])}
            word_index_misses += len(expected - word_only)
    assert word_index_misses > 0  # these are real fallback cases, not words jieba finds anyway


def test_or_exclusion_and_phrases(demo_db: Path) -> None:  # noqa: F811
    edu, contract = _ids(demo_db, "教育"), _ids(demo_db, "合同")
    assert edu and contract
    assert _ids(demo_db, "教育 OR 合同") == edu | contract
    assert _ids(demo_db, "合同 -租赁") == contract - _ids(demo_db, "租赁")
    assert set() < _ids(demo_db, "合同 -租赁") < contract
    # OR binds tighter than the implied AND: 学习 and (教育 or 合同).
    assert _ids(demo_db, "学习 教育 OR 合同") == _ids(demo_db, "学习") & (edu | contract)
    assert _ids(demo_db, '"工作总结"') == _like_ids(demo_db, "工作总结")
    assert _ids(demo_db, '"OR"') == _like_ids(demo_db, "OR")  # quoted: plain text


@pytest.mark.parametrize("query", ["-教育", "OR", "教育 OR", "OR 教育", "教育 OR -合同", "，。"])
def test_queries_without_a_term_to_find_are_errors(demo_db: Path, query: str) -> None:  # noqa: F811
    with pytest.raises(SearchError):
        search(demo_db, query)


def test_cli_leading_minus_is_a_query_not_an_option(demo_db: Path) -> None:  # noqa: F811
    expected = _ids(demo_db, "合同") - _ids(demo_db, "租赁")
    assert expected
    for args in (["search", "-租赁", "合同", "--json", "--db", str(demo_db)],
                 ["search", "--json", "--db", str(demo_db), "--", "-租赁", "合同"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert {json.loads(line)["id"] for line in result.stdout.splitlines()} == expected
    result = CliRunner().invoke(main, ["search", "教育", "OR", "合同", "--json", "--limit", "100",
                                       "--db", str(demo_db)])
    assert len(result.stdout.splitlines()) == len(_ids(demo_db, "教育 OR 合同"))
    result = CliRunner().invoke(main, ["search", "-教育", "--db", str(demo_db)])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("since", ["2023-13-01", "2023-02-30", "yesterday", "2023/01/01"])
def test_bad_since_is_rejected_in_one_line(demo_db: Path, since: str) -> None:  # noqa: F811
    result = CliRunner().invoke(main, ["search", "教育", "--since", since, "--db", str(demo_db)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert "--since" in result.output and since in result.output
    with pytest.raises(SearchError):
        search(demo_db, "教育", since=since)


def test_character_index_follows_every_write_without_sync(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with open_corpus(db) as corpus:
        corpus.write_articles([ArticleItem(url="http://x.cn/1.html", site="x.cn", title="职业教育",
                                           body="大力发展职业教育，深化产教融合。")])
    # Never synced: the word index is empty, the character index already has the article.
    assert [h.id for h in search(db, "产教融合", sync=False)] == [1]
    assert [h.id for h in search(db, "育", sync=False)] == [1]
    with sqlite3.connect(db) as conn:  # plain SQL clients keep it too
        conn.execute("UPDATE articles SET body = '完善农村道路和饮水设施。' WHERE id = 1")
    assert search(db, "产教融合", sync=False) == []
    assert [h.id for h in search(db, "饮水设施", sync=False)] == [1]
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM articles WHERE id = 1")
        assert conn.execute("SELECT count(*) FROM articles_trigram WHERE articles_trigram "
                            "MATCH '饮水设施'").fetchone()[0] == 0


def test_a_corpus_without_the_character_index_is_scanned(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with open_corpus(db) as corpus:
        corpus.write_articles([ArticleItem(url="http://x.cn/1.html", site="x.cn", title="乡村振兴",
                                           body="发展乡村旅游，带动农民增收。")])
    with sqlite3.connect(db) as conn:  # as a corpus made before the index existed
        conn.execute("DROP TABLE articles_trigram")
    assert [h.id for h in search(db, "乡村旅游")] == [1] and [h.id for h in search(db, "游")] == [1]
