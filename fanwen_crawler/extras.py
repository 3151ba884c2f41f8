"""Optional extras: a clear one-line message naming the extra when its packages are missing.

The crawler itself needs only the core dependencies. `pip install 'fanwen-crawler[analysis]'`
adds the analyst tools (datasette, pandas, pyarrow, matplotlib, mplfonts: `fanwen serve`,
`fanwen export --format parquet`, `fanwen stats --plot`, the notebook);
`pip install 'fanwen-crawler[distributed]'` adds scrapy-redis and redis (`fanwen crawl --redis`).
"""

from __future__ import annotations

import importlib.util

EXTRAS = {
    "analysis": ("datasette", "pandas", "pyarrow", "matplotlib", "mplfonts"),
    "distributed": ("scrapy_redis", "redis"),
}
"""Extra → the modules it installs (import names)."""


class MissingExtra(ImportError):
    """A feature needs an optional extra that is not installed."""


def require(extra: str, *modules: str, feature: str = "this command") -> None:
    """Raise MissingExtra naming `extra` if any of `modules` (default: all of it) is missing."""
    wanted = modules or EXTRAS[extra]
    missing = [m for m in wanted if _missing(m)]
    if missing:
        raise MissingExtra(f"{feature} needs the `{extra}` extra (missing: {', '.join(missing)}): "
                           f"pip install 'fanwen-crawler[{extra}]'")


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):  # a parent package missing, or a None entry in sys.modules
        return True
