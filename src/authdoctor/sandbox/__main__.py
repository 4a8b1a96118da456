"""`python -m authdoctor.sandbox`: run one sandbox environment in the foreground."""

from __future__ import annotations

import argparse
import sys
import threading

from authdoctor.sandbox.app import DEMO_CLIENT_ID
from authdoctor.sandbox.app import DEMO_CLIENT_SECRET
from authdoctor.sandbox.app import Sandbox
from authdoctor.sandbox.environments import ENVIRONMENTS

DEFAULT_PORT = 8400


def banner(sandbox: Sandbox) -> str:
    """Where it listens and how to get and use a token (the demo credentials are public)."""
    return f"""Company X sandbox ({sandbox.environment}) listening on {sandbox.url}
  issuer:   {sandbox.issuer}
  audience: {sandbox.audience}

Get a token for the demo client:
  curl -s -X POST {sandbox.url}/oauth/token \\
    -d grant_type=client_credentials \\
    -d client_id={DEMO_CLIENT_ID} -d client_secret={DEMO_CLIENT_SECRET} \\
    -d "scope=read write"

Call the API with it:
  curl -s {sandbox.url}/v2/organizations/current -H "Authorization: Bearer $ACCESS_TOKEN"

Press Ctrl-C to stop."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m authdoctor.sandbox",
        description="Serve the Company X sandbox API and token endpoint on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--environment", choices=list(ENVIRONMENTS), default="production")
    args = parser.parse_args(argv)
    sandbox = Sandbox(args.environment, port=args.port)
    try:
        sandbox.start()
    except OSError as error:
        print(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    print(banner(sandbox), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
