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
    assert [line.split()[0] for line in lines] == [
        "articles", "unique", "duplicates", "sites", "categories", "published", "characters",
        "keywords", "errors", "(sites,"]
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
    assert "keywords" in result.output and "errors" in result.output
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
    assert json.loads(result.stdout)["unique"] > 30


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    from fanwen_crawler.analysis import charts

    monkeypatch.setattr(charts.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    with pytest.raises(charts.FontMissingError):
        charts.find_cjk_font()


# --- one definition per figure, a time axis, "no data" ---------------------------------------

def test_keywords_count_unique_articles_once_after_rebuild(demo_db: Path) -> None:  # noqa: F811
    import json

    from fanwen_crawler.corpus.storage import open_corpus
    from tests.conftest import query_rows, run_fanwen

    result = run_fanwen("keywords", "--db", str(demo_db), "--rebuild", "--method", "tfidf",
                        "--method", "tfidf-corpus", "--method", "textrank")
    assert result.returncode == 0, result.stderr
    assert len({r[0] for r in query_rows(demo_db, "SELECT DISTINCT method FROM keywords")}) == 3
    stats = json.loads(CliRunner().invoke(main, ["stats", "--db", str(demo_db), "--json"]).stdout)
    with open_corpus(demo_db) as corpus:
        crawl_summary = corpus.summary()
    assert [tuple(k) for k in stats["top_keywords"]] == crawl_summary["top_keywords"]
    for keyword, n in crawl_summary["top_keywords"]:
        having = query_rows(demo_db, "SELECT count(DISTINCT k.article_id) FROM keywords k "
                            "JOIN unique_articles a ON a.id = k.article_id "
                            "WHERE k.keyword = ? AND k.method = 'tfidf'", keyword)[0][0]
        assert n == having <= stats["unique"], keyword


def test_sites_agree_everywhere(demo_db: Path) -> None:  # noqa: F811
    import json

    from fanwen_crawler.corpus.storage import open_corpus

    result = CliRunner().invoke(main, ["stats", "--db", str(demo_db), "--json"])
    stats = json.loads(result.stdout)
    with open_corpus(demo_db) as corpus:
        crawl_summary = corpus.summary()
    assert stats["sites"] == crawl_summary["sites"] == corpus_overview(demo_db)["sites"]
    assert sum(stats["sites"].values()) == stats["unique"] == sum(stats["categories"].values())
    text = CliRunner().invoke(main, ["stats", "--db", str(demo_db)]).output
    (site, n), = stats["sites"].items()
    assert f"{site} {n}" in text and f"({stats['articles']})" not in text


def test_months_are_a_calendar_series(demo_db: Path) -> None:  # noqa: F811
    import pandas as pd

    from fanwen_crawler.analysis.overview import articles_per_month

    series = articles_per_month(demo_db)
    months = [m for m, _ in series]
    assert months == [str(p) for p in pd.period_range(months[0], months[-1], freq="M")]
    assert any(n == 0 for _, n in series)  # the demo corpus has gaps: they are in the series
    assert [m for m, n in series if n] == [m for m, _ in articles_per_month(demo_db, fill=False)]


def test_month_chart_has_a_time_axis() -> None:
    import matplotlib.dates as mdates

    from fanwen_crawler.analysis.charts import cjk_style, plot_articles_per_month

    data = [("2022-11", 3), ("2022-12", 0), ("2023-01", 0), ("2023-02", 0), ("2023-03", 5)]
    with cjk_style():
        fig = plot_articles_per_month(data)
    ax = fig.axes[0]
    starts = [mdates.num2date(bar.get_x()).date().isoformat()[:7] for bar in ax.patches]
    assert starts == [m for m, _ in data]
    gaps = [ax.patches[i + 1].get_x() - ax.patches[i].get_x() for i in range(len(data) - 1)]
    assert gaps == [30, 31, 31, 28]  # days: positions on a calendar, not categories
    assert [bar.get_height() for bar in ax.patches] == [3, 0, 0, 0, 5]


def test_an_empty_corpus_says_no_data(tmp_path: Path) -> None:
    from fanwen_crawler.analysis.charts import CHARTS, cjk_style
    from fanwen_crawler.corpus.storage import open_corpus

    db = tmp_path / "empty.db"
    open_corpus(db).close()
    with cjk_style():
        for name, build in CHARTS.items():
            ax = build(db).axes[0]
            assert not ax.axison and not ax.patches, name
            assert any("no data" in t.get_text() for t in ax.texts), name
    result = CliRunner().invoke(main, ["stats", "--db", str(db), "--plot", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "no articles yet" in result.output and "…" not in result.output
    assert len(list((tmp_path / "c").glob("*.png"))) == 3
