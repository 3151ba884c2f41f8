"""What past crawls did, read from the corpus: `crawl_runs`, `crawl_errors`, `skipped`.

Read-only (a scheduler's log reader must never write to a corpus a crawl is using).
`fanwen runs` and `fanwen errors` print these.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from fanwen_crawler.report import skipped_this_run


def _connect(db_path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    return con


def _has_table(con: sqlite3.Connection, name: str) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone() is not None


def list_runs(db_path: Path, limit: int = 20) -> list[dict[str, Any]]:
    """The latest crawl runs, newest first, with their main figures."""
    con = _connect(db_path)
    try:
        rows = con.execute("SELECT id, started_at, finished_at, status, stats FROM crawl_runs "
                           "ORDER BY id DESC LIMIT ?", [limit]).fetchall()
    finally:
        con.close()
    runs = []
    for row in rows:
        stats = json.loads(row["stats"] or "{}")
        pages = sum(int(v) for k, v in stats.items() if k.startswith("fanwen/pages/"))
        runs.append({
            "id": row["id"], "started_at": row["started_at"], "finished_at": row["finished_at"],
            "status": row["status"], "pages": pages,
            "new": int(stats.get("fanwen/store/inserted", 0)),
            "changed": int(stats.get("fanwen/store/updated", 0)),
            "errors": int(stats.get("fanwen/store/errors", 0)),
            "resolved": int(stats.get("fanwen/store/resolved", 0))
            + int(stats.get("fanwen/retry_failed/resolved", 0)),
            "skipped": skipped_this_run(stats),
        })
    return runs


def list_errors(db_path: Path, *, unresolved: bool = False, skipped: bool = False,
                reason: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Recorded errors (or, with `skipped`, policy skips), most recently seen first."""
    con = _connect(db_path)
    try:
        where, args = [], []
        if skipped:
            if not _has_table(con, "skipped"):
                return []
            sql = ("SELECT url, reason, times, first_seen_at, last_seen_at, last_run_id, "
                   "detail, referer FROM skipped")
        else:
            sql = ("SELECT url, reason, status, times, created_at AS first_seen_at, "
                   "coalesce(last_seen_at, created_at) AS last_seen_at, "
                   "coalesce(last_run_id, run_id) AS last_run_id, resolved_at, detail, referer "
                   "FROM crawl_errors") if _has_table(con, "skipped") else (
                   "SELECT url, reason, status, 1 AS times, created_at AS first_seen_at, "
                   "created_at AS last_seen_at, run_id AS last_run_id, resolved_at, detail, "
                   "referer FROM crawl_errors")
            if unresolved:
                where.append("resolved_at IS NULL")
        if reason:
            where.append("reason = ?")
            args.append(reason)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY last_seen_at DESC, url LIMIT ?"
        return [dict(r) for r in con.execute(sql, [*args, limit])]
    finally:
        con.close()
