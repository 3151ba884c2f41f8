"""Corpus-learned IDF keywords (tfidf-corpus), TextRank, stop-word files, `keywords --rebuild`."""

from __future__ import annotations

import math
import sqlite3
import statistics
from collections import Counter
from pathlib import Path

import jieba
import pytest
from click.testing import CliRunner

from fanwen_crawler.cli import main
from fanwen_crawler.corpus.corpus_idf import (
    METHOD_CORPUS,
    METHOD_TEXTRANK,
    METHOD_TFIDF,
    document_frequencies,
    rebuild_keywords,
    smooth_idf,
)
from fanwen_crawler.corpus.keywords import KeywordExtractor
from tests.corpus_fixture import demo_db  # noqa: F401


def test_smoothed_idf() -> None:
    idf, unseen = smooth_idf(Counter({"都有": 4, "少见": 1}), 4)
    assert idf["都有"] == 0.0  # in every document: never a keyword
    assert idf["少见"] == pytest.approx(math.log(5 / 2))
    assert unseen == pytest.approx(math.log(5))
    assert unseen > idf["少见"]


def _specificity(db: Path, method: str, df: Counter[str], n: int) -> float:
    """Mean over articles of the mean document frequency (share of articles) of its keywords."""
    per_article = []
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM unique_articles")]
        for aid in ids:
            words = [r[0] for r in conn.execute(
                "SELECT keyword FROM keywords WHERE article_id = ? AND method = ?", [aid, method])]
            assert words, (aid, method)
            per_article.append(statistics.mean(df[w] / n for w in words))
    return statistics.mean(per_article)


@pytest.fixture(scope="module")
def rebuilt(demo_db: Path) -> dict[str, int]:  # noqa: F811
    return rebuild_keywords(demo_db, methods=[METHOD_TFIDF, METHOD_CORPUS, METHOD_TEXTRANK])


def test_corpus_idf_keywords_are_more_specific(demo_db: Path, rebuilt) -> None:  # noqa: F811
    """Top-10 keywords learned with the corpus IDF occur in fewer of the corpus's articles."""
    with sqlite3.connect(demo_db) as conn:
        texts = [f"{t}\n{b}" for t, b in conn.execute("SELECT title, body FROM unique_articles")]
    df, n = document_frequencies(texts, KeywordExtractor())
    general = _specificity(demo_db, METHOD_TFIDF, df, n)
    corpus = _specificity(demo_db, METHOD_CORPUS, df, n)
    print(f"mean document frequency of top-10 keywords: tfidf {general:.4f}, "
          f"tfidf-corpus {corpus:.4f}")
    assert corpus < 0.93 * general


def test_all_methods_written_and_jieba_globals_untouched(demo_db: Path, rebuilt) -> None:  # noqa: F811
    assert set(rebuilt) == {METHOD_TFIDF, METHOD_CORPUS, METHOD_TEXTRANK}
    assert len(set(rebuilt.values())) == 1 and next(iter(rebuilt.values())) > 30
    with sqlite3.connect(demo_db) as conn:
        per_method = dict(conn.execute("SELECT method, count(DISTINCT article_id) FROM keywords "
                                       "GROUP BY method").fetchall())
        contract = [r[0] for r in conn.execute(
            "SELECT k.keyword FROM keywords k JOIN articles a ON a.id = k.article_id "
            "WHERE a.title LIKE '%委托代理合同%' AND k.method = 'textrank'")]
    assert per_method[METHOD_CORPUS] == per_method[METHOD_TFIDF] == per_method[METHOD_TEXTRANK]
    assert {"律师", "甲方"} & set(contract)
    assert jieba.dt.initialized is False


def test_stop_words_file_and_cli(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    with sqlite3.connect(demo_db) as conn:
        before = {r[0] for r in conn.execute(
            "SELECT keyword FROM keywords WHERE method = 'tfidf-corpus'")}
    assert {"甲方", "乙方"} <= before
    stop = tmp_path / "stop.txt"
    stop.write_text("# contract parties\n甲方\n乙方\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["keywords", "--db", str(demo_db), "--rebuild",
                                       "--method", "tfidf-corpus", "--stop-words", str(stop)])
    assert result.exit_code == 0, result.output
    assert "keywords (tfidf-corpus) computed for" in result.output
    with sqlite3.connect(demo_db) as conn:
        after = {r[0] for r in conn.execute(
            "SELECT keyword FROM keywords WHERE method = 'tfidf-corpus'")}
    assert not {"甲方", "乙方"} & after


def test_method_without_rebuild_is_a_usage_error(demo_db: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(main, ["keywords", "--db", str(demo_db), "--method", "textrank"])
    assert result.exit_code == 2
