"""`python -m evaluation`: score the extractors, print or write the report."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from evaluation.adapters import ADAPTERS
from evaluation.fixtures import DEFAULT_FIXTURES, load_cases
from evaluation.harness import check_targets, render_markdown, run, summarise
from evaluation.real import magic_available, render_real, run_real, worst_pages
from evaluation.realsets import load_real_pages

BEGIN, END = "<!-- eval:begin -->", "<!-- eval:end -->"
GENERATED = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)


def write_report(path: Path, report: str) -> None:
    """Replace the generated block between the eval markers, or write a new file."""
    block = f"{BEGIN}\n{report}{END}"
    if path.exists() and BEGIN in (text := path.read_text(encoding="utf-8")):
        path.write_text(GENERATED.sub(lambda _: block, text), encoding="utf-8")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Extraction evaluation\n\n{block}\n", encoding="utf-8")


def real_report(adapters: list, *, quiet: bool, cv: bool) -> str:
    """The real-page section: per set, per site, forum apart, magic-html when it runs."""
    pages, notes = load_real_pages()
    if not pages:
        return "### Real pages\n\n" + "".join(f"- {n}\n" for n in notes)
    why_not = magic_available()
    if why_not:
        notes.append(f"magic-html skipped: {why_not}")
        click.echo(f"skipping magic-html: {why_not}", err=True)
    results = run_real(pages, adapters, magic=why_not is None, progress=not quiet)
    names = [a.name for a in adapters] + ([] if why_not else ["magic-html"])
    out = render_real(results, names, notes)
    if any(a.name == "ours" for a in adapters):
        out += "\nOur 10 lowest real pages (credit-neutral body F1):\n\n"
        for r in worst_pages(results):
            out += f"- {r.scores['f1']:.3f} {r.page.dataset}/{r.page.page_id} ({r.page.kind})\n"
    if any(a.name == "ours" for a in adapters):
        from evaluation.density import compare
        from evaluation.density import render as render_density

        out += ("\n### Content model: node-density scoring vs ours (article pages)\n\n"
                "Both feed the same structural body rules; see evaluation/density.py.\n\n"
                + render_density(compare(pages)))
    if cv:
        from evaluation.cv import render_cv, site_cv

        out += "\n" + render_cv(site_cv(pages, progress=not quiet))
    return out


@click.command()
@click.option(
    "--fixtures",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=DEFAULT_FIXTURES,
    show_default=True,
    help="Root of the labelled set.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Markdown file to write the report into (between the eval markers).",
)
@click.option(
    "--extractors",
    default=",".join(ADAPTERS),
    show_default=True,
    help="Comma-separated extractors; ones not installed are skipped.",
)
@click.option("--check", is_flag=True, help="Exit 1 when ours misses an issue #3 target.")
@click.option("--per-page", is_flag=True, help="Add a table of body F1 per article page.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--real/--no-real", default=True, show_default=True,
              help="Also score the real-page sets of ../shared/datasets (issue #10).")
@click.option("--cv/--no-cv", default=True, show_default=True,
              help="Grouped-by-site cross-validation of our tuned thresholds (real pages).")
def main(
    fixtures: Path, out: Path | None, extractors: str, check: bool, per_page: bool, quiet: bool,
    real: bool, cv: bool,
) -> None:
    """Score our extractor and its competitors on the labelled evaluation set."""
    names = [n.strip() for n in extractors.split(",") if n.strip()]
    unknown = [n for n in names if n not in ADAPTERS]
    if unknown:
        raise click.BadParameter(
            f"unknown extractor(s): {', '.join(unknown)}", param_hint="--extractors"
        )
    adapters = [ADAPTERS[n] for n in names if ADAPTERS[n].available()]
    skipped = [n for n in names if ADAPTERS[n] not in adapters]
    for name in skipped:
        click.echo(f"skipping {name}: not importable in this environment", err=True)
    if check and "ours" not in [a.name for a in adapters]:
        raise click.UsageError("--check needs the 'ours' extractor")
    cases = load_cases(fixtures)
    if not cases:
        raise click.UsageError(f"no cases under {fixtures}")
    results = run(cases, adapters, progress=not quiet)
    report = "### Self-written regression pages (not evidence)\n\n" + render_markdown(
        results, adapters, skipped, per_page=per_page)
    if real:
        report += "\n" + real_report(adapters, quiet=quiet, cv=cv)
    click.echo(report)
    if out is not None:
        write_report(out, report)
        click.echo(f"wrote {out}", err=True)
    if check:
        missed = check_targets(summarise(results)["ours"])
        for line in missed:
            click.echo(f"target missed: {line}", err=True)
        sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
