"""Merge shard databases (one per distributed worker) into one corpus.

`merge_shards([shard…], into)` reads every article of every shard, oldest crawl first
across all shards, and writes it into the target corpus through the same path a crawl
uses: `DuplicateFinder` (exact hash, then the target database's LSH band table and the exact
Jaccard; nothing loaded whole, so merging a million articles needs no more memory than
crawling them) marks duplicates across shards, and `Corpus.write_articles` upserts by URL
in batched transactions. Shards are read as streams. So the article crawled first anywhere
is the original, its re-posts in any shard point at it. An article the target already
holds with the same content is left as it is, so merging the same shard twice changes nothing.
Unresolved crawl errors are copied too; keywords are recomputed afterwards
(`fanwen keywords`), as after a crawl.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fanwen_crawler.corpus.dedupe import DuplicateFinder, content_hash
from fanwen_crawler.corpus.storage import Corpus, CorpusError, open_corpus
from fanwen_crawler.items import ArticleItem, CrawlError

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


@dataclass
class MergeResult:
    """What a merge did."""

    shards: int = 0
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    exact: int = 0
    near: int = 0
    errors: int = 0
    per_shard: dict[str, int] = field(default_factory=dict)


def _articles(corpus: Corpus, rank: int) -> Iterator[tuple[str, int, int, ArticleItem]]:
    for n, item in enumerate(corpus.iter_articles()):
        yield item.crawled_at or "", rank, n, item


def _shard_errors(corpus: Corpus) -> list[CrawlError]:
    rows = corpus.db.execute(
        "SELECT url, reason, status, detail, referer FROM crawl_errors "
        "WHERE resolved_at IS NULL AND url NOT IN (SELECT url FROM articles) ORDER BY id")
    return [CrawlError(url=u, reason=r, status=s, detail=d, referer=ref)
            for u, r, s, d, ref in rows]


def merge_shards(shards: Sequence[str | Path], into: str | Path) -> MergeResult:
    """Merge the shard corpora into `into` (created if needed); return the counts."""
    into = Path(into).resolve()
    for shard in shards:
        if not Path(shard).exists():
            raise CorpusError(f"no shard database at {shard}")
        if Path(shard).resolve() == into:
            raise CorpusError(f"cannot merge {shard} into itself")
    result = MergeResult(shards=len(shards))
    sources = [open_corpus(s) for s in shards]
    target = open_corpus(into)
    dedupe = DuplicateFinder(target.db.conn, recent_capacity=max(BATCH_SIZE, 1000))
    try:
        streams = [_articles(c, rank) for rank, c in enumerate(sources)]
        batch: list[ArticleItem] = []
        for _, rank, _, item in heapq.merge(*streams, key=lambda t: t[:3]):
            result.read += 1
            name = str(shards[rank])
            result.per_shard[name] = result.per_shard.get(name, 0) + 1
            held = target.db.execute("SELECT content_hash FROM articles WHERE url = ?",
                                     [item.url]).fetchone()
            if held is not None and held[0] == content_hash(item.body):
                result.unchanged += 1  # already merged: keep its duplicate marking as is
                continue
            dedupe.mark(item)
            if item.duplicate_of_url is not None:
                exact = item.similarity == 1.0
                result.exact += exact
                result.near += not exact
            batch.append(item)
            if len(batch) >= BATCH_SIZE:
                _write(target, batch, result)
                batch = []
        _write(target, batch, result)
        errors = [e for c in sources for e in _shard_errors(c)]
        result.errors = target.record_errors(e for e in errors if not _stored(target, e.url))
    finally:
        target.close()
        for c in sources:
            c.close()
    logger.info("merged %d articles from %d shards into %s", result.read, len(shards), into)
    return result


def _stored(target: Corpus, url: str) -> bool:
    return target.db.execute(
        "SELECT 1 FROM articles WHERE url = ? UNION ALL SELECT 1 FROM url_aliases WHERE url = ?",
        [url, url]).fetchone() is not None


def _write(target: Corpus, batch: list[ArticleItem], result: MergeResult) -> None:
    if not batch:
        return
    written = target.write_articles(batch)
    result.inserted += written.inserted
    result.updated += written.updated
    result.unchanged += written.unchanged
