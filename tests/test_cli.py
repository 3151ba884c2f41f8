"""The CLI in-process (click's runner) plus the docs-match-behaviour checks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from fanwen_crawler import settings
from fanwen_crawler.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_has_help_text() -> None:
    assert isinstance(main, click.Group)
    for name, command in main.commands.items():
        assert command.help and len(command.help) > 20, name
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.name} has no help"


def test_every_fanwen_setting_is_documented() -> None:
    names = [n for n in dir(settings) if n.startswith("FANWEN_")]
    assert names
    for name in names:
        assert f"`{name}`" in README, f"{name} is not documented in README.md"


def test_readme_exit_codes_match_the_code() -> None:
    from fanwen_crawler import crawl

    for code, const in [(0, "EXIT_OK"), (1, "EXIT_FAILED"), (2, "EXIT_USAGE"),
                        (3, "EXIT_DATABASE"), (4, "EXIT_INTERRUPTED")]:
        assert getattr(crawl, const) == code
        assert re.search(rf"^\| {code} \|", README, re.M), code


def test_crawl_rejects_non_http_url() -> None:
    result = CliRunner().invoke(main, ["crawl", "ftp://x.cn/"])
    assert result.exit_code == 2
    assert "not an http(s) URL" in result.output


def test_crawl_rejects_bad_set_option() -> None:
    result = CliRunner().invoke(main, ["crawl", "http://127.0.0.1:9/", "--set", "NOEQUALS"])
    assert result.exit_code == 2
    assert "NAME=VALUE" in result.output


def test_crawl_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["crawl", "http://127.0.0.1:9/", "--db",
                                       str(tmp_path / "x.db"), "--profile", "nope"])
    assert result.exit_code == 2
    assert "no profile 'nope'" in result.output


def test_stats_without_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stats", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 3
    assert "no database at" in result.output


def test_extract_missing_file_is_reported(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "missing.html")])
    assert result.exit_code == 1
    assert "cannot read" in result.output


SEED_LIKE = """<html><head><meta charset="utf-8"><title>关于加强学习的心得体会 - 范文网</title></head>
<body><div class="nav"><a href="/">首页</a> <a href="/xinde/">心得体会</a></div>
<h1>关于加强学习的心得体会</h1><div class="info">时间:2023-08-11 15:33:05来源:范文网</div>
<div class="content"><p>通过这次学习，我深刻认识到理论学习的重要性，也明白了只有不断学习才能跟上时代发展的步伐。</p>
<p>在今后的工作中，我将继续坚持学思践悟，把学习成果转化为推动工作的实际行动，努力做出新的成绩。</p></div>
</body></html>"""


def test_extract_one_file_prints_one_json_object(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_bytes(SEED_LIKE.encode("utf-8"))
    result = CliRunner().invoke(main, ["extract", str(page), "--url",
                                       "http://www.fanwen.test/xinde/2023/0811/1.html"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["page_type"] == "article"
    assert data["title"] == "关于加强学习的心得体会"
    assert data["published_at"] == "2023-08-11T15:33:05"
    assert data["body"].startswith("通过这次学习")


def test_extract_several_files_prints_json_lines(tmp_path: Path) -> None:
    paths = []
    for i in range(3):
        page = tmp_path / f"{i}.html"
        page.write_bytes(SEED_LIKE.encode("utf-8"))
        paths.append(str(page))
    result = CliRunner().invoke(main, ["extract", *paths])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()  # the stand-in URL note is on stderr
    assert len(lines) == 3
    assert all(json.loads(line)["page_type"] == "article" for line in lines)


@pytest.mark.slow
def test_extract_fetches_a_url_from_loopback(portal) -> None:
    result = CliRunner().invoke(main, ["extract", portal.url])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["page_type"] in ("other", "list")
    assert data["list_links"], "the home page's category links should be found"
