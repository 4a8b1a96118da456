"""HTTP/2 over TLS on the `h2` state machine (mitmproxy's own dependency): an upstream that
records the header list and body of every stream and answers with scripted ones, and a
client that tunnels through the proxy (CONNECT, mitmproxy's CA) and keeps what comes back.
Header validation and normalisation are off at both ends so what we compare is raw."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
from collections.abc import Sequence
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.loopback_server import LoopbackServer

type Headers = list[tuple[bytes, bytes]]
type Message = tuple[Headers, bytes]
ID_HEADER = b"x-nh-id"
CONCURRENT_STREAMS = 8


def _config(client_side: bool) -> h2.config.H2Configuration:
    return h2.config.H2Configuration(
        client_side=client_side,
        header_encoding=None,
        validate_outbound_headers=False,
        normalize_outbound_headers=False,
        validate_inbound_headers=False,
        normalize_inbound_headers=False,
    )


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no one trusts: the proxy runs with ssl_insecure."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "upstream-cert.pem", directory / "upstream-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _Sender:
    """DATA frames waiting for flow-control window, per stream."""

    def __init__(self, conn: h2.connection.H2Connection) -> None:
        self.conn = conn
        self.waiting: dict[int, bytearray] = {}

    def queue(self, stream_id: int, data: bytes) -> None:
        self.waiting[stream_id] = bytearray(data)
        self.flush()

    def flush(self) -> None:
        for stream_id, rest in list(self.waiting.items()):
            try:
                while rest:
                    size = min(
                        self.conn.local_flow_control_window(stream_id),
                        self.conn.max_outbound_frame_size,
                        len(rest),
                    )
                    if size <= 0:
                        break
                    self.conn.send_data(stream_id, bytes(rest[:size]))
                    del rest[:size]
                if not rest:
                    self.conn.end_stream(stream_id)
                    del self.waiting[stream_id]
            except h2.exceptions.StreamClosedError:
                del self.waiting[stream_id]


def _send_message(sender: _Sender, stream_id: int, headers: Headers, body: bytes) -> None:
    sender.conn.send_headers(stream_id, headers, end_stream=not body)
    if body:
        sender.queue(stream_id, body)


class Http2Upstream(LoopbackServer):
    """TLS + ALPN h2 on 127.0.0.1: answers each stream with the message scripted for its
    x-nh-id and records what arrived."""

    def __init__(self, answers: dict[str, Message], cert: tuple[Path, Path]) -> None:
        super().__init__()
        self.answers = answers
        self.received: dict[str, Message] = {}
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(*cert)
        self._tls.set_alpn_protocols(["h2"])

    def serve(self, conn: socket.socket) -> None:
        # OSError: the proxy hung up; what arrived is recorded, what did not will be missed
        with (
            conn,
            contextlib.suppress(OSError),
            self._tls.wrap_socket(conn, server_side=True) as sock,
        ):
            h2_conn = h2.connection.H2Connection(_config(client_side=False))
            h2_conn.initiate_connection()
            sock.sendall(h2_conn.data_to_send())
            self._streams(sock, h2_conn)

    def _streams(self, sock: ssl.SSLSocket, conn: h2.connection.H2Connection) -> None:
        sender = _Sender(conn)
        streams: dict[int, tuple[Headers, bytearray]] = {}
        while data := sock.recv(1 << 16):
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    streams[event.stream_id] = (list(event.headers), bytearray())
                elif isinstance(event, h2.events.DataReceived):
                    streams[event.stream_id][1].extend(event.data)
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    headers, body = streams.pop(event.stream_id)
                    exchange = dict(headers).get(ID_HEADER, b"").decode("ascii", "replace")
                    self.received[exchange] = (headers, bytes(body))
                    answer = self.answers.get(exchange, ([(b":status", b"404")], b""))
                    _send_message(sender, event.stream_id, *answer)
            sender.flush()
            sock.sendall(conn.data_to_send())


def _tunnel(proxy_port: int, upstream_port: int, ca_file: Path) -> ssl.SSLSocket:
    sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=60)
    authority = f"127.0.0.1:{upstream_port}"
    sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("the proxy closed the CONNECT tunnel")
        head += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(f"CONNECT refused: {head!r}")
    tls = ssl.create_default_context(cafile=str(ca_file))
    tls.set_alpn_protocols(["h2"])
    wrapped = tls.wrap_socket(sock, server_hostname="127.0.0.1")
    if wrapped.selected_alpn_protocol() != "h2":
        raise ConnectionError(f"ALPN chose {wrapped.selected_alpn_protocol()!r}, not h2")
    return wrapped


def exchange_all(
    proxy_port: int, upstream_port: int, ca_file: Path, requests: Sequence[tuple[str, Message]]
) -> dict[str, Message]:
    """Send (id, (header list, body)) requests over one HTTP/2 connection through the proxy,
    a few streams at a time; return each id's answer (header list with :status, body)."""
    answers: dict[str, Message] = {}
    with _tunnel(proxy_port, upstream_port, ca_file) as sock:
        conn = h2.connection.H2Connection(_config(client_side=True))
        conn.initiate_connection()
        conn.increment_flow_control_window(2**30)
        sender = _Sender(conn)
        pending = list(requests)
        open_streams: dict[int, tuple[str, Headers, bytearray]] = {}
        while pending or open_streams:
            while pending and len(open_streams) < CONCURRENT_STREAMS:
                exchange, (headers, body) = pending.pop(0)
                stream_id = conn.get_next_available_stream_id()
                open_streams[stream_id] = (exchange, [], bytearray())
                _send_message(sender, stream_id, headers, body)
            sock.sendall(conn.data_to_send())
            data = sock.recv(1 << 16)
            if not data:
                raise ConnectionError("the proxy closed the HTTP/2 connection")
            for event in conn.receive_data(data):
                stream_id = getattr(event, "stream_id", None)
                if isinstance(event, h2.events.ResponseReceived):
                    open_streams[stream_id][1].extend(event.headers)
                elif isinstance(event, h2.events.DataReceived):
                    open_streams[stream_id][2].extend(event.data)
                    conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
                elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
                    exchange, headers, body = open_streams.pop(stream_id)
                    reset = isinstance(event, h2.events.StreamReset)
                    answers[exchange] = (headers + [(b":reset", b"1")] * reset, bytes(body))
                elif isinstance(event, h2.events.ConnectionTerminated):
                    raise ConnectionError(f"the proxy ended the HTTP/2 connection: {event}")
            sender.flush()
            sock.sendall(conn.data_to_send())
    return answers
