import pytest

from authdoctor.wire.challenge import Challenge
from authdoctor.wire.challenge import bearer_challenge
from authdoctor.wire.challenge import parse_www_authenticate


def _flat(challenges: list[Challenge]) -> list[tuple[str, dict[str, str], str | None]]:
    return [(c.scheme, c.params, c.token68) for c in challenges]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            'Bearer realm="example", error="invalid_token", '
            'error_description="The access token expired"',
            [
                (
                    "Bearer",
                    {
                        "realm": "example",
                        "error": "invalid_token",
                        "error_description": "The access token expired",
                    },
                    None,
                )
            ],
            id="rfc6750-example",
        ),
        pytest.param(
            'Basic realm="x", Bearer realm="y", error="invalid_token"',
            [
                ("Basic", {"realm": "x"}, None),
                ("Bearer", {"realm": "y", "error": "invalid_token"}, None),
            ],
            id="two-challenges-one-value",
        ),
        pytest.param(
            'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
            [
                ("Newauth", {"realm": "apps", "type": "1", "title": 'Login to "apps"'}, None),
                ("Basic", {"realm": "simple"}, None),
            ],
            id="rfc9110-example",
        ),
        pytest.param(
            'Bearer error_description="a, \\"b\\"", error="x"',
            [("Bearer", {"error_description": 'a, "b"', "error": "x"}, None)],
            id="escaped-quotes-and-comma-in-quotes",
        ),
        pytest.param(
            'Bearer realm="C:\\\\tmp\\\\x", error="y"',
            [("Bearer", {"realm": "C:\\tmp\\x", "error": "y"}, None)],
            id="escaped-backslashes",
        ),
        pytest.param(
            'Bearer realm="\\a\\b"',
            [("Bearer", {"realm": "ab"}, None)],
            id="escaped-ordinary-chars",
        ),
        pytest.param(
            "Bearer error=invalid_token, realm=api",
            [("Bearer", {"error": "invalid_token", "realm": "api"}, None)],
            id="token-values",
        ),
        pytest.param(
            'Bearer ERROR="x", Realm="r", error_Description=d',
            [("Bearer", {"error": "x", "realm": "r", "error_description": "d"}, None)],
            id="param-names-lower-cased",
        ),
        pytest.param(
            'Bearer   realm = "r"  ,\terror\t=\tinvalid_token ,error_uri= "u"',
            [("Bearer", {"realm": "r", "error": "invalid_token", "error_uri": "u"}, None)],
            id="whitespace-around-equals-and-commas",
        ),
        pytest.param(
            ', ,Bearer , , realm="r",,',
            [("Bearer", {"realm": "r"}, None)],
            id="empty-list-elements",
        ),
        pytest.param("Bearer", [("Bearer", {}, None)], id="scheme-only"),
        pytest.param("bearer", [("bearer", {}, None)], id="scheme-case-kept"),
        pytest.param(
            "Bearer, Basic",
            [("Bearer", {}, None), ("Basic", {}, None)],
            id="schemes-only",
        ),
        pytest.param("Negotiate YIIB==", [("Negotiate", {}, "YIIB==")], id="token68-padded"),
        pytest.param(
            "Basic QWxhZGRpbjpvcGVu==",
            [("Basic", {}, "QWxhZGRpbjpvcGVu==")],
            id="token68-basic-credentials",
        ),
        pytest.param(
            "Negotiate a+b/c~d.e-f_g, Bearer realm=x",
            [("Negotiate", {}, "a+b/c~d.e-f_g"), ("Bearer", {"realm": "x"}, None)],
            id="token68-all-chars-then-challenge",
        ),
        pytest.param("NTLM  abc ", [("NTLM", {}, "abc")], id="token68-unpadded"),
        pytest.param(
            'Bearer scope="read write"',
            [("Bearer", {"scope": "read write"}, None)],
            id="scope-one-string",
        ),
        pytest.param(
            'Bearer error="first", error="second", ERROR="third"',
            [("Bearer", {"error": "first"}, None)],
            id="duplicate-keeps-first",
        ),
        pytest.param('Bearer realm=""', [("Bearer", {"realm": ""}, None)], id="empty-quoted"),
        pytest.param(
            'DPoP algs="ES256 PS256", error="use_dpop_nonce"',
            [("DPoP", {"algs": "ES256 PS256", "error": "use_dpop_nonce"}, None)],
            id="dpop",
        ),
    ],
)
def test_parse_valid(value: str, expected: list[tuple[str, dict[str, str], str | None]]) -> None:
    assert _flat(parse_www_authenticate([value])) == expected


def test_several_header_values_keep_order() -> None:
    values = ['Basic realm="a"', 'Bearer realm="b", error="invalid_token"', "Negotiate"]
    assert _flat(parse_www_authenticate(values)) == [
        ("Basic", {"realm": "a"}, None),
        ("Bearer", {"realm": "b", "error": "invalid_token"}, None),
        ("Negotiate", {}, None),
    ]


def test_params_do_not_cross_header_values() -> None:
    challenges = parse_www_authenticate(["Bearer", 'error="x"'])
    assert _flat(challenges) == [("Bearer", {}, None)]


def test_param_lookup_is_case_insensitive() -> None:
    (challenge,) = parse_www_authenticate(['Bearer Error_Description="gone"'])
    assert challenge.param("ERROR_DESCRIPTION") == "gone"
    assert challenge.param("error_description") == "gone"
    assert challenge.param("realm") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param('Bearer realm="abc', [("Bearer", {"realm": "abc"}, None)], id="open-quote"),
        pytest.param(
            'Bearer realm="abc\\',
            [("Bearer", {"realm": "abc"}, None)],
            id="open-quote-lone-backslash",
        ),
        pytest.param("=====", [], id="only-equals"),
        # "Bearer =" reads as a param named Bearer (BWS allows the space); nothing to keep.
        pytest.param("Bearer =====", [], id="equals-after-scheme"),
        pytest.param(",,,,", [], id="lone-commas"),
        pytest.param("", [], id="empty"),
        pytest.param("   \t ", [], id="blank"),
        pytest.param('realm="x", Bearer', [("Bearer", {}, None)], id="param-before-scheme"),
        pytest.param(
            'Bearer realm=, error="e"',
            [("Bearer", {"error": "e"}, "realm=")],
            id="dangling-equals-is-token68",
        ),
        pytest.param(
            'Bearer realm="r", error=, scope="s"',
            [("Bearer", {"realm": "r", "scope": "s"}, None)],
            id="missing-value-skipped",
        ),
        pytest.param(
            'Bearer realm="r", error=@@, scope="s"',
            [("Bearer", {"realm": "r", "scope": "s"}, None)],
            id="bad-value-skipped",
        ),
        pytest.param(
            'Bearer realm="a"junk "b", error="e"',
            [("Bearer", {"realm": "a", "error": "e"}, None)],
            id="junk-after-value",
        ),
        pytest.param(
            'Bearer realm="a", @@@, error="e"',
            [("Bearer", {"realm": "a", "error": "e"}, None)],
            id="junk-element",
        ),
        pytest.param(
            'Bearer realm="Zürich ✓", error=x',
            [("Bearer", {"realm": "Zürich ✓", "error": "x"}, None)],
            id="non-ascii-in-quotes",
        ),
        pytest.param(
            'Bärer realm="x", Bearer error="e"',
            [("Bearer", {"error": "e"}, None)],
            id="non-ascii-scheme-skipped",
        ),
        pytest.param(
            'Bearer"x", Basic',
            [("Basic", {}, None)],
            id="quote-glued-to-scheme",
        ),
    ],
)
def test_parse_garbage(value: str, expected: list[tuple[str, dict[str, str], str | None]]) -> None:
    assert _flat(parse_www_authenticate([value])) == expected


def test_max_length_truncates_mid_quote() -> None:
    value = 'Bearer error="invalid_token", error_description="' + "x" * 100 + '"'
    challenges = parse_www_authenticate([value], max_length=60)
    assert _flat(challenges) == [
        ("Bearer", {"error": "invalid_token", "error_description": "x" * 11}, None)
    ]


def test_max_length_is_a_budget_over_all_values() -> None:
    challenges = parse_www_authenticate(["Basic", "Bearer", "Negotiate"], max_length=11)
    assert [c.scheme for c in challenges] == ["Basic", "Bearer"]


def test_default_max_length_bounds_long_input() -> None:
    value = 'Bearer error_description="' + "a" * 20000 + '"'
    (challenge,) = parse_www_authenticate([value])
    assert challenge.params == {
        "error_description": "a" * (8192 - len('Bearer error_description="'))
    }


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("," * 100_000, id="100k-commas"),
        pytest.param("\\" * 50_000, id="50k-backslashes"),
        pytest.param('"' + "\\" * 50_000, id="50k-backslashes-in-quotes"),
        pytest.param('"' * 100_000, id="100k-quotes"),
        pytest.param("[" * 10_000, id="10k-brackets"),
        pytest.param("=" * 100_000, id="100k-equals"),
        pytest.param("a " * 50_000, id="50k-tokens"),
        pytest.param("Bearer " + 'a="",' * 30_000, id="30k-params"),
        pytest.param("\x00\udcff\ufffd" * 1000, id="control-and-surrogates"),
    ],
)
def test_hostile_input_is_bounded(value: str) -> None:
    challenges = parse_www_authenticate([value], max_length=1_000_000)
    assert isinstance(challenges, list)
    assert all(isinstance(c, Challenge) for c in challenges)
    assert len(challenges) <= 1


def test_many_params_keep_first_and_lowercase() -> None:
    value = "Bearer " + ", ".join(f"P{i}=v{i}" for i in range(1000))
    (challenge,) = parse_www_authenticate([value], max_length=100_000)
    assert len(challenge.params) == 1000
    assert challenge.params["p999"] == "v999"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            [b'Bearer realm="caf\xe9"'], [("Bearer", {"realm": "café"}, None)], id="bytes"
        ),
        pytest.param([b"\xff\xfe\x80 Bearer"], [], id="invalid-utf8-bytes"),
        pytest.param("Bearer", [("Bearer", {}, None)], id="bare-str-not-iterated"),
        pytest.param(None, [], id="none"),
        pytest.param([None, 42, "Bearer"], [("Bearer", {}, None)], id="non-str-items"),
        pytest.param(42, [], id="not-iterable"),
    ],
)
def test_odd_argument_types(
    values: object, expected: list[tuple[str, dict[str, str], str | None]]
) -> None:
    assert _flat(parse_www_authenticate(values)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "expected_index"),
    [
        pytest.param(['Basic realm="x", Bearer realm="y"'], 1, id="second"),
        pytest.param(["bearer", "Bearer"], 0, id="lower-case-first"),
        pytest.param(["BEARER error=x"], 0, id="upper-case"),
        pytest.param(['Basic realm="x"', "DPoP"], None, id="none"),
        pytest.param([], None, id="empty"),
        pytest.param(["Bearerx"], None, id="prefix-is-not-bearer"),
    ],
)
def test_bearer_challenge(values: list[str], expected_index: int | None) -> None:
    challenges = parse_www_authenticate(values)
    found = bearer_challenge(challenges)
    if expected_index is None:
        assert found is None
    else:
        assert found is challenges[expected_index]
