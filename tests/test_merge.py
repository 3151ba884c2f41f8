"""`merge_shards`: shard corpora combined with cross-shard exact/near duplicate marking."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fanwen_crawler.corpus.merge import merge_shards
from fanwen_crawler.corpus.storage import CorpusError, open_corpus
from fanwen_crawler.items import ArticleItem, Link, Section
from pipelines.dedupe import DedupePipeline

BODY = "这是一篇关于年度工作总结的范文，内容详实，条理清楚。" * 8


def _article(n: int, body: str, crawled_at: str) -> ArticleItem:
    return ArticleItem(url=f"http://a.cn/{n}.html", site="a.cn", title=f"标题{n}", body=body,
                       paragraphs=body.split("\n"), crawled_at=crawled_at, tags=["总结"],
                       related=[Link(url="http://a.cn/9.html", title="相关")],
                       sections=[Section(heading="篇一", paragraphs=[body])],
                       page_urls=[f"http://a.cn/{n}.html"], etag=f'"e{n}"')


def _shard(path: Path, items: list[ArticleItem]) -> Path:
    dedupe = DedupePipeline()
    for item in items:
        dedupe.process_item(item)
    with open_corpus(path) as corpus:
        corpus.write_articles(items)
    return path


def _rows(db: Path) -> dict[str, tuple[int, int | None, float | None]]:
    con = sqlite3.connect(db)
    try:
        return {u: (i, d, s) for i, u, d, s in
                con.execute("select id, url, duplicate_of, similarity from articles")}
    finally:
        con.close()


def test_merge_marks_duplicates_across_shards_and_is_idempotent(tmp_path: Path) -> None:
    other = "另一篇完全不同的心得体会，讲述学习和成长的经历与收获。" * 8
    near = BODY[:-10] + "改动几个字。"
    a = _shard(tmp_path / "a.db", [_article(1, BODY, "2024-01-01T00:00:02"),
                                   _article(2, other, "2024-01-01T00:00:04")])
    b = _shard(tmp_path / "b.db", [_article(3, BODY, "2024-01-01T00:00:03"),
                                   _article(4, near, "2024-01-01T00:00:01")])
    into = tmp_path / "corpus.db"
    result = merge_shards([a, b], into)
    assert (result.read, result.inserted, result.exact, result.near) == (4, 4, 1, 1)
    rows = _rows(into)
    # Crawled first anywhere (4, at :01) is the original; 1 is its near copy, 3 exact of 1.
    first = rows["http://a.cn/4.html"][0]
    assert rows["http://a.cn/4.html"][1] is None
    assert rows["http://a.cn/1.html"][1] == first and rows["http://a.cn/1.html"][2] < 1.0
    assert rows["http://a.cn/3.html"][1] == first
    assert rows["http://a.cn/2.html"][1] is None
    with open_corpus(into) as corpus:
        assert corpus.db.execute("select count(*) from tags").fetchone()[0] == 4
        assert corpus.db.execute("select count(*) from sections").fetchone()[0] == 4
        assert corpus.validators()["http://a.cn/2.html"] == ('"e2"', None)

    again = merge_shards([a, b], into)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert _rows(into) == rows


def test_merge_refuses_missing_shard_and_self(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no shard"):
        merge_shards([tmp_path / "nope.db"], tmp_path / "c.db")
    a = _shard(tmp_path / "a.db", [_article(1, BODY, "2024-01-01")])
    with pytest.raises(CorpusError, match="itself"):
        merge_shards([a], a)
