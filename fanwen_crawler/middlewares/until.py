"""`--until DATE` (FANWEN_UNTIL): skip articles published before DATE and stop paging into
older lists. `UntilMiddleware` is the spider middleware; `PaginationGate` its bookkeeping.

Portals list articles newest first, so once every article of a list page is older than
DATE, its further pages hold nothing new. `PaginationGate` holds back a list page's
pagination links (its next page and the sibling pages of its pager) until one of its
articles turns out to be new enough — then they are followed at once — or all of them
turned out older, and then they are dropped. Articles without a date, that failed, or
that were skipped as already stored count as new enough (the safe side: the gate only
stops paging on evidence). The gate is pure bookkeeping on URLs and dates.

`UntilMiddleware` reads what the spider yields: an article (or the request for its next
continuation page) older than DATE is dropped (`fanwen/until/older`); a list page's
pagination requests (tagged by the spider with `PAGINATION_OF`) are held by the gate; an
article page's date (`PUBLISHED` in its response meta) or its failure (the spider's
`request_failed` signal) resolves the lists waiting on it. Lists still waiting when the
crawl goes idle are followed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response

from fanwen_crawler.failures import request_failed
from fanwen_crawler.items import ArticleItem
from fanwen_crawler.spiders.portal import DRAFT, KIND, PAGINATION_OF, PUBLISHED
from fanwen_crawler.urls import linked_canonical


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


class UntilMiddleware:
    """Spider middleware for FANWEN_UNTIL: drop older articles, hold older lists' pagination."""

    def __init__(self, crawler: Crawler, until: str) -> None:
        self.crawler = crawler
        self.gate = PaginationGate(until)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UntilMiddleware:
        until = crawler.settings.get("FANWEN_UNTIL")
        if not until:
            raise NotConfigured
        mw = cls(crawler, str(until))
        crawler.signals.connect(mw.request_failed, signal=request_failed)
        crawler.signals.connect(mw.spider_idle, signal=signals.spider_idle)
        return mw

    def _older(self, out: Any) -> bool:
        if isinstance(out, ArticleItem):
            return not self.gate.is_fresh(out.published_at)
        draft = out.meta.get(DRAFT) if isinstance(out, Request) else None
        return draft is not None and not self.gate.is_fresh(draft.published_at)

    def _requests(self, urls: list[str]) -> Iterator[Request]:
        spider = self.crawler.spider
        for url in urls:
            yield spider.request_for(url, "list")  # type: ignore[union-attr]

    def _filter(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        articles: list[str] = []
        pagination: dict[str, str] = {}  # URL → the list page it paginates
        for out in result:
            if self._older(out):
                self.crawler.stats.inc_value("fanwen/until/older")  # type: ignore[union-attr]
                continue
            if isinstance(out, Request) and out.meta.get(PAGINATION_OF):
                pagination.setdefault(out.url, out.meta[PAGINATION_OF])
                continue
            if isinstance(out, Request) and out.meta.get(KIND) == "article":
                articles.append(out.url)
            yield out
        if pagination:
            list_url = next(iter(pagination.values()))
            yield from self._requests(self.gate.hold(list_url, articles, list(pagination)))
        if response.meta.get(KIND) == "article":
            fresh = self.gate.is_fresh(response.meta.get(PUBLISHED))
            first = linked_canonical(response.meta, response.request.url if response.request
                               else response.url)
            yield from self._requests(self.gate.resolve(first, fresh))

    def process_spider_output(self, response: Response, result: Iterable[Any],
                              spider: Any = None) -> Iterator[Any]:
        yield from self._filter(response, result)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        collected = [out async for out in result]
        for out in self._filter(response, collected):
            yield out

    def request_failed(self, request: Request, response: Any = None, **kwargs: Any) -> None:
        """A failed or skipped article request counts as new enough (no evidence it is old)."""
        if response is not None or request.meta.get(KIND) != "article":
            return  # a response's outcome is resolved in process_spider_output
        engine = self.crawler.engine
        for req in self._requests(self.gate.resolve(linked_canonical(request.meta, request.url),
                                                    fresh=True)):
            engine.crawl(req)  # type: ignore[union-attr]

    def spider_idle(self, spider: Any = None) -> None:
        """Lists still waiting for articles that never came back are followed."""
        if urls := self.gate.release_all():
            for req in self._requests(urls):
                self.crawler.engine.crawl(req)  # type: ignore[union-attr]
            raise DontCloseSpider
