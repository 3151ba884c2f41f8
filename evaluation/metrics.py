"""Metric functions: text overlap, exact-field matches, set F1, boilerplate detection.

Text comparisons are NFKC-folded and whitespace-insensitive: evaluation asks
"did the extractor find these characters", not "did it keep our line breaks" (the
corpus itself is never NFKC-normalised; see STYLE.md §5).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

# Site chrome that must never reach an article body (a fixed list, plus each page's
# own `noise` strings from meta.json: watermark domains, hidden anti-copy text, ads).
CHROME_STRINGS = (
    "上一篇",
    "下一篇",
    "相关热词搜索",
    "相关推荐",
    "推荐访问",
    "相关文章",
    "相关阅读",
    "版权所有",
    "打印本文",
    "供大家参考",
    "仅供参考",
    "本文已影响",
    "小编",
    "ICP",
    "当前位置",
    "您现在的位置",
    "发表评论",
    "查看全部评论",
    "网友评论",
    "Powered by",
)
# 2023-08-11 15:33:05 / 2023年8月11日 15:33 / 2021-5-4 10:08 / 2022-08-20T21:14:03+08:00
DATE = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*T?\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
)
WHITESPACE = re.compile(r"\s+")


def normalise_text(text: str | None) -> str:
    """NFKC fold and drop every whitespace character (incl. U+3000 and NBSP)."""
    if not text:
        return ""
    return WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def bigrams(text: str) -> Counter[str]:
    """Character bigram multiset of normalised text (a single character counts as itself)."""
    norm = normalise_text(text)
    if len(norm) < 2:
        return Counter([norm] if norm else [])
    return Counter(norm[i : i + 2] for i in range(len(norm) - 1))


def bigram_f1(predicted: str | None, expected: str | None) -> float:
    """F1 of character bigrams; 1.0 when both are empty, 0.0 when only one is."""
    pred, gold = bigrams(predicted or ""), bigrams(expected or "")
    if not pred and not gold:
        return 1.0
    overlap = sum((pred & gold).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / sum(pred.values()), overlap / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def set_f1(predicted: Iterable[str] | None, expected: Iterable[str]) -> float:
    """F1 of two sets of strings (normalised); 1.0 when both are empty."""
    pred = {normalise_text(p) for p in predicted or () if normalise_text(p)}
    gold = {normalise_text(g) for g in expected if normalise_text(g)}
    if not pred and not gold:
        return 1.0
    hits = len(pred & gold)
    if hits == 0:
        return 0.0
    precision, recall = hits / len(pred), hits / len(gold)
    return 2 * precision * recall / (precision + recall)


def recall(predicted: Iterable[str] | None, expected: Iterable[str]) -> float:
    """Share of `expected` items present in `predicted` (exact strings); 1.0 if none expected."""
    gold = list(dict.fromkeys(expected))
    if not gold:
        return 1.0
    pred = set(predicted or ())
    return sum(g in pred for g in gold) / len(gold)


def paragraphs_found(body: str | None, paragraphs: list[str]) -> float:
    """Share of expected paragraphs that occur whole (normalised) in the body."""
    if not paragraphs:
        return 1.0
    norm = normalise_text(body)
    return sum(normalise_text(p) in norm for p in paragraphs) / len(paragraphs)


def boilerplate_hits(body: str | None, extra: Iterable[str] = ()) -> list[str]:
    """Chrome strings (fixed list + page-specific `extra`) that occur in the body."""
    norm = normalise_text(body)
    return [s for s in (*CHROME_STRINGS, *extra) if normalise_text(s) and normalise_text(s) in norm]


def normalise_date(value: str | None) -> str | None:
    """ISO form of the first date(-time) in `value`: "2021-05-04" or "2021-05-04T10:08[:SS]"."""
    if not value:
        return None
    m = DATE.search(unicodedata.normalize("NFKC", str(value)))
    if not m:
        return None
    out = f"{int(m['y']):04d}-{int(m['m']):02d}-{int(m['d']):02d}"
    if m["H"] is not None:
        out += f"T{int(m['H']):02d}:{m['M']}"
        if m["S"] is not None:
            out += f":{m['S']}"
    return out


def date_matches(predicted: str | None, expected: str | None) -> bool:
    """Same day, and the same time to the precision the expected value states.

    Time zones are ignored: pages state local time. A predicted time of exactly
    midnight with seconds ("T00:00:00") is how date-only libraries pad, so it never
    matches an expected non-midnight time.
    """
    gold, pred = normalise_date(expected), normalise_date(predicted)
    if gold is None or pred is None:
        return gold == pred
    if gold[:10] != pred[:10]:
        return False
    gold_time = gold[11:]
    return not gold_time or pred[11:].startswith(gold_time)


def text_matches(predicted: str | None, expected: str | None) -> bool:
    """Exact match after NFKC and whitespace removal (None matches only None/empty)."""
    return normalise_text(predicted) == normalise_text(expected)
