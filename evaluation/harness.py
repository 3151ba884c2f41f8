"""Run extractors over the labelled set, score each page, aggregate and report.

A failing extractor call (any exception, including NotImplementedError while our
extractor is a placeholder) becomes an error row that scores 0 on every metric; the
run continues.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tqdm import tqdm

from evaluation import metrics as m
from evaluation.adapters import Adapter, Prediction
from evaluation.fixtures import Case, decode_page
from fanwen_crawler.urls import canonical_url

# Issue #3's targets for our extractor (`--check`).
TARGETS = {
    "body_f1_mean": (">=", 0.99),
    "body_f1_min": (">=", 0.95),
    "boilerplate_pages": ("<=", 0),
    "title_exact": (">=", 0.97),
    "date_exact": (">=", 0.97),
    "source_exact": (">=", 0.97),
    "page_type_accuracy": (">=", 1.0),
}
# (key, label, format) in table order.
ROWS = [
    ("body_f1_mean", "Body F1, mean (char bigrams, articles)", "{:.3f}"),
    ("body_f1_min", "Body F1, min", "{:.3f}"),
    ("paragraphs_whole", "Expected paragraphs found whole", "{:.1%}"),
    ("boilerplate_pages", "Article pages with boilerplate in body (lower is better)", "{:d}"),
    ("title_exact", "Title exact (articles)", "{:.1%}"),
    ("date_exact", "Date exact (articles)", "{:.1%}"),
    ("source_exact", "Source exact (articles stating one)", "{:.1%}"),
    ("author_exact", "Author exact (articles stating one)", "{:.1%}"),
    ("tags_f1", "Tags F1 (articles with tags)", "{:.3f}"),
    ("related_f1", "Related-links F1 (articles with related links)", "{:.3f}"),
    ("page_type_accuracy", "Page type (list/article) accuracy, all pages", "{:.1%}"),
    ("list_link_recall", "List pages: article-link recall", "{:.1%}"),
    ("next_page_exact", "List pages: next page exact", "{:.1%}"),
    ("errors", "Pages where the extractor raised", "{:d}"),
    ("ms_per_page", "ms / page, mean (extraction call only)", "{:.1f}"),
    ("ms_per_page_median", "ms / page, median", "{:.1f}"),
    ("pages_per_second", "pages / s", "{:.1f}"),
]


@dataclass(slots=True)
class PageResult:
    """One extractor on one page."""

    case: Case
    extractor: str
    prediction: Prediction
    seconds: float
    error: str | None = None
    scores: dict[str, float] = field(default_factory=dict)


def _canonical(urls: Iterable[str | None] | None) -> list[str]:
    """URLs in canonical form (query order, tracking parameters, fragments don't count)."""
    return [canonical_url(u) for u in urls or () if u]


def score_page(case: Case, pred: Prediction, fields: frozenset[str]) -> dict[str, float]:
    """Per-page scores; a metric absent from the dict does not apply to this page."""
    exp = case.expected
    has = fields.__contains__
    s: dict[str, float] = {}
    s["page_type_accuracy"] = float(has("page_type") and pred.page_type == exp["page_type"])
    if case.is_article:
        gold_body = "\n".join(exp["paragraphs"])
        s["body_f1"] = m.bigram_f1(pred.body, gold_body)
        s["paragraphs_whole"] = m.paragraphs_found(pred.body, exp["paragraphs"])
        s["boilerplate"] = float(bool(m.boilerplate_hits(pred.body, case.noise)))
        s["title_exact"] = float(has("title") and m.text_matches(pred.title, exp["title"]))
        if exp.get("published_at"):
            s["date_exact"] = float(
                has("published_at") and m.date_matches(pred.published_at, exp["published_at"])
            )
        if exp.get("source"):
            s["source_exact"] = float(has("source") and m.text_matches(pred.source, exp["source"]))
        if exp.get("author"):
            s["author_exact"] = float(has("author") and m.text_matches(pred.author, exp["author"]))
        if exp.get("tags"):
            s["tags_f1"] = m.set_f1(pred.tags, exp["tags"]) if has("tags") else 0.0
        if exp.get("related"):
            gold = _canonical(link["url"] for link in exp["related"])
            s["related_f1"] = m.set_f1(_canonical(pred.related), gold) if has("related") else 0.0
    else:
        gold_links = _canonical(exp.get("article_links", []))
        s["list_link_recall"] = (
            m.recall(_canonical(pred.article_links), gold_links) if has("article_links") else 0.0
        )
        same = _canonical([pred.next_page]) == _canonical([exp.get("next_page")])
        s["next_page_exact"] = float(has("next_page") and same)
    return s


def run(
    cases: Sequence[Case], adapters: Sequence[Adapter], *, progress: bool = True
) -> list[PageResult]:
    """Run every adapter on every case (pages decoded once, shared by all competitors).

    Each adapter first extracts the first page once, untimed, so lazy imports and caches
    (trafilatura's date parser, our selector compilation) are not billed to one page.
    """
    results: list[PageResult] = []
    if cases:
        warm_text, _ = decode_page(cases[0].body, cases[0].content_type)
        for adapter in adapters:
            try:
                adapter.extract(cases[0], warm_text)
            except Exception:  # failures are recorded in the timed pass
                pass
    bar = tqdm(
        total=len(cases) * len(adapters),
        desc="evaluating",
        unit="page",
        file=sys.stderr,
        disable=not progress,
    )
    for case in cases:
        text, _codec = decode_page(case.body, case.content_type)
        for adapter in adapters:
            try:
                pred, seconds = adapter.extract(case, text)
                error = None
            except Exception as exc:
                pred, seconds, error = Prediction(), 0.0, f"{type(exc).__name__}: {exc}"
            result = PageResult(case, adapter.name, pred, seconds, error)
            result.scores = score_page(case, pred, adapter.fields if error is None else frozenset())
            results.append(result)
            bar.update()
    bar.close()
    return results


def summarise(results: Sequence[PageResult]) -> dict[str, dict[str, float]]:
    """Aggregate per extractor: {extractor: {metric key: value}}."""
    by_ext: dict[str, list[PageResult]] = defaultdict(list)
    for r in results:
        by_ext[r.extractor].append(r)
    out: dict[str, dict[str, float]] = {}
    for name, rows in by_ext.items():

        def values(key: str, rows: list[PageResult] = rows) -> list[float]:
            return [r.scores[key] for r in rows if key in r.scores]

        f1 = values("body_f1")
        agg: dict[str, float] = {
            "body_f1_mean": statistics.fmean(f1) if f1 else 0.0,
            "body_f1_min": min(f1) if f1 else 0.0,
            "boilerplate_pages": int(sum(values("boilerplate"))),
            "errors": sum(r.error is not None for r in rows),
        }
        for key in (
            "paragraphs_whole",
            "title_exact",
            "date_exact",
            "source_exact",
            "author_exact",
            "tags_f1",
            "related_f1",
            "page_type_accuracy",
            "list_link_recall",
            "next_page_exact",
        ):
            vals = values(key)
            agg[key] = statistics.fmean(vals) if vals else 0.0
        total = sum(r.seconds for r in rows)
        agg["ms_per_page"] = 1000 * total / len(rows)
        agg["ms_per_page_median"] = 1000 * statistics.median(r.seconds for r in rows)
        agg["pages_per_second"] = len(rows) / total if total else 0.0
        out[name] = agg
    return out


def family_f1(results: Sequence[PageResult]) -> dict[str, dict[str, float]]:
    """Mean body F1 per family: {family: {extractor: value}}."""
    acc: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        if "body_f1" in r.scores:
            acc[r.case.family][r.extractor].append(r.scores["body_f1"])
    return {
        fam: {ext: statistics.fmean(v) for ext, v in exts.items()}
        for fam, exts in sorted(acc.items())
    }


def check_targets(summary: dict[str, float]) -> list[str]:
    """Targets of issue #3 that `summary` (one extractor's aggregate) misses."""
    missed = []
    for key, (op, target) in TARGETS.items():
        value = summary[key]
        ok = value >= target if op == ">=" else value <= target
        if not ok:
            missed.append(f"{key} = {value:.4g} (target {op} {target})")
    return missed


def machine_line() -> str:
    """Where the numbers were measured."""
    load = f", 1-min load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs (nproc), "
        f"Python {platform.python_version()}{load}"
    )


def render_markdown(
    results: Sequence[PageResult],
    adapters: Sequence[Adapter],
    skipped: Sequence[str] = (),
    *,
    per_page: bool = False,
) -> str:
    """The report: metadata lines, the metrics table, body F1 per family, error notes."""
    summary = summarise(results)
    names = [a.name for a in adapters]
    cases = {r.case.name: r.case for r in results}
    n_articles = sum(c.is_article for c in cases.values())
    lines = [
        f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {machine_line()}.",
        f"{len(cases)} pages ({n_articles} articles, {len(cases) - n_articles} list pages). "
        + "Extractors: "
        + ", ".join(f"{a.name} {a.version}" for a in adapters)
        + (f". Not installed, skipped: {', '.join(skipped)}." if skipped else "."),
        "",
        "| Metric | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for key, label, fmt in ROWS:
        cells = [
            fmt.format(int(summary[n][key]) if fmt == "{:d}" else summary[n][key]) for n in names
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Mean body F1 per template family:",
        "",
        "| Family | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for fam, vals in family_f1(results).items():
        lines.append(f"| {fam} | " + " | ".join(f"{vals.get(n, 0.0):.3f}" for n in names) + " |")
    if per_page:
        lines += [
            "",
            "Body F1 per article page:",
            "",
            "| Page | " + " | ".join(names) + " |",
            "|---|" + "---:|" * len(names),
        ]
        table: dict[str, dict[str, float]] = defaultdict(dict)
        for r in results:
            if "body_f1" in r.scores:
                table[r.case.name][r.extractor] = r.scores["body_f1"]
        for page, vals in sorted(table.items()):
            lines.append(
                f"| {page} | " + " | ".join(f"{vals.get(n, 0.0):.2f}" for n in names) + " |"
            )
    errors = [r for r in results if r.error]
    if errors:
        lines += ["", "Errors (first per extractor):", ""]
        seen: set[str] = set()
        for r in errors:
            if r.extractor not in seen:
                seen.add(r.extractor)
                count = sum(e.extractor == r.extractor for e in errors)
                lines.append(
                    f"- {r.extractor}: {count} pages, e.g. {r.case.name}: `{(r.error or '')[:120]}`"
                )
    return "\n".join(lines) + "\n"
