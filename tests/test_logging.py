"""Crawl logging for schedulers: --quiet, --log-file, --log-format json, no Scrapy dumps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_fanwen

pytestmark = pytest.mark.slow
DUMPS = ("Overridden settings", "Dumping Scrapy stats", "Enabled downloader middlewares")


def test_quiet_with_log_file_prints_nothing_and_logs_info_and_summary(
        portal: Any, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "crawl.log"  # its folder does not exist yet
    proc = run_fanwen("crawl", portal.url, "--db", str(tmp_path / "c.db"), "--delay", "0",
                      "--max-pages", "8", "--no-keywords", "--quiet", "--log-file", str(log))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == "" and proc.stderr == ""  # cron mails any output
    text = log.read_text(encoding="utf-8")
    assert "INFO: Spider opened" in text
    assert "articles this run:" in text and "pages fetched:" in text  # the summary
    assert not [d for d in DUMPS if d in text], text[-3000:]


def test_json_log_lines_and_no_dumps_off_a_tty(portal: Any, tmp_path: Path) -> None:
    log = tmp_path / "crawl.jsonl"
    proc = run_fanwen("crawl", portal.url, "--db", str(tmp_path / "c.db"), "--delay", "0",
                      "--max-pages", "8", "--no-keywords", "--log-format", "json",
                      "--log-file", str(log))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "articles this run:" in proc.stdout  # not --quiet: the summary is printed too
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any(r["message"] == "Spider opened" for r in records)
    summary = records[-1]["summary"]
    assert summary["exit_code"] == 0 and 0 < summary["pages"] <= 8  # --max-pages 8
    # Off a TTY, on stderr: INFO lines, but not Scrapy's settings/stats dumps.
    plain = run_fanwen("crawl", portal.url, "--db", str(tmp_path / "d.db"), "--delay", "0",
                       "--max-pages", "3", "--no-keywords")
    assert "INFO: Spider opened" in plain.stderr
    assert not [d for d in DUMPS if d in plain.stderr], plain.stderr[-3000:]
