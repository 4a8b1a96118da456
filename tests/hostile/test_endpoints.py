"""The endpoint table: any profile table is parsed or refused with EndpointError naming the
entry, and any request path finds the most specific entry that fits it, or none."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from authdoctor.profiles.endpoints import Endpoint
from authdoctor.profiles.endpoints import EndpointError
from authdoctor.profiles.endpoints import EndpointTable
from tests.hostile.strategies import hostile_text
from tests.hostile.strategies import json_values

SEGMENTS = st.sampled_from(["v1", "users", "{id}", "{org}", "logs", "*", "a b", "%2F", ""])
templates = st.builds(
    lambda method, parts: f"{method} /" + "/".join(parts),
    st.sampled_from(["GET", "POST", "DELETE", "get", "BREW"]),
    st.lists(SEGMENTS | hostile_text, max_size=5),
)
scopes = st.lists(st.sampled_from(["read", "write", "admin"]) | hostile_text, max_size=3)
tables = st.dictionaries(templates | hostile_text, scopes | json_values, max_size=6)
request_paths = st.one_of(
    st.lists(SEGMENTS | hostile_text, max_size=6).map(lambda p: "/" + "/".join(p)),
    hostile_text,
    st.builds(lambda p, q: f"{p}?{q}", hostile_text, hostile_text),
)
base_paths = st.lists(st.sampled_from(["", "/api", "/api/v2/", "/"]) | hostile_text, max_size=3)


def _fits(endpoint: Endpoint, method: str, path: str, base: str) -> bool:
    parts = [s for s in path.split("?", 1)[0].split("/") if s]
    prefix = [s for s in base.split("/") if s]
    return parts[: len(prefix)] == prefix and endpoint.match(method.upper(), parts[len(prefix) :])


@given(tables, base_paths, st.lists(st.tuples(st.sampled_from(["GET", "post"]), request_paths)))
def test_any_table_and_any_path(
    table: dict[str, Any], bases: list[str], requests: list[tuple[str, str]]
) -> None:
    try:
        parsed = EndpointTable.parse(table, bases)
    except EndpointError as e:
        assert e.key in table
        return
    for method, path in requests:
        found = parsed.lookup(method, path)
        assert found is None or found in parsed.endpoints
        fitting = [
            (e, b) for b in parsed.base_paths for e in parsed.endpoints if _fits(e, method, path, b)
        ]
        assert (found is None) == (not fitting)
        if found is not None:  # the most specific entry that fits under the first base
            first_base = fitting[0][1]
            under_it = [e for e, b in fitting if b == first_base]
            assert found is under_it[0]
            assert found.literal_count == max(e.literal_count for e in under_it)
        assert parsed.lookup(method, path) is found  # the cached answer is the same
