"""Deterministic, schema-valid sample values synthesized from OpenAPI 3.0 schemas.

One synthesizer for two users: ``scripts/generate.py`` writes its samples into the
generated ``inductiva_api.contract`` (``SAMPLES``), and the mock runs it at startup on
the spec it serves, to answer operations without a handler and to fill required
fields a handler does not give. Standard library only, and nothing of the generated
package is imported: generation must work while ``generated/`` is stale or absent.

The value of a schema is the first of: its ``example``; its ``default``; its first
non-null ``enum`` value; a value for its ``format`` (``date-time``, ``date``,
``uuid``/``uuid4``, ``email``, ...); a value for its ``type``: an integer or number
within ``minimum``/``maximum`` (exclusive bounds and ``multipleOf`` honoured), a string
within ``minLength``/``maxLength`` or matching a simple ``pattern`` (literals, classes,
groups, alternatives, quantifiers), ``False``, an array of ``max(1, minItems)`` items,
an object with every property. ``anyOf``/``oneOf`` take their first non-null branch,
``allOf`` merges its branches, ``$ref`` is followed (a cycle is cut at an optional
property or an array that may be empty). A schema no value can be synthesized for
raises :class:`SampleError` naming where it is and what to add (an ``example``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["SampleError", "Samples", "is_null_schema", "merge_all_of", "plain", "resolve"]

FORMATS: Mapping[str, str] = {
    "date-time": "1970-01-01T00:00:00Z",
    "date": "1970-01-01",
    "time": "00:00:00Z",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "uuid4": "00000000-0000-4000-8000-000000000000",
    "email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "byte": "",
    "binary": "",
}
"""The sample string of each ``format`` the synthesizer knows."""

PLAIN_STRING = "string"


class SampleError(ValueError):
    """No sample value can be synthesized for a schema (the message says where and why)."""


class _Cycle(SampleError):
    """A ``$ref`` met again inside itself: cut where the schema allows it."""


def resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """*node* with its local ``$ref`` chain followed (``#/components/schemas/X``, ...)."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = str(node["$ref"])
        if ref in seen or not ref.startswith("#/"):
            raise SampleError(f"cannot follow $ref {ref!r}")
        seen.add(ref)
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def is_null_schema(schema: Any) -> bool:
    """Whether *schema* only admits null (``enum: [null]`` or ``type: "null"``)."""
    if not isinstance(schema, Mapping):
        return False
    return schema.get("enum") == [None] or schema.get("type") == "null"


def merge_all_of(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """One schema equivalent to *schema*'s ``allOf`` for sampling and shaping: the
    properties and required names of every branch together, other keywords of the first
    branch that has them."""
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    properties: dict[str, Any] = dict(merged.get("properties") or {})
    required: list[str] = list(merged.get("required") or [])
    for branch in schema.get("allOf") or []:
        part = resolve(spec, branch)
        if isinstance(part, Mapping) and "allOf" in part:
            part = merge_all_of(spec, part)
        if not isinstance(part, Mapping):
            continue
        properties.update(part.get("properties") or {})
        required += [name for name in part.get("required") or [] if name not in required]
        for key, value in part.items():
            if key not in ("properties", "required"):
                merged.setdefault(key, value)
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


class Samples:
    """Sample values of the schemas of one OpenAPI document (memoized per component)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self._components: dict[str, Any] = {}

    def component(self, name: str) -> Any:
        """The sample of ``#/components/schemas/<name>``."""
        if name not in self._components:
            ref = f"#/components/schemas/{name}"
            self._components[name] = self.of({"$ref": ref}, where=name)
        return self._components[name]

    def components(self) -> dict[str, Any]:
        """The sample of every component schema, in the spec's order."""
        names = (self.spec.get("components") or {}).get("schemas") or {}
        return {name: self.component(name) for name in names}

    def of(self, schema: Any, where: str = "schema") -> Any:
        """The sample of *schema* (*where* names it in errors)."""
        try:
            return self._of(schema, where, ())
        except _Cycle as exc:
            raise SampleError(str(exc)) from None

    # -- the rules ------------------------------------------------------------
    def _of(self, schema: Any, where: str, stack: tuple[str, ...]) -> Any:
        if isinstance(schema, Mapping) and "$ref" in schema:
            ref = str(schema["$ref"])
            if ref in stack:
                raise _Cycle(f"{where}: {ref} contains itself with no optional way out")
            stack = (*stack, ref)
            schema = resolve(self.spec, schema)
        if not isinstance(schema, Mapping):
            raise SampleError(f"{where}: not a schema: {schema!r}")
        if "example" in schema:
            return plain(schema["example"])
        examples = schema.get("examples")
        if isinstance(examples, list) and examples:
            return plain(examples[0])
        if "default" in schema:
            return plain(schema["default"])
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return plain(next((value for value in enum if value is not None), None))
        if "allOf" in schema:
            return self._of(merge_all_of(self.spec, schema), where, stack)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._branch(schema[key], f"{where}.{key}", stack)
        kind = _type_of(schema)
        if kind == "object":
            return self._object(schema, where, stack)
        if kind == "array":
            return self._array(schema, where, stack)
        if kind == "string":
            return _string(schema, where)
        if kind in ("integer", "number"):
            return _number(schema, where, integer=kind == "integer")
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        return {}  # no constraint at all: any value is valid

    def _branch(self, branches: Any, where: str, stack: tuple[str, ...]) -> Any:
        cycle: _Cycle | None = None
        for index, branch in enumerate(branches or []):
            if is_null_schema(resolve(self.spec, branch)):
                continue
            try:
                return self._of(branch, f"{where}[{index}]", stack)
            except _Cycle as exc:
                cycle = exc
        if cycle is not None:
            raise cycle
        return None  # only null branches

    def _object(self, schema: Mapping[str, Any], where: str, stack: tuple[str, ...]) -> Any:
        required = set(schema.get("required") or [])
        properties: Mapping[str, Any] = schema.get("properties") or {}
        out: dict[str, Any] = {}
        for name, prop in properties.items():
            try:
                out[name] = self._of(prop, f"{where}.{name}", stack)
            except _Cycle:
                if name in required:
                    if not _nullable(self.spec, prop):
                        raise
                    out[name] = None
        extra = schema.get("additionalProperties")
        for name in sorted(required - set(properties)):
            out[name] = self._of(extra, f"{where}.{name}", stack) if _is_schema(extra) else None
        return out

    def _array(self, schema: Mapping[str, Any], where: str, stack: tuple[str, ...]) -> Any:
        low = int(schema.get("minItems") or 0)
        high = schema.get("maxItems")
        count = max(1, low) if high is None else min(max(1, low), int(high))
        if count > 1 and schema.get("uniqueItems"):
            raise SampleError(f"{where}: {count} unique items needed; give the array an example")
        try:
            item = self._of(schema.get("items", {}), f"{where}[]", stack)
        except _Cycle:
            if low > 0:
                raise
            return []
        return [item] * count


def plain(value: Any) -> Any:
    """*value* as JSON has it: YAML's unquoted dates and times become ISO 8601 strings."""
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def _is_schema(node: Any) -> bool:
    return isinstance(node, Mapping)


def _nullable(spec: Mapping[str, Any], schema: Any) -> bool:
    found = schema if "$ref" not in schema else resolve(spec, schema)
    return bool(found.get("nullable")) or is_null_schema(found)


def _type_of(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema or "minItems" in schema:
            return "array"
        if {"pattern", "minLength", "maxLength", "format"} & schema.keys():
            return "string"
        if {"minimum", "maximum", "multipleOf"} & schema.keys():
            return "number"
    return None if kind is None else str(kind)


def _number(schema: Mapping[str, Any], where: str, *, integer: bool) -> int | float:
    low, high = schema.get("minimum"), schema.get("maximum")
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    # OpenAPI 3.0 exclusive bounds are booleans; 3.1 ones are the bounds themselves.
    if not isinstance(ex_low, bool) and ex_low is not None:
        low, ex_low = ex_low, True
    if not isinstance(ex_high, bool) and ex_high is not None:
        high, ex_high = ex_high, True
    step = schema.get("multipleOf")
    value: float = 0
    if low is not None and (value < low or (ex_low and value <= low)):
        value = low
        if ex_low:
            value += 1 if integer or high is None or low + 1 < high else (high - low) / 2
    if high is not None and (value > high or (ex_high and value >= high)):
        value = high - 1 if ex_high else high
    if step:
        value = -(-value // step) * step  # the first multiple at or above
    if integer:
        value = int(value)
    ok = (
        (low is None or (value > low if ex_low else value >= low))
        and (high is None or (value < high if ex_high else value <= high))
        and (not step or value % step == 0)
    )
    if not ok:
        raise SampleError(f"{where}: no number within its bounds; give it an example")
    return int(value) if integer or float(value).is_integer() else value


def _string(schema: Mapping[str, Any], where: str) -> str:
    low = int(schema.get("minLength") or 0)
    high = schema.get("maxLength")
    pattern = schema.get("pattern")
    fmt = schema.get("format")
    if pattern is not None:
        value = _from_pattern(str(pattern), where)
    elif isinstance(fmt, str) and fmt in FORMATS:
        value = FORMATS[fmt]
    else:
        value = PLAIN_STRING[: int(high)] if high is not None else PLAIN_STRING
        value += "x" * max(0, low - len(value))
    if len(value) < low or (high is not None and len(value) > int(high)):
        raise SampleError(
            f"{where}: {value!r} does not fit minLength/maxLength; give the schema an example"
        )
    return value


# -- strings from simple regular expressions -------------------------------------
_CLASSES = {"d": "0", "w": "a", "s": " ", "D": "a", "W": "-", "S": "a"}


class _Unsupported(Exception):
    """A pattern feature the small generator does not handle."""


def _from_pattern(pattern: str, where: str) -> str:
    """The shortest string the generator finds for *pattern*, checked with ``re``."""
    try:
        value, end = _alternatives(pattern, 0)
        if end != len(pattern):
            raise _Unsupported(pattern[end:])
    except (_Unsupported, IndexError) as exc:
        raise SampleError(
            f"{where}: pattern {pattern!r} is too complex to synthesize a value for "
            f"({exc}); give the schema an example"
        ) from None
    if re.search(pattern, value) is None:
        raise SampleError(f"{where}: pattern {pattern!r} not matched; give the schema an example")
    return value


def _alternatives(p: str, i: int) -> tuple[str, int]:
    """The first alternative of a (sub)pattern starting at *i*, and where it ends."""
    first, i = _sequence(p, i)
    while i < len(p) and p[i] == "|":
        _, i = _sequence(p, i + 1)
    return first, i


def _sequence(p: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    while i < len(p) and p[i] not in "|)":
        atom, i = _atom(p, i)
        low, i = _quantifier(p, i)
        out.append(atom * low)
    return "".join(out), i


def _atom(p: str, i: int) -> tuple[str, int]:
    char = p[i]
    if char in "^$":
        return "", i + 1
    if char == "(":
        if p.startswith("(?:", i):
            i += 2
        elif p.startswith("(?", i):
            raise _Unsupported(p[i : i + 3])
        value, i = _alternatives(p, i + 1)
        if p[i] != ")":
            raise _Unsupported("unbalanced group")
        return value, i + 1
    if char == "[":
        return _char_class(p, i + 1)
    if char == "\\":
        escaped = p[i + 1]
        return _CLASSES.get(escaped, escaped), i + 2
    if char == ".":
        return "a", i + 1
    if char in "*+?{":
        raise _Unsupported(f"quantifier {char!r} without an atom")
    return char, i + 1


def _char_class(p: str, i: int) -> tuple[str, int]:
    if p[i] == "^":
        raise _Unsupported("negated class")
    end = p.index("]", i + 1)
    body = p[i:end]
    if body.startswith("\\"):
        return _CLASSES.get(body[1], body[1]), end + 1
    return body[0], end + 1


def _quantifier(p: str, i: int) -> tuple[int, int]:
    """The smallest repeat count of the quantifier at *i* (1 without one), and its end."""
    if i >= len(p):
        return 1, i
    char = p[i]
    if char in "*?":
        low, i = 0, i + 1
    elif char == "+":
        low, i = 1, i + 1
    elif char == "{":
        end = p.index("}", i)
        low, i = int(p[i + 1 : end].split(",")[0] or 0), end + 1
    else:
        return 1, i
    if i < len(p) and p[i] in "?+":  # lazy or possessive: same smallest count
        i += 1
    return low, i
