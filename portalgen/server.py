"""Serve a generated portal on 127.0.0.1 (threaded, keep-alive), logging every request.

    with serve(generate_portal(7)) as served:
        served.url            # "http://127.0.0.1:PORT/"
        served.requests()     # [(target, status), …] in arrival order
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from portalgen.portal import Portal

logger = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, host: str, port: int, portal: Portal) -> None:
        super().__init__((host, port), _Handler)
        self.portal = portal
        self.lock = threading.Lock()
        self.log: list[tuple[str, int]] = []

    def handle_error(self, request: object, client_address: object) -> None:
        logger.debug("error serving %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK
    # add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        status, headers, body = self.server.portal.respond(self.path, host)
        with self.server.lock:
            self.server.log.append((self.path, status))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class ServedPortal:
    url: str
    portal: Portal
    _server: _Server = field(repr=False)

    def requests(self) -> list[tuple[str, int]]:
        """(target, status) of every request so far, in arrival order."""
        with self._server.lock:
            return list(self._server.log)


@contextmanager
def serve(portal: Portal, host: str = "127.0.0.1", port: int = 0) -> Iterator[ServedPortal]:
    """Serve `portal` on loopback until the block ends."""
    if ipaddress.ip_address(host) not in ipaddress.ip_network("127.0.0.0/8"):
        raise ValueError(f"generated portals are served on 127.0.0.x only, not {host!r}")
    server = _Server(host, port, portal)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True, name=f"portalgen-{server.server_address[1]}")
    thread.start()
    try:
        yield ServedPortal(url=f"http://{host}:{server.server_address[1]}/", portal=portal,
                           _server=server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
