"""API profiles: what authdoctor knows about one API beyond the RFCs.

A profile names the API's hosts per environment (production, staging, ...), the issuers
and audiences of each, its token endpoint, which scopes each endpoint accepts, its error
codes and how strict it is about the `Bearer` spelling. `extends:` reuses another profile,
replacing whole top-level keys (so a local sandbox can reuse Company X's scope table).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from authdoctor.endpoints import EndpointError
from authdoctor.endpoints import EndpointTable
from authdoctor.errors import LoadError
from authdoctor.paths import profiles_dir
from authdoctor.schemacheck import check_schema
from authdoctor.signing_keys import KeySet
from authdoctor.signing_keys import load_key_set
from authdoctor.suggest import did_you_mean
from authdoctor.yamldoc import YamlDoc
from authdoctor.yamldoc import load_yaml


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    hosts: tuple[str, ...]
    issuers: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    token_endpoint: str | None = None
    key_set: KeySet | None = None

    def serves(self, host: str, port: int) -> bool:
        return any(_host_matches(pattern, host, port) for pattern in self.hosts)


def _host_matches(pattern: str, host: str, port: int) -> bool:
    name, _, want_port = pattern.partition(":")
    if want_port and int(want_port) != port:
        return False
    host = host.lower()
    name = name.lower()
    if name.startswith("*."):
        return host.endswith(name[1:])
    return host == name


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    title: str
    environments: tuple[Environment, ...]
    strict_bearer_case: bool = False
    expects_jwt: bool = False
    access_token_typ: str | None = None  # RFC 9068: its JWT access tokens say typ at+jwt
    admin_portal: str | None = None
    error_codes: dict[str, str] = field(default_factory=dict)
    endpoints: EndpointTable = field(default_factory=lambda: EndpointTable(()))
    file: str = ""

    def environment_of_host(self, host: str, port: int) -> Environment | None:
        return next((e for e in self.environments if e.serves(host, port)), None)

    def environment_of_issuer(self, issuer: str) -> Environment | None:
        wanted = issuer.rstrip("/")
        return next(
            (e for e in self.environments if any(i.rstrip("/") == wanted for i in e.issuers)),
            None,
        )


def _resolve(name: str, relative_to: Path | None = None) -> Path:
    """A bundled profile name ('company-x') or a path to a YAML file; a relative path in
    `extends:` is relative to the profile that names it."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        path = Path(name).expanduser()
        return relative_to / path if relative_to and not path.is_absolute() else path
    bundled = profiles_dir() / f"{name}.yaml"
    if not bundled.exists():
        known = sorted(p.stem for p in profiles_dir().glob("*.yaml"))
        raise LoadError(
            f"no bundled profile '{name}'{did_you_mean(name, known)} (known: {', '.join(known)})",
            file=name,
        )
    return bundled


def _merged(
    path: Path, seen: tuple[Path, ...] = ()
) -> tuple[dict[str, Any], str, dict[str, YamlDoc]]:
    """The profile's data with its parents' merged in, and which document each key came from."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise LoadError("a profile file holds one mapping", file=doc.file, line=1)
    item = doc.data.get("id") if isinstance(doc.data.get("id"), str) else None
    check_schema(doc, "profile", item)
    data = dict(doc.data)
    sources = dict.fromkeys(data, doc)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data, doc.file, sources
    parent_path = _resolve(parent_name, path.parent)
    if parent_path.resolve() in seen or parent_path.resolve() == path.resolve():
        raise LoadError(
            f"extends '{parent_name}' loops",
            file=doc.file,
            line=doc.line_of(("extends",)),
            item=item,
            field="extends",
        )
    parent, _, parent_sources = _merged(parent_path, (*seen, path.resolve()))
    return {**parent, **data}, doc.file, {**parent_sources, **sources}


def _keys(name: str | None, doc: YamlDoc | None) -> KeySet | None:
    """A profile's signing keys, the path relative to the file that names it."""
    if not name:
        return None
    path = Path(name).expanduser()
    if not path.is_absolute() and doc is not None:
        path = Path(doc.file).parent / path
    return load_key_set(path)


def load_profile(name: str) -> Profile:
    """Load, check and compile one profile; raise LoadError naming file, line and field."""
    data, file, sources = _merged(_resolve(name))
    shared_keys = _keys(data.get("keys"), sources.get("keys"))
    environments = tuple(
        Environment(
            name=env_name,
            hosts=tuple(env["hosts"]),
            issuers=tuple(env.get("issuers", ())),
            audiences=tuple(env.get("audiences", ())),
            token_endpoint=env.get("token_endpoint"),
            key_set=_keys(env.get("keys"), sources.get("environments")) or shared_keys,
        )
        for env_name, env in data.get("environments", {}).items()
    )
    try:
        table = EndpointTable.parse(data.get("endpoints", {}), data.get("base_paths", []))
    except EndpointError as e:
        doc = sources["endpoints"]
        raise LoadError(
            str(e),
            file=doc.file,
            line=doc.line_of(("endpoints", e.key)),
            item=data["id"],
            field=f"endpoints.{e.key}",
        ) from None
    return Profile(
        id=data["id"],
        title=data["title"],
        environments=environments,
        strict_bearer_case=data.get("strict_bearer_case", False),
        expects_jwt=data.get("expects_jwt", False),
        access_token_typ=data.get("access_token_typ"),
        admin_portal=data.get("admin_portal"),
        error_codes=dict(data.get("error_codes", {})),
        endpoints=table,
        file=file,
    )


def load_profiles(names: Iterable[str]) -> tuple[Profile, ...]:
    return tuple(load_profile(n) for n in names)


def profile_for(
    profiles: Iterable[Profile], host: str, port: int
) -> tuple[Profile, Environment] | None:
    """The first profile with an environment serving this host and port."""
    for profile in profiles:
        if (env := profile.environment_of_host(host, port)) is not None:
            return profile, env
    return None
