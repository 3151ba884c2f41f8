"""Serve the sample portal over real HTTP on loopback, with a request log.

Two threaded servers run on 127.0.0.1: the portal itself and a second "off-site"
server the portal links to, so a test can prove a crawl never left the portal.
Both log every request path (with its query) in arrival order.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from fanwen_crawler.sample_portal.build import build_site
from fanwen_crawler.sample_portal.model import PortalTruth, Resource, Site
from fanwen_crawler.sample_portal.pages import NOT_FOUND_HTML, render_offsite

logger = logging.getLogger(__name__)
NOT_FOUND = Resource(404, {"Content-Type": "text/html; charset=utf-8"},
                     NOT_FOUND_HTML.encode("utf-8"))
OFFSITE_PAGE = Resource(200, {"Content-Type": "text/html; charset=utf-8"},
                        render_offsite().encode("utf-8"))


class RequestLog:
    """A thread-safe, append-only list of request paths."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[str] = []

    def append(self, path: str) -> None:
        with self._lock:
            self._items.append(path)

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self._items)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, fallback: Resource | None) -> None:
        super().__init__((host, port), _Handler)
        self.pages: dict[str, Resource] = {}
        self.fallback = fallback
        self.log = RequestLog()
        self.conditional = False

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hanging up mid-response are normal for a crawler test server.
        logger.debug("error serving %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "nginx"
    sys_version = ""

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _respond(self, send_body: bool) -> None:
        self.server.log.append(self.path)
        path = urlsplit(self.path).path
        res = self.server.pages.get(path) or self.server.fallback or NOT_FOUND
        etag = None
        if self.server.conditional and res.status == 200:
            # Optional (serve_portal(conditional=True)): an ETag per body, 304 when it matches.
            etag = '"' + hashlib.sha1(res.body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
        self.send_response(res.status)
        for name, value in res.headers.items():
            self.send_header(name, value)
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(res.body)))
        self.end_headers()
        if send_body:
            self.wfile.write(res.body)


@dataclass
class ServedPortal:
    """A running portal: its URL, ground truth and request logs."""

    url: str
    offsite_url: str
    site: Site
    _log: RequestLog = field(repr=False)
    _offsite_log: RequestLog = field(repr=False)

    @property
    def truth(self) -> PortalTruth:
        return self.site.truth

    @property
    def requests(self) -> list[str]:
        """Paths (with query) requested from the portal so far, in order."""
        return self._log.snapshot()

    @property
    def offsite_requests(self) -> list[str]:
        """Paths requested from the off-site server so far."""
        return self._offsite_log.snapshot()


def _check_loopback(host: str) -> None:
    try:
        ok = ipaddress.ip_address(host) in ipaddress.ip_network("127.0.0.0/8")
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"the sample portal only serves on 127.0.0.x, not {host!r}")


def _start(server: _Server) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True, name=f"sample-portal-{server.server_address[1]}")
    thread.start()
    return thread


@contextmanager
def serve_portal(host: str = "127.0.0.1", port: int = 0,
                 conditional: bool = False) -> Iterator[ServedPortal]:
    """Serve the portal (and its off-site neighbour) until the block exits.

    `conditional=True` adds an ETag to 200 responses and answers If-None-Match with 304.
    """
    _check_loopback(host)
    offsite = _Server(host, 0, fallback=OFFSITE_PAGE)
    try:
        portal = _Server(host, port, fallback=None)
    except OSError:
        offsite.server_close()
        raise
    servers = (portal, offsite)
    offsite_url = f"http://{host}:{offsite.server_address[1]}/"
    url = f"http://{host}:{portal.server_address[1]}/"
    site = build_site(base_url=url, offsite_url=offsite_url)
    portal.pages = site.pages
    portal.conditional = conditional
    threads = [_start(s) for s in servers]
    try:
        yield ServedPortal(url=url, offsite_url=offsite_url, site=site, _log=portal.log,
                           _offsite_log=offsite.log)
    finally:
        for server, thread in zip(servers, threads, strict=True):
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
