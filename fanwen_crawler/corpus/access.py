"""Opening a corpus file safely: what a file is, checked before anything writes to it.

`connect_readonly` opens a database that cannot be written through (`mode=ro` plus
`PRAGMA query_only`); every read command (stats, search, export, serve, the notebook) reads
through it, so a read never changes the file. `inspect_corpus` tells what a file is —
missing, not a database, another application's database, a corpus written by a newer
fanwen-crawler, an empty database, or a corpus of ours — and raises `NotACorpus` for the
cases a command must refuse. `check_readable` / `check_writable` are what the commands call
first. Refusals leave the file byte-identical; the CLI prints them as one line and exits
with `EXIT_NOT_A_CORPUS` (3, the documented "database" exit code).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Literal

EXIT_NOT_A_CORPUS = 3
BUSY_TIMEOUT_S = 10.0
State = Literal["new", "current", "outdated"]


class CorpusError(RuntimeError):
    """The corpus database cannot be opened or written (bad path, permissions, locked)."""


class NotACorpus(CorpusError):
    """The file is missing, not an SQLite database, another application's, or newer than us."""


def _uri(path: Path, query: str) -> str:
    return f"{path.resolve().as_uri()}?{query}"


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A connection that cannot write the file at `path` (which must exist).

    A WAL database in a directory this process cannot write (so no `-shm` file can be made)
    is opened `immutable` when no `-wal` file exists, i.e. when no writer can be active.
    """
    path = Path(path)
    if not path.exists():
        raise NotACorpus(f"no database at {path}")
    if not path.is_file():
        raise NotACorpus(f"{path} is not a file")
    if not os.access(path, os.R_OK):
        raise NotACorpus(f"cannot read {path}: permission denied")
    try:
        conn = _connect(_uri(path, "mode=ro"))
    except sqlite3.OperationalError:
        if Path(f"{path}-wal").exists() or os.access(path.parent, os.W_OK):
            raise
        conn = _connect(_uri(path, "immutable=1"))
    return conn


def _connect(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the header
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def inspect_corpus(path: str | Path) -> State:
    """What the file at `path` is, read-only: "new" (no file, or an empty database),
    "current" (a corpus at this version's schema) or "outdated" (migrations pending).

    Raises NotACorpus for a file that is not an SQLite database, another application's
    database, or a corpus written by a newer fanwen-crawler.
    """
    # Imported here: sqlite_utils (and numpy under it) cost ~28 MB that a process which only
    # writes through `transactions` (the keywords worker) does not need.
    from fanwen_crawler.corpus import schema

    path = Path(path)
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return "new"
    try:
        conn = connect_readonly(path)
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB or \
                "not a database" in str(exc):
            raise NotACorpus(f"{path} is not an SQLite database") from exc
        raise NotACorpus(f"cannot read {path}: {exc}") from exc
    try:
        db = schema.Database(conn, execute_plugins=False)
        tables = db.table_names()
        if not tables:
            return "new"
        if schema.unknown_names(db):
            raise NotACorpus(f"{path} was written by a newer fanwen-crawler "
                             f"(schema {schema.unknown_names(db)[-1]}); upgrade fanwen-crawler")
        if not schema.applied_names(db) or "articles" not in tables:
            shown = ", ".join(sorted(tables)[:5]) + (" …" if len(tables) > 5 else "")
            raise NotACorpus(f"{path} is not a fanwen corpus (its tables: {shown})")
        return "outdated" if schema.pending_names(db) else "current"
    except sqlite3.DatabaseError as exc:
        raise NotACorpus(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()


def check_readable(path: str | Path) -> None:
    """Refuse (NotACorpus) anything a read command cannot read as a corpus; writes nothing."""
    path = Path(path)
    if not path.exists():
        raise NotACorpus(f"no database at {path} (run `fanwen crawl` or `fanwen demo` first)")
    state = inspect_corpus(path)
    if state == "new":
        raise NotACorpus(f"{path} is an empty database, not a fanwen corpus")
    if state == "outdated":
        raise NotACorpus(f"{path} was made by an older fanwen-crawler: run `fanwen index --db "
                         f"{path}` once to upgrade it (read commands never write)")


def check_writable(path: str | Path, *, must_exist: bool = False) -> State:
    """Refuse a file a write command must not write: not ours, newer, or not writable."""
    path = Path(path)
    if must_exist and not path.exists():
        raise NotACorpus(f"no database at {path}")
    if path.exists() and not path.is_file():
        raise NotACorpus(f"{path} is not a file")
    state = inspect_corpus(path)
    if must_exist and state == "new":
        raise NotACorpus(f"{path} is an empty database, not a fanwen corpus")
    if path.exists() and not os.access(path, os.W_OK):
        raise CorpusError(f"cannot write {path}: the file is read-only")
    directory = path.parent if str(path.parent) else Path(".")
    if directory.exists() and not os.access(directory, os.W_OK):
        raise CorpusError(f"cannot write {path}: its directory {directory} is read-only")
    return state
