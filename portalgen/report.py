"""The outcome of checking one crawled portal, and tables over many.

`PortalReport` counts what a crawl got right against the ground truth and keeps an example
of each failure; `failures()` states the targets of issue #11 it misses. `summarise` makes a
markdown table per layout family or URL scheme, `failure_classes` lists the reasons.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

BODY_TARGET = 0.995
FIELD_TARGET = 0.99


@dataclass
class PortalReport:
    """What one crawl got right and wrong, with examples of each failure."""

    seed: int
    family: str
    scheme: str
    features: dict[str, object]
    articles: int = 0
    stored_once: int = 0
    body_exact: int = 0
    title_ok: int = 0
    date_ok: int = 0
    source_ok: int = 0
    category_ok: int = 0
    pages_ok: int = 0
    leaks: int = 0
    """Stored bodies holding trailer / navigation / comment strings."""
    continuation_stored: int = 0
    extra_rows: int = 0
    disallowed_fetched: int = 0
    dup_groups: int = 0
    dup_groups_ok: int = 0
    false_duplicates: int = 0
    requests: int = 0
    refetched: int = 0
    not_found: int = 0
    sitemap_only_stored: int = 0
    sitemap_only: int = 0
    missing_why: Counter[str] = field(default_factory=Counter)
    body_why: Counter[str] = field(default_factory=Counter)
    dup_why: Counter[str] = field(default_factory=Counter)
    error_reasons: Counter[str] = field(default_factory=Counter)
    """crawl_errors rows by reason (bad_continuation, not_article, http_404 …)."""
    leak_blocks: Counter[str] = field(default_factory=Counter)
    """Leaked block kinds, with where the template put them ("related (after container)")."""
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    crawl_seconds: float = 0.0
    exit_code: int = 0

    def note(self, kind: str, text: str) -> None:
        if len(self.examples[kind]) < 3:
            self.examples[kind].append(text)

    def rate(self, name: str) -> float:
        return getattr(self, name) / self.articles if self.articles else 1.0

    def failures(self) -> list[str]:
        """The issue's targets this portal misses, each with its figure."""
        out = []
        if self.stored_once < self.articles:
            out.append(f"stored once {self.stored_once}/{self.articles} "
                       f"(missing: {dict(self.missing_why)})")
        if self.rate("body_exact") < BODY_TARGET:
            out.append(f"body exact {self.body_exact}/{self.articles} ({dict(self.body_why)})")
        if self.leaks:
            out.append(f"trailer/nav text in {self.leaks} bodies")
        for name in ("title_ok", "date_ok", "source_ok"):
            if self.rate(name) < FIELD_TARGET:
                out.append(f"{name} {getattr(self, name)}/{self.articles}")
        if self.continuation_stored:
            out.append(f"{self.continuation_stored} continuation pages stored as articles")
        if self.disallowed_fetched:
            out.append(f"{self.disallowed_fetched} robots-disallowed requests")
        if self.dup_groups_ok < self.dup_groups:
            out.append(f"duplicates marked {self.dup_groups_ok}/{self.dup_groups} "
                       f"({dict(self.dup_why)})")
        if self.exit_code != 0:
            out.append(f"crawl exit code {self.exit_code}")
        return out

    @property
    def ok(self) -> bool:
        return not self.failures()


RATES = ("stored_once", "body_exact", "title_ok", "date_ok", "source_ok", "category_ok")


def summarise(reports: list[PortalReport], by: str = "family") -> list[str]:
    """A markdown table of rates grouped by `family` or `scheme`."""
    groups: dict[str, list[PortalReport]] = defaultdict(list)
    for rep in reports:
        groups[getattr(rep, by)].append(rep)
    lines = [f"| {by} | portals | articles | stored once | body exact | title | date | source "
             "| category | leaks | cont. stored | disallowed | dups ok | 404s | refetched "
             "| portals ok |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in sorted(groups):
        reps = groups[name]
        n = sum(x.articles for x in reps)
        cells = [f"{sum(getattr(x, k) for x in reps) / n:.1%}" if n else "-" for k in RATES]
        dup = f"{sum(x.dup_groups_ok for x in reps)}/{sum(x.dup_groups for x in reps)}"
        lines.append(
            f"| {name} | {len(reps)} | {n} | " + " | ".join(cells)
            + f" | {sum(x.leaks for x in reps)} | {sum(x.continuation_stored for x in reps)} "
            f"| {sum(x.disallowed_fetched for x in reps)} | {dup} | "
            f"{sum(x.not_found for x in reps)} | {sum(x.refetched for x in reps)} "
            f"| {sum(x.ok for x in reps)}/{len(reps)} |")
    return lines


def failure_classes(reports: list[PortalReport]) -> list[str]:
    """Per family: the failure reasons and how often, with an example of each."""
    out = []
    by_family: dict[str, list[PortalReport]] = defaultdict(list)
    for rep in reports:
        by_family[rep.family].append(rep)
    for fam in sorted(by_family):
        reps = by_family[fam]
        missing: Counter[str] = Counter()
        body: Counter[str] = Counter()
        dups: Counter[str] = Counter()
        leaks: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        examples: dict[str, str] = {}
        for rep in reps:
            missing.update(rep.missing_why)
            body.update(rep.body_why)
            dups.update(rep.dup_why)
            leaks.update(rep.leak_blocks)
            reasons.update(rep.error_reasons)
            for kind, items in rep.examples.items():
                examples.setdefault(kind, f"seed {rep.seed} ({rep.scheme}): {items[0]}")
        out.append(f"### {fam}")
        out.append(f"- missing articles by reason: {dict(missing) or 'none'}")
        out.append(f"- body mismatches by kind: {dict(body) or 'none'}")
        out.append(f"- duplicate groups not marked: {dict(dups) or 'none'}")
        out.append(f"- bodies with leaked blocks, by block: {dict(leaks) or 'none'}")
        out.append(f"- crawl_errors recorded, by reason: {dict(reasons) or 'none'}")
        for kind in sorted(examples):
            out.append(f"- e.g. {kind}: {examples[kind][:400]}")
    return out
