"""Why a URL produced no article, as a `CrawlError` with a short machine-readable reason.

`describe_failure` maps a failed request (a Twisted Failure reaching the errback) to
a reason: `http_<status>`, `timeout`, `dns`, `connection_refused`, `connection_lost`,
`truncated`, `too_large`, `too_many_redirects`, `robots` … Scrapy ≥ 2.13 wraps
Twisted's download errors in its own exceptions (DownloadTimeoutError …), so both
families are mapped. `describe_non_article` names what an article-looking URL served
instead of an article: an empty page, a soft 404, a login wall. `describe_response`
names what else kept a response from being a page (not HTML, an extraction error).

The spider reports every failure with the `request_failed` signal; the failure recorder
(`fanwen_crawler.extensions.failures`) writes the errors, the `--until` middleware
counts the failed article requests.
"""

from __future__ import annotations

import re
from typing import Any

from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet import error as tx_errors
from twisted.web._newclient import ResponseFailed

from fanwen_crawler.items import CrawlError
from fanwen_crawler.urls import linked_canonical

DETAIL_MAX = 500

request_failed = object()
"""Signal: a request produced no page. Arguments: `request`, `error` (a CrawlError, or None
when the request was skipped on purpose) and `response` (None when none arrived)."""


class AlreadyStored(IgnoreRequest):
    """The article is in the corpus already; the request was skipped on purpose."""


def _scrapy(name: str) -> tuple[type[BaseException], ...]:
    """Scrapy's wrapped download exception `name`, when this Scrapy has it."""
    exc = getattr(scrapy_errors, name, None)
    return (exc,) if isinstance(exc, type) else ()


# Exception classes → reason, checked in order (first match wins).
FAILURE_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((tx_errors.DNSLookupError, *_scrapy("CannotResolveHostError")), "dns"),
    ((tx_errors.TimeoutError, tx_errors.TCPTimedOutError, *_scrapy("DownloadTimeoutError")),
     "timeout"),
    ((tx_errors.ConnectionRefusedError, *_scrapy("DownloadConnectionRefusedError")),
     "connection_refused"),
    (_scrapy("ResponseDataLossError"), "truncated"),
    ((defer.CancelledError, *_scrapy("DownloadCancelledError")), "too_large"),
    ((tx_errors.ConnectionLost, tx_errors.ConnectionDone, ResponseFailed,
      *_scrapy("DownloadFailedError")), "connection_lost"),
)
IGNORE_REASONS = (
    ("robots.txt", "robots"),
    ("max redirections", "too_many_redirects"),
    ("redirect loop", "redirect_loop"),
    ("exceeded DOWNLOAD_MAXSIZE", "too_large"),  # a compression bomb, capped while inflating
)
# Twisted reports a partially received body as ResponseFailed([… _DataLoss …]).
DATA_LOSS = re.compile(r"_DataLoss|PotentialDataLoss")

# What an article-looking URL served instead of an article (see describe_non_article).
SOFT_404_TEXT = re.compile(
    r"页面不存在|页面未找到|找不到(?:该|此|您要的)?页面|您(?:访问|要找)的(?:页面|文章)(?:不存在|已被?删除)"
    r"|文章(?:不存在|已被?删除)|信息(?:不存在|已被?删除)|404\s*(?:Not\s*Found|错误)|Page\s+Not\s+Found",
    re.IGNORECASE,
)
LOGIN_FORM = re.compile(rb"<input[^>]+type\s*=\s*[\"']?password", re.IGNORECASE)
LOGIN_TEXT = re.compile(r"请(?:先)?登录|登录后(?:查看|阅读|下载|浏览)|会员(?:登录|专享)|VIP")
SCAN_CHARS = 20_000


def _reason_for(exc: BaseException) -> str:
    for classes, reason in FAILURE_REASONS:
        if classes and isinstance(exc, classes):
            if reason == "connection_lost" and DATA_LOSS.search(repr(exc.args)):
                return "truncated"
            return reason
    if isinstance(exc, IgnoreRequest):
        if reason := getattr(exc, "reason", None):  # our refusals name their reason
            return str(reason)
        text = str(exc)
        return next((reason for key, reason in IGNORE_REASONS if key in text), "ignored")
    return type(exc).__name__


# Fixed wording where the exception's own message is empty or a Twisted repr.
DETAILS = {
    "too_large": "download cancelled: response body larger than DOWNLOAD_MAXSIZE",
    "truncated": "connection closed before the body was complete (shorter than Content-Length)",
    "connection_lost": "connection closed or reset before a complete response arrived",
    "timeout": "no complete response within DOWNLOAD_TIMEOUT",
    "connection_refused": "connection refused",
    "dns": "host name could not be resolved",
}


def _detail(exc: BaseException, reason: str, redirects: list[str]) -> str:
    text = str(exc).strip()
    if reason in DETAILS and (not text or text.startswith("[<") or reason == "truncated"):
        text = DETAILS[reason]
    if redirects:
        text = f"{text} (after {len(redirects)} redirects, last {redirects[-1]})"
    return (text or type(exc).__name__)[:DETAIL_MAX]


def referer_of(request: Any) -> str | None:
    """The Referer header of `request`, if any."""
    value = request.headers.get("Referer") if request is not None else None
    return value.decode("latin-1") if isinstance(value, bytes) else None


def describe_response(response: Any, reason: str, detail: str) -> CrawlError:
    """A CrawlError for a response that yields no page (e.g. "not_html", "extraction_error")."""
    return CrawlError(url=linked_canonical(response.meta, response.url), reason=reason,
                      status=response.status, detail=detail[:DETAIL_MAX],
                      referer=referer_of(response.request))


def describe_failure(failure: Any) -> CrawlError | None:
    """A CrawlError for a failed request, or None when the skip was deliberate."""
    request = failure.request
    exc = failure.value
    if isinstance(exc, AlreadyStored) or getattr(exc, "silent", False):
        return None  # skipped on purpose (stored already, --max-pages spent)
    # A redirected request fails under its last URL; record the URL that was linked.
    redirects = [str(u) for u in request.meta.get("redirect_urls") or []]
    url = linked_canonical(request.meta, request.url)
    chain = [*redirects[1:], request.url] if redirects else []
    ref = referer_of(request)
    status: int | None = None
    if isinstance(exc, HttpError):
        status = exc.response.status
        reason = f"http_{status}"
    else:
        reason = _reason_for(exc)
    return CrawlError(url=url, reason=reason, status=status,
                      detail=_detail(exc, reason, chain), referer=ref)


def non_article_reason(body: bytes, text: str) -> str:
    """"empty_page", "soft_404", "login_wall" or "not_article" for a non-article page.

    `text` is the decoded page (markup included is fine). Called only for URLs the
    crawl expected to be articles, so "404" wording there means a soft 404.
    """
    if not body.strip():
        return "empty_page"
    head = text[:SCAN_CHARS]
    if LOGIN_FORM.search(body[: SCAN_CHARS * 3]) or LOGIN_TEXT.search(head):
        return "login_wall"
    if SOFT_404_TEXT.search(head):
        return "soft_404"
    return "not_article"


def describe_non_article(url: str, body: bytes, text: str, status: int | None = None,
                         referer: str | None = None) -> CrawlError:
    """A CrawlError for an article-looking URL whose page is no article.

    `url` is the canonical URL as linked. The spider calls this when a request it made
    for an article ("fanwen_kind" == "article") yields a page of type "other", so such
    pages are counted with a reason instead of disappearing silently.
    """
    reason = non_article_reason(body, text)
    detail = {
        "empty_page": "200 response with an empty body",
        "soft_404": "page says it does not exist (soft 404) but was served with a success status",
        "login_wall": "page asks for a login instead of showing the article",
        "not_article": "article-looking URL served a page with no article on it",
    }[reason]
    return CrawlError(url=url, reason=reason, status=status, detail=detail,
                      referer=referer)
