"""Write extractor fixtures from the sample portal's ground truth.

    python -m evaluation.sample_fixtures            # check they are current
    python -m evaluation.sample_fixtures --update   # rewrite them

Each case directory holds page.html (the raw bytes as served at http://sample.test/),
meta.json (url, content_type) and expected.json, built from PortalTruth — never from
an extractor. Article pages: the page's own paragraphs; continuation pages carry
first_page. page_links lists every page of a multi-page article (empty otherwise).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fanwen_crawler.sample_portal.build import DEFAULT_BASE_URL, build_site
from fanwen_crawler.sample_portal.model import PortalTruth, Site

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sample_portal"
CASES = {
    "seed_article": "/jianghua/2023/0220/1188.html",
    "seed_multipage_first": "/jianghua/2023/0315/1203.html",
    "seed_multipage_last": "/jianghua/2023/0315/1203_3.html",
    "seed_multi_essay": "/zongjie/2023/1218/1312.html",
    "dede_article_gbk": "/hetong/2023/0528/1193.html",
    "dede_continuation_gbk": "/hetong/2023/0528/1193_2.html",
    "phpcms_article": "/xinde/2020/1225/886.html",
    "legacy_br_lines": "/jianghua/2022/1103/1109.html",
    "list_seed_list_n": "/jianghua/list_2.html",
    "list_seed_index_n": "/zongjie/",
    "list_dede_gbk": "/hetong/",
    "list_phpcms": "/xinde/list-8-1.html",
    "home": "/",
}


def _abs(path: str | None) -> str | None:
    return None if path is None else DEFAULT_BASE_URL.rstrip("/") + path


def expected_for(path: str, truth: PortalTruth) -> dict[str, Any]:
    """The ideal extraction of the page at `path`, from the ground truth."""
    url = _abs(path)
    if path == truth.home:
        return {"url": url, "page_type": "other", "encoding": "utf-8",
                "list_links": [_abs(p) for p in truth.category_pages.values()]}
    if path in truth.lists:
        lst = truth.lists[path]
        return {"url": url, "page_type": "list", "encoding": lst.encoding,
                "title": lst.category, "category": lst.category,
                "article_links": [_abs(p) for p in lst.article_links],
                "next_page": _abs(lst.next_page)}
    art = truth.article(path)
    n = art.page_paths.index(path)
    multi = len(art.page_paths) > 1
    return {
        "url": url, "page_type": "article", "encoding": art.encoding, "title": art.title,
        "published_at": art.published_at, "published_raw": art.published_raw,
        "source": art.source, "author": art.author, "category": art.category,
        "paragraphs": art.page_paragraphs[n],
        "sections": [{"heading": s.heading, "paragraphs": s.paragraphs} for s in art.sections],
        "tags": art.tags, "related": [_abs(p) for p in art.related],
        "next_page": _abs(art.page_paths[n + 1]) if n + 1 < len(art.page_paths) else None,
        "first_page": _abs(art.page_paths[0]) if n > 0 else None,
        "page_links": [_abs(p) for p in art.page_paths] if multi else [],
    }


def _dump(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def fixture_files(site: Site | None = None) -> dict[str, bytes]:
    """Every fixture file's bytes, keyed by "<case>/<name>"."""
    site = site or build_site()
    files: dict[str, bytes] = {}
    for case, path in CASES.items():
        res = site.pages[path]
        files[f"{case}/page.html"] = res.body
        files[f"{case}/meta.json"] = _dump({"url": _abs(path),
                                            "content_type": res.headers["Content-Type"]})
        files[f"{case}/expected.json"] = _dump(expected_for(path, site.truth))
    return files


def stale_files(directory: Path = FIXTURE_DIR) -> list[str]:
    """Fixture files that are missing or differ from what build_site() gives now."""
    return [name for name, data in fixture_files().items()
            if not (directory / name).is_file() or (directory / name).read_bytes() != data]


def write_fixtures(directory: Path = FIXTURE_DIR) -> list[str]:
    """Rewrite the fixtures; returns the files that changed."""
    changed = stale_files(directory)
    for name, data in fixture_files().items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.sample_fixtures")
    parser.add_argument("--update", action="store_true", help="rewrite the fixture files")
    parser.add_argument("--dir", type=Path, default=FIXTURE_DIR, help="fixture directory")
    args = parser.parse_args(argv)
    if args.update:
        changed = write_fixtures(args.dir)
        print(f"{len(changed)} fixture file(s) changed in {args.dir}")
        return 0
    stale = stale_files(args.dir)
    for name in stale:
        print(f"stale: {name}")
    if stale:
        print("run with --update and review the diff")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
