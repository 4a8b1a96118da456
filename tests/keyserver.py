"""A real HTTP server on 127.0.0.1 for key-fetch tests: JWKS and discovery documents, slow,
failing or broken answers, and a count of the requests each path got.

Use it as a context manager: leaving it releases every answer still sleeping and stops the
server, so no test leaves a thread or a socket behind.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import ECAlgorithm
from jwt.algorithms import OKPAlgorithm
from jwt.algorithms import RSAAlgorithm


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    delay_s: float = 0.0  # sleep this long before answering (released early on stop)
    location: str = ""  # a redirect target


def public_jwk(public_key: Any, kid: str) -> dict[str, Any]:
    """PyJWT's own JWK form of a public key, with a kid."""
    if isinstance(public_key, rsa.RSAPublicKey):
        writer: Any = RSAAlgorithm
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        writer = ECAlgorithm
    else:
        writer = OKPAlgorithm
    return {**json.loads(writer.to_jwk(public_key)), "kid": kid}


def jwks_answer(*entries: tuple[Any, str]) -> Answer:
    """A JWKS document of (public key, kid) pairs."""
    keys = [public_jwk(public_key, kid) for public_key, kid in entries]
    return Answer(body=json.dumps({"keys": keys}).encode())


def json_answer(document: Any, status: int = 200) -> Answer:
    return Answer(status, json.dumps(document).encode())


class KeyServer:
    """Answers GET <path> with the Answer set for it; 404 for anything else."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.hits: Counter[str] = Counter()
        self.release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def __enter__(self) -> KeyServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] += 1
                answer = server.answers.get(self.path, Answer(404, b"{}"))
                if answer.delay_s:
                    server.release.wait(answer.delay_s)
                try:
                    self.send_response(answer.status)
                    if answer.location:
                        self.send_header("Location", answer.location)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the fetcher gave up waiting: what a slow answer is for

            def log_message(self, *_: object) -> None:
                pass

        return Handler
