"""What travels on the wire, read without trusting it: WWW-Authenticate challenges, error
bodies, content codings, hosts. Other layers import these names from here; the modules of
this package import each other directly, never through this file."""

from authdoctor.wire.bodies import UndecodableBody
from authdoctor.wire.bodies import bounded_body
from authdoctor.wire.bodies import decode_body
from authdoctor.wire.challenge import Challenge
from authdoctor.wire.challenge import bearer_challenge
from authdoctor.wire.challenge import parse_www_authenticate
from authdoctor.wire.error_body import MAX_ERROR_BODY
from authdoctor.wire.error_body import ErrorBody
from authdoctor.wire.error_body import parse_error_body
from authdoctor.wire.hosts import is_loopback
from authdoctor.wire.plain_body import plain_text_error

__all__ = [
    "MAX_ERROR_BODY",
    "Challenge",
    "ErrorBody",
    "UndecodableBody",
    "bearer_challenge",
    "bounded_body",
    "decode_body",
    "is_loopback",
    "parse_error_body",
    "parse_www_authenticate",
    "plain_text_error",
]
