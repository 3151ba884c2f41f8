"""The two real-page sets in ../shared/datasets, loaded as evaluation cases.

- `real-zh-extraction`: 37 pages (30 articles, 7 forum/Q&A threads) from 23 sites,
  gold main text only (no title, date or author). Site = the id's middle part.
- `chinese-web-content-extraction` (CWCE): 69 article pages with gold main text, gold
  date and gold author. The pages carry no URL, so the site is the registrable domain of
  the host the page's own links point to most often (third-party hosts such as w3.org,
  CDNs and analytics are skipped); `cwce_sites.json` next to this file pins the result so
  the grouping used by cross-validation is stable and reviewable.

Both are real pages that the extractor's rules were never written from; they are the
evidence of issue #10. The self-written `tests/fixtures/eval` pages are regression tests.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REAL_ZH = "real-zh-extraction"
CWCE = "chinese-web-content-extraction"
DATASET_NAMES = (REAL_ZH, CWCE)
SHORT_NAMES = {REAL_ZH: "real-zh", CWCE: "cwce"}
SITE_MAP = Path(__file__).resolve().parent / "cwce_sites.json"
# FANWEN_SHARED (the folder holding datasets/) if set, else ../shared beside the checkout.
CANDIDATE_ROOTS = (
    Path(os.environ.get("FANWEN_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    / "datasets",
)
HOST = re.compile(rb"""(?:href|src|action)\s*=\s*["']?https?://([a-zA-Z0-9.-]+)""", re.I)
THIRD_PARTY = re.compile(
    r"(?:^|\.)(?:w3\.org|doi\.org|bdstatic\.com|bootcss\.com|baidu\.com|google\.com|"
    r"googleapis\.com|miit\.gov\.cn|cyberpolice\.cn|hanweb\.com|cnzz\.com|51\.la|"
    r"beian\.gov\.cn|qq\.com|weibo\.com|yimg\.com)$"
)
SECOND_LEVEL = frozenset({"com", "net", "org", "gov", "edu", "ac", "co"})


@dataclass(frozen=True, slots=True)
class RealPage:
    """One real page with its gold."""

    dataset: str
    page_id: str
    site: str
    kind: str  # "article" or "forum"
    url: str
    html: bytes
    gold_body: str
    gold_date: str | None = None
    gold_author: str | None = None


def dataset_root(name: str) -> Path | None:
    """Where a real set lives, or None when ../shared is absent."""
    for root in CANDIDATE_ROOTS:
        if (root / name).is_dir():
            return (root / name).resolve()
    return None


def registrable(host: str) -> str:
    """news.sina.com.cn → sina.com.cn, blog.yesky.com → yesky.com (no PSL; good enough here)."""
    parts = host.lower().strip(".").split(".")
    if len(parts) >= 3 and parts[-2] in SECOND_LEVEL and len(parts[-1]) == 2:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def guess_site(html: bytes) -> str:
    """The registrable domain most of the page's absolute links point to."""
    counts: Counter[str] = Counter()
    for match in HOST.finditer(html):
        site = registrable(match.group(1).decode("ascii", "ignore"))
        if site and not THIRD_PARTY.search(site):
            counts[site] += 1
    return counts.most_common(1)[0][0] if counts else "unknown"


def _unknown(text: str) -> bool:
    return not text or text.upper().startswith(("UNKNOWN", "UNKNWON"))


def load_real_zh(root: Path) -> list[RealPage]:
    pages = []
    for meta_path in sorted((root / "pages").glob("*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        page_id = meta_path.stem
        pages.append(RealPage(
            dataset=REAL_ZH, page_id=page_id, site=page_id.split("-")[1],
            kind=meta.get("kind", "article"), url=meta["url"],
            html=meta_path.with_suffix(".html").read_bytes(), gold_body=meta["body"],
        ))
    return pages


def cwce_sites(root: Path) -> dict[str, str]:
    """{page id: site}: the pinned map, or guessed from the pages when it is missing."""
    if SITE_MAP.exists():
        return dict(json.loads(SITE_MAP.read_text(encoding="utf-8")))
    return {p.stem: guess_site(p.read_bytes()) for p in sorted((root / "original").glob("*.html"))}


def load_cwce(root: Path) -> list[RealPage]:
    sites = cwce_sites(root)
    pages = []
    for path in sorted((root / "original").glob("*.html")):
        uid = path.stem
        date = (root / "date" / f"{uid}.txt").read_text(encoding="utf-8").strip()
        author = (root / "author" / f"{uid}.txt").read_text(encoding="utf-8").strip()
        site = sites.get(uid) or guess_site(path.read_bytes())
        pages.append(RealPage(
            dataset=CWCE, page_id=uid, site=site, kind="article",
            # No URL is stored; a neutral one on the page's own site keeps URL rules honest.
            url=f"http://www.{site}/{uid}.html",
            html=path.read_bytes(),
            gold_body=(root / "cleaned" / f"{uid}.txt").read_text(encoding="utf-8"),
            gold_date=None if _unknown(date) else date,
            gold_author=None if _unknown(author) else author,
        ))
    return pages


def load_real_pages(names: tuple[str, ...] = DATASET_NAMES) -> tuple[list[RealPage], list[str]]:
    """The pages of every set found, and a note for each set that is missing."""
    pages: list[RealPage] = []
    missing: list[str] = []
    loaders = {REAL_ZH: load_real_zh, CWCE: load_cwce}
    for name in names:
        root = dataset_root(name)
        if root is None:
            missing.append(f"{name}: not found under ../shared/datasets (skipped)")
            continue
        pages.extend(loaders[name](root))
    return pages, missing
