"""Where an environment's signing keys come from, as its profile names them.

Each field may stand at the top level (every environment) or in one environment (which wins,
field by field): `keys` (a JWKS or PEM file), `hmac_secret_env` / `hmac_secret_file` (an
HS256/384/512 shared secret, never written in the profile itself), `jwks_uri` (a JWKS to
fetch), `discovery: true` (fetch the keys that the discovery document of each issuer the
environment lists names; never an issuer a token merely claims) and `fetch_keys: true`
(allow fetching for this profile even while the authdoctor_fetch_keys option is off).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authdoctor.errors import LoadError
from authdoctor.keys.fetch import RemoteKeys
from authdoctor.keys.fetch import url_problem
from authdoctor.keys.signing_keys import KeySet
from authdoctor.keys.signing_keys import hmac_key_set
from authdoctor.keys.signing_keys import load_key_set
from authdoctor.util import YamlDoc
from authdoctor.util import YamlPath
from authdoctor.util import format_path

KEY_FIELDS = ("keys", "hmac_secret_env", "hmac_secret_file", "jwks_uri", "discovery", "fetch_keys")


@dataclass(frozen=True, slots=True)
class KeySources:
    local: tuple[KeySet, ...] = ()  # loaded with the profile: always available
    remote: tuple[RemoteKeys, ...] = ()  # fetched, when fetching is on
    fetch: bool = False  # the profile itself turned fetching on


@dataclass(frozen=True, slots=True)
class _Field:
    """A key field's value and where it was written, for errors that name file and line."""

    value: Any
    doc: YamlDoc
    path: YamlPath
    profile_id: str

    def error(self, message: str) -> LoadError:
        return LoadError(
            message,
            file=self.doc.file,
            line=self.doc.line_of(self.path),
            item=self.profile_id,
            field=format_path(self.path),
        )

    def relative_path(self) -> Path:
        path = Path(str(self.value)).expanduser()
        return path if path.is_absolute() else Path(self.doc.file).parent / path


def _fields(data: dict[str, Any], env_name: str, sources: dict[str, YamlDoc]) -> dict[str, _Field]:
    env = data["environments"][env_name]
    found: dict[str, _Field] = {}
    for name in KEY_FIELDS:
        if name in env:
            path: YamlPath = ("environments", env_name, name)
            found[name] = _Field(env[name], sources["environments"], path, data["id"])
        elif name in data:
            found[name] = _Field(data[name], sources[name], (name,), data["id"])
    return found


def _secret_from_env(field: _Field) -> KeySet:
    secret = os.environ.get(field.value, "")
    if not secret:
        raise field.error(
            f"the environment variable {field.value} is not set or empty "
            "(it should hold the HS256/384/512 shared secret)"
        )
    return hmac_key_set(secret.encode(), f"environment variable {field.value}")


def _secret_from_file(field: _Field) -> KeySet:
    path = field.relative_path()
    try:
        secret = path.read_bytes().rstrip(b"\r\n")  # a trailing newline is the editor's
    except OSError as e:
        raise field.error(f"cannot read the shared secret file {path}: {e.strerror}") from None
    if not secret:
        raise field.error(f"the shared secret file {path} is empty")
    return hmac_key_set(secret, str(path))


def _remote(fields: dict[str, _Field], issuers: list[str]) -> tuple[RemoteKeys, ...]:
    remote: list[RemoteKeys] = []
    if (field := fields.get("jwks_uri")) is not None:
        if problem := url_problem(field.value):
            raise field.error(f"{field.value} is {problem}")
        remote.append(RemoteKeys(field.value))
    if (field := fields.get("discovery")) is not None and field.value:
        if not issuers:
            raise field.error("discovery needs the issuers of the environment, and it lists none")
        for issuer in issuers:
            if problem := url_problem(issuer):
                raise field.error(f"discovery needs issuer URLs, and issuer {issuer} is {problem}")
            remote.append(RemoteKeys.for_issuer(issuer))
    return tuple(remote)


def key_sources(
    data: dict[str, Any], env_name: str, sources: dict[str, YamlDoc]
) -> KeySources | None:
    """The keys of one environment of a merged profile (None when it names none); raises
    LoadError naming file, line and field."""
    fields = _fields(data, env_name, sources)
    local: list[KeySet] = []
    if (field := fields.get("keys")) is not None:
        local.append(load_key_set(field.relative_path()))
    if (field := fields.get("hmac_secret_env")) is not None:
        local.append(_secret_from_env(field))
    if (field := fields.get("hmac_secret_file")) is not None:
        local.append(_secret_from_file(field))
    issuers = list(data["environments"][env_name].get("issuers", ()))
    remote = _remote(fields, issuers)
    if not local and not remote:
        return None
    fetch = fields["fetch_keys"].value is True if "fetch_keys" in fields else False
    return KeySources(tuple(local), remote, fetch)
