"""Write transactions that lose nothing: `BEGIN IMMEDIATE`, bounded retry, fatal errors named.

A deferred transaction (`BEGIN`) that reads before it writes fails at once with SQLITE_BUSY
in WAL mode when another connection commits in between: its lock upgrade cannot wait, so
the busy timeout never applies. `write_transaction` starts every write with `BEGIN
IMMEDIATE` (the write lock first, waiting up to the busy timeout), retries a transaction
still busy after that `BUSY_RETRIES` times with doubling backoff, and turns the errors no
retry can fix (disk full, read-only database, I/O error …) into `CorpusWriteError` with a
short `reason`, so a crawl can stop at the first one.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from fanwen_crawler.corpus.access import CorpusError

logger = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_RETRIES = 4
"""Retries of a write transaction still SQLITE_BUSY after the busy timeout (backoff doubles)."""
BUSY_BACKOFF_S = 0.5
BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
FATAL_CODES = {
    sqlite3.SQLITE_FULL: "disk_full", sqlite3.SQLITE_READONLY: "read_only",
    sqlite3.SQLITE_IOERR: "io_error", sqlite3.SQLITE_CANTOPEN: "cannot_open",
    sqlite3.SQLITE_PERM: "permission", sqlite3.SQLITE_CORRUPT: "corrupt",
    sqlite3.SQLITE_NOTADB: "not_a_database",
}  # fmt: skip
"""Primary SQLite result codes that retrying cannot fix → the reason recorded."""


class CorpusWriteError(CorpusError):
    """A write failed for a reason retrying cannot fix (disk full, read-only, I/O error).

    `reason` is one of FATAL_CODES' values. A crawl stops at the first one.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock; worth retrying."""
    return _primary_code(exc) in BUSY_CODES or "locked" in str(exc)


def fatal_reason(exc: BaseException) -> str | None:
    """The FATAL_CODES reason of an SQLite error (or a disk/permission OSError), else None."""
    if isinstance(exc, sqlite3.Error):
        return FATAL_CODES.get(_primary_code(exc) or -1)
    if isinstance(exc, OSError):
        return {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EROFS: "read_only",
                errno.EACCES: "permission", errno.EPERM: "permission"}.get(exc.errno or -1)
    return None


def write_transaction(conn: sqlite3.Connection, fn: Callable[[], T], *,
                      retries: int = BUSY_RETRIES, backoff: float = BUSY_BACKOFF_S) -> T:
    """Run `fn` in a `BEGIN IMMEDIATE` transaction; commit, or roll back and raise.

    Still SQLITE_BUSY after the busy timeout: retried `retries` times, waiting `backoff`
    seconds (doubling) in between. A fatal error raises CorpusWriteError. Inside an open
    transaction `fn` just runs (the caller's transaction commits it).
    """
    if conn.in_transaction:
        return fn()
    for attempt in range(retries + 1):
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn()
                conn.execute("COMMIT")
                return result
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            if (reason := fatal_reason(exc)) is not None:
                raise CorpusWriteError(f"cannot write the corpus: {exc}", reason) from exc
            if not is_busy(exc) or attempt == retries:
                raise
            logger.warning("corpus: database busy (%s); retrying in %.1f s", exc, backoff)
            time.sleep(backoff)
            backoff *= 2
    raise AssertionError("unreachable")
