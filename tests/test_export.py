"""Streaming exports: JSONL / Parquet / CSV, unique-only, read-only --where."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fanwen_crawler.cli import main
from fanwen_crawler.corpus.export import RECORD_FIELDS, ExportError, export_corpus
from tests.conftest import FANWEN, ROOT, query_rows, run_fanwen
from tests.corpus_fixture import demo_db  # noqa: F401

# Fields `fanwen extract` prints for an article that a stored article also has.
EXTRACT_FIELDS = {"title", "published_at", "published_raw", "source", "author", "category",
                  "body", "paragraphs", "sections", "tags", "related", "url"}


def _rows(db: Path, sql: str) -> list[Any]:
    return list(query_rows(db, sql))


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


# --- formats, stdout, BOM, keywords, atomic writes, one-line errors --------------------------

def _one_line_error(result: Any) -> str:
    output = (result.stderr if hasattr(result, "stderr") else result.output).strip()
    assert output.startswith("Error: ") and "\n" not in output, output
    assert "Traceback" not in output
    return output


@pytest.mark.parametrize(("name", "check"), [
    ("a.jsonl", lambda p: json.loads(p.read_text(encoding="utf-8").splitlines()[0])["id"]),
    ("a.csv", lambda p: next(csv.DictReader(p.open(encoding="utf-8", newline="")))["id"]),
    ("a.parquet", lambda p: p.read_bytes()[:4] == b"PAR1"),
])
def test_format_follows_the_extension(demo_db: Path, tmp_path: Path, name: str, check: Any) -> None:  # noqa: F811
    out = tmp_path / name
    result = CliRunner().invoke(main, ["export", "--db", str(demo_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert check(out)
    result = CliRunner().invoke(main, ["export", "--db", str(demo_db), "--out",
                                       str(tmp_path / "a.txt")])
    assert result.exit_code == 2 and "extension" in _one_line_error(result)


def test_out_dash_writes_to_stdout(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    result = run_fanwen("export", "--db", str(demo_db), "--out", "-", "--unique-only",
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == _count(demo_db, "SELECT count(*) FROM unique_articles")
    assert not (tmp_path / "-").exists() and list(tmp_path.iterdir()) == []
    result = run_fanwen("export", "--db", str(demo_db), "--out", "-", "--format", "csv",
                        "--where", "category = '合同范本'", cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == _count(demo_db, "SELECT count(*) FROM articles WHERE category = '合同范本'")


def test_excel_csv_starts_with_a_bom(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "excel.csv"
    for flag in ("--excel", "--bom"):
        result = CliRunner().invoke(main, ["export", "--db", str(demo_db), "--out", str(out),
                                           flag, "--force"])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(b"\xef\xbb\xbfid,url,")
        with out.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == _count(demo_db, "SELECT count(*) FROM articles")
        assert next(iter(rows[0])) == "id" and rows[0]["title"]
    result = CliRunner().invoke(main, ["export", "--db", str(demo_db), "--bom", "--out",
                                       str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2 and "CSV only" in _one_line_error(result)


def test_keywords_carry_weight_and_method(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    result = run_fanwen("keywords", "--db", str(demo_db), "--rebuild", "--method", "tfidf",
                        "--method", "tfidf-corpus", "--method", "textrank")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "k.jsonl"
    export_corpus(demo_db, out)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    stored = {(r[0], r[1], r[2], round(r[3], 9)) for r in _rows(
        demo_db, "SELECT article_id, keyword, method, weight FROM keywords")}
    exported = {(r["id"], k["keyword"], k["method"], round(k["weight"], 9))
                for r in records for k in r["keywords"]}
    assert exported == stored
    assert {k["method"] for r in records for k in r["keywords"]} == {
        "tfidf", "tfidf-corpus", "textrank"}
    pq = pytest.importorskip("pyarrow.parquet")
    export_corpus(demo_db, tmp_path / "k.parquet")
    first = pq.read_table(tmp_path / "k.parquet", columns=["keywords"]).to_pylist()[0]
    assert set(first["keywords"][0]) == {"keyword", "weight", "method"}


def test_existing_file_needs_force(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "a.jsonl"
    out.write_text("old\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["export", "--db", str(demo_db), "--out", str(out)])
    assert result.exit_code == 2 and "--force" in _one_line_error(result)
    assert out.read_text(encoding="utf-8") == "old\n"
    result = CliRunner().invoke(main, ["export", "--db", str(demo_db), "--out", str(out),
                                       "--force"])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").startswith('{"id"')


@pytest.mark.parametrize("where", [
    "1 = 1) UNION SELECT 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18 WHERE (1",
    "category =", "no_such_column = 1", "json_extract(body, '$x')", "1) --",
])
def test_malformed_where_is_one_line_and_keeps_the_old_file(demo_db: Path, tmp_path: Path,  # noqa: F811
                                                            where: str) -> None:
    out = tmp_path / "a.csv"
    out.write_text("old\n", encoding="utf-8")
    result = run_fanwen("export", "--db", str(demo_db), "--out", str(out), "--force",
                        "--where", where)
    assert result.returncode == 2
    assert "bad --where" in _one_line_error(result)
    assert out.read_text(encoding="utf-8") == "old\n" and sorted(tmp_path.iterdir()) == [out]


def test_a_where_cannot_reshape_records(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "a.jsonl"
    n = export_corpus(demo_db, out, where="0) UNION SELECT 3 WHERE (1")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert n == 1 and records[0]["id"] == 3 and records[0]["title"]


def _unshare(script: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-rm", "true"], capture_output=True, check=False).returncode != 0:
        pytest.skip("needs `unshare -rm` (user + mount namespaces) for a private mount")
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def _export_command(db: Path, out: Path) -> str:
    return " ".join([*FANWEN, "export", "--db", str(db), "--out", str(out), "--force"])


def test_read_only_directory_is_one_line_and_keeps_the_old_file(demo_db: Path,  # noqa: F811
                                                                 tmp_path: Path) -> None:
    target = tmp_path / "ro"
    target.mkdir()
    (target / "a.jsonl").write_text("old\n", encoding="utf-8")
    result = _unshare(f"mount -o bind,ro {target} {target} && "
                      f"{_export_command(demo_db, target / 'a.jsonl')}")
    assert result.returncode == 1, result.stderr
    assert "Read-only file system" in _one_line_error(result)
    assert (target / "a.jsonl").read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in target.iterdir()] == ["a.jsonl"]


def test_full_disk_is_one_line_and_keeps_the_old_file(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    target = tmp_path / "small"
    target.mkdir()
    out = target / "a.jsonl"
    # A 64 KiB tmpfs holding the previous export's first 16 KiB; the new one needs ~100 KiB.
    old = tmp_path / "old.jsonl"
    export_corpus(demo_db, old)
    assert old.stat().st_size > 80_000
    old.write_bytes(old.read_bytes()[:16_384])
    result = _unshare(
        f"mount -t tmpfs -o size=64k tmpfs {target} && cp {old} {out} && "
        f"{_export_command(demo_db, out)}; rc=$?; cmp {old} {out} && echo SAME; "
        f"ls -a {target} | tr '\\n' ' '; exit $rc")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "No space left on device" in _one_line_error(result)
    assert "SAME" in result.stdout  # the old file intact
    assert result.stdout.split("SAME")[1].split() == [".", "..", "a.jsonl"]  # no temp file left


def test_file_size_limit_is_one_line_and_keeps_the_old_file(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    import resource

    out = tmp_path / "a.jsonl"
    out.write_text("old\n", encoding="utf-8")
    ro_db = tmp_path / "db.sqlite"  # the database read without a -wal/-shm to extend
    with sqlite3.connect(demo_db) as src, sqlite3.connect(ro_db) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
    limit = 20_000

    def cap_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run([*FANWEN, "export", "--db", str(ro_db), "--out", str(out), "--force"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
                            preexec_fn=cap_file_size)
    assert result.returncode == 1, result.stderr
    assert "File too large" in _one_line_error(result)
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "db.sqlite"]


def test_a_reader_that_stops_early_ends_the_export_quietly(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    """`fanwen export --out - | head -1` exits 0 with nothing on stderr (pipefail-safe)."""
    whole = run_fanwen("export", "--db", str(demo_db), "--out", "-", cwd=tmp_path).stdout
    assert len(whole.encode()) > 2 * 65536, "too small to fill the pipe: the test would not fail"
    proc = subprocess.Popen([*FANWEN, "export", "--db", str(demo_db), "--out", "-"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert json.loads(first)["url"] and err == ""
