"""Envelope checks of YAML documents against the JSON Schemas shipped in `schema/`."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema

from authdoctor.errors import LoadError
from authdoctor.util.yamldoc import YamlDoc
from authdoctor.util.yamldoc import format_path


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((files("authdoctor") / "schema" / f"{name}.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def _hint(error: jsonschema.ValidationError) -> str:
    """Name the YAML trap behind the most common envelope error."""
    if isinstance(error.instance, dict) and len(error.instance) == 1:
        return " (a text containing ': ' became a mapping: quote it or write it as a '>-' block)"
    return ""


def check_schema(doc: YamlDoc, schema: str, item: str | None) -> None:
    """Raise LoadError for the most relevant schema violation, with its line and field."""
    error = jsonschema.exceptions.best_match(_validator(schema).iter_errors(doc.data))
    if error is None:
        return
    path = tuple(error.absolute_path)
    message = error.message
    if error.validator == "additionalProperties":
        message = f"unknown field: {message}"
    elif error.validator == "anyOf" and error.context:
        message = f"{_short(error.instance)} is not a valid entry"
    raise LoadError(
        message + _hint(error),
        file=doc.file,
        line=doc.line_of(path),
        item=item,
        field=format_path(path) or None,
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."
