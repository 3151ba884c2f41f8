"""Hostile portals: the real `fanwen crawl` against a fault-injecting server on 127.0.0.1.

One crawl (module fixture) covers every fault in `tests.faults.FAULTS`; each test then
checks one fault's outcome in the SQLite file: retried and stored, or skipped with a
clear reason in `crawl_errors`; never a crash, a partial row or a hang. The unit tests
at the bottom pin the reason mapping of `fanwen_crawler.failures`.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from fanwen_crawler.failures import (
    AlreadyStored,
    describe_failure,
    describe_non_article,
    non_article_reason,
)
from tests.conftest import query_rows, run_fanwen
from tests.faults import (
    FAULTS,
    GBK_PARAGRAPH,
    GOOD,
    LOGIN_WALL,
    MAXSIZE_FOR_TESTS,
    SOFT_404,
    Fault,
    good_article,
    serve_faults,
)

CRAWL_TIMEOUT = 120  # seconds; the crawl takes ~10 s (timeouts are retried 3 times at 2 s)
RETRY_TIMES = 3  # settings.py
FAST = ("--delay", "0", "--concurrency", "8", "--quiet", "--no-keywords",
        "--set", "DOWNLOAD_TIMEOUT=2", "--set", f"DOWNLOAD_MAXSIZE={MAXSIZE_FOR_TESTS}")

# Faults the crawl does not yet record: what each needs is in the reason.


@pytest.fixture(scope="module")
def fault_crawl(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("faults") / "corpus.db"
    with serve_faults() as portal:
        proc = run_fanwen("crawl", portal.url, "--db", str(db), *FAST, timeout=CRAWL_TIMEOUT)
        yield portal, db, proc



def _matches(reason: str, accepted: tuple[str, ...]) -> bool:
    return any(reason == a or (a.endswith(":") and reason.startswith(a)) for a in accepted)


def test_crawl_finishes_with_exit_0(fault_crawl: Any) -> None:
    _, db, proc = fault_crawl
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    runs = query_rows(db, "select status from crawl_runs")
    assert [r["status"] for r in runs] == ["finished"]


def test_no_partial_articlequery_rows(fault_crawl: Any) -> None:
    _, db, _ = fault_crawl
    rows = query_rows(db, "select a.url, a.title, a.body, a.pages, count(p.url) n from articles a "
                     "left join page_urls p on p.article_id = a.id group by a.id")
    assert rows
    bad = [r["url"] for r in rows
           if not (r["title"] or "").strip() or not (r["body"] or "").strip()
           or "\ufffd" in r["body"] or r["n"] != r["pages"]]
    assert bad == []


def test_good_articles_stored_verbatim(fault_crawl: Any) -> None:
    portal, db, _ = fault_crawl
    rows = {r["url"]: r for r in query_rows(db, "select url, title, body from articles")}
    for path in GOOD:
        title, paragraphs = good_article(path)
        row = rows[portal.full(path)]
        assert (row["title"], row["body"]) == (title, "\n".join(paragraphs))


def _params() -> list[Any]:
    return [pytest.param(f, id=f.kind) for f in FAULTS.values()]


@pytest.mark.parametrize("fault", _params())
def test_fault_outcome(fault_crawl: Any, fault: Fault) -> None:
    portal, db, _ = fault_crawl
    url = portal.full(fault.path)
    stored = query_rows(db, "select url from articles where url = ?", url)
    errors = query_rows(db, "select status, reason, detail from crawl_errors where url = ?", url)
    if fault.expect == "stored":
        if fault.kind == "short_redirect_chain":
            # Stored under the URL it was linked as, or where the chain ended.
            stored = stored or query_rows(db, "select url from articles where url like ?",
                                     portal.full("/go/short/%"))
        assert len(stored) == 1, errors
        return
    assert stored == [], f"{fault.kind} must not be stored"
    assert errors, f"{fault.kind}: nothing recorded in crawl_errors"
    assert all(_matches(e["reason"], fault.reasons) for e in errors), [tuple(e) for e in errors]
    assert all(e["detail"] for e in errors)
    if fault.status is not None:
        assert {e["status"] for e in errors} == {fault.status}


def test_transient_errors_are_retried_and_permanent_ones_bounded(fault_crawl: Any) -> None:
    portal, _, _ = fault_crawl
    hits = portal.hits
    assert hits[FAULTS["5xx_then_ok"].path] == 2
    assert hits[FAULTS["503_retry_after_then_ok"].path] == 2
    for kind in ("always_503", "always_429", "stall_headers", "stall_body", "connection_reset"):
        assert hits[FAULTS[kind].path] == RETRY_TIMES + 1, kind
    # Non-transient faults are fetched once: no retry of 200s, size or type failures.
    for kind in ("oversize_declared", "oversize_streamed", "pdf", "empty_html", "soft_404"):
        assert hits[FAULTS[kind].path] == 1, kind
    assert "/go/long/12" not in hits, "redirects must stop at REDIRECT_MAX_TIMES"


def test_redirected_article_is_stored_once_with_its_linked_url_as_alias(fault_crawl: Any) -> None:
    portal, db, _ = fault_crawl
    linked = portal.full(FAULTS["short_redirect_chain"].path)
    rows = query_rows(db, "select a.url from articles a join url_aliases u on u.article_id = a.id "
                     "where u.url = ?", linked)
    assert len(rows) == 1, "the redirect source must be recorded as an alias of one article"
    assert rows[0]["url"] != linked
    from fanwen_crawler.corpus.storage import open_corpus

    with open_corpus(db) as corpus:
        assert linked in corpus.stored_urls(), "a re-crawl must skip the redirecting link too"


def test_retry_after_is_honoured_before_retrying(fault_crawl: Any) -> None:
    portal, _, _ = fault_crawl
    # always_429 answers every attempt with Retry-After: 1; without the wait Scrapy's retries
    # follow each other within a fraction of a second.
    times = portal.hit_times[FAULTS["always_429"].path]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == RETRY_TIMES
    assert min(gaps) >= 0.9, gaps


def test_retry_after_header_forms() -> None:
    from fanwen_crawler.middlewares.retry_after import retry_after_seconds

    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None


def test_lying_charset_is_decoded_from_the_bytes(fault_crawl: Any) -> None:
    portal, db, _ = fault_crawl
    rows = query_rows(db, "select body, encoding from articles where url = ?",
                 portal.full(FAULTS["wrong_charset"].path))
    assert rows and GBK_PARAGRAPH in rows[0]["body"]
    assert rows[0]["encoding"] in ("gb18030", "gbk", "gb2312")


def test_download_errors_name_the_linking_page(fault_crawl: Any) -> None:
    portal, db, _ = fault_crawl
    rows = query_rows(db, "select referer from crawl_errors where reason in "
                     "('timeout', 'http_503', 'http_429', 'truncated', 'too_large')")
    assert rows and {r["referer"] for r in rows} == {portal.url}


def test_not_html_errors_name_the_linking_page(fault_crawl: Any) -> None:
    portal, db, _ = fault_crawl
    rows = query_rows(db, "select referer from crawl_errors where reason = 'not_html'")
    assert rows and {r["referer"] for r in rows} == {portal.url}


# --- reason mapping (no crawl) ---------------------------------------------------------

def _failure(exc: BaseException, url: str = "http://127.0.0.1:1/fanwen/1.html",
             meta: dict[str, Any] | None = None) -> Failure:
    failure = Failure(exc)
    failure.request = Request(url, meta=meta or {}, headers={"Referer": "http://127.0.0.1:1/"})
    return failure


@pytest.mark.parametrize(("exc", "reason"), [
    ("DownloadTimeoutError", "timeout"),
    ("DownloadConnectionRefusedError", "connection_refused"),
    ("CannotResolveHostError", "dns"),
    ("ResponseDataLossError", "truncated"),
    ("DownloadCancelledError", "too_large"),
    ("DownloadFailedError", "connection_lost"),
])
def test_scrapy_download_errors_map_to_short_reasons(exc: str, reason: str) -> None:
    from scrapy import exceptions

    error = describe_failure(_failure(getattr(exceptions, exc)("")))
    assert error is not None
    assert (error.reason, error.referer) == (reason, "http://127.0.0.1:1/")
    assert error.detail and error.detail != exc


def test_twisted_errors_and_http_errors() -> None:
    from twisted.internet import defer, error

    assert describe_failure(_failure(error.TimeoutError())).reason == "timeout"  # type: ignore[union-attr]
    assert describe_failure(_failure(defer.CancelledError())).reason == "too_large"  # type: ignore[union-attr]
    resp = Response("http://127.0.0.1:1/fanwen/1.html", status=503)
    err = describe_failure(_failure(HttpError(resp, "Ignoring non-200 response")))
    assert err is not None and (err.reason, err.status) == ("http_503", 503)
    assert describe_failure(_failure(AlreadyStored("already stored"))) is None


def test_redirect_failures_are_recorded_under_the_linked_url() -> None:
    from scrapy.exceptions import IgnoreRequest

    meta = {"redirect_urls": ["http://127.0.0.1:1/fanwen/7.html", "http://127.0.0.1:1/go/1"]}
    err = describe_failure(_failure(IgnoreRequest("max redirections reached"),
                                    "http://127.0.0.1:1/go/2", meta))
    assert err is not None
    assert (err.url, err.reason) == ("http://127.0.0.1:1/fanwen/7.html", "too_many_redirects")
    assert "http://127.0.0.1:1/go/2" in (err.detail or "")


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "empty_page"),
    (b"  \n ", "empty_page"),
    (SOFT_404.encode(), "soft_404"),
    (LOGIN_WALL.encode(), "login_wall"),
    (b"<html><body><p>hello</p></body></html>", "not_article"),
])
def test_non_article_reasons(body: bytes, reason: str) -> None:
    assert non_article_reason(body, body.decode()) == reason
    err = describe_non_article("http://127.0.0.1:1/a/1.html", body, body.decode(), 200)
    assert (err.url, err.reason, err.status) == ("http://127.0.0.1:1/a/1.html", reason, 200)
    assert err.detail
