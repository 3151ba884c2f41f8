"""Portal profiles: small declarative TOML files that sharpen the generic crawl.

A profile is data only: URL patterns that tell article pages from list pages,
optional CSS selectors for fields the generic extractor gets wrong on that portal,
and politeness overrides. `load_profile("sample")` reads `profiles/sample.toml`;
`load_profile(path)` reads any TOML file with the same keys.
"""

from __future__ import annotations

import importlib.resources
import re
import tomllib
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

BUNDLED = importlib.resources.files(__name__)
SELECTOR_FIELDS = frozenset(
    {"title", "body", "published", "source", "author", "category", "tags", "related",
     "article_links", "next_page"}
)


class ProfileError(ValueError):
    """A profile file is missing or malformed."""


@dataclass(kw_only=True, slots=True)
class Profile:
    """Per-portal hints for the generic spider and extractor."""

    name: str
    """Profile name (file stem)."""
    description: str = ""
    """One line on which portal this is for."""
    start_urls: list[str] = field(default_factory=list)
    """Default start URLs when the crawl names none."""
    article_url_patterns: list[re.Pattern[str]] = field(default_factory=list)
    """Regexes (searched in the URL) that mark article pages."""
    list_url_patterns: list[re.Pattern[str]] = field(default_factory=list)
    """Regexes that mark category / list pages."""
    deny_url_patterns: list[re.Pattern[str]] = field(default_factory=list)
    """Regexes for URLs never to follow (search, login, print views …)."""
    selectors: dict[str, str] = field(default_factory=dict)
    """CSS selectors overriding generic extraction, keyed by field (see SELECTOR_FIELDS)."""
    download_delay: float | None = None
    """Seconds between requests to this portal; None keeps the crawl's setting."""
    concurrency: int | None = None
    """Concurrent requests per domain; None keeps the crawl's setting."""

    def is_article_url(self, url: str) -> bool:
        return any(p.search(url) for p in self.article_url_patterns)

    def is_list_url(self, url: str) -> bool:
        return any(p.search(url) for p in self.list_url_patterns)

    def is_denied(self, url: str) -> bool:
        return any(p.search(url) for p in self.deny_url_patterns)


def _patterns(data: dict[str, object], key: str, source: str) -> list[re.Pattern[str]]:
    raw = data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raise ProfileError(f"{source}: '{key}' must be a list of regex strings")
    try:
        return [re.compile(p) for p in raw]
    except re.error as exc:
        raise ProfileError(f"{source}: bad regex in '{key}': {exc}") from exc


def parse_profile(data: dict[str, object], name: str, source: str = "<profile>") -> Profile:
    """Build a Profile from parsed TOML data, validating every key."""
    known = {"description", "start_urls", "article_url_patterns", "list_url_patterns",
             "deny_url_patterns", "selectors", "download_delay", "concurrency"}
    unknown = set(data) - known
    if unknown:
        raise ProfileError(f"{source}: unknown key(s): {', '.join(sorted(unknown))}")
    selectors = data.get("selectors", {})
    if not isinstance(selectors, dict) or not all(isinstance(v, str) for v in selectors.values()):
        raise ProfileError(f"{source}: 'selectors' must be a table of CSS selector strings")
    bad = set(selectors) - SELECTOR_FIELDS
    if bad:
        raise ProfileError(f"{source}: unknown selector field(s): {', '.join(sorted(bad))}")
    start_urls = data.get("start_urls", [])
    if not isinstance(start_urls, list):
        raise ProfileError(f"{source}: 'start_urls' must be a list")
    delay = data.get("download_delay")
    concurrency = data.get("concurrency")
    if delay is not None and not isinstance(delay, int | float):
        raise ProfileError(f"{source}: 'download_delay' must be a number")
    if concurrency is not None and not isinstance(concurrency, int):
        raise ProfileError(f"{source}: 'concurrency' must be an integer")
    return Profile(
        name=name,
        description=str(data.get("description", "")),
        start_urls=[str(u) for u in start_urls],
        article_url_patterns=_patterns(data, "article_url_patterns", source),
        list_url_patterns=_patterns(data, "list_url_patterns", source),
        deny_url_patterns=_patterns(data, "deny_url_patterns", source),
        selectors=dict(selectors),
        download_delay=float(delay) if delay is not None else None,
        concurrency=concurrency,
    )


def load_profile(name_or_path: str) -> Profile:
    """Load a bundled profile by name, or a profile file by path."""
    source: Path | Traversable = Path(name_or_path)
    if Path(name_or_path).suffix != ".toml":
        # importlib.resources, not a path: inside a scrapyd egg the package is a zip file.
        source = BUNDLED.joinpath(f"{name_or_path}.toml")
    if not source.is_file():
        available = ", ".join(sorted(p.name.removesuffix(".toml") for p in BUNDLED.iterdir()
                                     if p.name.endswith(".toml")))
        raise ProfileError(f"no profile '{name_or_path}' (bundled profiles: {available})")
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML: {exc}") from exc
    return parse_profile(data, source.name.removesuffix(".toml"), str(source))
