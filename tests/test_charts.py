"""`fanwen stats` table and PNG charts with Chinese labels in a CJK font (no missing glyphs)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from fanwen_crawler.analysis.overview import corpus_overview, duplicate_clusters, format_overview
from fanwen_crawler.cli import main
from tests.corpus_fixture import demo_db  # noqa: F401

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_overview(demo_db: Path) -> None:  # noqa: F811
    ov = corpus_overview(demo_db)
    assert ov["articles"] == ov["unique"] + ov["duplicates"] and ov["duplicates"] >= 1
    assert 0 < ov["duplicate_rate"] < 0.5
    assert len(ov["categories"]) >= 4 and "合同范本" in ov["categories"]
    assert ov["first_published"] < ov["last_published"]
    lines = format_overview(ov)
    assert [line.split()[0] for line in lines] == ["articles", "unique", "duplicates", "sites",
                                                  "categories", "published", "characters"]
    clusters = duplicate_clusters(demo_db)
    assert sum(c["size"] - 1 for c in clusters) == ov["duplicates"]


def test_charts_use_a_cjk_font_without_missing_glyphs(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from fanwen_crawler.analysis.charts import CHARTS, cjk_style, find_cjk_font

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "Glyph … missing from font" warning fails here
        with cjk_style():
            figures = {name: build(demo_db) for name, build in CHARTS.items()}
            for name, fig in figures.items():
                fig.savefig(tmp_path / name)
                texts = [t for t in fig.findobj(lambda o: hasattr(o, "get_fontproperties"))
                         if getattr(t, "get_text", lambda: "")()]
                chinese = [t for t in texts if any("\u4e00" <= c <= "\u9fff" for c in t.get_text())]
                assert chinese, name
                for t in chinese:
                    font_file = font_manager.findfont(t.get_fontproperties(),
                                                      fallback_to_default=False)
                    assert Path(font_file) == find_cjk_font(), (name, t.get_text(), font_file)
    font = FT2Font(str(find_cjk_font()))
    assert "CJK" in font.family_name
    charmap = font.get_charmap()
    assert all(ord(c) in charmap for c in "每月发布文章数正文长度分布高频关键词（篇）")


def test_stats_cli_table_and_plots(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(main, ["stats", "--db", str(demo_db), "--plot", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "duplicates" in result.output and "categories" in result.output
    assert "articles stored:" in result.output  # the existing summary follows the table
    pngs = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in pngs] == ["articles_per_month.png", "body_length.png",
                                      "top_keywords.png"]
    for png in pngs:
        data = png.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 15_000


def test_stats_json_has_the_overview(demo_db: Path) -> None:  # noqa: F811
    import json

    result = CliRunner().invoke(main, ["stats", "--db", str(demo_db), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["overview"]["unique"] > 30


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    from fanwen_crawler.analysis import charts

    monkeypatch.setattr(charts.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    with pytest.raises(charts.FontMissingError):
        charts.find_cjk_font()
