"""The crawl flag table: one row per flag makes the option, the setting and the README row."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from scrapy.settings import Settings

from fanwen_crawler.cli import main
from fanwen_crawler.crawl import build_settings
from fanwen_crawler.flags import FLAGS, README_END, README_START, readme_block, settings_for
from fanwen_crawler.politeness import apply_politeness
from fanwen_crawler.profiles import parse_profile

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_flag_table_is_generated_from_the_table() -> None:
    start, end = README.index(README_START), README.index(README_END) + len(README_END)
    assert README[start:end] == readme_block(), (
        "README flag table is stale: run `python -m fanwen_crawler.flags README.md`")
    for flag in FLAGS:
        assert f"`{flag.name}" in readme_block()


def test_crawl_command_has_one_option_per_row() -> None:
    options = {opt for p in main.commands["crawl"].params for opt in p.opts}
    assert {flag.name for flag in FLAGS} <= options
    assert len([p for p in main.commands["crawl"].params if p.name != "start_urls"]) == len(FLAGS)


def test_flags_become_settings_and_defaults_set_nothing() -> None:
    assert settings_for({"refresh": False, "delay": None, "until": None}) == {}
    assert settings_for({"refresh": True, "no_keywords": True, "db_path": Path("x.db"),
                         "max_pages": 3, "scrub_pii": True}) == {
        "FANWEN_SKIP_STORED": False, "FANWEN_KEYWORDS": False, "FANWEN_DB_PATH": "x.db",
        "CLOSESPIDER_PAGECOUNT": 3, "FANWEN_SCRUB_PII": True}
    with pytest.raises(TypeError, match="unknown crawl option"):
        settings_for({"max_artcles": 3})


def test_set_with_an_unknown_fanwen_setting_is_refused_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["crawl", "http://127.0.0.1:9/", "--db",
                                       str(tmp_path / "c.db"), "--set", "FANWEN_MAX_ARTICLE=3"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: --set FANWEN_MAX_ARTICLE: no such setting (did you mean FANWEN_MAX_ARTICLES?)"]
    assert not (tmp_path / "c.db").exists()
    # Scrapy's own settings and known FANWEN_* ones pass.
    settings = build_settings({"set_options": ["FANWEN_MAX_ARTICLES=3", "RETRY_TIMES=0"]})
    assert settings.getint("FANWEN_MAX_ARTICLES") == 3 and settings.getint("RETRY_TIMES") == 0


def _settings(**cmdline: object) -> Settings:
    settings = Settings()
    settings.setmodule("fanwen_crawler.settings", priority="project")
    settings.setdict(cmdline, priority="cmdline")
    return settings


def test_profile_politeness_applies_below_the_command_line() -> None:
    slow = parse_profile({"download_delay": 2.5, "concurrency": 1}, "slow")
    settings = _settings()
    apply_politeness(settings, slow)
    assert settings.getfloat("DOWNLOAD_DELAY") == 2.5
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    settings = _settings(DOWNLOAD_DELAY=0, CONCURRENT_REQUESTS_PER_DOMAIN=20)
    apply_politeness(settings, slow)
    assert settings.getfloat("DOWNLOAD_DELAY") == 0 and not settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("DOWNLOAD_DELAY_JITTER") == 0
    assert settings.getint("CONCURRENT_REQUESTS") == 20
    settings = _settings(FANWEN_REDIS_URL="redis://127.0.0.1:1/0")
    apply_politeness(settings, slow)
    assert settings.getint("CONCURRENT_REQUESTS") == 1
