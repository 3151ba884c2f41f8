"""`fanwen demo`: serve the bundled sample portal, crawl it into a fresh corpus, summarise."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fanwen_crawler.crawl import CrawlSetupError, run_crawl
from fanwen_crawler.report import format_crawl_summary
from fanwen_crawler.sample_portal import serve_portal

# A fixed port keeps the demo corpus's URLs stable between runs; any free port otherwise.
PREFERRED_PORT = 8765


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def save_sample_pages(portal: Any, folder: Path) -> list[Path]:
    """Save a list page and an article page as served (for `fanwen extract` to try)."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, path in (("list.html", next(iter(portal.truth.lists))),
                       ("article.html", portal.truth.articles[0].url)):
        with urllib.request.urlopen(portal.url.rstrip("/") + path, timeout=10) as resp:
            (folder / name).write_bytes(resp.read())
        saved.append(folder / name)
    return saved


def run_demo(db_path: Path, *, progress: bool, echo: Callable[[str], None]) -> int:
    """Run the whole demo; returns the crawl's exit code."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    port = PREFERRED_PORT if _free(PREFERRED_PORT) else 0
    with serve_portal(host="127.0.0.1", port=port) as portal:
        echo(f"Serving the sample portal at {portal.url}")
        echo(f"Crawling it into {db_path} …")
        try:
            result = run_crawl([portal.url], db_path=db_path, profile="sample",
                               progress=progress, log_level="WARNING")
        except CrawlSetupError as exc:
            echo(f"Error: {exc}")
            return exc.exit_code
        pages = db_path.parent / "demo-pages"
        save_sample_pages(portal, pages)
    echo("")
    echo(format_crawl_summary(result, str(db_path)))
    echo("")
    echo("Next, try:")
    echo(f"  .venv/bin/fanwen stats --db {db_path}")
    echo(f"  .venv/bin/fanwen search 工作 --db {db_path}")
    echo(f"  .venv/bin/sqlite-utils query {db_path} "
         "\"select id, title, published_at, duplicate_of from articles limit 10\" --table")
    echo(f"  .venv/bin/fanwen extract {pages}/*.html        # saved pages, offline")
    echo("  .venv/bin/fanwen crawl --help")
    return result.exit_code
