"""API profiles: what authdoctor knows about one API beyond the RFCs.

A profile names the API's hosts per environment (production, staging, ...), the issuers
and audiences of each, its token endpoint, which scopes each endpoint accepts, its error
codes and how strict it is about the `Bearer` spelling. `extends:` reuses another profile,
replacing whole top-level keys (so a local sandbox can reuse Company X's scope table).

Identity-provider profiles (`auto_load: true`) are loaded by default. Their hosts and issuers
may hold `*` wildcards: a host label (`cognito-idp.*.amazonaws.com`, or a leading `*.` for
any subdomain) and an issuer segment without `/` (`https://login.microsoftonline.com/*/v2.0`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from authdoctor.errors import LoadError
from authdoctor.keys import KeySources
from authdoctor.keys import key_sources
from authdoctor.profiles.endpoints import EndpointError
from authdoctor.profiles.endpoints import EndpointTable
from authdoctor.util import YamlDoc
from authdoctor.util import check_schema
from authdoctor.util import did_you_mean
from authdoctor.util import load_yaml
from authdoctor.util import profiles_dir
from authdoctor.util import remembered


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    hosts: tuple[str, ...]
    issuers: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    token_endpoint: str | None = None
    keys: KeySources | None = None
    _issuer_patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = tuple(issuer_pattern(i) for i in self.issuers)
        object.__setattr__(self, "_issuer_patterns", patterns)

    def serves(self, host: str, port: int) -> bool:
        return any(_host_matches(pattern, host, port) for pattern in self.hosts)

    def issues(self, issuer: str) -> bool:
        """The issuer is one of this environment's (a trailing slash does not count)."""
        wanted = issuer.rstrip("/")
        return any(p.fullmatch(wanted) for p in self._issuer_patterns)


def issuer_pattern(issuer: str) -> re.Pattern[str]:
    """An issuer as a regular expression: each `*` stands for one segment without `/`."""
    parts = issuer.rstrip("/").split("*")
    return re.compile("[^/]+".join(re.escape(p) for p in parts))


def _host_matches(pattern: str, host: str, port: int) -> bool:
    name, _, want_port = pattern.partition(":")
    if want_port and int(want_port) != port:
        return False
    host = host.lower()
    name = name.lower()
    if "*" not in name:
        return host == name
    return _host_pattern(name).fullmatch(host) is not None


_HOST_PATTERNS: dict[str, re.Pattern[str]] = {}


def _host_pattern(name: str) -> re.Pattern[str]:
    """`*.x.com` matches any subdomain of x.com; a `*` label elsewhere matches one label."""
    if name not in _HOST_PATTERNS:
        labels = name.split(".")
        regex = ".+" if labels[0] == "*" else re.escape(labels[0])
        for label in labels[1:]:
            regex += r"\." + ("[^.]+" if label == "*" else re.escape(label))
        _HOST_PATTERNS[name] = re.compile(regex)
    return _HOST_PATTERNS[name]


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
    auto_load: bool = False
    match_by_issuer: bool = True
    # issuer -> environment, remembered (bounded): issuers repeat on every request
    _by_issuer: dict[str, Environment | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def environment_of_host(self, host: str, port: int) -> Environment | None:
        return next((e for e in self.environments if e.serves(host, port)), None)

    def environment_of_issuer(self, issuer: str) -> Environment | None:
        return remembered(
            self._by_issuer,
            issuer,
            lambda: next((e for e in self.environments if e.issues(issuer)), None),
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


def load_profile(name: str) -> Profile:
    """Load, check and compile one profile; raise LoadError naming file, line and field."""
    data, file, sources = _merged(_resolve(name))
    environments = tuple(
        Environment(
            name=env_name,
            hosts=tuple(env.get("hosts", ())),
            issuers=tuple(env.get("issuers", ())),
            audiences=tuple(env.get("audiences", ())),
            token_endpoint=env.get("token_endpoint"),
            keys=key_sources(data, env_name, sources),
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
        auto_load=data.get("auto_load", False),
        match_by_issuer=data.get("match_by_issuer", True),
    )


def load_profiles(names: Iterable[str]) -> tuple[Profile, ...]:
    return tuple(load_profile(n) for n in names)


def provider_profile_names() -> tuple[str, ...]:
    """The bundled profiles marked `auto_load: true` (identity providers), sorted."""
    names = []
    for path in sorted(profiles_dir().glob("*.yaml")):
        data = load_yaml(path).data
        if isinstance(data, dict) and data.get("auto_load") is True:
            names.append(path.stem)
    return tuple(names)


def with_provider_profiles(named: tuple[Profile, ...]) -> tuple[Profile, ...]:
    """The user's profiles first (they win a host), then every provider profile not named."""
    taken = {p.id for p in named}
    providers = tuple(p for p in load_profiles(provider_profile_names()) if p.id not in taken)
    return named + providers


def profile_for(
    profiles: Iterable[Profile], host: str, port: int
) -> tuple[Profile, Environment] | None:
    """The first profile with an environment serving this host and port."""
    for profile in profiles:
        if (env := profile.environment_of_host(host, port)) is not None:
            return profile, env
    return None


def profile_for_issuer(
    profiles: Iterable[Profile], issuer: str
) -> tuple[Profile, Environment] | None:
    """The one profile whose issuers include this issuer; None when none or several do."""
    found = [
        (profile, env)
        for profile in profiles
        if profile.match_by_issuer and (env := profile.environment_of_issuer(issuer)) is not None
    ]
    return found[0] if len(found) == 1 else None
