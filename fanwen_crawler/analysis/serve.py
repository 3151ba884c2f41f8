"""`fanwen serve`: browse the corpus in Datasette (on 127.0.0.1 unless told otherwise).

`serve_corpus` writes the metadata (table and column descriptions, facets, canned
queries — `datasette_metadata.json`, keyed by the database's name) to a temporary file,
registers our plugin (`datasette_plugin`: search functions, the table search box,
highlighted snippets) and runs Datasette's own `serve` command in this process until
Ctrl-C, with any extra Datasette options passed through. It never writes the corpus, so
a read-only one is served as it is: articles not yet in the jieba word index are still
found (matches are decided at character level), only ranked after the others.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import sqlite3
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from fanwen_crawler.analysis.search import read_only_connection

HOST = "127.0.0.1"
DEFAULT_PORT = 8001
METADATA_FILE = "datasette_metadata.json"
TEMPLATE_DATABASE = "corpus"
PLUGIN_NAME = "fanwen"
SQL_TIME_LIMIT_MS = 3000


def corpus_metadata(db: str | Path) -> dict[str, Any]:
    """The Datasette metadata for the corpus at `db` (its database name is the file stem)."""
    package = resources.files("fanwen_crawler.analysis")
    text = package.joinpath(METADATA_FILE).read_text(encoding="utf-8")
    meta: dict[str, Any] = json.loads(text)
    databases = meta.pop("databases")
    meta["databases"] = {Path(db).stem: copy.deepcopy(databases[TEMPLATE_DATABASE])}
    return meta


def register_plugin() -> None:
    """Register `fanwen_crawler.analysis.datasette_plugin` with Datasette (idempotent)."""
    from datasette.plugins import pm

    from fanwen_crawler.analysis import datasette_plugin

    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(datasette_plugin, name=PLUGIN_NAME)


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def needs_immutable(db: str | Path) -> bool:
    """Whether `db` can only be read as immutable: a WAL database whose directory is read-only
    and lacks the -shm file cannot be opened even read-only (SQLite needs to create it)."""
    try:
        conn = sqlite3.connect(f"{Path(db).resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return True
    return False


def unindexed_articles(db: str | Path, immutable: bool = False) -> int:
    """Articles not (yet) in the jieba word index, read without writing."""
    conn = read_only_connection(db, immutable=immutable)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "articles" not in tables:
            return 0
        if "fts_pending" not in tables:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
        return int(conn.execute("SELECT count(*) FROM fts_pending").fetchone()[0])
    finally:
        conn.close()


def datasette_args(db: str | Path, metadata_path: Path, port: int, host: str = HOST,
                   extra: Sequence[str] = (), immutable: bool = False) -> list[str]:
    """Arguments of `datasette serve` for the corpus; `extra` (Datasette options) last."""
    database = ["-i", str(db)] if immutable else [str(db)]
    return ["serve", *database, "--host", host, "--port", str(port),
            "--metadata", str(metadata_path),
            "--setting", "sql_time_limit_ms", str(SQL_TIME_LIMIT_MS), *extra]


def serve_corpus(db: str | Path, port: int = DEFAULT_PORT, host: str = HOST,
                 extra: Sequence[str] = (), immutable: bool = False) -> None:
    """Run Datasette on `host`:`port` until interrupted; `extra` goes to `datasette serve`.

    `immutable` opens the file as unchanging (for read-only storage, see `needs_immutable`).
    """
    from datasette.cli import cli

    if not Path(db).exists():
        raise FileNotFoundError(f"no database at {db}")
    register_plugin()
    with tempfile.TemporaryDirectory(prefix="fanwen-serve-") as tmp:
        metadata_path = Path(tmp) / "metadata.json"
        metadata_path.write_text(json.dumps(corpus_metadata(db), ensure_ascii=False),
                                 encoding="utf-8")
        cli.main(args=datasette_args(db, metadata_path, port, host, extra, immutable),
                 prog_name="fanwen serve", standalone_mode=False)
