"""Compare a crawled corpus (SQLite) and the server's request log with a portal's ground truth.

Stored rows are matched to the truth by an identity key (path with upper-case escapes,
query parameters sorted, tracking parameters dropped), so a crawler that stores the
canonical form of a URL is matched as well as one that stores it as linked.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from portalgen.blocks import marker_block
from portalgen.model import PortalTruth
from portalgen.portal import HEX_ESCAPE, TRACKING
from portalgen.report import PortalReport


def identity(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Path (escapes upper-cased) and sorted non-tracking query pairs of a URL or target."""
    parts = urlsplit(url)
    path = HEX_ESCAPE.sub(lambda m: m.group(0).upper(), parts.path or "/")
    pairs = parse_qsl(parts.query, keep_blank_values=True, encoding="latin-1")
    return path, tuple(sorted((k, v) for k, v in pairs if not TRACKING.match(k + "=")))


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
