"""Small pure text clean-up helpers shared by every extractor module.

Whitespace is unified (U+3000, NBSP, tabs collapse to one space), zero-width
characters go, entities left double-escaped in the markup are decoded, and text is
NFC-normalised. Never NFKC: full-width Chinese punctuation (，：（！？) is kept.
"""

from __future__ import annotations

import html
import re
import unicodedata

from lxml import etree

ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
WHITESPACE_RUN = re.compile(r"[\s\u00a0\u3000\u2002-\u200a\u202f\u205f]+")
LEFTOVER_ENTITY = re.compile(r"&(?:#\d{2,6}|#x[0-9a-fA-F]{2,5}|[a-zA-Z]{2,8});")
CJK_CHAR = r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]"
# A bare domain (optionally with scheme/path) injected between Chinese characters:
# "做 m.example.com 好各项" is a watermark, never part of the author's sentence.
WATERMARK_DOMAIN = re.compile(
    rf"(?<={CJK_CHAR})\s*(?:https?://)?(?:[a-zA-Z0-9-]+\.)+"
    r"(?:com|cn|net|org|cc|info|top|vip|xyz|site|wang|club|me|tv|la|co|so|biz)"
    rf"(?:/[\w./-]*)?\s*(?={CJK_CHAR})"
)
# What every WATERMARK_DOMAIN match contains: a host character, a dot, a TLD's first letter.
DOMAIN_DOT = re.compile(r"[a-zA-Z0-9-]\.[a-z]")
CHINESE_PUNCTUATION = frozenset("，。；：！？、“”‘’（）《》…—")
SENTENCE_PUNCTUATION = re.compile("[，。；：！？、,.;!?]")
CJK_IDEOGRAPH = re.compile("[\u3400-\u9fff]")
TITLE_KEY_DROP = re.compile(r"[\s\W_]+")


ZERO_WIDTH_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
"""What ZERO_WIDTH removes: ZWSP, ZWNJ, ZWJ, word joiner, BOM, soft hyphen."""
MAX_UNESCAPE_ROUNDS = 4
# Horizontal whitespace only: "\n" separates the lines `normalise_text` keeps.
SPACE_RUN = re.compile(r"[ \t\u00a0\u3000\u2002-\u200a\u202f\u205f\f\v]+")


def _normalise_chars(text: str) -> str:
    # Unescape until no entity is left (double-escaped "&amp;lt;" too), so a second pass
    # never changes the text.
    for _ in range(MAX_UNESCAPE_ROUNDS):
        if "&" not in text or not LEFTOVER_ENTITY.search(text):
            break
        text = html.unescape(text)
    if any(c in text for c in ZERO_WIDTH_CHARS):  # `in` tests are far cheaper than a sub
        text = ZERO_WIDTH.sub("", text)
    return text


def normalise_text(text: str) -> str:
    """`clean_text` for a text whose lines ("\n") are kept: the one normaliser, also used by
    the item pipeline (`pipelines.normalise`), so what `fanwen extract` prints is what is
    stored. Idempotent, and `normalise_text(clean_text(s)) == clean_text(s)`."""
    text = unicodedata.normalize("NFC", _normalise_chars(text))
    return "\n".join(SPACE_RUN.sub(" ", line).strip() for line in text.split("\n")).strip()


def clean_text(text: str) -> str:
    """Normalise one paragraph: entities, zero-width chars, whitespace, NFC."""
    joined = " ".join(text.split())
    if "&" not in joined and ZERO_WIDTH.search(joined) is None:
        # Nearly every line: nothing to unescape or delete (neither "&" nor a zero-width
        # character is whitespace, so the joined text holds them when the text does).
        return unicodedata.normalize("NFC", joined)
    text = _normalise_chars(text)
    # str.split() splits on exactly the characters re's \s matches (U+3000, NBSP, …) and is
    # several times faster than WHITESPACE_RUN.sub on every line of every page.
    text = " ".join(text.split())
    return unicodedata.normalize("NFC", text)


def remove_watermarks(text: str) -> str:
    """Drop domain fragments injected inside Chinese sentences."""
    if "." not in text or DOMAIN_DOT.search(text) is None:
        return text
    return WATERMARK_DOMAIN.sub("", text)


def visible_length(text: str) -> int:
    """Length without whitespace, the unit all density measures use."""
    return len(text) - text.count(" ")


def punctuation_count(text: str) -> int:
    """Number of sentence punctuation marks, Chinese or ASCII."""
    return len(SENTENCE_PUNCTUATION.findall(text))


def cjk_count(text: str) -> int:
    """Number of CJK ideographs."""
    return len(CJK_IDEOGRAPH.findall(text))


def title_key(text: str) -> str:
    """A comparison key for titles: letters, digits and ideographs only, lower-cased."""
    return TITLE_KEY_DROP.sub("", text).lower()


def node_text(el: etree._Element) -> str:
    """All text inside an element (its tail excluded), as one raw string."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)
