"""`fanwen serve`: browse the corpus in Datasette on 127.0.0.1.

`serve_corpus` writes the metadata (table and column
descriptions, facets, canned queries — `datasette_metadata.json`, keyed by the
database's name) to a temporary file, registers our plugin (`datasette_plugin`: jieba
search functions, highlighted snippets) and runs Datasette's own `serve` command in this
process until Ctrl-C.
"""

from __future__ import annotations

import copy
import json
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

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


def datasette_args(db: str | Path, metadata_path: Path, port: int) -> list[str]:
    """Arguments of `datasette serve` for the corpus (loopback only)."""
    return ["serve", str(db), "--host", HOST, "--port", str(port),
            "--metadata", str(metadata_path),
            "--setting", "sql_time_limit_ms", str(SQL_TIME_LIMIT_MS)]


def serve_corpus(db: str | Path, port: int = DEFAULT_PORT) -> None:
    """Run Datasette on 127.0.0.1:`port` until interrupted (it opens the corpus read-only)."""
    from datasette.cli import cli

    if not Path(db).exists():
        raise FileNotFoundError(f"no database at {db}")
    register_plugin()
    with tempfile.TemporaryDirectory(prefix="fanwen-serve-") as tmp:
        metadata_path = Path(tmp) / "metadata.json"
        metadata_path.write_text(json.dumps(corpus_metadata(db), ensure_ascii=False),
                                 encoding="utf-8")
        cli.main(args=datasette_args(db, metadata_path, port), prog_name="fanwen serve",
                 standalone_mode=False)
