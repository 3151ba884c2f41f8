"""A crawled demo corpus for the analysis tests (search, export, charts, serve, notebook).

Crawling the bundled portal takes ~10 s, so it happens once per test session: the first
module that asks crawls into a session temp dir, and every module gets its own copy
(`demo_db`, module-scoped), free to modify. Import the fixture into a test module:
`from tests.corpus_fixture import demo_db`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import run_fanwen

_crawled: Path | None = None


def crawl_demo_corpus(directory: Path) -> Path:
    """Serve the sample portal, crawl it into directory/demo.db and index it for search."""
    from fanwen_crawler.corpus.search_index import sync_search_index
    from fanwen_crawler.sample_portal import serve_portal

    db = directory / "demo.db"
    with serve_portal(host="127.0.0.1", port=0) as portal:
        result = run_fanwen("crawl", portal.url, "--db", str(db), "--profile", "sample",
                            "--delay", "0", "--concurrency", "8", "--quiet")
    assert result.returncode == 0, result.stderr
    sync_search_index(db)
    return db


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the crawled, keyword-tagged and search-indexed demo corpus."""
    global _crawled
    if _crawled is None or not _crawled.exists():
        _crawled = crawl_demo_corpus(tmp_path_factory.mktemp("crawled"))
    copy = tmp_path_factory.mktemp("demo") / "demo.db"
    with_wal = [s for s in ("", "-wal", "-shm") if Path(f"{_crawled}{s}").exists()]
    for suffix in with_wal:
        shutil.copyfile(f"{_crawled}{suffix}", f"{copy}{suffix}")
    return copy
