"""decode_body and bounded_body: every coding read the same, nothing inflated past the limit,
and unknown or corrupt codings refused with a reason."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Callable
from functools import partial

import brotli
import pytest
from mitmproxy import http
from mitmproxy.test import tutils

from authdoctor.wire.bodies import UndecodableBody
from authdoctor.wire.bodies import bounded_body
from authdoctor.wire.bodies import decode_body
from authdoctor.wire.bodies import zstd

BODY = b'{"error":"invalid_token","error_description":"The access token expired"}'
LIMIT = 4096


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


PACKERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": partial(brotli.compress, quality=5),
    "zstd": zstd.compress,
}
CODINGS = [pytest.param(coding, pack, id=coding) for coding, pack in PACKERS.items()]
CODINGS.append(pytest.param("deflate", _raw_deflate, id="deflate-raw"))
CODINGS.append(pytest.param("deflate", gzip.compress, id="deflate-said-of-gzip"))


@pytest.mark.parametrize("coding", ["", "identity", "none", " Identity "])
def test_identity_is_the_body_itself(coding: str) -> None:
    assert decode_body(BODY, coding, LIMIT) is BODY


@pytest.mark.parametrize(("coding", "pack"), CODINGS)
def test_every_coding_gives_the_body(coding: str, pack: Callable[[bytes], bytes]) -> None:
    assert decode_body(pack(BODY), coding, LIMIT) == BODY
    assert decode_body(pack(BODY), f" {coding.upper()} ", LIMIT) == BODY


@pytest.mark.parametrize("coding", ["gzip", "zstd"])
def test_concatenated_members_are_all_read(coding: str) -> None:
    pack = PACKERS[coding]
    assert decode_body(pack(b"one ") + pack(b"two"), coding, LIMIT) == b"one two"


@pytest.mark.parametrize(("coding", "pack"), CODINGS)
def test_the_limit_is_inclusive(coding: str, pack: Callable[[bytes], bytes]) -> None:
    padded = BODY[:-1] + b',"pad":"' + b"a" * 500 + b'"}'  # packs smaller than it is
    assert decode_body(pack(padded), coding, len(padded)) == padded
    with pytest.raises(UndecodableBody, match="once decompressed"):
        decode_body(pack(padded), coding, len(padded) - 1)


@pytest.mark.parametrize(("coding", "pack"), CODINGS)
def test_a_bomb_is_refused_not_inflated(coding: str, pack: Callable[[bytes], bytes]) -> None:
    """16 MiB of zeros packs into a few KiB; decoding it under a 1 MiB limit stops after
    limit + 1 bytes, so it never holds much more than the limit (mitmproxy's own decoder,
    unbounded, takes 16 MiB or more)."""
    bomb = pack(bytes(16 << 20))
    assert len(bomb) < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(UndecodableBody) as refused:
            decode_body(bomb, coding, 1 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.reason == "larger than 1 MiB once decompressed"
    assert peak < 4 << 20


def test_a_body_over_the_limit_is_refused_before_decoding() -> None:
    with pytest.raises(UndecodableBody) as refused:
        decode_body(b"x" * 65537, "", 65536)
    assert refused.value.reason == "larger than 64 KiB"
    with pytest.raises(UndecodableBody, match="larger than 1000 bytes"):
        decode_body(gzip.compress(b"x" * 2000), "gzip", 1000)


@pytest.mark.parametrize("coding", ["compress", "gzip, br", "snappy", "x-unknown"])
def test_an_unknown_coding_is_refused(coding: str) -> None:
    with pytest.raises(UndecodableBody) as refused:
        decode_body(BODY, coding, LIMIT)
    assert refused.value.reason == f"unsupported Content-Encoding {coding.strip().lower()}"


CORRUPT = [
    pytest.param("gzip", b"\x1f\x8b not really gzip", id="gzip-garbage"),
    pytest.param("gzip", gzip.compress(BODY)[:-9], id="gzip-truncated"),
    pytest.param("gzip", gzip.compress(BODY) + b"trailing", id="gzip-trailing-garbage"),
    pytest.param("deflate", b"not deflate at all", id="deflate-garbage"),
    pytest.param("deflate", zlib.compress(BODY)[:10], id="deflate-truncated"),
    pytest.param("br", brotli.compress(BODY)[:5], id="br-truncated"),
    pytest.param("br", b"\xff" * 20, id="br-garbage"),
    pytest.param("br", b"", id="br-empty"),
    pytest.param("zstd", zstd.compress(BODY)[:-3], id="zstd-truncated"),
    pytest.param("zstd", b"\x28\xb5\x2f\xfd garbage", id="zstd-garbage"),
    pytest.param("gzip", brotli.compress(BODY), id="br-said-gzip"),
    pytest.param("br", zstd.compress(BODY), id="zstd-said-br"),
]


@pytest.mark.parametrize(("coding", "raw"), CORRUPT)
def test_a_corrupt_body_is_refused(coding: str, raw: bytes) -> None:
    with pytest.raises(UndecodableBody) as refused:
        decode_body(raw, coding, LIMIT)
    assert refused.value.reason == f"cannot decode Content-Encoding {coding}"


def _message(raw: bytes, coding: str | None) -> http.Response:
    headers = http.Headers([(b"Content-Encoding", coding.encode())] if coding else [])
    response = tutils.tresp(headers=headers)
    response.raw_content = raw
    return response


@pytest.mark.parametrize(("coding", "pack"), CODINGS)
def test_bounded_body_reads_a_message_in_any_coding(
    coding: str, pack: Callable[[bytes], bytes]
) -> None:
    assert bounded_body(_message(pack(BODY), coding), LIMIT) == BODY


@pytest.mark.parametrize(
    ("raw", "coding", "limit"),
    [
        pytest.param(b"", None, LIMIT, id="empty"),
        pytest.param(b"", "br", LIMIT, id="empty-br"),
        pytest.param(BODY, None, len(BODY) - 1, id="over-the-limit"),
        pytest.param(gzip.compress(b"\x00" * 100_000), "gzip", LIMIT, id="bomb"),
        pytest.param(b"\x1f\x8b not gzip", "gzip", LIMIT, id="corrupt"),
        pytest.param(BODY, "compress", LIMIT, id="unknown-coding"),
    ],
)
def test_bounded_body_is_none_when_unreadable(raw: bytes, coding: str | None, limit: int) -> None:
    assert bounded_body(_message(raw, coding), limit) is None
