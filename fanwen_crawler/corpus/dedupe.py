"""Content de-duplication: exact re-posts by hash, near-duplicates by MinHash LSH.

Bodies are compared with all whitespace removed. Near-duplicates use MinHash over
character 5-shingles (whitespace tokens do not work for Chinese), computed with rensa's
`RMinHash` (128 permutations, seed 1; ~6× faster than datasketch's, same accuracy), and a
small banded LSH index of our own (`BandIndex`) with explicit bands × rows (`LSH_PARAMS`):
P(candidate) = 1 − (1 − J^r)^b is 0.991 at Jaccard 0.8, 0.97 at 0.75, 0.41 at 0.5.
Candidates are then verified with the MinHash estimate. That estimate has a standard error
of √(J(1−J)/128) ≈ 0.035 at J = 0.8, so a cut at exactly 0.8 would miss half the pairs
whose true Jaccard is 0.8; the verify cut is therefore two standard errors lower
(`VERIFY_THRESHOLD` ≈ 0.73) and the reported similarity is the estimate itself.

Neither datasketch nor scipy is imported: the crawl process stays small (see
docs/benchmarks.md). A signature is stored as 128 little-endian uint32 values (512 bytes,
`minhashes.signature`). rensa's hash values differ from the datasketch ones stored before
storage migration 4, which recomputed every stored signature; signatures are only
comparable when made by the same `SIGNATURE_ALGORITHM`.

A duplicate is kept, not dropped: it gets `duplicate_of_url` (the first-stored article
of its chain) and `similarity`, and storage turns that into `articles.duplicate_of`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
from rensa import RMinHash

from fanwen_crawler.items import ArticleItem

logger = logging.getLogger(__name__)

NUM_PERM = 128
SEED = 1
SIGNATURE_ALGORITHM = "rensa-rminhash"
"""What made the stored signatures (storage migration 4 recomputed older datasketch ones)."""
SHINGLE_K = 5
THRESHOLD = 0.8
LSH_PARAMS = (9, 4)
"""(bands, rows): only 36 of the 128 values are banded; all 128 verify a candidate."""


def verify_threshold_for(threshold: float, num_perm: int) -> float:
    """The MinHash-estimate cut that keeps ~97.7% of pairs whose true Jaccard is `threshold`."""
    return threshold - 2 * math.sqrt(threshold * (1 - threshold) / num_perm)


VERIFY_THRESHOLD = verify_threshold_for(THRESHOLD, NUM_PERM)
SIGNATURE_DTYPE = np.dtype("<u4")
WHITESPACE = re.compile(r"\s+")


def _squeeze(text: str) -> str:
    return WHITESPACE.sub("", text)


def _hash_squeezed(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def content_hash(body: str) -> str:
    """SHA-256 hex digest of `body` with all whitespace removed."""
    return _hash_squeezed(_squeeze(body))


def _shingles_squeezed(s: str, k: int) -> set[str]:
    if len(s) <= k:
        return {s} if s else set()
    return {s[i : i + k] for i in range(len(s) - k + 1)}


def shingles(text: str, k: int = SHINGLE_K) -> set[str]:
    """Character k-shingles of `text` with whitespace removed (the whole text if shorter)."""
    return _shingles_squeezed(_squeeze(text), k)


class Signature:
    """A MinHash signature: `hashvalues` is a uint32 array of `num_perm` values."""

    __slots__ = ("hashvalues",)

    def __init__(self, hashvalues: np.ndarray) -> None:
        self.hashvalues = hashvalues

    def __len__(self) -> int:
        return len(self.hashvalues)

    def jaccard(self, other: Signature) -> float:
        """Estimated Jaccard similarity: the share of equal values."""
        if len(self) != len(other):
            raise ValueError("signatures of different lengths")
        return float(np.count_nonzero(self.hashvalues == other.hashvalues) / len(self))


def _signature_squeezed(s: str, num_perm: int) -> Signature:
    m = RMinHash(num_perm=num_perm, seed=SEED)
    m.update(list(_shingles_squeezed(s, SHINGLE_K)))
    return Signature(np.array(m.digest(), dtype=np.uint32))


def minhash_of(text: str, num_perm: int = NUM_PERM) -> Signature:
    """MinHash signature of the text's character shingles (rensa RMinHash)."""
    return _signature_squeezed(_squeeze(text), num_perm)


def serialise_minhash(m: Signature) -> bytes:
    """Signature as little-endian uint32 bytes (4 × num_perm bytes)."""
    return np.asarray(m.hashvalues, dtype=SIGNATURE_DTYPE).tobytes()


def deserialise_minhash(data: bytes) -> Signature:
    """Inverse of `serialise_minhash`."""
    return Signature(np.frombuffer(data, dtype=SIGNATURE_DTYPE).astype(np.uint32))


class BandIndex:
    """Banded LSH: rows whose signatures agree on all `rows` values of any band are candidates.

    One dict per band maps the band's bytes (as Python's hash of them, an int: smaller than
    the bytes) to a row number, or to a list of rows once a second one shares the bucket.
    ~0.7 KB per indexed signature for 9 bands. A hash collision only adds a candidate,
    which verification against the full signature rejects.
    """

    def __init__(self, bands: int, rows: int, num_perm: int = NUM_PERM) -> None:
        if bands * rows > num_perm:
            raise ValueError(f"{bands} bands × {rows} rows need more than {num_perm} values")
        self.bands, self.rows = bands, rows
        self._buckets: list[dict[int, int | list[int]]] = [{} for _ in range(bands)]

    def keys(self, hashvalues: np.ndarray) -> list[int]:
        """The bucket key of each band."""
        raw = np.asarray(hashvalues[: self.bands * self.rows], dtype=SIGNATURE_DTYPE).tobytes()
        step = 4 * self.rows
        return [hash(raw[i : i + step]) for i in range(0, len(raw), step)]

    def insert(self, row: int, keys: list[int]) -> None:
        for buckets, key in zip(self._buckets, keys, strict=True):
            held = buckets.get(key)
            if held is None:
                buckets[key] = row
            elif isinstance(held, list):
                held.append(row)
            else:
                buckets[key] = [held, row]

    def query(self, keys: list[int]) -> set[int]:
        found: set[int] = set()
        for buckets, key in zip(self._buckets, keys, strict=True):
            held = buckets.get(key)
            if held is None:
                continue
            if isinstance(held, list):
                found.update(held)
            else:
                found.add(held)
        return found


class DuplicateIndex:
    """In-memory index of seen articles: exact hashes plus MinHash LSH over signatures.

    Each added article remembers the root of its duplicate chain, so `find` always
    answers with the first-stored article. Memory is ~1.5–2 KB per article: a 512-byte
    signature row, the URL and hash maps, and the band buckets (`BandIndex`).
    """

    def __init__(
        self,
        *,
        threshold: float = THRESHOLD,
        num_perm: int = NUM_PERM,
        params: tuple[int, int] = LSH_PARAMS,
        verify_threshold: float | None = None,
    ) -> None:
        self.num_perm = num_perm
        self.verify_threshold = (
            verify_threshold
            if verify_threshold is not None
            else verify_threshold_for(threshold, num_perm)
        )
        self.lsh = BandIndex(*params, num_perm=num_perm)
        self._urls: list[str] = []
        self._roots: list[int] = []
        self._signatures = np.empty((1024, num_perm), dtype=np.uint32)
        self._by_url: dict[str, int] = {}
        self._by_hash: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self._urls)

    def add(self, url: str, body_hash: str, minhash: Signature,
            duplicate_of: str | None = None) -> None:
        """Remember an article; `duplicate_of` (a URL) links it into an existing chain."""
        row = len(self._urls)
        root = row
        if duplicate_of is not None and duplicate_of in self._by_url:
            root = self._roots[self._by_url[duplicate_of]]
        if row == len(self._signatures):
            self._signatures = np.concatenate([self._signatures, np.empty_like(self._signatures)])
        self._signatures[row] = minhash.hashvalues
        self._urls.append(url)
        self._roots.append(root)
        self._by_url[url] = row
        self._by_hash.setdefault(bytes.fromhex(body_hash), row)
        self.lsh.insert(row, self.lsh.keys(minhash.hashvalues))

    def link(self, url: str, duplicate_of: str) -> None:
        """Record that the indexed `url` duplicates the indexed `duplicate_of` (a chain root)."""
        if url in self._by_url and duplicate_of in self._by_url:
            self._roots[self._by_url[url]] = self._roots[self._by_url[duplicate_of]]

    def find(self, url: str, body_hash: str, minhash: Signature) -> tuple[str, float] | None:
        """The first-stored article this one duplicates, with the similarity; None if new.

        An entry with the same URL never counts: a re-crawl is not a duplicate of itself.
        """
        match = self.match(url, body_hash, minhash)
        return None if match is None else (match[0], match[1])

    def match(self, url: str, body_hash: str, minhash: Signature) -> tuple[str, float, bool] | None:
        """Like `find`, plus whether the match is exact (same content hash)."""
        row = self._by_hash.get(bytes.fromhex(body_hash))
        if row is not None:
            root_url = self._urls[self._roots[row]]
            if self._urls[row] != url and root_url != url:
                return root_url, 1.0, True
        candidates = [r for r in self.lsh.query(self.lsh.keys(minhash.hashvalues))
                      if self._urls[r] != url]
        if not candidates:
            return None
        rows = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
        hv = np.asarray(minhash.hashvalues, dtype=np.uint32)
        estimates = (self._signatures[rows] == hv).mean(axis=1)
        best = int(np.argmax(estimates))
        similarity = float(estimates[best])
        if similarity < self.verify_threshold:
            return None
        root_url = self._urls[self._roots[int(rows[best])]]
        if root_url == url:
            return None
        return root_url, round(similarity, 4), False


def load_rows(index: DuplicateIndex, rows: Iterable[tuple[Any, ...]]) -> int:
    """Index already-stored articles: (url, content_hash, signature[, duplicate_of_url])."""
    n = 0
    links = []
    for url, body_hash, signature, *rest in rows:
        if body_hash is None or signature is None:
            continue
        index.add(url, body_hash, deserialise_minhash(signature))
        if rest and rest[0] is not None:
            links.append((url, rest[0]))
        n += 1
    # Afterwards: a re-crawled article may now duplicate one stored after it.
    for url, original in links:
        index.link(url, original)
    return n


def mark_duplicate(index: DuplicateIndex, item: ArticleItem) -> str | None:
    """Set the item's hash, signature and duplicate fields; add it to `index`.

    Returns "exact" or "near" for a duplicate, None for an original.
    """
    squeezed = _squeeze(item.body)
    body_hash = _hash_squeezed(squeezed)
    m = _signature_squeezed(squeezed, index.num_perm)
    item.content_hash = body_hash
    item.minhash = serialise_minhash(m)
    match = index.match(item.url, body_hash, m)
    kind = None
    if match is not None:
        item.duplicate_of_url, item.similarity, exact = match
        kind = "exact" if exact else "near"
    else:
        item.duplicate_of_url, item.similarity = None, None
    index.add(item.url, body_hash, m, duplicate_of=item.duplicate_of_url)
    return kind
