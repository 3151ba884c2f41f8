"""Extraction evaluation (issue #3): score extractors against the labelled set.

`python -m evaluation` runs our `extract_page` and, when they are
installed, trafilatura, GNE and readability-lxml over `tests/fixtures/eval/`, and
prints (or writes into docs/extraction-eval.md) one table of metrics with a column
per extractor. The package is a library first: `load_cases`, `run`, `summarise`,
`render_markdown` and `check_targets` are importable.
"""

from evaluation.fixtures import Case, decode_page, load_cases
from evaluation.harness import (
    TARGETS,
    PageResult,
    check_targets,
    render_markdown,
    run,
    summarise,
)

__all__ = [
    "TARGETS",
    "Case",
    "PageResult",
    "check_targets",
    "decode_page",
    "load_cases",
    "render_markdown",
    "run",
    "summarise",
]
