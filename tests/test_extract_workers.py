"""Pages extracted in worker processes (middlewares/extract_workers.py): same corpus, no loss."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from fanwen_crawler.middlewares.extract_workers import ExtractWorkersMiddleware, auto_workers
from fanwen_crawler.spiders.pages import PAGE_META, read_page
from fanwen_crawler.spiders.portal import PortalSpider
from tests.conftest import query_rows, run_fanwen

ROWS = "select url, title, body, published_at, source, category, pages from articles order by url"


@pytest.mark.slow
def test_workers_store_the_corpus_the_crawl_process_stores(tmp_path: Path) -> None:
    from fanwen_crawler.sample_portal import serve_portal

    runs = {}
    with serve_portal(host="127.0.0.1", port=0) as portal:
        for workers in ("1", "0"):
            summary = tmp_path / f"w{workers}.json"
            proc = run_fanwen(
                "crawl", portal.url, "--db", str(tmp_path / f"w{workers}.db"), "--delay", "0",
                "--concurrency", "8", "--no-keywords", "--stats-json", str(summary),
                "--set", f"FANWEN_EXTRACT_WORKERS={workers}",
                "--set", "FANWEN_EXTRACT_WORKERS_AFTER=0")
            assert proc.returncode == 0, proc.stderr[-3000:]
            runs[workers] = json.loads(summary.read_text())
    assert runs["1"]["extract_workers"]["pages"] >= 40, "the workers extracted (almost) no pages"
    assert runs["1"]["extract_workers"]["failed"] == 0
    assert runs["0"]["extract_workers"] == {"pages": 0, "failed": 0}
    with_workers = [tuple(r) for r in query_rows(tmp_path / "w1.db", ROWS)]
    assert with_workers == [tuple(r) for r in query_rows(tmp_path / "w0.db", ROWS)]
    assert len(with_workers) >= 30


class _BrokenPool:
    def submit(self, *args: Any, **kwargs: Any) -> Any:
        raise BrokenProcessPool("a worker died")

    def shutdown(self, **kwargs: Any) -> None:
        pass


def test_a_dead_worker_is_counted_and_the_page_extracted_in_process() -> None:
    crawler = get_crawler(PortalSpider, {"FANWEN_EXTRACT_WORKERS": 1,
                                         "FANWEN_EXTRACT_WORKERS_AFTER": 0})
    crawler.spider = crawler._create_spider(start_url="http://127.0.0.1/")
    crawler.stats.open_spider()
    mw = ExtractWorkersMiddleware.from_crawler(crawler)
    mw.pool = _BrokenPool()  # type: ignore[assignment]
    html = ("<html><head><title>工作总结</title></head><body><h1>工作总结</h1>"
            + "<p>今年我们认真落实各项工作要求，取得了明显成效。</p>" * 20 + "</body></html>")
    request = Request("http://127.0.0.1/a/1.html", callback=crawler.spider.parse_page)
    response = HtmlResponse(request.url, body=html.encode(), encoding="utf-8", request=request)
    assert asyncio.run(mw.process_response(request, response)) is response
    assert PAGE_META not in request.meta and mw.pool is None
    assert crawler.stats.get_value("fanwen/extract_workers/failed") == 1
    page = read_page(response, None, expect_article=True)
    assert getattr(page, "title", None) == "工作总结"


def test_auto_workers_leave_the_crawl_a_cpu() -> None:
    assert [auto_workers(n) for n in (1, 2, 4, 16)] == [0, 1, 3, 4]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_workers_of_a_sigkilled_crawl_exit(tmp_path: Path) -> None:
    from benchmarks.sitegen import generate_site, serve_site
    from tests.conftest import FANWEN, ROOT

    with serve_site(generate_site(400, seed=5), delay=0.02) as served:
        proc = subprocess.Popen(
            [*FANWEN, "crawl", served.url, "--db", str(tmp_path / "c.db"), "--delay", "0",
             "--concurrency", "4", "--quiet", "--no-keywords",
             "--set", "FANWEN_EXTRACT_WORKERS=1", "--set", "FANWEN_EXTRACT_WORKERS_AFTER=0"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(_children(proc.pid)) < 2 and proc.poll() is None \
                and time.monotonic() < deadline:  # the worker and the resource tracker
            time.sleep(0.1)
        workers = _children(proc.pid)
        assert len(workers) >= 2, "the crawl started no worker process"
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)  # hangs while an orphan holds the stderr pipe
    deadline = time.monotonic() + 10
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, workers)), "worker processes outlived the killed crawl"
