"""A profile for sandboxes on loopback: Company X's knowledge, the sandboxes' addresses.

The real hosts (api.xxx.com, ...) are not reachable here, so tests and the demo write a small
profile that `extends: company-x` and replaces where each environment lives. It also says
what the sandbox's API checks: its access tokens are typed at+jwt (RFC 9068).
"""

from __future__ import annotations

from pathlib import Path

import yaml


def sandbox_profile(production_port: int, staging_port: int) -> dict[str, object]:
    def environment(name: str, port: int, domain: str) -> dict[str, object]:
        return {
            "hosts": [f"127.0.0.1:{port}"],
            "issuers": [f"https://auth.{domain}/"],
            "audiences": [f"https://api.{domain}"],
            "token_endpoint": f"http://127.0.0.1:{port}/oauth/token",
        }

    return {
        "id": "company-x-sandbox",
        "title": "Company X REST API (sandbox)",
        "extends": "company-x",
        "access_token_typ": "at+jwt",
        "environments": {
            "production": environment("production", production_port, "xxx.com"),
            "staging": environment("staging", staging_port, "staging.xxx.com"),
        },
    }


def write_sandbox_profile(path: Path, production_port: int, staging_port: int) -> Path:
    path.write_text(yaml.safe_dump(sandbox_profile(production_port, staging_port), sort_keys=False))
    return path
