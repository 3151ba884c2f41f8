"""Loading the labelled evaluation set and decoding its pages once for every extractor.

A case is `tests/fixtures/eval/<family>/<case>/` with `page.html` (bytes as served),
`meta.json` (url, content_type, optional `noise`: strings shown on the page that must
never reach a body, e.g. watermark domains and hidden anti-copy text) and
`expected.json` (the hand-written gold `Page` fields).
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "eval"
PAGE_TYPES = frozenset({"article", "list", "other"})
REQUIRED_EXPECTED = (
    "page_type",
    "title",
    "published_at",
    "source",
    "author",
    "paragraphs",
    "tags",
    "related",
)
REQUIRED_LIST = ("article_links", "next_page")
# charset=... in a Content-Type header or a <meta> tag.
CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Chinese legacy labels are all decoded as their superset, as browsers do.
CODEC_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
}
META_SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled page."""

    name: str
    family: str
    path: Path
    body: bytes
    url: str
    content_type: str
    expected: dict[str, Any]
    noise: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_article(self) -> bool:
        return bool(self.expected["page_type"] == "article")

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type}


def case_dirs(root: Path) -> list[Path]:
    """Every `<family>/<case>` directory; names starting with "_" or "." are skipped."""
    return sorted(
        c
        for f in root.iterdir()
        if f.is_dir() and not f.name.startswith(("_", "."))
        for c in f.iterdir()
        if c.is_dir() and not c.name.startswith(("_", "."))
    )


def load_case(path: Path) -> Case:
    """Read one case directory."""
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((path / "expected.json").read_text(encoding="utf-8"))
    return Case(
        name=f"{path.parent.name}/{path.name}",
        family=path.parent.name,
        path=path,
        body=(path / "page.html").read_bytes(),
        url=meta["url"],
        content_type=meta.get("content_type", "text/html"),
        expected=expected,
        noise=tuple(meta.get("noise", ())),
    )


def load_cases(root: Path = DEFAULT_FIXTURES) -> list[Case]:
    """All cases under `root`, sorted by name."""
    return [load_case(p) for p in case_dirs(root)]


def _codec(label: bytes | str | None) -> str | None:
    if not label:
        return None
    name = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    name = CODEC_ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def fallback_decode(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode page bytes: BOM, then strict UTF-8, then the declared charsets, then gb18030.

    Strict UTF-8 goes before the declarations because a valid UTF-8 Chinese page is
    almost never anything else, while servers and <meta> tags often lie about it.
    """
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, "replace"), codec
    header = CHARSET.search(content_type.encode("latin-1", "ignore")) if content_type else None
    meta = CHARSET.search(body[:META_SNIFF_BYTES])
    candidates = [
        "utf-8",
        _codec(header.group(1) if header else None),
        _codec(meta.group(1) if meta else None),
        "gb18030",
    ]
    for codec in dict.fromkeys(c for c in candidates if c):
        try:
            return body.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return body.decode("gb18030", "replace"), "gb18030"


def decode_page(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode with the project's decoder when it exists, else `fallback_decode`."""
    try:
        from fanwen_crawler.extractors.decoding import decode_html
    except ImportError:
        return fallback_decode(body, content_type)
    return decode_html(body, content_type)
