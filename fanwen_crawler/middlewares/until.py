"""`--until DATE`: skip articles published before DATE and stop paging into older lists.

Portals list articles newest first, so once every article of a list page is older than
DATE, its further pages hold nothing new. `PaginationGate` holds back a list page's
pagination links (its next page and the sibling pages of its pager) until one of its
articles turns out to be new enough — then they are followed at once — or all of them
turned out older, and then they are dropped. Articles without a date, that failed, or
that were skipped as already stored count as new enough (the safe side: the gate only
stops paging on evidence). Pure bookkeeping; the spider feeds it URLs and dates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date


@dataclass
class _Held:
    articles: set[str]
    pagination: list[str]
    fresh: bool = False


def parse_until(value: str) -> str:
    """Validate a YYYY-MM-DD date; return it in ISO form."""
    return date.fromisoformat(value.strip()).isoformat()


class PaginationGate:
    """Decide, per list page, whether its pagination is worth following."""

    def __init__(self, until: str) -> None:
        self.until = parse_until(until)
        self.known: dict[str, bool] = {}
        self.held: dict[str, _Held] = {}
        self.waiting: defaultdict[str, set[str]] = defaultdict(set)
        self.stopped = 0

    def is_fresh(self, published_at: str | None) -> bool:
        """True if an article published at `published_at` is on or after the date."""
        return not published_at or published_at[:10] >= self.until

    def hold(self, list_url: str, article_urls: list[str], pagination: list[str]) -> list[str]:
        """Register a list page; return the pagination URLs to follow right away (if any)."""
        if not pagination:
            return []
        if not article_urls:
            return pagination  # nothing to judge by: follow
        held = _Held(set(), list(pagination))
        for url in article_urls:
            known = self.known.get(url)
            if known is None:
                held.articles.add(url)
                self.waiting[url].add(list_url)
            elif known:
                held.fresh = True
        self.held[list_url] = held
        return self._decide(list_url)

    def resolve(self, article_url: str, fresh: bool) -> list[str]:
        """An article's date is known; return pagination URLs that may now be followed."""
        self.known[article_url] = self.known.get(article_url, False) or fresh
        follow: list[str] = []
        for list_url in self.waiting.pop(article_url, set()):
            held = self.held.get(list_url)
            if held is None:
                continue
            held.articles.discard(article_url)
            held.fresh = held.fresh or fresh
            follow.extend(self._decide(list_url))
        return follow

    def _decide(self, list_url: str) -> list[str]:
        held = self.held[list_url]
        if held.fresh:
            del self.held[list_url]
            return held.pagination
        if not held.articles:
            del self.held[list_url]
            self.stopped += 1
            return []
        return []

    def release_all(self) -> list[str]:
        """At the end: lists still waiting on articles that never came back are followed."""
        follow: list[str] = []
        for list_url in list(self.held):
            follow.extend(self.held.pop(list_url).pagination)
        self.waiting.clear()
        return follow
