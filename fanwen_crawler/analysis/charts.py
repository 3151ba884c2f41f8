"""PNG charts of a corpus (articles per month, body lengths, top keywords) with Chinese labels.

matplotlib's bundled DejaVu Sans has no Han glyphs, so every chart is drawn inside an
`rc_context` whose font is a CJK font: Noto Sans CJK SC shipped by the `mplfonts` wheel
(found by path; mplfonts is not imported, so matplotlib's global settings are untouched),
else a CJK font installed on the system. Figures are built with the object-oriented API
on the Agg canvas — no pyplot, no global figure state, no display needed.

Months are drawn on a date axis (one bar per calendar month, so a gap in publication shows
as empty months, not as neighbouring bars), and a chart with nothing to show says so —
"暂无数据 (no data)" — instead of plotting an empty, meaningless axis.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from fanwen_crawler.analysis.overview import DbLike, articles_per_month, body_lengths, top_keywords

BUNDLED_FONT = "NotoSansCJKsc-Regular.otf"
SYSTEM_CJK_NAMES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback")
DPI = 110
BAR_COLOR = "#3b6ea8"
NO_DATA = "暂无数据 (no data)"
MONTH_BAR_DAYS = 25


class FontMissingError(RuntimeError):
    """No CJK font is available, so Chinese labels would render as empty boxes."""


def find_cjk_font() -> Path:
    """Path of the CJK font used for charts (bundled with mplfonts, else a system one)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "fonts" / BUNDLED_FONT
            if candidate.exists():
                return candidate
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if entry.name in SYSTEM_CJK_NAMES:
            return Path(entry.fname)
    raise FontMissingError("no CJK font found: install the `mplfonts` package "
                           "(or the fonts-noto-cjk system package)")


def cjk_font_name() -> str:
    """Register the CJK font with matplotlib (idempotent) and return its family name."""
    from matplotlib import font_manager

    path = find_cjk_font()
    if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


@contextmanager
def cjk_style() -> Iterator[None]:
    """matplotlib settings for charts with Chinese text (restored on exit)."""
    import matplotlib

    with matplotlib.rc_context({
        "font.family": "sans-serif",
        "font.sans-serif": [cjk_font_name(), "DejaVu Sans"],
        "axes.unicode_minus": False,  # the CJK font has no U+2212 minus sign
        "axes.spines.top": False,
        "axes.spines.right": False,
    }):
        yield


def _figure(width: float = 8, height: float = 4.5) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _no_data(ax: Any, title: str) -> None:
    """Replace a chart's axes by a centred notice that there is nothing to plot."""
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=16, color="#666666",
            transform=ax.transAxes)


def plot_articles_per_month(data: list[tuple[str, int]]) -> Any:
    """Bar chart on a time axis: unique articles per publication month (YYYY-MM, count)."""
    import matplotlib.dates as mdates

    fig, ax = _figure()
    title = "每月发布文章数"
    if not any(n for _, n in data):
        _no_data(ax, title)
        return fig
    months = [date(int(m[:4]), int(m[5:7]), 1) for m, _ in data]
    ax.bar(months, [n for _, n in data], width=MONTH_BAR_DAYS, align="edge", color=BAR_COLOR)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title)
    ax.set_xlabel("发布月份")
    ax.set_ylabel("文章数（篇）")
    return fig


def plot_body_lengths(lengths: list[int], bins: int = 20) -> Any:
    """Histogram: body length in characters."""
    fig, ax = _figure()
    title = "正文长度分布"
    if not lengths:
        _no_data(ax, title)
        return fig
    ax.hist(lengths, bins=bins, color=BAR_COLOR, edgecolor="white")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title)
    ax.set_xlabel("正文字数（字符，不含空白）")
    ax.set_ylabel("文章数（篇）")
    return fig


def plot_top_keywords(data: list[tuple[str, int]]) -> Any:
    """Horizontal bars: the most frequent keywords, most frequent on top."""
    fig, ax = _figure(7, max(3.0, 0.3 * len(data) + 1))
    title = "高频关键词"
    if not data:
        _no_data(ax, title)
        return fig
    words = [k for k, _ in data][::-1]
    ax.barh(words, [n for _, n in data][::-1], color=BAR_COLOR)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title)
    ax.set_xlabel("含该关键词的文章数（篇）")
    return fig


def figure_png(fig: Any) -> bytes:
    """The figure as PNG bytes (for notebooks: `IPython.display.Image(figure_png(fig))`)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


CHARTS = {
    "articles_per_month.png": lambda db: plot_articles_per_month(articles_per_month(db)),
    "body_length.png": lambda db: plot_body_lengths(body_lengths(db)),
    "top_keywords.png": lambda db: plot_top_keywords(top_keywords(db)),
}


def plot_corpus(db: DbLike, out_dir: str | Path) -> list[Path]:
    """Write the corpus charts as PNG files into `out_dir`; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with cjk_style():
        for name, build in CHARTS.items():
            fig = build(db)
            fig.savefig(out / name)
            written.append(out / name)
    return written
