"""The recording the report tests share, and how they run `authdoctor report` on it.

The recording: a token issued, healthy calls, a token sent in the query string, an older token
(superseded by the one issued) that expired 2 h 13 min before it was used and then sent again
three times after the 401, and a 403 insufficient_scope whose error_description is a script.
Flows are written out of time order (the 403 first), so the event table has to sort them.
"""

from __future__ import annotations

from pathlib import Path

from mitmproxy import http
from mitmproxy import io

from authdoctor.cli.main import main
from tests.unit.authflows import SENT
from tests.unit.authflows import Issuer
from tests.unit.authflows import bearer
from tests.unit.authflows import company_x_error
from tests.unit.authflows import flow
from tests.unit.authflows import response

DEVICES = "https://api.xxx.com/v2/devices"
ACTIONS = "https://api.xxx.com/v2/devices/d1/actions"
TOKEN_URL = "https://auth.xxx.com/oauth/token"
FORM = ("Content-Type", "application/x-www-form-urlencoded")
SCRIPT = "<script>alert(1)</script>"
EXPIRED_AT = 600  # the first use of the expired token, seconds after SENT
EXPIRED_AGO = 8005  # 2 h 13 min


def run_report(capsys, *argv: str) -> tuple[int, str, str]:
    """`authdoctor report ...` through the command line, which turns errors into exit 2."""
    code = main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def at(f: http.HTTPFlow, t: float) -> http.HTTPFlow:
    """Send the flow t seconds after SENT; the answer arrives a second later."""
    f.request.timestamp_start = f.request.timestamp_end = SENT + t
    if f.response is not None:
        f.response.timestamp_start = f.response.timestamp_end = SENT + t + 1
    return f


def write(path: Path, flows: list[http.HTTPFlow]) -> Path:
    with path.open("wb") as handle:
        writer = io.FlowWriter(handle)
        for f in flows:
            writer.add(f)
    return path


def ticket_flows(issuer: Issuer) -> tuple[list[http.HTTPFlow], list[str]]:
    """The flows of the recording, and every token minted for it."""
    fresh = issuer.token(issued=-10, expires=3590)
    expired = issuer.token(issued=EXPIRED_AT - EXPIRED_AGO - 3600, expires=EXPIRED_AT - EXPIRED_AGO)
    narrow = issuer.token(scope="read")
    granted = {"access_token": fresh, "token_type": "Bearer", "expires_in": 3600}
    form = b"grant_type=client_credentials&client_id=cli_8f2a91&client_secret=s3cret"
    scope_error = company_x_error(
        403, error="insufficient_scope", description=SCRIPT, scope="write", date_offset=700
    )
    flows = [
        at(flow(ACTIONS, method="POST", headers=[bearer(narrow)], resp=scope_error), 700),
        at(
            flow(
                TOKEN_URL,
                method="POST",
                headers=[FORM],
                content=form,
                resp=response(200, body={**granted, "scope": "read write"}),
            ),
            0,
        ),
        *(
            at(flow(DEVICES, headers=[bearer(fresh)], resp=response(200, date_offset=t)), t)
            for t in (10, 20, 30)
        ),
        at(flow(f"{DEVICES}?access_token={fresh}", resp=response(200, date_offset=40)), 40),
        *(
            at(flow(DEVICES, headers=[bearer(expired)], resp=company_x_error(date_offset=t)), t)
            for t in (EXPIRED_AT, EXPIRED_AT + 10, EXPIRED_AT + 20, EXPIRED_AT + 30)
        ),
        at(flow(DEVICES, headers=[bearer(fresh)], resp=response(200, date_offset=900)), 900),
    ]
    return flows, [fresh, expired, narrow]


# What the report of the recording says first, word for word.
SUMMARY = (
    "11 requests, 5 failed on authentication. Most failures (4) are token_expired: the token's "
    "exp was before the request time. Other causes: insufficient_scope (1). Fix this first: "
    "Get a new access token with your refresh token (runbook step 4)."
)
