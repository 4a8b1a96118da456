"""Profile fields that name signing keys: files, shared secrets (never written in the profile),
key sets to fetch; each mistake is a LoadError naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from authdoctor.errors import LoadError
from authdoctor.keys.fetch import RemoteKeys
from authdoctor.profiles.profile import load_profile

HEAD = "id: keyed\ntitle: Keyed API\n"
ENVIRONMENTS = """\
environments:
  production:
    hosts: [api.example.com]
    issuers: [https://login.example.com/tenant/]
  staging:
    hosts: [api.staging.example.com]
    issuers: [https://login.staging.example.com/]
"""


def _load(tmp_path: Path, text: str):
    path = tmp_path / "keyed.yaml"
    path.write_text(text)
    return path, load_profile(str(path))


def _error(tmp_path: Path, text: str) -> tuple[Path, str]:
    path = tmp_path / "keyed.yaml"
    path.write_text(text)
    with pytest.raises(LoadError) as caught:
        load_profile(str(path))
    return path, str(caught.value)


def test_no_key_fields_no_keys(tmp_path: Path) -> None:
    _, profile = _load(tmp_path, HEAD + ENVIRONMENTS)
    assert all(env.keys is None for env in profile.environments)


def test_secret_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYED_SECRET", "s3cret-value")
    _, profile = _load(tmp_path, HEAD + "hmac_secret_env: KEYED_SECRET\n" + ENVIRONMENTS)
    for env in profile.environments:
        (secret,) = env.keys.local  # type: ignore[union-attr]
        assert secret.source == "environment variable KEYED_SECRET"
        assert secret.keys[0].key == b"s3cret-value"
        assert env.keys.remote == () and env.keys.fetch is False  # type: ignore[union-attr]


def test_missing_secret_variable_names_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEYED_SECRET", raising=False)
    text = HEAD + ENVIRONMENTS + "    hmac_secret_env: KEYED_SECRET\n"
    path, message = _error(tmp_path, text)
    assert message == (
        f"{path}:10: 'keyed': environments.staging.hmac_secret_env: the environment variable "
        "KEYED_SECRET is not set or empty (it should hold the HS256/384/512 shared secret)"
    )


def test_secret_file_relative_to_the_profile(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_bytes(b"file-secret\n")
    _, profile = _load(tmp_path, HEAD + "hmac_secret_file: secret.txt\n" + ENVIRONMENTS)
    (secret,) = profile.environments[0].keys.local  # type: ignore[union-attr]
    assert secret.keys[0].key == b"file-secret" and secret.source == str(tmp_path / "secret.txt")


def test_unreadable_secret_file(tmp_path: Path) -> None:
    path, message = _error(tmp_path, HEAD + "hmac_secret_file: nowhere.txt\n" + ENVIRONMENTS)
    assert message.startswith(f"{path}:3: 'keyed': hmac_secret_file: cannot read the shared")


def test_jwks_uri_and_discovery(tmp_path: Path) -> None:
    text = (
        HEAD
        + "jwks_uri: https://login.example.com/keys\nfetch_keys: true\n"
        + ENVIRONMENTS
        + "    discovery: true\n"
    )
    _, profile = _load(tmp_path, text)
    production, staging = (env.keys for env in profile.environments)
    assert production.remote == (RemoteKeys("https://login.example.com/keys"),)  # type: ignore[union-attr]
    assert staging.remote == (  # type: ignore[union-attr]
        RemoteKeys("https://login.example.com/keys"),
        RemoteKeys(
            "https://login.staging.example.com/.well-known/openid-configuration", discovery=True
        ),
    )
    assert production.fetch and staging.fetch  # type: ignore[union-attr]


def test_an_environment_field_wins_over_the_top_level(tmp_path: Path) -> None:
    text = (
        HEAD
        + "jwks_uri: https://login.example.com/keys\n"
        + ENVIRONMENTS.replace(
            "    issuers: [https://login.example.com/tenant/]\n",
            "    issuers: [https://login.example.com/tenant/]\n"
            "    jwks_uri: http://127.0.0.1:8443/keys\n",
        )
    )
    _, profile = _load(tmp_path, text)
    production, staging = (env.keys for env in profile.environments)
    assert production.remote == (RemoteKeys("http://127.0.0.1:8443/keys"),)  # type: ignore[union-attr]
    assert staging.remote == (RemoteKeys("https://login.example.com/keys"),)  # type: ignore[union-attr]
    assert production.fetch is False  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "line", "field", "message"),
    [
        (
            "jwks_uri: http://keys.example.com/jwks\n",
            3,
            "jwks_uri",
            "http://keys.example.com/jwks is not an https URL (plain http is allowed on "
            "loopback only)",
        ),
        (
            "discovery: true\n",
            3,
            "discovery",
            "discovery needs the issuers of the environment, and it lists none",
        ),
    ],
)
def test_fetch_field_errors(
    tmp_path: Path, fields: str, line: int, field: str, message: str
) -> None:
    text = HEAD + fields + "environments:\n  production:\n    hosts: [api.example.com]\n"
    path, error = _error(tmp_path, text)
    assert error == f"{path}:{line}: 'keyed': {field}: {message}"


def test_schema_refuses_a_bad_variable_name(tmp_path: Path) -> None:
    path, message = _error(tmp_path, HEAD + "hmac_secret_env: not a name\n" + ENVIRONMENTS)
    assert message.startswith(f"{path}:3: 'keyed': hmac_secret_env")
