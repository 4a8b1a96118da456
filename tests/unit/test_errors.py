"""One error base: every error meant for a user is an AuthDoctorError, so the command line and
the addon catch that one class and show its message instead of a traceback."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import authdoctor
from authdoctor.cli.command_error import CommandError
from authdoctor.config.options import OptionError
from authdoctor.config.options import default_values
from authdoctor.config.options import parse_options
from authdoctor.engine.rules.conditions import ConditionError
from authdoctor.engine.rules.templates import TemplateError
from authdoctor.errors import AuthDoctorError
from authdoctor.errors import LoadError
from authdoctor.keys.fetch import FetchError
from authdoctor.keys.signing_keys import KeySetError
from authdoctor.profiles.endpoints import EndpointError
from authdoctor.recordings.reading import RecordingError
from authdoctor.redaction.redactor import Redactor
from authdoctor.redaction.strings import PatternError

USER_FACING = (
    LoadError,
    CommandError,
    OptionError,
    RecordingError,
    FetchError,
    KeySetError,
    EndpointError,
    TemplateError,
    ConditionError,
    PatternError,
)
# Control flow that never reaches a user: the redactor's "drop this body" signal and the body
# decoder's "cannot decode", which each caller turns into its own answer.
INTERNAL = {
    "authdoctor.redaction.bodies.BodyDropped",
    "authdoctor.wire.bodies.UndecodableBody",
}
# A value that is wrong: code that catches ValueError (a JSON error and a bad key set alike,
# or Redactor's documented ValueError) keeps working.
VALUE_ERRORS = (
    OptionError,
    KeySetError,
    EndpointError,
    TemplateError,
    ConditionError,
    PatternError,
)


@pytest.mark.parametrize("error", USER_FACING, ids=lambda e: e.__name__)
def test_every_user_facing_error_is_an_authdoctor_error(error: type[Exception]) -> None:
    assert issubclass(error, AuthDoctorError)


@pytest.mark.parametrize("error", VALUE_ERRORS, ids=lambda e: e.__name__)
def test_errors_about_a_value_are_still_value_errors(error: type[Exception]) -> None:
    assert issubclass(error, ValueError)


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in authdoctor, the standalone sandbox aside (its errors
    become HTTP answers of the fake API, not messages to the user)."""
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(authdoctor.__path__, "authdoctor."):
        name = module_info.name
        if name.startswith("authdoctor.sandbox") or name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == name:
                found[f"{name}.{value.__qualname__}"] = value
    return found


def test_no_error_class_outside_the_base_but_the_internal_ones() -> None:
    classes = _exception_classes()
    assert set(USER_FACING) <= set(classes.values())
    outside = {name for name, cls in classes.items() if not issubclass(cls, AuthDoctorError)}
    assert outside == INTERNAL


def test_option_parsing_raises_option_error_naming_the_option() -> None:
    values = {**default_values(), "authdoctor_leeway": "soon"}
    with pytest.raises(OptionError, match="authdoctor_leeway must be a whole number"):
        parse_options(values)


def test_a_bad_extra_pattern_is_a_pattern_error() -> None:
    with pytest.raises(PatternError, match="invalid extra pattern"):
        Redactor(extra_patterns=["(unclosed"])
