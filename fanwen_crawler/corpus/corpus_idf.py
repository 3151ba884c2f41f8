"""Keywords with an IDF learned from the corpus itself, and TextRank keywords.

jieba's stock IDF table was learned from general Chinese text, so in a corpus of 范文
the words every 范文 shares (总结, 同志, 全年 …) still score high. `corpus_idf` counts,
for every word, the unique articles whose segmented text contains it (document
frequency) and smooths it by add-one, `idf = ln((N + 1) / (df + 1))`: a word found in
every article weighs 0 (范文 boilerplate never becomes a keyword), a word seen in none
(of an article added later) gets the ceiling `ln(N + 1)`. scikit-learn's "+ 1" floor is
left out on purpose: on the sample portal it keeps corpus-wide words competitive and
made the keywords barely more specific than jieba's. `rebuild_keywords` writes method
"tfidf-corpus" with that table, keeps method "tfidf" (jieba's IDF) and, on request,
"textrank" (jieba's TextRank over a jieba tokenizer of our own with our user words, never
jieba's global one: rjieba has no POS tagger, so jieba is imported for TextRank only).
Segmentation (rjieba), TF-IDF weighting and stop words come from
`fanwen_crawler.corpus.keywords`.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from fanwen_crawler.corpus.keywords import (
    DEFAULT_TOPK,
    WORDLIKE,
    KeywordExtractor,
    article_text,
    import_jieba_analyse,
    jieba_tokenizer,
    load_stop_words,
)
from fanwen_crawler.corpus.storage import Corpus, open_corpus

logger = logging.getLogger(__name__)

METHOD_TFIDF = "tfidf"
METHOD_CORPUS = "tfidf-corpus"
METHOD_TEXTRANK = "textrank"
METHODS = (METHOD_TFIDF, METHOD_CORPUS, METHOD_TEXTRANK)
DEFAULT_METHODS = (METHOD_TFIDF, METHOD_CORPUS)
TEXTRANK_POS = ("ns", "n", "vn", "v", "nz", "nt")
BATCH_SIZE = 200


def read_stop_words(path: str | Path) -> set[str]:
    """Extra stop words from a file: one per line, blank lines and "#" comments ignored."""
    text = Path(path).read_text(encoding="utf-8")
    return {s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")}


def document_frequencies(
    texts: Iterable[str], extractor: KeywordExtractor
) -> tuple[Counter[str], int]:
    """(word → number of texts containing it, number of texts), segmented by `extractor`."""
    df: Counter[str] = Counter()
    n = 0
    for text in texts:
        df.update({w for word in extractor.cut(text) if (w := word.strip())})
        n += 1
    return df, n


def smooth_idf(df: Counter[str], n: int) -> tuple[dict[str, float], float]:
    """(word → add-one smoothed IDF, IDF of an unseen word)."""
    idf = {w: math.log((n + 1) / (d + 1)) for w, d in df.items()}
    return idf, math.log(n + 1)


class CorpusKeywordExtractor(KeywordExtractor):
    """TF-IDF with a corpus IDF table, on a `KeywordExtractor`'s tokenizer and stop words."""

    def __init__(self, extractor: KeywordExtractor, idf: dict[str, float],
                 unseen_idf: float) -> None:
        super().__init__(stop_words=set(extractor.stop_words), idf=idf, unknown_idf=unseen_idf)
        self._tokenizer = extractor.tokenizer  # shared: built once


class TextRankExtractor:
    """jieba's TextRank on a jieba tokenizer of our own (POS-tagged), with our stop words."""

    def __init__(self, extractor: KeywordExtractor,
                 allow_pos: Sequence[str] = TEXTRANK_POS) -> None:
        self.extractor = extractor
        self.allow_pos = tuple(allow_pos)
        self.textrank: Any = None

    def _prepare(self) -> None:
        analyse = import_jieba_analyse()
        import jieba.posseg

        self.textrank = analyse.TextRank.__new__(analyse.TextRank)
        postok = jieba.posseg.POSTokenizer(jieba_tokenizer())
        self.textrank.tokenizer = self.textrank.postokenizer = postok
        self.textrank.stop_words = set(self.extractor.stop_words)
        self.textrank.pos_filt = frozenset(self.allow_pos)
        self.textrank.span = 5

    def extract(self, text: str, topk: int = DEFAULT_TOPK) -> list[tuple[str, float]]:
        """The `topk` best (keyword, TextRank score) pairs."""
        if self.textrank is None:
            self._prepare()
        ranked = self.textrank.textrank(text, topK=None, withWeight=True, allowPOS=self.allow_pos)
        return [(w, round(float(s), 6)) for w, s in ranked if WORDLIKE.search(w)][:topk]


def corpus_idf(corpus: Corpus, extractor: KeywordExtractor) -> tuple[dict[str, float], float, int]:
    """(IDF table, unseen-word IDF, N) learned from the corpus's unique articles."""
    rows = corpus.db.execute("SELECT title, body FROM unique_articles ORDER BY id")
    df, n = document_frequencies((article_text(t, b) for t, b in rows), extractor)
    idf, unseen = smooth_idf(df, n)
    return idf, unseen, n


def rebuild_keywords(
    corpus_or_path: Corpus | str | Path,
    *,
    methods: Sequence[str] = DEFAULT_METHODS,
    stop_words_file: str | Path | None = None,
    topk: int = DEFAULT_TOPK,
) -> dict[str, int]:
    """Recompute keywords of every article for each method; return articles done per method."""
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown keyword method(s): {', '.join(sorted(unknown))}")
    stop_words = load_stop_words()
    if stop_words_file is not None:
        stop_words |= read_stop_words(stop_words_file)
    owned = not isinstance(corpus_or_path, Corpus)
    corpus = corpus_or_path if isinstance(corpus_or_path, Corpus) else open_corpus(corpus_or_path)
    try:
        base = KeywordExtractor(stop_words=stop_words)
        extractors: dict[str, object] = {}
        for method in methods:
            if method == METHOD_TFIDF:
                extractors[method] = base
            elif method == METHOD_CORPUS:
                idf, unseen, n = corpus_idf(corpus, base)
                logger.info("corpus IDF: %d words from %d unique articles", len(idf), n)
                extractors[method] = CorpusKeywordExtractor(base, idf, unseen)
            else:
                extractors[method] = TextRankExtractor(base)
        ids = corpus.articles_missing_keywords(METHOD_TFIDF, only_missing=False)
        done = dict.fromkeys(methods, 0)
        for start in range(0, len(ids), BATCH_SIZE):
            rows = corpus.bodies(ids[start : start + BATCH_SIZE])
            for method, ex in extractors.items():
                results = [(i, ex.extract(article_text(t, b), topk))  # type: ignore[attr-defined]
                           for i, t, b in rows]
                corpus.write_keywords(results, method)
                done[method] += len(results)
        return done
    finally:
        if owned:
            corpus.close()
