"""A threaded TCP server on 127.0.0.1 for the never-harm upstreams: one thread per
connection, stopped (listening socket closed, accept loop ended) on leaving `running()`."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self


class LoopbackServer:
    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=256)
        self._socket.settimeout(0.2)
        self.port: int = self._socket.getsockname()[1]
        self._stop = threading.Event()

    def serve(self, conn: socket.socket) -> None:
        """Handle one accepted connection (in its own thread); close it when done."""
        raise NotImplementedError

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            conn.settimeout(60)
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    @contextmanager
    def running(self) -> Iterator[Self]:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(5)
            self._socket.close()
