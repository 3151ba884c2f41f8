"""`fanwen serve`: Datasette over HTTP on 127.0.0.1 and a headless Chromium screenshot."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fanwen_crawler.analysis.serve import corpus_metadata
from tests.conftest import ROOT
from tests.corpus_fixture import demo_db  # noqa: F401

STARTUP_TIMEOUT = 60
CANNED = ("search", "articles_per_month", "top_keywords_per_category", "duplicate_clusters",
          "longest_articles")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read().decode("utf-8"))


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:  # noqa: F811
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanwen_crawler", "serve", "--db", str(demo_db),
         "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/{demo_db.stem}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while True:
            try:
                _get(f"http://127.0.0.1:{port}/-/versions.json")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read() if proc.stdout and proc.poll() is not None else ""
                    pytest.fail(f"datasette did not start: {out}")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_metadata_is_keyed_by_the_database_name(tmp_path: Path) -> None:
    meta = corpus_metadata(tmp_path / "my-corpus.db")
    assert list(meta["databases"]) == ["my-corpus"]
    db = meta["databases"]["my-corpus"]
    assert set(CANNED) <= set(db["queries"])
    assert db["tables"]["articles"]["columns"]["char_count"]
    assert meta["license"] and meta["source"]


def test_canned_queries_return_rows(server: str) -> None:
    for name in CANNED[1:]:
        rows = _get(f"{server}/{name}.json?_shape=array")
        assert rows, name
    months = _get(f"{server}/articles_per_month.json?_shape=array")
    assert all(len(r["month"]) == 7 for r in months)
    top = _get(f"{server}/top_keywords_per_category.json?_shape=array&method=tfidf")
    assert {"合同范本", "工作总结"} <= {r["category"] for r in top}
    clusters = _get(f"{server}/duplicate_clusters.json?_shape=array")
    assert all(r["size"] >= 2 for r in clusters)


def test_search_canned_query_is_jieba_segmented(server: str) -> None:
    q = urllib.parse.quote("安全生产")
    rows = _get(f"{server}/search.json?_shape=array&q={q}")
    assert rows and all("<mark>安全生产</mark>" in r["snippet"] for r in rows)
    part = _get(f"{server}/search.json?_shape=array&q={urllib.parse.quote('生产')}")
    assert {r["id"] for r in rows} <= {r["id"] for r in part}


def test_table_json_with_facets_and_search(server: str) -> None:
    data = _get(f"{server}/articles_overview.json?_size=5")
    facets = data["facet_results"]
    assert {"site", "category", "year"} <= set(facets)
    years = {f["value"] for f in facets["year"]["results"]}
    assert {"2021", "2023"} <= years
    found = _get(f"{server}/articles.json?_shape=array&_col=title&_search="
                 f"{urllib.parse.quote('教育')}")
    assert found


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_search_page_screenshot(server: str, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (scripts/install-browser.sh installs it)")
    from fanwen_crawler.analysis.charts import find_cjk_font

    # Point fontconfig at the CJK font the mplfonts wheel ships, next to the system fonts.
    fonts_conf = tmp_path / "fonts.conf"
    fonts_conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{find_cjk_font().parent}</dir>\n  <cachedir>{tmp_path / 'fc'}</cachedir>\n"
        "</fontconfig>\n", encoding="utf-8")
    png = tmp_path / "search.png"
    url = f"{server}/search?q={urllib.parse.quote('安全')}"
    result = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900",
         f"--screenshot={png}", url],
        capture_output=True, text=True, timeout=90, check=False,
        env={**os.environ, "FONTCONFIG_FILE": str(fonts_conf)})
    assert png.exists(), result.stderr[-2000:]
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 50_000  # a page of text, not a blank
    # The HTML itself carries the Chinese results the screenshot shows.
    with urllib.request.urlopen(url, timeout=30) as resp:
        html = resp.read().decode("utf-8")
    assert "<mark>安全</mark>" in html
