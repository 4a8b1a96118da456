"""The one decoder of message bodies under their Content-Encoding (RFC 9110 section 8.4):
identity, gzip (x-gzip), deflate (zlib-wrapped, or raw as some servers send it), br and zstd.

Bodies come from arbitrary clients and servers, so every caller names a limit, and nothing is
ever inflated past it: a body larger than the limit, before or after decoding, is refused
(a zip bomb stops at limit + 1 bytes). Concatenated gzip members and zstd frames are all
read; a truncated stream or trailing garbage is an error, not a shorter body.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from functools import partial
from typing import Any

import brotli
from mitmproxy import http

try:
    from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+
except ImportError:
    from backports import zstd  # what mitmproxy itself uses before 3.14

_GZIP_OR_ZLIB = partial(zlib.decompressobj, 47)  # a gzip or a zlib header, detected
_RAW_DEFLATE = partial(zlib.decompressobj, -15)


class UndecodableBody(Exception):
    """A body that cannot be read within the limit; `reason` says why, in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _size(limit: int) -> str:
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit} bytes"


def _too_large(limit: int) -> UndecodableBody:
    return UndecodableBody(f"larger than {_size(limit)} once decompressed")


def _members(raw: bytes, decompressor: Callable[[], Any], limit: int) -> bytes:
    """Each gzip member or zstd frame in turn, one decompressor each, to at most `limit`
    bytes in all."""
    out = bytearray()
    while raw:
        member = decompressor()
        out += member.decompress(raw, max_length=limit + 1 - len(out))
        if len(out) > limit:
            raise _too_large(limit)
        if not member.eof:
            raise ValueError("truncated")
        raw = member.unused_data
    return bytes(out)


def _brotli(raw: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    out = decompressor.process(raw, output_buffer_limit=limit + 1)
    if len(out) > limit:
        raise _too_large(limit)
    if not decompressor.is_finished():
        raise ValueError("truncated")
    return out


def decode_body(raw: bytes, coding: str, limit: int) -> bytes:
    """`raw` under the Content-Encoding `coding`, all of it read, at most `limit` bytes before
    and after decoding; raises UndecodableBody (too large, corrupt, or an unknown coding)."""
    if len(raw) > limit:
        raise UndecodableBody(f"larger than {_size(limit)}")
    coding = coding.strip().lower()
    try:
        if coding in ("", "identity", "none"):
            return raw
        if coding in ("gzip", "x-gzip"):
            return _members(raw, _GZIP_OR_ZLIB, limit)
        if coding == "deflate":
            try:
                return _members(raw, _GZIP_OR_ZLIB, limit)
            except zlib.error:
                return _members(raw, _RAW_DEFLATE, limit)
        if coding == "br":
            return _brotli(raw, limit)
        if coding == "zstd":
            return _members(raw, zstd.ZstdDecompressor, limit)
    except (ValueError, zlib.error, brotli.error, zstd.ZstdError):
        raise UndecodableBody(f"cannot decode Content-Encoding {coding}") from None
    raise UndecodableBody(f"unsupported Content-Encoding {coding}")


def bounded_body(message: http.Message, limit: int) -> bytes | None:
    """The message's decoded body, or None when it has none or it cannot be read within
    `limit` bytes (see decode_body). Never raises."""
    raw = message.raw_content
    if not raw:
        return None
    try:
        return decode_body(raw, message.headers.get("content-encoding", ""), limit)
    except UndecodableBody:
        return None
