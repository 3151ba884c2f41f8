"""Serve a generated portal, crawl it with the real `fanwen crawl`, check the corpus.

    report = run_portal(seed, workdir)        # serve, crawl, compare
    report.ok, report.failures()              # the issue's targets, per portal
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from portalgen.checker import check
from portalgen.portal import generate_portal
from portalgen.report import PortalReport
from portalgen.server import serve

CRAWL_ARGS = ("--delay", "0", "--concurrency", "8", "--no-keywords", "--quiet")


def crawl(url: str, db: Path, *extra: str,
          timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real `fanwen crawl` (this interpreter's fanwen_crawler) into `db`."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "fanwen_crawler", "crawl", url, "--db", str(db),
                           *CRAWL_ARGS, *extra], capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)


def run_portal(seed: int, workdir: Path, *, crawl_args: tuple[str, ...] = (),
               timeout: float = 600, **overrides: object) -> PortalReport:
    """Generate, serve, crawl and check the portal of `seed`."""
    portal = generate_portal(seed, **overrides)
    truth = portal.truth()
    db = workdir / f"portal-{seed}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with serve(portal) as served:
        started = time.monotonic()
        try:
            proc = crawl(served.url, db, *crawl_args, timeout=timeout)
            code, stderr = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as exc:
            # A hung crawl is a result to report, not a crash of the sweep.
            code = -1
            stderr = f"timed out after {timeout:.0f} s; " + str(exc.stderr or "")[-1000:]
        elapsed = time.monotonic() - started
        requests = served.requests()
    report = check(truth, served.url, db, requests)
    report.crawl_seconds = elapsed
    report.exit_code = code
    if code != 0:
        report.note("crawl stderr", stderr[-1500:])
    return report
