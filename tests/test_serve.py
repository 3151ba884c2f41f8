"""`fanwen serve`: Datasette over HTTP on 127.0.0.1 and a headless Chromium screenshot."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from fanwen_crawler.analysis.serve import corpus_metadata
from tests.conftest import FANWEN, ROOT
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


@contextmanager
def _serving(command: list[str], port: int, db: Path) -> Iterator[str]:
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/{db.stem}"
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


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:  # noqa: F811
    port = _free_port()
    with _serving([*FANWEN, "serve", "--db", str(demo_db), "--port", str(port)], port,
                  demo_db) as base:
        yield base


def test_metadata_is_keyed_by_the_database_name(tmp_path: Path) -> None:
    meta = corpus_metadata(tmp_path / "my-corpus.db")
    assert list(meta["databases"]) == ["my-corpus"]
    db = meta["databases"]["my-corpus"]
    assert set(CANNED) <= set(db["queries"])
    assert db["tables"]["articles"]["columns"]["char_count"]
    assert meta["license"] and meta["source"]


def test_canned_queries_return_rows(server: str, demo_db: Path) -> None:  # noqa: F811
    from fanwen_crawler.analysis.overview import articles_per_month

    for name in CANNED[1:]:
        rows = _get(f"{server}/{name}.json?_shape=array")
        assert rows, name
    months = _get(f"{server}/articles_per_month.json?_shape=array")
    assert all(len(r["month"]) == 7 for r in months)
    # The same series as `fanwen stats --plot`: calendar months, gaps as 0.
    assert [(r["month"], r["articles"]) for r in months] == articles_per_month(demo_db)
    assert any(r["articles"] == 0 for r in months)
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


def _ids(rows: list[dict[str, Any]]) -> set[int]:
    return {r["id"] for r in rows}


@pytest.mark.parametrize("query", ["党", "教育", "安全生产", "教育 OR 合同", "合同 -租赁",
                                   "育", "工作总结"])
def test_table_search_box_returns_the_canned_query_rows(server: str, demo_db: Path,  # noqa: F811
                                                        query: str) -> None:
    from fanwen_crawler.analysis.search import search

    q = urllib.parse.quote(query)
    canned = _get(f"{server}/search.json?_shape=array&q={q}")
    expected = {h.id for h in search(demo_db, query, limit=None, sync=False)}
    assert expected and _ids(canned) == expected
    for table in ("articles", "articles_overview", "unique_articles"):
        box = _get(f"{server}/{table}.json?_shape=array&_size=max&_search={q}")
        unique = {h.id for h in search(demo_db, query, limit=None, sync=False, unique=True)}
        assert _ids(box) == (unique if table == "unique_articles" else expected), table


def test_table_page_shows_the_search_box(server: str) -> None:
    with urllib.request.urlopen(f"{server}/articles?_search={urllib.parse.quote('党')}",
                                timeout=30) as resp:
        page = resp.read().decode("utf-8")
    assert 'name="_search"' in page and "search matches &#34;党&#34;" in page


def _can_unshare_mounts() -> bool:
    unshare = shutil.which("unshare")
    return unshare is not None and subprocess.run(
        [unshare, "-rm", "true"], capture_output=True, check=False).returncode == 0


def test_serve_a_corpus_on_read_only_storage(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    if not _can_unshare_mounts():
        pytest.skip("needs `unshare -rm` (user + mount namespaces) to mount a read-only dir")
    ro = tmp_path / "ro"
    ro.mkdir()
    db = ro / "corpus.db"
    shutil.copyfile(demo_db, db)
    for suffix in ("-wal", "-shm"):
        if Path(f"{demo_db}{suffix}").exists():
            shutil.copyfile(f"{demo_db}{suffix}", f"{db}{suffix}")
    conn = sqlite3.connect(db)  # queued for the word index; then no -wal/-shm file left
    with conn:
        conn.execute("INSERT INTO articles (url, site, title, body) VALUES "
                     "('http://x.cn/new.html', 'x.cn', '新入党员培训', '新入党员培训的正文。')")
    conn.close()
    assert not Path(f"{db}-wal").exists()
    before = db.read_bytes()
    port = _free_port()
    inner = " ".join([*FANWEN, "serve", "--db", str(db), "--port", str(port),
                      "--setting", "max_returned_rows", "7"])
    command = ["unshare", "-rm", "sh", "-c", f"mount -o bind,ro {ro} {ro} && exec {inner}"]
    with _serving(command, port, db) as base:
        hits = _get(f"{base}/search.json?_shape=array&q={urllib.parse.quote('入党')}")
        settings = _get(f"http://127.0.0.1:{port}/-/settings.json")
    assert "新入党员培训" in {h["title"] for h in hits}
    assert settings["max_returned_rows"] == 7  # a Datasette option passed through
    assert db.read_bytes() == before


def test_host_warning_and_passthrough(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from click.testing import CliRunner

    from fanwen_crawler.analysis import serve
    from fanwen_crawler.cli import main

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(serve, "serve_corpus", lambda *args: calls.append(args))
    runner = CliRunner()
    result = runner.invoke(main, ["serve", "--db", str(demo_db), "--host", "0.0.0.0",
                                  "--setting", "max_returned_rows", "2000", "--cors"])
    assert result.exit_code == 0, result.output
    assert "Warning" in result.stderr and "0.0.0.0" in result.stderr
    assert calls[-1][2] == "0.0.0.0"
    assert list(calls[-1][3]) == ["--setting", "max_returned_rows", "2000", "--cors"]
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        result = runner.invoke(main, ["serve", "--db", str(demo_db), "--host", host])
        assert result.exit_code == 0 and "Warning" not in result.stderr, host
    assert serve.datasette_args("c.db", Path("m.json"), 1, "::1", ["--cors"])[-1] == "--cors"
