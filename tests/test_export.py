"""Streaming exports: JSONL / Parquet / CSV, unique-only, read-only --where."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from fanwen_crawler.cli import main
from fanwen_crawler.corpus.export import RECORD_FIELDS, ExportError, export_corpus
from tests.corpus_fixture import demo_db  # noqa: F401

# Fields `fanwen extract` prints for an article that a stored article also has.
EXTRACT_FIELDS = {"title", "published_at", "published_raw", "source", "author", "category",
                  "body", "paragraphs", "sections", "tags", "related", "url"}


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_jsonl_records_match_extract_fields(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "a.jsonl"
    n = export_corpus(demo_db, out, "jsonl", chunk_size=7)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert n == len(records) == _count(demo_db, "SELECT count(*) FROM articles")
    assert EXTRACT_FIELDS <= set(records[0]) and list(records[0]) == list(RECORD_FIELDS)
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    for r in records:
        assert "\n".join(r["paragraphs"]) == r["body"]
        assert all(set(link) == {"url", "title"} for link in r["related"])
        assert all(set(s) == {"heading", "paragraphs"} for s in r["sections"])
    assert any(r["tags"] for r in records) and any(r["related"] for r in records)
    assert any(r["keywords"] for r in records)
    assert "，" in records[0]["body"]  # Chinese text written as such, not \\u escapes
    assert "\\u" not in out.read_text(encoding="utf-8")


def test_unique_only_and_where(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "u.jsonl"
    n = export_corpus(demo_db, out, "jsonl", unique_only=True,
                      where="category = '合同范本' AND published_at >= '2023-04'")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert n == len(records) > 0
    assert all(r["category"] == "合同范本" and r["duplicate_of"] is None for r in records)
    assert n == _count(demo_db, "SELECT count(*) FROM unique_articles WHERE category = '合同范本' "
                                "AND published_at >= '2023-04'")


@pytest.mark.parametrize("where", [
    "1); DELETE FROM articles; --",
    "id IN (SELECT id FROM articles) OR (SELECT count(*) FROM pragma_writable_schema) ",
    "1 = 1) UNION SELECT * FROM articles WHERE (1",
])
def test_where_cannot_write(demo_db: Path, tmp_path: Path, where: str) -> None:  # noqa: F811
    before = _count(demo_db, "SELECT count(*) FROM articles")
    try:
        export_corpus(demo_db, tmp_path / "x.jsonl", "jsonl", where=where)
    except ExportError:
        pass
    assert _count(demo_db, "SELECT count(*) FROM articles") == before


def test_where_on_a_read_only_connection(demo_db: Path, tmp_path: Path, monkeypatch) -> None:  # noqa: F811
    from fanwen_crawler.corpus import export

    conn = export.connect_read_only(demo_db)
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
        conn.execute("DELETE FROM articles")
    conn.close()


def test_bad_where_is_reported_before_writing(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "bad.csv"
    result = CliRunner().invoke(main, ["export", "--db", str(demo_db), "--format", "csv",
                                       "--out", str(out), "--where", "no_such_column = 1"])
    assert result.exit_code == 2 and "no_such_column" in result.output
    assert not out.exists()


def test_csv(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "a.csv"
    result = CliRunner().invoke(main, ["export", "--db", str(demo_db), "--format", "csv",
                                       "--out", str(out), "--unique-only"])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == _count(demo_db, "SELECT count(*) FROM unique_articles")
    assert isinstance(json.loads(rows[0]["paragraphs"]), list)
    assert rows[0]["title"] and "\n" in rows[0]["body"]


def test_parquet_row_groups(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "a.parquet"
    n = export_corpus(demo_db, out, "parquet", chunk_size=10)
    f = pq.ParquetFile(out)
    assert f.metadata.num_rows == n == _count(demo_db, "SELECT count(*) FROM articles")
    assert f.metadata.num_row_groups == -(-n // 10)  # one row group per chunk: streamed
    table = f.read(columns=["title", "tags", "related", "sections"])
    assert table.schema.field("related").type.value_type.names == ["url", "title"]
    assert table.column("title")[0].as_py()


def test_unknown_format_and_missing_db(tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        export_corpus(tmp_path / "none.db", tmp_path / "o", "jsonl")
    result = CliRunner().invoke(main, ["export", "--db", str(tmp_path / "none.db"),
                                       "--format", "jsonl", "--out", str(tmp_path / "o")])
    assert result.exit_code == 3
