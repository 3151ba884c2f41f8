"""Where a notebook or script finds the corpus: `FANWEN_DB`, else the project's demo corpus.

A notebook's working directory is its own folder (`notebooks/`) under Jupyter but the
project root under `jupyter execute` from there or a test; a path relative to either
breaks the other. So a relative path is resolved against the project root — the nearest
directory at or above the working directory whose `pyproject.toml` names this project —
and `FANWEN_DB`, when set, wins (relative to the working directory if it exists there).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "FANWEN_DB"
DEFAULT_CORPUS = Path("data/demo.db")
PROJECT_NAME = re.compile(r'^name\s*=\s*"fanwen-crawler"\s*$', re.MULTILINE)


def project_root(start: Path | None = None) -> Path | None:
    """The fanwen-crawler checkout containing `start` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and PROJECT_NAME.search(pyproject.read_text(encoding="utf-8")):
            return directory
    return None


def corpus_path(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The corpus to open: `FANWEN_DB` if set, else data/demo.db of the project root."""
    env = os.environ if env is None else env
    cwd = (cwd or Path.cwd()).resolve()
    root = project_root(cwd) or cwd
    chosen = Path(env.get(ENV_VAR) or DEFAULT_CORPUS).expanduser()
    if chosen.is_absolute():
        return chosen
    if env.get(ENV_VAR) and (cwd / chosen).exists():
        return cwd / chosen
    return root / chosen
