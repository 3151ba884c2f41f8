"""Crawl a generated portal with the real `fanwen crawl` and check the corpus against the truth.

    report = run_portal(seed, workdir)        # serve, crawl, compare
    report.ok, report.failures()              # the issue's targets, per portal
    summarise([report, …])                    # rates per layout family and URL scheme

Stored rows are matched to the truth by an identity key (path with upper-case escapes,
query parameters sorted, tracking parameters dropped), so a crawler that stores the
canonical form of a URL is matched as well as one that stores it as linked.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from portalgen.blocks import marker_block
from portalgen.model import PortalTruth
from portalgen.portal import HEX_ESCAPE, TRACKING, generate_portal
from portalgen.server import serve

BODY_TARGET = 0.995
FIELD_TARGET = 0.99
CRAWL_ARGS = ("--delay", "0", "--concurrency", "8", "--no-keywords", "--quiet")


def identity(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Path (escapes upper-cased) and sorted non-tracking query pairs of a URL or target."""
    parts = urlsplit(url)
    path = HEX_ESCAPE.sub(lambda m: m.group(0).upper(), parts.path or "/")
    pairs = parse_qsl(parts.query, keep_blank_values=True, encoding="latin-1")
    return path, tuple(sorted((k, v) for k, v in pairs if not TRACKING.match(k + "=")))


@dataclass
class PortalReport:
    """What one crawl got right and wrong, with examples of each failure."""

    seed: int
    family: str
    scheme: str
    features: dict[str, object]
    articles: int = 0
    stored_once: int = 0
    body_exact: int = 0
    title_ok: int = 0
    date_ok: int = 0
    source_ok: int = 0
    category_ok: int = 0
    pages_ok: int = 0
    leaks: int = 0
    """Stored bodies holding trailer / navigation / comment strings."""
    continuation_stored: int = 0
    extra_rows: int = 0
    disallowed_fetched: int = 0
    dup_groups: int = 0
    dup_groups_ok: int = 0
    false_duplicates: int = 0
    requests: int = 0
    refetched: int = 0
    not_found: int = 0
    sitemap_only_stored: int = 0
    sitemap_only: int = 0
    missing_why: Counter[str] = field(default_factory=Counter)
    body_why: Counter[str] = field(default_factory=Counter)
    dup_why: Counter[str] = field(default_factory=Counter)
    error_reasons: Counter[str] = field(default_factory=Counter)
    """crawl_errors rows by reason (bad_continuation, not_article, http_404 …)."""
    leak_blocks: Counter[str] = field(default_factory=Counter)
    """Leaked block kinds, with where the template put them ("related (after container)")."""
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    crawl_seconds: float = 0.0
    exit_code: int = 0

    def note(self, kind: str, text: str) -> None:
        if len(self.examples[kind]) < 3:
            self.examples[kind].append(text)

    def rate(self, name: str) -> float:
        return getattr(self, name) / self.articles if self.articles else 1.0

    def failures(self) -> list[str]:
        """The issue's targets this portal misses, each with its figure."""
        out = []
        if self.stored_once < self.articles:
            out.append(f"stored once {self.stored_once}/{self.articles} "
                       f"(missing: {dict(self.missing_why)})")
        if self.rate("body_exact") < BODY_TARGET:
            out.append(f"body exact {self.body_exact}/{self.articles} ({dict(self.body_why)})")
        if self.leaks:
            out.append(f"trailer/nav text in {self.leaks} bodies")
        for name in ("title_ok", "date_ok", "source_ok"):
            if self.rate(name) < FIELD_TARGET:
                out.append(f"{name} {getattr(self, name)}/{self.articles}")
        if self.continuation_stored:
            out.append(f"{self.continuation_stored} continuation pages stored as articles")
        if self.disallowed_fetched:
            out.append(f"{self.disallowed_fetched} robots-disallowed requests")
        if self.dup_groups_ok < self.dup_groups:
            out.append(f"duplicates marked {self.dup_groups_ok}/{self.dup_groups} "
                       f"({dict(self.dup_why)})")
        if self.exit_code != 0:
            out.append(f"crawl exit code {self.exit_code}")
        return out

    @property
    def ok(self) -> bool:
        return not self.failures()


def crawl(url: str, db: Path, *extra: str,
          timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real `fanwen crawl` (this interpreter's fanwen_crawler) into `db`."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "fanwen_crawler", "crawl", url, "--db", str(db),
                           *CRAWL_ARGS, *extra], capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)


def _rows(db: Path) -> list[sqlite3.Row]:
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return list(con.execute("SELECT id, url, title, published_at, source, category, body, "
                                "pages, duplicate_of FROM articles"))
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def _errors(db: Path) -> dict[object, str]:
    """Identity → recorded crawl error reason."""
    if not db.exists():
        return {}
    con = sqlite3.connect(db)
    try:
        return {identity(u): r for u, r in con.execute("SELECT url, reason FROM crawl_errors")}
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()


def _body_why(stored: str, truth: str, pages: list[str]) -> str:
    """What kind of mismatch a stored body is (pages: the truth's text of each page)."""
    first_page = pages[0]
    if not stored:
        return "empty"
    if len(pages) > 1 and truth not in stored:
        at = 0
        for page in pages:
            at = stored.find(page, at)
            if at < 0:
                break
        else:
            return "all pages, extra text between them"
    if first_page != truth and stored == first_page:
        return "first page only"
    if first_page != truth and stored.startswith(first_page):
        return "first page only, plus extra text"
    if stored.startswith(truth):
        return "extra text after body"
    if stored.endswith(truth):
        return "extra text before body"
    if truth in stored:
        return "extra text around body"
    if truth.startswith(stored) or stored in truth:
        return "truncated"
    return "different"


def check(truth: PortalTruth, base: str, db: Path,
          requests: list[tuple[str, int]]) -> PortalReport:
    """Compare the corpus in `db` (and the server's request log) with `truth`."""
    r = PortalReport(seed=truth.seed, family=truth.family, scheme=truth.scheme,
                     features=truth.features, articles=len(truth.articles))
    base = base.rstrip("/")
    rows = _rows(db)
    errors = _errors(db)
    r.error_reasons.update(errors.values())
    by_key: dict[object, list[sqlite3.Row]] = defaultdict(list)
    for row in rows:
        by_key[identity(row["url"])].append(row)
    requested = Counter(t for t, _ in requests)
    req_keys = {identity(t): s for t, s in requests}
    art_keys = {identity(a.url) for a in truth.articles}
    cont_keys = {identity(u) for u in truth.continuation_urls}
    row_of: dict[str, sqlite3.Row] = {}
    for a in truth.articles:
        found = by_key.get(identity(a.url), [])
        if len(found) != 1:
            if found:
                r.note("stored twice", a.url)
                r.missing_why["stored twice"] += 1
            else:
                unseen = a.url not in requested and identity(a.url) not in req_keys
                error = errors.get(identity(a.url), "no error recorded")
                why = ("never requested" if unseen
                       else f"fetched, not stored ({error})" if a.url in requested
                       else f"requested in another form → HTTP {req_keys[identity(a.url)]}")
                if a.list_page_items == 1:
                    why += ", on a one-item list page"
                elif a.list_page > 1 and why == "never requested":
                    why += f", on list page {a.list_page}"
                if len(a.body) <= 250:
                    why += ", short article"
                r.missing_why[why] += 1
                r.note(f"missing: {why}", a.url)
            continue
        row = found[0]
        row_of[a.url] = row
        r.stored_once += 1
        r.sitemap_only_stored += 0
        body = row["body"] or ""
        if body == a.body:
            r.body_exact += 1
        else:
            why = _body_why(body, a.body, ["\n".join(p) for p in a.page_paragraphs])
            r.body_why[why] += 1
            r.note(f"body: {why}", f"{a.url}: stored {body[-120:]!r} vs truth {a.body[-60:]!r}"
                   if why.startswith("extra text after") else
                   f"{a.url}: stored {body[:120]!r} vs truth {a.body[:60]!r}")
        leaked = [m for m in truth.forbidden_in_body if m in body]
        if leaked:
            inside = truth.features.get("inside", {})
            for block in sorted({marker_block(m) for m in leaked}):
                where = inside.get(block) if isinstance(inside, dict) else None
                r.leak_blocks[block if where is None else
                              f"{block} ({'inside' if where else 'after'} container)"] += 1
            r.leaks += 1
            r.note("leak", f"{a.url}: {leaked[:3]}")
        r.title_ok += row["title"] == a.title
        if row["title"] != a.title:
            r.note("title", f"{a.url}: {row['title']!r} != {a.title!r}")
        date_ok = (row["published_at"] or "").startswith(a.published_day)
        r.date_ok += date_ok
        if not date_ok:
            r.note("date", f"{a.url}: {row['published_at']!r} != {a.published_at!r}")
        r.source_ok += (row["source"] or None) == a.source
        if (row["source"] or None) != a.source:
            r.note("source", f"{a.url}: {row['source']!r} != {a.source!r}")
        r.category_ok += row["category"] == a.category
        r.pages_ok += row["pages"] == a.pages
    r.sitemap_only = 0
    for row in rows:
        key = identity(row["url"])
        if key in cont_keys:
            r.continuation_stored += 1
            r.note("continuation stored", row["url"])
        elif key not in art_keys:
            r.extra_rows += 1
            r.note("extra row", f"{row['url']} ({row['title']!r})")
    for target, _ in requests:
        if any(target.startswith(p) for p in truth.robots_disallowed):
            r.disallowed_fetched += 1
            r.note("disallowed fetched", target)
    r.requests = len(requests)
    r.refetched = sum(n - 1 for t, n in requested.items() if n > 1 and t != "/robots.txt")
    stale = set(truth.stale_urls)
    for target, status in requests:
        if status == 404 and target not in stale:
            r.not_found += 1
            r.note("404", target)
    # Duplicates: within each group one row is the original, the others point into the group.
    groups: dict[str, list[str]] = defaultdict(list)
    for a in truth.articles:
        if a.duplicate_of:
            groups[a.duplicate_of].append(a.url)
    truth_of = {a.url: a for a in truth.articles}
    for orig, copies in groups.items():
        r.dup_groups += 1
        members = [row_of.get(u) for u in [orig, *copies]]
        if any(m is None for m in members):
            r.dup_why["a member not stored"] += 1
            r.note("duplicates", f"{orig}: group not fully stored")
            continue
        exact = all(m["body"] == truth_of[u].body  # type: ignore[index]
                    for m, u in zip(members, [orig, *copies], strict=True))
        ids = {m["id"] for m in members}  # type: ignore[index]
        firsts = [m for m in members if m["duplicate_of"] is None]  # type: ignore[index]
        rest = [m for m in members if m is not firsts[0]] if len(firsts) == 1 else []
        if len(firsts) == 1 and all(m["duplicate_of"] in ids for m in rest):  # type: ignore[index]
            r.dup_groups_ok += 1
        else:
            why = ("not marked, bodies exact" if exact
                   else "not marked, a member's body not exact")
            r.dup_why[why] += 1
            r.note(f"duplicates {why}",
                   f"{orig}: duplicate_of {[m['duplicate_of'] for m in members]}")  # type: ignore[index]
    in_groups = {u for o, c in groups.items() for u in [o, *c]}
    for url, row in row_of.items():
        if url not in in_groups and row["duplicate_of"] is not None:
            r.false_duplicates += 1
            r.note("false duplicate", url)
    return r


def run_portal(seed: int, workdir: Path, *, crawl_args: tuple[str, ...] = (),
               timeout: float = 600, **overrides: object) -> PortalReport:
    """Generate, serve, crawl and check the portal of `seed`."""
    portal = generate_portal(seed, **overrides)
    truth = portal.truth()
    db = workdir / f"portal-{seed}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with serve(portal) as served:
        started = time.monotonic()
        proc = crawl(served.url, db, *crawl_args, timeout=timeout)
        elapsed = time.monotonic() - started
        requests = served.requests()
    report = check(truth, served.url, db, requests)
    report.crawl_seconds = elapsed
    report.exit_code = proc.returncode
    if proc.returncode != 0:
        report.note("crawl stderr", proc.stderr[-1500:])
    return report


RATES = ("stored_once", "body_exact", "title_ok", "date_ok", "source_ok", "category_ok")


def summarise(reports: list[PortalReport], by: str = "family") -> list[str]:
    """A markdown table of rates grouped by `family` or `scheme`."""
    groups: dict[str, list[PortalReport]] = defaultdict(list)
    for rep in reports:
        groups[getattr(rep, by)].append(rep)
    lines = [f"| {by} | portals | articles | stored once | body exact | title | date | source "
             "| category | leaks | cont. stored | disallowed | dups ok | 404s | refetched "
             "| portals ok |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in sorted(groups):
        reps = groups[name]
        n = sum(x.articles for x in reps)
        cells = [f"{sum(getattr(x, k) for x in reps) / n:.1%}" if n else "-" for k in RATES]
        dup = f"{sum(x.dup_groups_ok for x in reps)}/{sum(x.dup_groups for x in reps)}"
        lines.append(
            f"| {name} | {len(reps)} | {n} | " + " | ".join(cells)
            + f" | {sum(x.leaks for x in reps)} | {sum(x.continuation_stored for x in reps)} "
            f"| {sum(x.disallowed_fetched for x in reps)} | {dup} | "
            f"{sum(x.not_found for x in reps)} | {sum(x.refetched for x in reps)} "
            f"| {sum(x.ok for x in reps)}/{len(reps)} |")
    return lines


def failure_classes(reports: list[PortalReport]) -> list[str]:
    """Per family: the failure reasons and how often, with an example of each."""
    out = []
    by_family: dict[str, list[PortalReport]] = defaultdict(list)
    for rep in reports:
        by_family[rep.family].append(rep)
    for fam in sorted(by_family):
        reps = by_family[fam]
        missing: Counter[str] = Counter()
        body: Counter[str] = Counter()
        dups: Counter[str] = Counter()
        leaks: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        examples: dict[str, str] = {}
        for rep in reps:
            missing.update(rep.missing_why)
            body.update(rep.body_why)
            dups.update(rep.dup_why)
            leaks.update(rep.leak_blocks)
            reasons.update(rep.error_reasons)
            for kind, items in rep.examples.items():
                examples.setdefault(kind, f"seed {rep.seed} ({rep.scheme}): {items[0]}")
        out.append(f"### {fam}")
        out.append(f"- missing articles by reason: {dict(missing) or 'none'}")
        out.append(f"- body mismatches by kind: {dict(body) or 'none'}")
        out.append(f"- duplicate groups not marked: {dict(dups) or 'none'}")
        out.append(f"- bodies with leaked blocks, by block: {dict(leaks) or 'none'}")
        out.append(f"- crawl_errors recorded, by reason: {dict(reasons) or 'none'}")
        for kind in sorted(examples):
            out.append(f"- e.g. {kind}: {examples[kind][:400]}")
    return out
