"""HTTP plumbing: a loopback ThreadingHTTPServer that turns requests into Request values.

Everything the app answers gets a Date header from the app's clock (so a skewed sandbox
shows it), an X-Request-Id and a Content-Length (HTTP/1.1 keep-alive). Nothing is logged
but unexpected errors, and never a header or body, since those carry tokens and secrets.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import threading
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any
from typing import Protocol
from urllib.parse import urlsplit

from authdoctor.sandbox.messages import Request
from authdoctor.sandbox.messages import Response
from authdoctor.sandbox.messages import json_response

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY = 1 << 20
IDLE_TIMEOUT = 30
STOP_POLL_INTERVAL = 0.1  # how soon stop() takes effect; tests stop many sandboxes


class App(Protocol):
    def now(self) -> float: ...

    def handle(self, request: Request) -> Response: ...


def new_request_id() -> str:
    return f"req_{secrets.token_hex(5)}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CompanyX-Sandbox"
    sys_version = ""
    timeout = IDLE_TIMEOUT  # idle keep-alive connections must not pin threads forever
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool = False) -> None:
        app = self.server.app
        now, request_id = app.now(), new_request_id()
        body = self._read_body()
        if isinstance(body, Response):
            self.close_connection = True  # the unread body would corrupt the next request
            self._send(body, now, request_id, head)
            return
        url = urlsplit(self.path)
        method = "GET" if head else self.command
        request = Request(method, url.path, url.query, self.headers, body, now, request_id)
        try:
            response = app.handle(request)
        except Exception:
            logger.exception("sandbox failed on %s %s", method, url.path)
            payload = {"error": "server_error", "request_id": request_id}
            response = json_response(HTTPStatus.INTERNAL_SERVER_ERROR, payload)
        self._send(response, now, request_id, head)

    def _read_body(self) -> bytes | Response:
        if self.headers.get("Transfer-Encoding"):
            return _plain_error(HTTPStatus.LENGTH_REQUIRED, "Send a Content-Length")
        length = self.headers.get("Content-Length", "0").strip()
        if not length.isdigit():
            return _plain_error(HTTPStatus.BAD_REQUEST, "Invalid Content-Length")
        if int(length) > MAX_BODY:
            return _plain_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Body too large")
        return self.rfile.read(int(length))

    def _send(self, response: Response, now: float, request_id: str, head: bool) -> None:
        self.send_response_only(response.status)
        self.send_header("Server", self.server_version)
        self.send_header("Date", formatdate(now, usegmt=True))
        self.send_header("X-Request-Id", request_id)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """Also used by send_error for malformed requests: keep it on the app's clock."""
        return formatdate(self.server.app.now() if timestamp is None else timestamp, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: request lines can carry secrets (?access_token=...)."""


def _plain_error(status: HTTPStatus, description: str) -> Response:
    return json_response(status, {"error": "invalid_request", "error_description": description})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: App, port: int) -> None:
        super().__init__((HOST, port), _Handler)
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End keep-alive connections too, so a stopped sandbox really stops answering."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class Server:
    """One app on one loopback port, served from a daemon thread."""

    def __init__(self, app: App, port: int) -> None:
        self._httpd = _HTTPServer(app, port)
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": STOP_POLL_INTERVAL},
            name=f"sandbox-{self.port}",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)
