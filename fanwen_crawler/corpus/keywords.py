"""Keyword extraction (jieba TF-IDF) and the post-crawl batch stage that fills `keywords`.

jieba is wrapped here and only here. `KeywordExtractor` builds its own `jieba.Tokenizer`
(stock dictionary plus `userdict.txt`, cache file in a temp directory of ours) and its own
`jieba.analyse.TFIDF` with the 范文 stop words of `stopwords.txt` added to jieba's
defaults; jieba's global tokenizer (`jieba.dt`) is never initialised and its log is kept
quiet. Segmentation is CPU-bound and slow to initialise, so keywords are computed after
the crawl by `compute_keywords`, never inside the reactor.
"""

from __future__ import annotations

import importlib.resources
import logging
import multiprocessing
import re
import sqlite3
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Importing jieba.analyse builds jieba's module-level TF-IDF, which leaves idf.txt open
# (a ResourceWarning); old jieba code also trips Deprecation/SyntaxWarnings when compiled.
# Silence exactly that import, not the process.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ResourceWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
    import jieba
    import jieba.analyse
    from jieba.analyse.tfidf import DEFAULT_IDF, IDFLoader
    from jieba.analyse.tfidf import KeywordExtractor as _JiebaKeywordExtractor

if TYPE_CHECKING:
    from fanwen_crawler.corpus.storage import Corpus

logger = logging.getLogger(__name__)

METHOD = "tfidf"
DEFAULT_TOPK = 10
BATCH_SIZE = 200
POOL_MIN_ARTICLES = 1000
"""Below this many articles a worker pool costs more (spawn + jieba start-up, ~3 s) than it saves.

Measured on 2 shared cores (2026-11-28): 300 articles 10.0 s pooled vs 5.3 s in-process;
1,000 articles 10.3/8.7 s vs 11.4/8.1 s (break-even); 3,000 articles 19.5 s vs 37.0 s."""
POOL_WORKERS = 2
PACKAGE_DIR = Path(__file__).resolve().parent
JIEBA_TMP_DIR = Path(tempfile.gettempdir()) / "fanwen-jieba"
# A keyword must contain a Han character or a letter: drops "2023", "3.5", "——".
WORDLIKE = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def _package_lines(name: str) -> list[str]:
    # importlib.resources, not a path: inside a scrapyd egg the package is a zip file.
    text = importlib.resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


def load_stop_words() -> set[str]:
    """Our 范文 stop words plus jieba's default ones."""
    return set(_JiebaKeywordExtractor.STOP_WORDS) | set(_package_lines("stopwords.txt"))


class _TFIDF(jieba.analyse.TFIDF):
    """jieba's TF-IDF bound to our tokenizer; loads the IDF table without leaking its file."""

    def __init__(self, tokenizer: jieba.Tokenizer, stop_words: set[str]) -> None:
        self.tokenizer = tokenizer
        self.postokenizer = None  # POS filtering is not used; avoids re-reading the dictionary
        self.stop_words = set(stop_words)
        self.idf_loader = IDFLoader()
        idf_freq = {}
        with open(DEFAULT_IDF, encoding="utf-8") as f:
            for line in f:
                word, freq = line.strip().split(" ")
                idf_freq[word] = float(freq)
        self.idf_loader.path = DEFAULT_IDF
        self.idf_loader.idf_freq = idf_freq
        self.idf_loader.median_idf = sorted(idf_freq.values())[len(idf_freq) // 2]
        self.idf_freq, self.median_idf = self.idf_loader.get_idf()


class KeywordExtractor:
    """TF-IDF keywords of a text, with our dictionary and stop words."""

    def __init__(
        self, *, stop_words: set[str] | None = None, tmp_dir: Path = JIEBA_TMP_DIR
    ) -> None:
        logging.getLogger("jieba").setLevel(logging.WARNING)
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.tmp_dir = str(tmp_dir)
        self.stop_words = load_stop_words() if stop_words is None else stop_words
        self.tfidf = _TFIDF(self.tokenizer, self.stop_words)
        self._loaded = False

    def _load(self) -> None:
        self.tokenizer.initialize()
        for line in _package_lines("userdict.txt"):
            word, *rest = line.split()
            freq = int(rest[0]) if rest else None
            self.tokenizer.add_word(word, freq, rest[1] if len(rest) > 1 else None)
        self._loaded = True

    def cut(self, text: str) -> list[str]:
        """Segment `text` into words (no filtering)."""
        if not self._loaded:
            self._load()
        return list(self.tokenizer.cut(text))

    def extract(self, text: str, topk: int = DEFAULT_TOPK) -> list[tuple[str, float]]:
        """The `topk` highest-weighted (keyword, TF-IDF weight) pairs, best first."""
        if not self._loaded:
            self._load()
        ranked = self.tfidf.extract_tags(text, topK=None, withWeight=True)
        return [(w, round(float(s), 6)) for w, s in ranked if WORDLIKE.search(w)][:topk]


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
    return [(i, _worker_extractor.extract(f"{title}\n{body}", topk)) for i, title, body in rows]


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
) -> int:
    """Compute TF-IDF keywords (method "tfidf") for the articles lacking them; return how many.

    Runs in a pool of `POOL_WORKERS` processes when there are at least `POOL_MIN_ARTICLES`
    articles (override with `workers`; 0 or 1 means in-process). Each batch is written in
    one transaction, so an interrupted run keeps its finished batches.
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
            extractor = KeywordExtractor()
            for batch in batches:
                write([(i, extractor.extract(f"{title}\n{body}", topk))
                       for i, title, body in corpus.bodies(batch)])
        if bar is not None:
            bar.close()
        logger.info("keywords: %d articles", done)
        return done
    finally:
        if owned:
            corpus.close()
