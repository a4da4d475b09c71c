"""The sample synthesizer (inductiva_mock.samples): deterministic, schema-valid values."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from inductiva_mock.operations import is_json, operations
from inductiva_mock.samples import SampleError, Samples
from inductiva_mock.spec import strict_spec
from openapi_schema_validator import OAS30Validator, oas30_format_checker

ROOT = Path(__file__).resolve().parent.parent
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))


def _errors(value: Any, schema: Any, spec: dict[str, Any] | None = None) -> list[str]:
    """What jsonschema (OpenAPI 3.0 dialect, formats checked) finds wrong with *value*."""
    root = {**schema, "components": (spec or {}).get("components", {})}
    validator = OAS30Validator(root, format_checker=oas30_format_checker)
    return [e.message for e in validator.iter_errors(value)]


def _sample(schema: dict[str, Any], spec: dict[str, Any] | None = None) -> Any:
    return Samples(spec or {}).of(schema)


@pytest.mark.parametrize("name", list(SPEC["components"]["schemas"]))
def test_every_component_sample_validates(name: str) -> None:
    """Each component schema's sample validates, also with undeclared properties refused."""
    value = Samples(SPEC).component(name)
    ref = {"$ref": f"#/components/schemas/{name}"}
    assert _errors(value, ref, SPEC) == []
    assert _errors(value, ref, strict_spec(SPEC)) == []


def test_every_operation_json_body_sample_validates() -> None:
    """Each JSON request and response body sample of every operation validates."""
    checked = 0
    for op in operations(SPEC):
        bodies = [*op.request, *(c for r in op.responses for c in r.content)]
        for content in bodies:
            if is_json(content.media_type):
                assert _errors(content.sample, content.schema, SPEC) == [], op.operation_id
                checked += 1
    assert checked > 20


def test_samples_are_deterministic() -> None:
    """Two synthesizers of the same spec give equal samples."""
    assert Samples(SPEC).components() == Samples(yaml.safe_load(yaml.safe_dump(SPEC))).components()


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "example": "ex", "default": "de", "enum": ["en"]}, "ex"),
        ({"type": "string", "default": "de", "enum": ["en", "de"]}, "de"),
        ({"type": "string", "enum": [None, "en"], "nullable": True}, "en"),
        ({"type": "string", "format": "date-time"}, "1970-01-01T00:00:00Z"),
        ({"type": "string", "format": "uuid4"}, "00000000-0000-4000-8000-000000000000"),
        ({"type": "string"}, "string"),
        ({"type": "boolean"}, False),
        ({"type": "integer"}, 0),
        ({"type": "string", "nullable": True}, "string"),
        ({"anyOf": [{"enum": [None]}, {"type": "integer", "minimum": 3}]}, 3),
        ({"oneOf": [{"type": "string", "maxLength": 2}, {"type": "integer"}]}, "st"),
        ({}, {}),
    ],
)
def test_precedence_of_the_rules(schema: dict[str, Any], expected: Any) -> None:
    """example > default > first non-null enum value > format > type; anyOf: first non-null."""
    assert _sample(schema) == expected


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer", "minimum": 5}, 5),
        ({"type": "integer", "maximum": -2}, -2),
        ({"type": "integer", "minimum": 0, "exclusiveMinimum": True}, 1),
        ({"type": "number", "minimum": 0, "maximum": 1, "exclusiveMinimum": True}, 0.5),
        ({"type": "number", "maximum": 0, "exclusiveMaximum": True}, -1),
        ({"type": "integer", "minimum": 7, "multipleOf": 5}, 10),
        ({"type": "number", "exclusiveMinimum": 2}, 3),  # OpenAPI 3.1 numeric bound
    ],
)
def test_numbers_honour_their_bounds(schema: dict[str, Any], expected: float) -> None:
    """minimum/maximum, exclusive bounds (3.0 booleans, 3.1 numbers) and multipleOf."""
    value = _sample(schema)
    assert value == expected and _errors(value, schema) == []


def test_contradictory_bounds_fail_loudly() -> None:
    """A number no value satisfies is a SampleError asking for an example."""
    with pytest.raises(SampleError, match="example"):
        _sample({"type": "integer", "minimum": 5, "maximum": 1})


@pytest.mark.parametrize(
    "pattern",
    ["^[0-9]{1,32}$", "^(ab|c)+x?$", "[A-Z][a-z]*-\\d{3}", "^(?:v)[0-9]+\\.[0-9]+$", "^a{2,}b*$"],
)
def test_strings_match_simple_patterns(pattern: str) -> None:
    """A simple pattern gives a string that matches it."""
    value = _sample({"type": "string", "pattern": pattern})
    assert re.search(pattern, value), value


def test_too_complex_pattern_asks_for_an_example() -> None:
    """A pattern beyond the small generator fails generation, naming the schema and the fix."""
    with pytest.raises(SampleError, match=r"Thing\.code: pattern .* give the schema an example"):
        spec = {"components": {"schemas": {"Thing": {"properties": {"code": {"pattern": "[^a]"}}}}}}
        Samples(spec).component("Thing")


def test_string_lengths_are_honoured() -> None:
    """minLength pads and maxLength cuts the plain sample string."""
    assert _sample({"type": "string", "minLength": 9}) == "stringxxx"
    assert _sample({"type": "string", "maxLength": 3}) == "str"


def test_arrays_have_min_items_and_objects_every_property() -> None:
    """One item unless minItems asks more; every declared property, required or not."""
    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "array", "minItems": 3, "items": {"type": "integer"}},
            "b": {"type": "array", "items": {"type": "string"}},
        },
    }
    assert _sample(schema) == {"a": [0, 0, 0], "b": ["string"]}


def test_all_of_merges_branches() -> None:
    """allOf: the properties of every branch."""
    spec = {"components": {"schemas": {"Base": {"properties": {"id": {"type": "string"}}}}}}
    schema = {"allOf": [{"$ref": "#/components/schemas/Base"}, {"properties": {"n": {}}}]}
    assert Samples(spec).of(schema) == {"id": "string", "n": {}}


def test_recursion_stops_at_an_optional_property() -> None:
    """A schema that contains itself optionally gets a finite sample; required, an error."""
    node = {"properties": {"name": {"type": "string"}, "child": {"$ref": "#/components/schemas/N"}}}
    spec: dict[str, Any] = {"components": {"schemas": {"N": node}}}
    assert Samples(spec).component("N") == {"name": "string"}
    node["required"] = ["child"]
    with pytest.raises(SampleError, match="contains itself"):
        Samples(spec).component("N")


def test_yaml_dates_become_json_strings() -> None:
    """An unquoted YAML date-time example is sampled as its ISO 8601 string."""
    schema = yaml.safe_load("type: string\nformat: date-time\nexample: 2023-08-04T12:06:17Z")
    assert _sample(schema) == "2023-08-04T12:06:17+00:00"


# A sweep over combinations of keywords: every sample validates (a hypothesis-free property).
KEYWORDS: dict[str, list[dict[str, Any]]] = {
    "integer": [{}, {"minimum": 3}, {"maximum": -3}, {"minimum": 1, "exclusiveMinimum": True}],
    "number": [{}, {"minimum": 0.5}, {"maximum": 0, "exclusiveMaximum": True}, {"default": 2.5}],
    "string": [
        {},
        {"minLength": 12},
        {"maxLength": 1},
        {"format": "date-time"},
        {"format": "uuid"},
        {"format": "email"},
        {"pattern": "^[a-f0-9]{8}$"},
        {"enum": ["x", "y"]},
    ],
    "boolean": [{}],
    "array": [{"items": {"type": "integer"}}, {"minItems": 2, "items": {"type": "string"}}],
}
LEAVES = [{"type": t, **kw} for t, options in KEYWORDS.items() for kw in options]
WRAPPERS = [
    lambda s: s,
    lambda s: {**s, "nullable": True},
    lambda s: {"type": "array", "items": s},
    lambda s: {"type": "object", "required": ["v"], "properties": {"v": s, "w": s}},
    lambda s: {"anyOf": [{"type": "object", "nullable": True, "enum": [None]}, s]},
    lambda s: {"allOf": [{"properties": {"v": s}}, {"required": ["v"]}]},
]


@pytest.mark.parametrize(
    ("leaf", "wrap"),
    list(itertools.product(range(len(LEAVES)), range(len(WRAPPERS)))),
)
def test_sample_validates_against_its_schema(leaf: int, wrap: int) -> None:
    """For every combination of keywords and nesting, the sample validates."""
    schema = WRAPPERS[wrap](LEAVES[leaf])
    assert _errors(_sample(schema), schema) == []
