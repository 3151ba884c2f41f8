"""Content de-duplication: exact re-posts by hash, near-duplicates by MinHash LSH + exact Jaccard.

Bodies are compared with all whitespace removed. Near-duplicates use MinHash over character
5-shingles (whitespace tokens do not work for Chinese), computed with rensa's `RMinHash`
(128 permutations, seed 1). A signature is stored as 128 little-endian uint32 values
(512 bytes, `minhashes.signature`); signatures are only comparable when made by the same
`SIGNATURE_ALGORITHM`.

Finding candidates: banded LSH with `LSH_PARAMS` = 16 bands × 4 rows; a candidate shares
at least `MIN_BANDS` = 2 whole bands with the article. A band's key is its 16 bytes of the
stored signature, so the database can keep the index itself: the table
`lsh_bands (key, article_id)` is filled by triggers on `minhashes` (schema migration
0011), whoever writes the signature. With q = J⁴, P(candidate) = 1 − (1−q)¹⁶ − 16q(1−q)¹⁵
is 0.997 at Jaccard 0.8, 0.98 at 0.75, 0.007 at 0.3. Asking for two bands is what keeps
the cost per lookup flat: with one band out of 12 (migration 0010), unrelated texts that
share common phrases (J 0.1–0.3) became candidates in proportion to the corpus size, each
costing a signature read. Nothing is loaded at crawl start and memory does not grow with
the corpus; because the index is read from the database, articles another process
committed meanwhile are candidates too.

Verifying: a candidate whose MinHash estimate is below `PREFILTER` (0.6, ~6 standard
errors below 0.8) is dropped unread; the rest are compared by the exact Jaccard of their
5-shingle sets, which must reach `THRESHOLD` (0.8). So no pair below 0.8 is ever marked,
and `similarity` is the exact Jaccard (1.0 for an exact re-post).

Articles not yet committed (the store pipeline buffers a batch) are kept in a small
in-memory `RecentIndex` (two generations of `RECENT_CAPACITY` articles), so a re-post in
the same batch is marked too. Without a database the in-memory index is unbounded (tests,
one-off use). `find_stored_duplicate` repeats the database lookup inside the write
transaction, so two processes writing copies of one text at the same time still mark it;
it skips that repeat when no other connection has committed since the lookup (SQLite's
`PRAGMA data_version` is unchanged), as the lookup's answer then still holds. The finder
registers itself for its connection so the store's recheck can ask it; a connection with two
finders, or an item this finder did not look up, is always looked up again.

A finder with a database raises the connection's page cache to `PAGE_CACHE_KIB`: the band
lookups and inserts go to random pages of tables that grow with the corpus, and a cache
that holds their inner B-tree pages keeps that cost nearly flat.

A duplicate is kept, not dropped: it gets `duplicate_of_url` (the first-stored article
of its chain) and `similarity`, and storage turns that into `articles.duplicate_of`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import weakref
from collections import OrderedDict
from dataclasses import dataclass

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
"""Exact 5-shingle Jaccard at or above which an article is a near-duplicate."""
PREFILTER = 0.6
"""MinHash estimate under which a candidate is not verified (its body is not even read)."""
LSH_PARAMS = (16, 4)
"""(bands, rows). Schema migration 0011 writes these bands; changing them needs a migration."""
MIN_BANDS = 2
"""Bands a candidate must share with the article looked up."""
BAND_BYTES = 4 * LSH_PARAMS[1]
MAX_CANDIDATES = 256
"""Candidates verified per lookup at most (thousands of copies of one text share buckets)."""
MAX_BAND_ROWS = 8192
"""Band rows read per lookup at most, so a bucket shared by very many articles stays cheap."""
RECENT_CAPACITY = 2000
"""Articles per generation of the in-memory index of not-yet-committed articles."""
SIGNATURE_DTYPE = np.dtype("<u4")
PAGE_CACHE_KIB = 8 * 1024
"""SQLite page cache a finder gives its connection at least (SQLite's default is 2 MB); 8, 16,
32, 64 and 128 MB measured alike at 200k articles, so the smallest, for the crawl's memory."""
LOOKUPS_KEPT = 20_000
"""Lookups whose data_version a finder remembers for the store's recheck (oldest dropped)."""
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


def jaccard(a: set[str], b: set[str]) -> float:
    """Exact Jaccard similarity of two shingle sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


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


def _signature_squeezed(s: str, num_perm: int = NUM_PERM) -> Signature:
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


def band_keys(signature: bytes, params: tuple[int, int] = LSH_PARAMS) -> list[bytes]:
    """The LSH bucket key of each band: that band's bytes of the serialised signature.

    The same slices as schema migration 0011's triggers take with `substr()`.
    """
    bands, rows = params
    step = 4 * rows
    return [signature[i * step : (i + 1) * step] for i in range(bands)]


class BandIndex:
    """In-memory banded LSH: signatures agreeing on every value of `min_bands` bands match.

    One dict per band maps the band's bytes to a row number, or to a list of rows once a
    second one shares the bucket.
    """

    def __init__(self, bands: int, rows: int, num_perm: int = NUM_PERM) -> None:
        if bands * rows > num_perm:
            raise ValueError(f"{bands} bands × {rows} rows need more than {num_perm} values")
        self.bands, self.rows = bands, rows
        self._buckets: list[dict[bytes, int | list[int]]] = [{} for _ in range(bands)]

    def keys(self, hashvalues: np.ndarray) -> list[bytes]:
        """The bucket key of each band."""
        raw = np.asarray(hashvalues, dtype=SIGNATURE_DTYPE).tobytes()
        return band_keys(raw, (self.bands, self.rows))

    def insert(self, row: int, keys: list[bytes]) -> None:
        for buckets, key in zip(self._buckets, keys, strict=True):
            held = buckets.get(key)
            if held is None:
                buckets[key] = row
            elif isinstance(held, list):
                held.append(row)
            else:
                buckets[key] = [held, row]

    def query(self, keys: list[bytes], min_bands: int = 1) -> set[int]:
        shared: dict[int, int] = {}
        for buckets, key in zip(self._buckets, keys, strict=True):
            held = buckets.get(key)
            if held is None:
                continue
            for row in held if isinstance(held, list) else (held,):
                shared[row] = shared.get(row, 0) + 1
        return {row for row, n in shared.items() if n >= min_bands}


@dataclass(slots=True)
class Match:
    """The first-stored article a new one duplicates."""

    url: str
    similarity: float
    exact: bool


class Probe:
    """One article being looked up: its squeezed body, hash, signature; shingles on demand."""

    __slots__ = ("_shingles", "body_hash", "signature", "squeezed", "url")

    def __init__(self, url: str, body: str, signature: Signature | None = None,
                 body_hash: str | None = None) -> None:
        self.url = url
        self.squeezed = _squeeze(body)
        self.body_hash = body_hash or _hash_squeezed(self.squeezed)
        self.signature = signature or _signature_squeezed(self.squeezed)
        self._shingles: set[str] | None = None

    @property
    def shingles(self) -> set[str]:
        if self._shingles is None:
            self._shingles = _shingles_squeezed(self.squeezed, SHINGLE_K)
        return self._shingles

    def similarity(self, squeezed_other: str) -> float:
        return jaccard(self.shingles, _shingles_squeezed(squeezed_other, SHINGLE_K))


def _better(best: Match | None, candidate: Match) -> Match:
    return candidate if best is None or candidate.similarity > best.similarity else best


class _Generation:
    def __init__(self) -> None:
        self.urls: list[str] = []
        self.roots: list[str] = []
        self.bodies: list[str] = []
        self.signatures: list[np.ndarray] = []
        self.by_hash: dict[str, int] = {}
        self.lsh = BandIndex(*LSH_PARAMS)


class RecentIndex:
    """Articles marked in this process, in memory: two generations of `capacity` each.

    With a database behind it, this only has to bridge the time until the store pipeline
    commits an article (a batch, a few seconds), so it stays small. `capacity=None` keeps
    everything (no database).
    """

    def __init__(self, capacity: int | None = RECENT_CAPACITY) -> None:
        self.capacity = capacity
        self._generations = [_Generation()]

    def __len__(self) -> int:
        return sum(len(g.urls) for g in self._generations)

    def add(self, probe: Probe, root_url: str | None) -> None:
        current = self._generations[-1]
        if self.capacity is not None and len(current.urls) >= self.capacity:
            current = _Generation()
            self._generations = [self._generations[-1], current]
        row = len(current.urls)
        current.urls.append(probe.url)
        current.roots.append(root_url or probe.url)
        current.bodies.append(probe.squeezed)
        current.signatures.append(probe.signature.hashvalues)
        current.by_hash.setdefault(probe.body_hash, row)
        current.lsh.insert(row, current.lsh.keys(probe.signature.hashvalues))

    def match(self, probe: Probe) -> Match | None:
        for g in reversed(self._generations):
            row = g.by_hash.get(probe.body_hash)
            if row is not None and probe.url not in (g.urls[row], g.roots[row]):
                return Match(g.roots[row], 1.0, True)
        best: Match | None = None
        for g in self._generations:
            for row in g.lsh.query(g.lsh.keys(probe.signature.hashvalues), MIN_BANDS):
                if probe.url in (g.urls[row], g.roots[row]):
                    continue
                estimate = np.count_nonzero(g.signatures[row] == probe.signature.hashvalues)
                if estimate / NUM_PERM < PREFILTER:
                    continue
                similarity = probe.similarity(g.bodies[row])
                if similarity >= THRESHOLD:
                    best = _better(best, Match(g.roots[row], round(similarity, 4), False))
        return best


EXACT_SQL = (
    "SELECT a.url, coalesce(o.url, a.url) FROM articles a "
    "LEFT JOIN articles o ON o.id = a.duplicate_of "
    "WHERE a.content_hash = ? AND a.url != ? ORDER BY a.id LIMIT 8"
)


BANDS_SQL = (
    "SELECT article_id FROM (SELECT article_id FROM lsh_bands WHERE key IN "
    f"({', '.join('?' * LSH_PARAMS[0])}) LIMIT {MAX_BAND_ROWS}) "
    f"GROUP BY article_id HAVING count(*) >= {MIN_BANDS} ORDER BY count(*) DESC, article_id "
    f"LIMIT {MAX_CANDIDATES}"
)


def find_stored(conn: sqlite3.Connection, probe: Probe) -> Match | None:
    """The stored article `probe` duplicates (exact hash first, then LSH + exact Jaccard)."""
    for _url, root in conn.execute(EXACT_SQL, [probe.body_hash, probe.url]):
        if root != probe.url:
            return Match(root, 1.0, True)
    keys = band_keys(serialise_minhash(probe.signature))
    ids = [r[0] for r in conn.execute(BANDS_SQL, keys)]
    if not ids:
        return None
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT article_id, signature FROM minhashes WHERE article_id IN ({marks})", ids
    ).fetchall()
    if not rows:
        return None
    stacked = np.frombuffer(b"".join(r[1] for r in rows), dtype=SIGNATURE_DTYPE)
    estimates = (stacked.reshape(len(rows), -1) == probe.signature.hashvalues).mean(axis=1)
    keep = [rows[i][0] for i in np.flatnonzero(estimates >= PREFILTER)]
    if not keep:
        return None
    marks = ", ".join("?" * len(keep))
    best: Match | None = None
    for url, root, body in conn.execute(
        f"SELECT a.url, coalesce(o.url, a.url), a.body FROM articles a "
        f"LEFT JOIN articles o ON o.id = a.duplicate_of WHERE a.id IN ({marks}) ORDER BY a.id",
        keep,
    ):
        if probe.url in (url, root):
            continue
        similarity = probe.similarity(_squeeze(body or ""))
        if similarity >= THRESHOLD:
            best = _better(best, Match(root, round(similarity, 4), False))
    return best


def data_version(conn: sqlite3.Connection) -> int:
    """SQLite's `PRAGMA data_version`: changes when another connection commits."""
    return conn.execute("PRAGMA data_version").fetchone()[0]


_FINDERS: dict[int, tuple[sqlite3.Connection, weakref.ref[DuplicateFinder] | None]] = {}
"""id(connection) → (the connection, its only live finder, or None once it had two)."""


def _finder_of(conn: sqlite3.Connection) -> DuplicateFinder | None:
    entry = _FINDERS.get(id(conn))
    if entry is None or entry[0] is not conn or entry[1] is None:
        return None
    return entry[1]()


def _register(conn: sqlite3.Connection, finder: DuplicateFinder) -> None:
    entry = _FINDERS.get(id(conn))
    shared = entry is not None and entry[0] is conn and (entry[1] is None
                                                         or entry[1]() is not None)
    _FINDERS[id(conn)] = (conn, None if shared else weakref.ref(finder))


def _cache_kib(conn: sqlite3.Connection) -> int:
    """The connection's page cache in KiB (`cache_size` is pages if positive, -KiB if not)."""
    (cache,) = conn.execute("PRAGMA cache_size").fetchone()
    return -cache if cache < 0 else cache * conn.execute("PRAGMA page_size").fetchone()[0] // 1024


def find_stored_duplicate(conn: sqlite3.Connection, item: ArticleItem) -> Match | None:
    """`find_stored` for an item about to be written (its signature already computed).

    For the store to call inside its write transaction: what another process committed
    since the dedupe pipeline looked is seen here. If this connection's finder looked the
    item up and no other connection has committed since (same `data_version`), that
    lookup's answer (no duplicate) still holds and nothing is read again.
    """
    finder = _finder_of(conn)
    if finder is not None:
        seen = finder.lookups.pop(item.url, None)
        if seen is not None and seen == data_version(conn):
            return None
    signature = deserialise_minhash(item.minhash) if item.minhash is not None else None
    return find_stored(conn, Probe(item.url, item.body, signature, item.content_hash))


class DuplicateFinder:
    """Mark duplicates against the corpus database (optional) and this process's recent ones."""

    def __init__(self, conn: sqlite3.Connection | None = None,
                 recent_capacity: int | None = RECENT_CAPACITY) -> None:
        self.conn = conn
        self.recent = RecentIndex(recent_capacity if conn is not None else None)
        self.lookups: OrderedDict[str, int] = OrderedDict()
        """URL → the connection's data_version just before its database lookup."""
        if conn is not None:
            if _cache_kib(conn) < PAGE_CACHE_KIB:
                conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
            _register(conn, self)

    def _find_stored(self, probe: Probe) -> Match | None:
        assert self.conn is not None
        version = data_version(self.conn)  # read first: a commit after it forces a recheck
        stored = find_stored(self.conn, probe)
        self.lookups[probe.url] = version
        self.lookups.move_to_end(probe.url)
        if len(self.lookups) > LOOKUPS_KEPT:
            self.lookups.popitem(last=False)
        return stored

    def match(self, probe: Probe) -> Match | None:
        recent = self.recent.match(probe)
        if recent is not None and recent.exact:
            return recent
        stored = self._find_stored(probe) if self.conn is not None else None
        if stored is not None and (stored.exact or recent is None):
            return stored
        if recent is None or stored is None:
            return recent
        return _better(stored, recent)

    def mark(self, item: ArticleItem) -> str | None:
        """Set the item's hash, signature and duplicate fields; remember it.

        Returns "exact" or "near" for a duplicate, None for an original.
        """
        return self.mark_probe(item, Probe(item.url, item.body))

    def mark_probe(self, item: ArticleItem, probe: Probe) -> str | None:
        """`mark` with the probe (hash, signature) already made from the item."""
        item.content_hash = probe.body_hash
        item.minhash = serialise_minhash(probe.signature)
        match = self.match(probe)
        if match is None:
            item.duplicate_of_url, item.similarity = None, None
        else:
            item.duplicate_of_url, item.similarity = match.url, match.similarity
        self.recent.add(probe, item.duplicate_of_url)
        if match is None:
            return None
        return "exact" if match.exact else "near"
