"""`python -m evaluation.snapshot OUT`: what `extract_page` returns on every page at hand.

One JSON line per page (the labelled eval set, both real sets when ../shared has them,
and the dataset pages as `evaluation.speed` times them), keys sorted. A change meant to
make extraction faster, not different, is checked by diffing two snapshots: taken before
and after, they are byte-identical.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from evaluation.fixtures import DEFAULT_FIXTURES, Case, load_cases
from evaluation.real import as_case
from evaluation.realsets import load_real_pages
from evaluation.speed import dataset_cases, default_dataset


def snapshot_cases(fixtures: Path = DEFAULT_FIXTURES) -> list[Case]:
    """Every page a snapshot covers, in a fixed order."""
    pages, _missing = load_real_pages()
    cases = [*load_cases(fixtures), *(as_case(p) for p in pages)]
    dataset = default_dataset()
    return cases + (dataset_cases(dataset) if dataset is not None else [])


def snapshot_line(case: Case) -> str:
    """The page's extraction (or the error it raised) as one sorted JSON line."""
    from fanwen_crawler.extractors import extract_page

    try:
        out = extract_page(case.body, case.url, case.headers).to_dict()
    except Exception as error:  # a raised error is part of the output
        out = {"error": repr(error)}
    return json.dumps({"name": case.name, "url": case.url, "out": out},
                      ensure_ascii=False, sort_keys=True)


@click.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--fixtures", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=DEFAULT_FIXTURES, show_default=True, help="The labelled eval set.")
def main(out: Path, fixtures: Path) -> None:
    """Write the extraction of every page to OUT, one JSON line each."""
    cases = snapshot_cases(fixtures)
    with out.open("w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(snapshot_line(case) + "\n")
    click.echo(f"{len(cases)} pages written to {out}", err=True)


if __name__ == "__main__":
    main()
