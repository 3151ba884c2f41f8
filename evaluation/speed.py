"""`python -m evaluation.speed`: extraction speed, ours vs trafilatura.

Issue #3 asks for ≥ 5× trafilatura's pages/s on the same pages in the same process
model. Both extractors run in this one process over each page set (the labelled eval
set and, when present, the 69-page Chinese Web Content Extraction dataset), page by
page and alternating (the order flips every round), so load on a shared machine hits
both alike. Each page's time is the best of N rounds; ms/page is the mean of those
bests. Calls are the evaluation adapters' (ours gets bytes and decodes, trafilatura
gets the text decoded once beforehand), so the numbers match `make eval`'s method.
"""

from __future__ import annotations

import gc
import os
import platform
import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click

from evaluation.adapters import ADAPTERS, Adapter
from evaluation.fixtures import DEFAULT_FIXTURES, Case, decode_page, load_cases
from evaluation.real import as_case
from evaluation.realsets import REAL_ZH, dataset_root, load_real_zh

DATASET_NAME = Path("datasets") / "chinese-web-content-extraction" / "original"
DATASET_CANDIDATES = (
    Path(os.environ.get("FANWEN_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    / DATASET_NAME,
)
DATASET_URL = "http://dataset.example/a/{}.html"
TARGET_RATIO = 5.0
BEGIN, END = "<!-- speed:begin -->", "<!-- speed:end -->"
GENERATED = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)


@dataclass(slots=True)
class SetTiming:
    """Best-of-N ms per page for each extractor on one page set."""

    name: str
    pages: int
    ms: dict[str, float]


def default_dataset() -> Path | None:
    """The dataset's `original/` directory, when it is available here."""
    return next((p.resolve() for p in DATASET_CANDIDATES if p.is_dir()), None)


def dataset_cases(root: Path) -> list[Case]:
    """The dataset's pages as unlabelled cases (the URL is the regression test's)."""
    return [
        Case(name=p.stem, family="dataset", path=p, body=p.read_bytes(),
             url=DATASET_URL.format(p.stem), content_type="text/html", expected={})
        for p in sorted(root.glob("*.html"))
    ]


def time_set(name: str, cases: list[Case], adapters: list[Adapter], rounds: int) -> SetTiming:
    """Best-of-`rounds` seconds per page and extractor, extractors alternating per page."""
    texts = [decode_page(c.body, c.content_type)[0] for c in cases]
    best = {a.name: [float("inf")] * len(cases) for a in adapters}
    for case, text in zip(cases, texts, strict=True):  # warm-up: imports, caches
        for adapter in adapters:
            adapter.extract(case, text)
    for n in range(rounds):
        order = adapters if n % 2 == 0 else adapters[::-1]
        gc.collect()
        for i, (case, text) in enumerate(zip(cases, texts, strict=True)):
            for adapter in order:
                _, seconds = adapter.extract(case, text)
                best[adapter.name][i] = min(best[adapter.name][i], seconds)
    return SetTiming(name, len(cases), {
        a: 1000 * statistics.fmean(times) for a, times in best.items()})


def write_report(path: Path, report: str) -> None:
    """Replace the block between the speed markers, or append one."""
    block = f"{BEGIN}\n{report}{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text:
        text = GENERATED.sub(lambda _: block, text)
    else:
        text = f"{text.rstrip()}\n\n{block}\n" if text else f"{block}\n"
    path.write_text(text, encoding="utf-8")


def render(timings: list[SetTiming], names: list[str], rounds: int) -> str:
    """A markdown table: ms/page per extractor and trafilatura's time over ours."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = ["Page set", "pages", *(f"{n} ms/page" for n in names)]
    ratio = "ours" in names and "trafilatura" in names
    if ratio:
        header.append("speed-up (trafilatura ms ÷ ours ms)")
    lines = [
        f"Speed measured {when}, Python {platform.python_version()}, one process, "
        f"extractors alternating page by page, best of {rounds} rounds per page.",
        "",
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
    ]
    for t in timings:
        cells = [t.name, str(t.pages), *(f"{t.ms[n]:.2f}" for n in names)]
        if ratio:
            cells.append(f"{t.ms['trafilatura'] / t.ms['ours']:.1f}×")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@click.command()
@click.option("--rounds", default=7, show_default=True, help="Timed rounds (best per page).")
@click.option("--fixtures", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=DEFAULT_FIXTURES, show_default=True, help="The labelled eval set.")
@click.option("--dataset", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Directory of dataset pages (default: the shared dataset).")
@click.option("--extractors", default="ours,trafilatura", show_default=True,
              help="Comma-separated; ones not importable are skipped.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Markdown file to write the table into (between the speed markers).")
@click.option("--check", is_flag=True, help=f"Exit 1 below {TARGET_RATIO:g}× on any set.")
def main(rounds: int, fixtures: Path, dataset: Path | None, extractors: str,
         out: Path | None, check: bool) -> None:
    """Time ours against trafilatura on the eval set and the dataset."""
    adapters = []
    for name in (n.strip() for n in extractors.split(",") if n.strip()):
        if name not in ADAPTERS:
            raise click.BadParameter(f"unknown extractor: {name}", param_hint="--extractors")
        if ADAPTERS[name].available():
            adapters.append(ADAPTERS[name])
        else:
            click.echo(f"skipping {name}: not importable in this environment", err=True)
    sets = [("eval set", load_cases(fixtures))]
    dataset = dataset or default_dataset()
    if dataset is not None:
        sets.append(("Chinese Web Content Extraction", dataset_cases(dataset)))
    real_zh = dataset_root(REAL_ZH)
    if real_zh is not None:
        sets.append(("real-zh-extraction", [as_case(p) for p in load_real_zh(real_zh)]))
    timings = [time_set(label, cases, adapters, rounds) for label, cases in sets]
    names = [a.name for a in adapters]
    report = render(timings, names, rounds)
    click.echo(report, nl=False)
    if out is not None:
        write_report(out, report)
        click.echo(f"wrote {out}", err=True)
    if check and "trafilatura" in names:
        slow = [t.name for t in timings if t.ms["trafilatura"] / t.ms["ours"] < TARGET_RATIO]
        if slow:
            raise SystemExit(f"below {TARGET_RATIO:g}× trafilatura on: {', '.join(slow)}")


if __name__ == "__main__":
    main()
