"""Keyword extraction (TF-IDF over rjieba's segmentation) and the batch stage that fills `keywords`.

The segmenter is wrapped here and only here. `KeywordExtractor` builds its own rjieba
tokenizer (jieba-rs: jieba's stock dictionary and algorithm, ~50× faster; benchmarks
section (d)) with our `userdict.txt` words added, and ranks words with jieba's TF-IDF
weighting, jieba's IDF table (`idf.txt`, read from the installed jieba package without
importing it) and the 范文 stop words of `stopwords.txt`. No global tokenizer is ever
touched: rjieba's package-level default instance is not even built (it costs ~33 MB).
The name of the segmenter is `SEGMENTER`; the search index records it (see
`fanwen_crawler.corpus.search_index`).

jieba itself is imported only for what rjieba lacks, POS tagging (TextRank in
`corpus_idf`), through `jieba_tokenizer`. During a crawl keywords are computed by a worker
process fed from the store's batches (`fanwen_crawler.corpus.enrich`); `compute_keywords`
is the batch stage behind `fanwen keywords` and the crawl's closing catch-up.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import logging
import multiprocessing
import re
import sqlite3
import tempfile
import warnings
from array import array
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fanwen_crawler.corpus.storage import Corpus

logger = logging.getLogger(__name__)

METHOD = "tfidf"
SEGMENTER = "rjieba"
"""What segments the text for keywords and the search index (recorded in corpus_meta)."""
DEFAULT_TOPK = 10
BATCH_SIZE = 200
POOL_MIN_ARTICLES = 20_000
"""Below this many articles a worker pool costs more (spawn + start-up) than it saves.

With rjieba an article takes ~0.4 ms in-process; a spawned worker needs ~1.5 s to start."""
POOL_WORKERS = 2
JIEBA_TMP_DIR = Path(tempfile.gettempdir()) / "fanwen-jieba"
# A keyword must contain a Han character or a letter: drops "2023", "3.5", "——".
WORDLIKE = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def _package_lines(name: str) -> list[str]:
    # importlib.resources, not a path: inside a scrapyd egg the package is a zip file.
    text = importlib.resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


def load_stop_words() -> set[str]:
    """Our 范文 stop words (jieba's default English ones included)."""
    return set(_package_lines("stopwords.txt"))


def user_words() -> list[tuple[str, int | None, str | None]]:
    """(word, frequency or None, POS tag or None) of `userdict.txt`."""
    words = []
    for line in _package_lines("userdict.txt"):
        word, *rest = line.split()
        words.append((word, int(rest[0]) if rest else None, rest[1] if len(rest) > 1 else None))
    return words


def _jieba_dir() -> Path:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("jieba is not installed (its IDF table is needed)")
    return Path(next(iter(spec.submodule_search_locations)))


class IdfTable:
    """A read-only word → IDF table in 8 MB where a dict of jieba's 270k words takes ~37 MB.

    An open-addressing hash table over two flat arrays: each word is kept as its 64-bit
    `hash()` (this process's: the table is never stored) beside its float weight, at a
    load factor of about one half (one or two probes a lookup). Built without a Python
    object per entry, so building it leaves no garbage behind either. Two words sharing a
    hash would share a weight: at 270k words the odds are ~2e-9.
    """

    def __init__(self, pairs: Iterable[tuple[str, float]], capacity: int = 1 << 19) -> None:
        self._mask = capacity - 1
        self._keys = array("q", bytes(8 * capacity))
        self._values = array("d", bytes(8 * capacity))
        self._size = 0
        for word, value in pairs:
            self._put(word, value)

    @staticmethod
    def _hash(word: str) -> int:
        return hash(word) or 1  # 0 marks an empty slot

    def _put(self, word: str, value: float) -> None:
        if self._size * 4 >= 3 * (self._mask + 1):
            raise ValueError("IdfTable is full: give a larger capacity")
        h = self._hash(word)
        i = h & self._mask
        while self._keys[i] not in (0, h):
            i = (i + 1) & self._mask
        if self._keys[i] == 0:
            self._size += 1
        self._keys[i], self._values[i] = h, value

    def __len__(self) -> int:
        return self._size

    def get(self, word: str, default: float) -> float:
        """The IDF of `word`, or `default` when the table lacks it."""
        h = self._hash(word)
        keys, i = self._keys, h & self._mask
        while (k := keys[i]) != h:
            if k == 0:
                return default
            i = (i + 1) & self._mask
        return self._values[i]

    def median(self) -> float:
        """`sorted(weights)[len // 2]`, counted by distinct weight (no list of 270k floats)."""
        counts: dict[float, int] = {}
        for k, v in zip(self._keys, self._values, strict=True):
            if k:
                counts[v] = counts.get(v, 0) + 1
        seen = 0
        for value in sorted(counts):
            seen += counts[value]
            if seen > self._size // 2:
                return value
        raise ValueError("the IDF table is empty")


IdfLookup = IdfTable | dict[str, float]


def _idf_lines(path: Path) -> Iterator[tuple[str, float]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, value = line.split()
            yield word, float(value)


@cache
def jieba_idf() -> tuple[IdfTable, float]:
    """jieba's stock IDF table and its median (the weight of an unknown word), read once."""
    table = IdfTable(_idf_lines(_jieba_dir() / "analyse" / "idf.txt"))
    return table, table.median()


@cache
def _rjieba_module() -> ModuleType:
    """rjieba's compiled module, loaded without the package's `__init__`.

    That `__init__` builds a package-level default tokenizer (~33 MB resident) that we
    never use. Falls back to the plain import if the package's layout changes.
    """
    spec = importlib.util.find_spec("rjieba")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations)))
        for lib in sorted(folder.glob("rjieba*.so")):
            ext = importlib.util.spec_from_file_location("rjieba.rjieba", lib)
            if ext is not None and ext.loader is not None:
                module = importlib.util.module_from_spec(ext)
                ext.loader.exec_module(module)
                return module
    import rjieba

    return rjieba


def rjieba_tokenizer() -> Any:
    """A new rjieba tokenizer: jieba's stock dictionary plus our user words."""
    tokenizer = _rjieba_module().Jieba()
    for word, freq, tag in user_words():
        tokenizer.add_word(word, freq, tag)
    return tokenizer


def import_jieba_analyse() -> ModuleType:
    """`jieba.analyse` (and `jieba.posseg`), imported lazily: ~1 s and ~100 MB.

    Importing jieba.analyse builds jieba's module-level TF-IDF, which leaves idf.txt open
    (a ResourceWarning); old jieba code also trips Deprecation/SyntaxWarnings when compiled.
    Exactly that import is silenced, not the process.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
        import jieba.analyse
        import jieba.posseg

    return jieba.analyse


def jieba_tokenizer(tmp_dir: Path = JIEBA_TMP_DIR) -> Any:
    """A new, initialised `jieba.Tokenizer` with our user words (for POS tagging/TextRank)."""
    import_jieba_analyse()
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(tmp_dir)
    tokenizer.initialize()
    for word, freq, tag in user_words():
        tokenizer.add_word(word, freq, tag)
    return tokenizer


def tfidf_rank(words: Iterable[str], idf: IdfLookup, unknown_idf: float,
               stop_words: set[str]) -> list[tuple[str, float]]:
    """(word, weight) by jieba's TF-IDF (`jieba.analyse.TFIDF.extract_tags`), best first.

    Words shorter than two characters and stop words are skipped; ties keep text order.
    """
    freq: dict[str, float] = {}
    for w in words:
        if len(w.strip()) < 2 or w.lower() in stop_words:
            continue
        freq[w] = freq.get(w, 0.0) + 1.0
    total = sum(freq.values())
    weighted = [(w, n * idf.get(w, unknown_idf) / total) for w, n in freq.items()]
    weighted.sort(key=lambda pair: pair[1], reverse=True)
    return weighted


class KeywordExtractor:
    """TF-IDF keywords of a text, with our dictionary and stop words.

    `idf`/`unknown_idf` replace jieba's IDF table (the corpus IDF of `corpus_idf`).
    """

    def __init__(self, *, stop_words: set[str] | None = None,
                 idf: dict[str, float] | None = None, unknown_idf: float | None = None) -> None:
        self.stop_words = load_stop_words() if stop_words is None else stop_words
        self._idf = idf
        self._unknown_idf = unknown_idf
        self._tokenizer: Any = None

    @property
    def tokenizer(self) -> Any:
        """The rjieba tokenizer (built on first use)."""
        if self._tokenizer is None:
            self._tokenizer = rjieba_tokenizer()
        return self._tokenizer

    @property
    def idf(self) -> tuple[IdfLookup, float]:
        """(IDF table, IDF of a word not in it)."""
        if self._idf is None:
            return jieba_idf()
        return self._idf, (self._unknown_idf if self._unknown_idf is not None
                           else jieba_idf()[1])

    def cut(self, text: str) -> list[str]:
        """Segment `text` into words (precise mode, no filtering)."""
        return list(self.tokenizer.cut(text))

    def cut_for_search(self, text: str) -> list[str]:
        """Search-mode words: precise words plus their dictionary sub-words."""
        return list(self.tokenizer.cut_for_search(text))

    def extract(self, text: str, topk: int = DEFAULT_TOPK) -> list[tuple[str, float]]:
        """The `topk` highest-weighted (keyword, TF-IDF weight) pairs, best first."""
        idf, unknown = self.idf
        ranked = tfidf_rank(self.tokenizer.cut(text), idf, unknown, self.stop_words)
        top = []
        for w, weight in ranked:
            if WORDLIKE.search(w):
                top.append((w, round(weight, 6)))
                if len(top) == topk:
                    break
        return top


def article_text(title: str | None, body: str | None) -> str:
    """The text keywords are computed from: title, newline, body."""
    return f"{title or ''}\n{body or ''}"


# --- the batch stage ----------------------------------------------------------------------

_worker_extractor: KeywordExtractor | None = None


def _init_worker() -> None:
    global _worker_extractor
    _worker_extractor = KeywordExtractor()


def _extract_batch(
    args: tuple[Sequence[tuple[int, str, str]], int],
) -> list[tuple[int, list[tuple[str, float]]]]:
    rows, topk = args
    assert _worker_extractor is not None
    return [(i, _worker_extractor.extract(article_text(t, b), topk)) for i, t, b in rows]


def _read_batches(
    path: Path, batches: list[list[int]], topk: int
) -> Iterator[tuple[list[tuple[int, str, str]], int]]:
    # Consumed by the pool's feeder thread, so it reads through a connection of its own.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for ids in batches:
            marks = ", ".join("?" * len(ids))
            rows = conn.execute(
                f"SELECT id, title, body FROM articles WHERE id IN ({marks}) ORDER BY id", ids
            ).fetchall()
            yield rows, topk
    finally:
        conn.close()


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def compute_keywords(
    corpus_or_path: Corpus | str | Path,
    *,
    topk: int = DEFAULT_TOPK,
    only_missing: bool = True,
    progress: bool = False,
    workers: int | None = None,
    batch_size: int = BATCH_SIZE,
    extractor: KeywordExtractor | None = None,
) -> int:
    """Compute TF-IDF keywords (method "tfidf") for the articles lacking them; return how many.

    Runs in a pool of `POOL_WORKERS` processes when there are at least `POOL_MIN_ARTICLES`
    articles (override with `workers`; 0 or 1 means in-process, with `extractor` if given).
    Each batch is written in one transaction, so an interrupted run keeps its finished batches.
    """
    # Imported here so pool workers (which import this module) do not load Scrapy.
    from fanwen_crawler.corpus.storage import Corpus, open_corpus

    owned = not isinstance(corpus_or_path, Corpus)
    corpus = corpus_or_path if isinstance(corpus_or_path, Corpus) else open_corpus(corpus_or_path)
    try:
        ids = corpus.articles_missing_keywords(METHOD, only_missing=only_missing)
        if not ids:
            return 0
        if workers is None:
            workers = POOL_WORKERS if len(ids) >= POOL_MIN_ARTICLES else 0
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(ids), unit="article", desc="keywords")
        done = 0

        def write(result: list[tuple[int, list[tuple[str, float]]]]) -> None:
            nonlocal done
            corpus.write_keywords(result, METHOD)
            done += len(result)
            if bar is not None:
                bar.update(len(result))

        batches = list(_batches(ids, batch_size))
        if workers > 1 and corpus.path is not None:
            # spawn, not fork: the parent holds an SQLite connection and maybe threads.
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(workers, initializer=_init_worker) as pool:
                jobs = _read_batches(corpus.path, batches, topk)
                for result in pool.imap(_extract_batch, jobs):
                    write(result)
        else:
            ex = extractor or KeywordExtractor()
            for batch in batches:
                write([(i, ex.extract(article_text(t, b), topk))
                       for i, t, b in corpus.bodies(batch)])
        if bar is not None:
            bar.close()
        logger.info("keywords: %d articles", done)
        return done
    finally:
        if owned:
            corpus.close()
