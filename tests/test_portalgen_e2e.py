"""End-to-end property test: the real `fanwen crawl` on 35 generated portals (fixed seeds).

Each seed is a different randomised portal (family, URL scheme, charset, class names,
trailer placement, list sizes, re-posts, sitemap …; see portalgen/config.py), 15–30
articles, served on 127.0.0.1. The corpus is checked against the generator's ground
truth at the targets of issue #11: every article stored exactly once, body exact on
≥ 99.5 %, no trailer/navigation text in any body, title/date/source right on ≥ 99 %, no
continuation page stored as an article, nothing robots-disallowed fetched, duplicates
marked. Families the crawler does not handle yet are xfail (not strict) with the
reason measured when the mark was set; flip them as the crawler is fixed.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from portalgen.report import PortalReport, failure_classes, summarise
from portalgen.runner import run_portal
from portalgen.schemes import FAMILIES

pytestmark = pytest.mark.slow

SEEDS = range(1, 36)  # five portals per family
# Families the crawler does not handle yet, with the reason measured when the mark was
# set (`python -m portalgen check $(seq 1 35)`). Every family met the targets on the
# crawler of branch roles (2026-11-30): 35/35 portals, 827/827 articles stored once,
# body exact 827/827; add a family back here only with a measured reason.
XFAIL: dict[str, str] = {}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, PortalReport]]:
    work = tmp_path_factory.mktemp("portals")
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(SEEDS, pool.map(
            lambda s: run_portal(s, work), SEEDS), strict=True))
    print("\n".join(["", *summarise(list(done.values()), "family"), "",
                     *summarise(list(done.values()), "scheme"), "",
                     *failure_classes(list(done.values()))]))
    yield done


def _family_param(family: str) -> object:
    if family in XFAIL:
        return pytest.param(family, marks=pytest.mark.xfail(strict=False, reason=XFAIL[family]))
    return family


@pytest.mark.parametrize("family", [_family_param(f) for f in FAMILIES])
def test_every_portal_of_the_family_meets_the_targets(
    reports: dict[int, PortalReport], family: str
) -> None:
    reps = [r for r in reports.values() if r.family == family]
    assert len(reps) == len(SEEDS) // len(FAMILIES)
    assert all(r.articles >= 15 for r in reps)
    problems = {f"seed {r.seed} ({r.scheme})": r.failures() for r in reps if not r.ok}
    assert not problems, "\n".join(f"{k}: {'; '.join(v)}" for k, v in problems.items())


def test_query_router_portal_with_gbk_tags_is_crawled_completely(tmp_path: Path) -> None:
    # Before: 0/24 stored (parameters re-sorted → 404; GBK tag escapes re-encoded → 404).
    rep = run_portal(101, tmp_path, scheme="phpcms-query", charset="gbk", n_articles=24)
    assert rep.stored_once == rep.articles, rep.failures()
    # The only 404s allowed are the probes of well-known sitemap files the portal lacks.
    # (At most three probes, and `examples` keeps the first three 404s: this sees them all.)
    probes = rep.examples.get("404", [])
    assert rep.not_found <= 3 and all(p.startswith("/sitemap") for p in probes), probes


def test_broken_pagination_with_complete_sitemap_stores_every_sitemap_article(
    tmp_path: Path,
) -> None:
    rep = run_portal(102, tmp_path, family="dede", broken_pagination=True, sitemap="robots",
                     n_articles=30, per_page=4, inside={b: False for b in
                                                        ("trailers", "share", "tags",
                                                         "prevnext", "related")})
    assert rep.stored_once == rep.articles, rep.failures()
