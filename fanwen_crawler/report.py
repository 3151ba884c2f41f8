"""Human-readable summaries of a crawl and of a corpus (text only; the CLI prints them)."""

from __future__ import annotations

from typing import Any


def format_corpus_summary(summary: dict[str, Any]) -> list[str]:
    """Lines describing what the corpus holds (from `Corpus.summary()`)."""
    lines = [
        f"articles stored:    {summary.get('articles', 0)}"
        f"  (unique {summary.get('unique', 0)}, duplicates {summary.get('duplicates', 0)}:"
        f" exact {summary.get('exact', 0)}, near {summary.get('near', 0)})",
    ]
    sites = summary.get("sites") or {}
    if sites:
        lines.append("sites:              " + ", ".join(f"{s} ({n})" for s, n in sites.items()))
    errors = summary.get("errors") or {}
    if errors:
        lines.append("unresolved errors:  " + ", ".join(f"{r} {n}" for r, n in errors.items()))
    skipped = summary.get("skipped") or {}
    if skipped:
        lines.append("skipped by policy:  " + ", ".join(f"{r} {n}" for r, n in skipped.items()))
    keywords = summary.get("top_keywords") or []
    if keywords:
        shown = "、".join(str(k[0] if isinstance(k, list | tuple) else k) for k in keywords[:10])
        lines.append(f"top keywords:       {shown}")
    return lines


def skipped_this_run(stats: dict[str, Any]) -> str:
    """Policy skips of one run from its stats, e.g. "robots 2, until 5" ("" when none)."""
    counts = {key.removeprefix("fanwen/skipped/"): int(n) for key, n in stats.items()
              if key.startswith("fanwen/skipped/") and key != "fanwen/skipped/stored"}
    if stats.get("fanwen/until/older"):
        counts["until"] = int(stats["fanwen/until/older"])
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()) if n)


def format_crawl_summary(result: Any, db_path: str) -> str:
    """The end-of-crawl report: what was fetched, stored, skipped and how fast."""
    stats = result.stats
    arts = result.articles
    lines = [
        f"crawl finished: {result.finish_reason} in {result.elapsed:.1f}s",
        f"pages fetched:      {result.pages}  ({result.pages_per_second:.1f} pages/s)",
        f"articles this run:  {arts['new']} new, {arts['changed']} changed,"
        f" {arts['unchanged']} unchanged"
        + (f" ({arts['not_modified']} answered 304)" if arts["not_modified"] else ""),
        f"duplicates marked:  exact {stats.get('fanwen/dedupe/exact', 0)},"
        f" near {stats.get('fanwen/dedupe/near', 0)}",
        f"skipped (stored):   {stats.get('fanwen/skipped/stored', 0)}",
        *([f"skipped (policy):   {policy}"] if (policy := skipped_this_run(stats)) else []),
        f"errors this run:    {stats.get('fanwen/store/errors', 0)}",
    ]
    if result.keywords_computed:
        lines.append(f"keywords computed:  {result.keywords_computed} articles")
    lines.append(f"database:           {db_path}")
    lines.extend(format_corpus_summary(result.summary))
    return "\n".join(lines)
