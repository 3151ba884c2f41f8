"""Read commands never write, and a file that is not a fanwen corpus is refused in one line.

Every command that takes --db is run against a garbage file, another application's SQLite
file, a missing file and a read-only file: non-zero exit, exactly one line of error, no
traceback, and the file byte-identical (sha256 before and after). stats/search/export on a
real corpus leave it byte-identical too, also when the file is on a read-only filesystem.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fanwen_crawler.cli import main
from fanwen_crawler.corpus.search_index import sync_search_index
from fanwen_crawler.corpus.storage import open_corpus
from fanwen_crawler.items import ArticleItem

COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "stats": lambda db, out: ["stats", "--db", str(db)],
    "search": lambda db, out: ["search", "教育", "--db", str(db)],
    "export": lambda db, out: ["export", "--db", str(db), "--format", "jsonl", "--out", str(out)],
    "keywords": lambda db, out: ["keywords", "--db", str(db)],
    "serve": lambda db, out: ["serve", "--db", str(db), "--port", "0"],
    "index": lambda db, out: ["index", "--db", str(db)],
}
READ_COMMANDS = ("stats", "search", "export")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def garbage(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 64)
    return path


def foreign(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('not a corpus')")
    conn.close()
    return path


def real_corpus(path: Path) -> Path:
    with open_corpus(path) as corpus:
        corpus.write_articles([ArticleItem(url=f"http://x.cn/{i}.html", site="x.cn",
                                           title=f"职业教育{i}", body="大力发展职业教育，深化产教融合。")
                               for i in range(3)])
    sync_search_index(path)
    return path


@pytest.fixture
def ro_dir(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], None]]]:
    """A directory and a function that makes it (and its files) read-only."""
    d = tmp_path / "ro"
    d.mkdir()
    if os.geteuid() != 0:
        def freeze() -> None:
            for p in d.iterdir():
                p.chmod(0o444)
            d.chmod(0o555)
        yield d, freeze
        d.chmod(0o755)
        return
    # root ignores file modes: use a small tmpfs remounted read-only.
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(d)],
                      capture_output=True).returncode != 0:
        pytest.skip("running as root and cannot mount a tmpfs: no way to make a read-only file")

    def remount() -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(d)], check=True, capture_output=True)

    try:
        yield d, remount
    finally:
        subprocess.run(["umount", "-l", str(d)], capture_output=True)


def assert_refused(result, path: Path, before: str | None) -> None:
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    if before is None:
        assert not path.exists()
    else:
        assert sha(path) == before


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", ["garbage", "foreign", "missing", "empty"])
def test_not_a_corpus_is_refused_untouched(tmp_path: Path, command: str, kind: str) -> None:
    db = tmp_path / "x.db"
    if kind == "garbage":
        garbage(db)
    elif kind == "foreign":
        foreign(db)
    elif kind == "empty":
        db.write_bytes(b"")
    before = sha(db) if db.exists() else None
    result = CliRunner().invoke(main, COMMANDS[command](db, tmp_path / "out.jsonl"))
    assert_refused(result, db, before)
    assert result.exit_code == 3
    assert not (tmp_path / "out.jsonl").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ([db.name] if before else [])


@pytest.mark.parametrize("command", COMMANDS)
def test_read_only_garbage_is_refused_untouched(ro_dir, tmp_path: Path, command: str) -> None:
    d, freeze = ro_dir
    db = garbage(d / "x.db")
    freeze()
    before = sha(db)
    result = CliRunner().invoke(main, COMMANDS[command](db, tmp_path / "out.jsonl"))
    assert_refused(result, db, before)
    assert result.exit_code == 3


def test_read_only_corpus_reads_work_and_writes_are_refused(ro_dir, tmp_path: Path) -> None:
    d, freeze = ro_dir
    db = real_corpus(d / "c.db")
    freeze()
    before = sha(db)
    for command in READ_COMMANDS:
        result = CliRunner().invoke(main, COMMANDS[command](db, tmp_path / f"{command}.jsonl"))
        assert result.exit_code == 0, (command, result.output)
        assert sha(db) == before, command
    assert (tmp_path / "export.jsonl").read_text(encoding="utf-8").count("\n") == 3
    for command in ("keywords", "index"):
        result = CliRunner().invoke(main, COMMANDS[command](db, tmp_path / "o"))
        assert_refused(result, db, before)
        assert "read-only" in result.stderr


def test_reads_leave_a_real_corpus_byte_identical(tmp_path: Path) -> None:
    db = real_corpus(tmp_path / "c.db")
    with open_corpus(db) as corpus:  # one article not yet indexed: a search must not index it
        corpus.write_articles([ArticleItem(url="http://x.cn/new.html", site="x.cn",
                                           title="乡村旅游", body="发展乡村旅游。")])
    before, names = sha(db), sorted(p.name for p in tmp_path.iterdir())
    for command in READ_COMMANDS:
        result = CliRunner().invoke(main, COMMANDS[command](db, tmp_path / "out.jsonl"))
        assert result.exit_code == 0, (command, result.output)
        assert sha(db) == before, command
    assert "3 result(s)" in CliRunner().invoke(main, COMMANDS["search"](db, db)).stderr
    # SQLite's WAL readers may leave the (empty) -wal and -shm side files; nothing else appears
    side = {p.name for p in tmp_path.iterdir()} - {*names, "out.jsonl"}
    assert side <= {"c.db-wal", "c.db-shm"}
    assert not (tmp_path / "c.db-wal").exists() or (tmp_path / "c.db-wal").stat().st_size == 0
    # the explicit refresh indexes it
    result = CliRunner().invoke(main, COMMANDS["index"](db, db))
    assert result.exit_code == 0 and "1 articles indexed" in result.output
    assert "4 result(s)" in CliRunner().invoke(main, ["search", "发展", "--db", str(db)]).stderr


def test_crawl_refuses_a_foreign_database_untouched(tmp_path: Path) -> None:
    db = foreign(tmp_path / "app.sqlite")
    before = sha(db)
    result = CliRunner().invoke(main, ["crawl", "http://127.0.0.1:9/", "--db", str(db)])
    assert_refused(result, db, before)
    assert result.exit_code == 3 and "not a fanwen corpus" in result.stderr


@pytest.mark.parametrize("missing", ["datasette", "pyarrow"])
def test_missing_extra_is_one_line_naming_it(tmp_path: Path, monkeypatch, missing: str) -> None:
    db = real_corpus(tmp_path / "c.db")
    monkeypatch.setitem(__import__("sys").modules, missing, None)  # the import fails
    args = (["serve", "--db", str(db)] if missing == "datasette" else
            ["export", "--db", str(db), "--format", "parquet", "--out", str(tmp_path / "o.pq")])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "`analysis` extra" in lines[0] and missing in lines[0]
    assert "fanwen-crawler[analysis]" in lines[0]


def test_missing_distributed_extra_is_one_line_naming_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "scrapy_redis", None)
    db = tmp_path / "c.db"
    result = CliRunner().invoke(main, ["crawl", "http://127.0.0.1:9/", "--db", str(db),
                                       "--redis", "redis://127.0.0.1:1/0"])
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "`distributed` extra" in lines[0] and "scrapy_redis" in lines[0]
    assert not db.exists()
