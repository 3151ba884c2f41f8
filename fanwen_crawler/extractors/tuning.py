"""The few numeric thresholds of body selection that were chosen by measurement.

They are the only values `evaluation/cv.py` tunes, and it credits them only on sites
they were not tuned on (leave-one-site-out over the real-page sets). Everything else
in the extractors is structural. `THRESHOLDS` is read at call time, so the evaluation
can try other values with `use_thresholds`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Body-selection thresholds."""

    container_jump: int = 3
    """Levels both sides of a gap must climb to their common ancestor for the gap to
    separate two items (a story and the next one in a feed) rather than two paragraphs."""
    anchor_min_chars: int = 40
    """Prose characters the block under the title needs to be the article on its own."""


THRESHOLDS = Thresholds()


@contextmanager
def use_thresholds(**values: int) -> Iterator[Thresholds]:
    """Temporarily extract with other thresholds (evaluation and tests only)."""
    global THRESHOLDS
    saved = THRESHOLDS
    THRESHOLDS = replace(saved, **values)
    try:
        yield THRESHOLDS
    finally:
        THRESHOLDS = saved
