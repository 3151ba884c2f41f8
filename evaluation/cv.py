"""Cross-validation grouped by site of our tuned body-selection thresholds (issue #10).

The extractor's only measured-and-chosen numbers are in
`fanwen_crawler.extractors.tuning.Thresholds`. Here every value of a small grid is
run over the real article pages; then, for each site in turn (leave-one-site-out),
the grid value with the best mean body F1 on *all other sites* is chosen and scored
on the held-out site's pages. The mean of those held-out scores is the figure that
the thresholds are credited with: a site never scores with a value tuned on itself.
The grid choice uses pages of both real sets; a site key is (set, site).
"""

from __future__ import annotations

import itertools
import statistics
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from tqdm import tqdm

from evaluation.real import drop_credits, f1
from evaluation.realsets import SHORT_NAMES, RealPage
from fanwen_crawler.extractors import extract_page
from fanwen_crawler.extractors.tuning import THRESHOLDS, Thresholds, use_thresholds

GRID = {
    "container_jump": (2, 3, 4, 6, 99),  # 99: never cut a run into items
    "anchor_min_chars": (20, 40, 80),
}


@dataclass(slots=True)
class CvResult:
    """Held-out F1 per page, the value each fold chose, and the shipped values' F1."""

    held_out: dict[str, float]
    shipped: dict[str, float]
    chosen: dict[str, Thresholds]
    pages: dict[str, RealPage]


def _key(page: RealPage) -> str:
    return f"{SHORT_NAMES[page.dataset]}/{page.page_id}"


def _score(page: RealPage) -> float:
    try:
        out = extract_page(page.html, page.url, {"Content-Type": "text/html"})
        body = out.body or ""
    except Exception:  # a raising page scores 0, as in the harness
        body = ""
    return f1(drop_credits(body), drop_credits(page.gold_body))


def site_cv(pages: Sequence[RealPage], *, progress: bool = True) -> CvResult:
    """Leave-one-site-out over the real article pages."""
    articles = [p for p in pages if p.kind == "article"]
    configs = [Thresholds(**dict(zip(GRID, values, strict=True)))
               for values in itertools.product(*GRID.values())]
    scores: dict[Thresholds, dict[str, float]] = {}
    bar = tqdm(total=len(configs) * len(articles), desc="site CV", unit="page",
               file=sys.stderr, disable=not progress)
    for config in configs:
        with use_thresholds(**asdict(config)):
            row = {}
            for page in articles:
                row[_key(page)] = _score(page)
                bar.update()
        scores[config] = row
    bar.close()
    shipped = scores.get(THRESHOLDS) or {}
    if not shipped:
        with use_thresholds():
            shipped = {_key(p): _score(p) for p in articles}
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for page in articles:
        groups[(page.dataset, page.site)].append(_key(page))
    held_out: dict[str, float] = {}
    chosen: dict[str, Thresholds] = {}
    for keys in groups.values():
        inside = set(keys)

        def train_mean(config: Thresholds, inside: set[str] = inside) -> float:
            return statistics.fmean(v for k, v in scores[config].items() if k not in inside)

        best = max(configs, key=lambda c: (train_mean(c), c == THRESHOLDS))
        for k in keys:
            held_out[k] = scores[best][k]
            chosen[k] = best
    return CvResult(held_out, shipped, chosen, {_key(p): p for p in articles})


def render_cv(result: CvResult) -> str:
    """Markdown: held-out F1 per set next to the shipped values' F1, and the choices."""
    lines = ["### Cross-validation grouped by site (our thresholds, article pages)", "",
             "Each site's pages are scored with the grid value that was best on all other "
             "sites (leave-one-site-out). Grid: "
             + ", ".join(f"`{k}` ∈ {list(v)}" for k, v in GRID.items())
             + f". Shipped: {asdict(THRESHOLDS)}.", "",
             "| Set | Pages | Sites | Held-out body F1 (CV) | Shipped thresholds, in-sample |",
             "|---|---:|---:|---:|---:|"]
    by_set: dict[str, list[str]] = defaultdict(list)
    for k, page in result.pages.items():
        by_set[SHORT_NAMES[page.dataset]].append(k)
    every = list(result.pages)
    for name, keys in [*sorted(by_set.items()), ("all", every)]:
        sites = {(result.pages[k].dataset, result.pages[k].site) for k in keys}
        lines.append(
            f"| {name} | {len(keys)} | {len(sites)} | "
            f"{statistics.fmean(result.held_out[k] for k in keys):.3f} | "
            f"{statistics.fmean(result.shipped[k] for k in keys):.3f} |")
    picks: dict[Thresholds, int] = defaultdict(int)
    for config in result.chosen.values():
        picks[config] += 1
    lines += ["", "Values chosen by the folds (pages scored with each): "
              + "; ".join(f"{asdict(c)} × {n}" for c, n in
                          sorted(picks.items(), key=lambda item: -item[1])) + "."]
    return "\n".join(lines) + "\n"
