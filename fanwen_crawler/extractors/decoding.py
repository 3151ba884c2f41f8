"""Turning page bytes into text: the one decoding helper used by spider and tests.

Order of evidence: the HTTP Content-Type charset, a byte-order mark, a `<meta>`
charset in the first bytes, then detection. GB2312/GBK declarations are decoded as
GB18030 (a superset), because portals declaring gb2312 routinely use GBK/GB18030
characters. A declaration that clearly does not fit the bytes (many decode errors)
is overruled by detection, except a UTF-8 declaration: invalid bytes in a page declared
UTF-8 stay replacement characters unless the bytes are valid GB18030 throughout. Never
raises: the last resort is UTF-8 with replacement.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

META_SCAN_BYTES = 4096
DETECT_SAMPLE_BYTES = 65536
# Share of replacement characters above which a declared charset "does not fit".
MAX_ERROR_RATIO = 0.002
MIN_ERRORS = 3

CONTENT_TYPE_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
META_CHARSET = re.compile(
    rb"<meta[^>]{0,300}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE
)
XML_DECLARATION = re.compile(rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([\w.:-]+)", re.IGNORECASE)
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Declarations that mean "some GB encoding": decode with the superset.
GB_FAMILY = frozenset({"gb2312", "gbk", "x-gbk", "cp936", "ms936", "gb_2312-80", "euc-cn",
                       "hz-gb-2312", "x-euc-cn", "csgb2312", "chinese", "gb18030", "windows-936"})
# Single-byte codecs never fail to decode, so as a label they prove nothing for CJK bytes.
WEAK_CODECS = frozenset({"iso8859-1", "cp1252", "ascii", "latin-1"})
# Labels overruled by bytes that are valid multi-byte UTF-8.
UTF8_OVERRULES = frozenset({"gb18030", "big5", "big5hkscs", "shift_jis", "euc_kr"}) | WEAK_CODECS


def normalise_codec(name: str | None) -> str | None:
    """Python codec name for a declared charset, or None when unknown."""
    if not name:
        return None
    lowered = name.strip().strip("\"'").lower()
    if lowered in GB_FAMILY:
        return "gb18030"
    if lowered in ("utf8", "unicode-1-1-utf-8", "utf-8"):
        return "utf-8"
    try:
        codec = codecs.lookup(lowered).name
    except LookupError:
        return None
    if codec in ("gbk", "gb2312", "hz"):
        return "gb18030"
    return codec


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value."""
    if not content_type:
        return None
    match = CONTENT_TYPE_CHARSET.search(content_type)
    return match.group(1) if match else None


def _meta_charset(body: bytes) -> str | None:
    head = body[:META_SCAN_BYTES]
    match = META_CHARSET.search(head) or XML_DECLARATION.search(head)
    return match.group(1).decode("ascii", "ignore") if match else None


def _bom(body: bytes) -> str | None:
    for mark, codec in BOMS:
        if body.startswith(mark):
            return codec
    return None


def _decode_counting(body: bytes, codec: str) -> tuple[str, int]:
    text = body.decode(codec, errors="replace")
    return text, text.count("\ufffd")


def _fits(body: bytes, codec: str) -> tuple[str, bool, bool]:
    """Decode with `codec`; second value False when the bytes clearly are not in it, third
    True when they decoded without an error."""
    try:
        return body.decode(codec), True, True
    except (UnicodeDecodeError, LookupError):
        pass
    try:
        text, errors = _decode_counting(body, codec)
    except LookupError:
        return "", False, False
    ok = errors < MIN_ERRORS or errors <= MAX_ERROR_RATIO * max(len(text), 1)
    return text, ok, False


def _is_ascii(body: bytes) -> bool:
    return body.isascii()


def _strict_utf8(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _detect(body: bytes) -> tuple[str, str, bool]:
    """Detection for undeclared or mis-declared bytes; never raises. The third value:
    the text is the bytes' strict UTF-8 decoding."""
    text = _strict_utf8(body)
    if text is not None:
        return text, "utf-8", True
    gb_text, gb_ok, _strict = _fits(body, "gb18030")
    if gb_ok:
        return gb_text, "gb18030", False
    best = from_bytes(body[:DETECT_SAMPLE_BYTES]).best()
    guess = normalise_codec(best.encoding) if best is not None else None
    candidates = [c for c in (guess, "gb18030", "utf-8") if c]
    scored = []
    for codec in dict.fromkeys(candidates):
        try:
            decoded, errors = _decode_counting(body, codec)
        except LookupError:
            continue
        scored.append((errors, decoded, codec))
    errors, decoded, codec = min(scored, key=lambda item: item[0])
    return decoded, codec, False


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode page bytes; returns (text, Python codec name such as "gb18030")."""
    text, codec, _utf8 = decode_page(body, content_type)
    return text, codec


def decode_page(body: bytes, content_type: str | None = None) -> tuple[str, str, bytes | None]:
    """`decode_html`, and the text's UTF-8 bytes when the body is them (a UTF-8 page without
    an invalid byte, its byte-order mark dropped): the parser reads them as they are."""
    text, codec, strict = _decode(body, content_type)
    if not strict:
        return text, codec, None
    return text, codec, body[len(codecs.BOM_UTF8):] if body.startswith(codecs.BOM_UTF8) else body


def _decode(body: bytes, content_type: str | None) -> tuple[str, str, bool]:
    """(text, codec, whether the text is the strict UTF-8 decoding of the body, BOM dropped)."""
    if not body:
        return "", "utf-8", False
    declared = [
        normalise_codec(charset_from_content_type(content_type)),
        _bom(body),
        normalise_codec(_meta_charset(body)),
    ]
    for codec in declared:
        if codec is None:
            continue
        if codec in ("utf-16", "utf-32") and _bom(body) != codec:
            continue  # a meta tag cannot truthfully declare UTF-16 in ASCII-readable bytes
        if codec in UTF8_OVERRULES and not _is_ascii(body):
            # Bytes that are valid UTF-8 with multi-byte text are UTF-8 whatever the label.
            utf8 = _strict_utf8(body)
            if utf8 is not None:
                return utf8.removeprefix("\ufeff"), "utf-8", True
            if codec in WEAK_CODECS:
                continue
        text, ok, strict = _fits(body, codec)
        if ok:
            return text.removeprefix("\ufeff"), codec, strict and codec == "utf-8"
        if codec == "utf-8":
            # Declared UTF-8 with invalid bytes here and there: still UTF-8 (the bad bytes
            # become U+FFFD), unless the bytes are GB18030 throughout (a mislabelled page).
            try:
                return body.decode("gb18030").removeprefix("\ufeff"), "gb18030", False
            except UnicodeDecodeError:
                return text.removeprefix("\ufeff"), "utf-8", False
        # The declaration does not fit the bytes: try the next piece of evidence.
    text, codec, strict = _detect(body)
    return text.removeprefix("\ufeff"), codec, strict
