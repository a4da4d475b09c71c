"""The facts of an OpenAPI document's operations, read once: one reading, two users.

``scripts/generate.py`` renders them as the typed constants of the generated
``inductiva_api.contract``; the mock reads them at startup from the spec it serves, to
build its routes, answer operations without a handler and shape responses. Standard
library only (see :mod:`.samples`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .samples import Samples, resolve

__all__ = [
    "EXTENSION",
    "HTTP_METHODS",
    "ContentFacts",
    "FieldFacts",
    "OperationFacts",
    "ResponseFacts",
    "extensions",
    "field_facts",
    "is_json",
    "mappings",
    "operations",
    "ref_name",
]

EXTENSION = "x-inductiva-extension"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
CONSTRAINTS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
)


def is_json(media_type: str) -> bool:
    """Whether *media_type* carries JSON (``application/json``, ``...+json``)."""
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def ref_name(node: Any) -> str | None:
    """The component name a ``$ref`` node points to (``#/components/x/Name`` → Name)."""
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        return str(node["$ref"]).rsplit("/", 1)[-1]
    return None


@dataclass(frozen=True)
class FieldFacts:
    """A parameter, or a property of an object schema (location ``body``)."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]  # resolved
    schema_name: str | None  # the component it refers to, if any
    extension: str | None

    @property
    def type(self) -> str | None:
        """The declared ``type``, if any."""
        kind = self.schema.get("type")
        return None if kind is None else str(kind)

    @property
    def constraints(self) -> dict[str, Any]:
        """Declared bounds, pattern, enum, default and nullability, by OpenAPI keyword."""
        found = {k: self.schema[k] for k in (*CONSTRAINTS, "enum", "default") if k in self.schema}
        if self.schema.get("nullable"):
            found["nullable"] = True
        return found


@dataclass(frozen=True)
class ContentFacts:
    """One media type of a request or response body."""

    media_type: str
    schema: Mapping[str, Any]  # as written (may be a $ref)
    schema_name: str | None  # the component (of the items, for an array of a component)
    array: bool
    sample: Any  # a schema-valid JSON value; None for a media type that is not JSON


@dataclass(frozen=True)
class ResponseFacts:
    """One declared response of an operation."""

    status: int
    extension: str | None
    content: tuple[ContentFacts, ...]


@dataclass(frozen=True)
class OperationFacts:
    """One operation: where it is, what it takes and what it answers."""

    operation_id: str
    method: str  # upper case
    path: str
    summary: str
    extension: str | None
    parameters: tuple[FieldFacts, ...]
    request: tuple[ContentFacts, ...]
    request_required: bool
    responses: tuple[ResponseFacts, ...]

    @property
    def success(self) -> tuple[ResponseFacts, ...]:
        """The 2xx responses, in the spec's order."""
        return tuple(r for r in self.responses if 200 <= r.status < 300)


def _marker(*nodes: Any) -> str | None:
    for node in nodes:
        if isinstance(node, Mapping) and node.get(EXTENSION) is not None:
            return str(node[EXTENSION])
    return None


def field_facts(
    spec: Mapping[str, Any],
    name: str,
    location: str,
    required: bool,
    schema: Any,
    extension: str | None,
) -> FieldFacts:
    """The facts of one parameter or property whose schema is *schema* (maybe a $ref)."""
    resolved = resolve(spec, schema) if schema is not None else {}
    return FieldFacts(name, location, required, resolved, ref_name(schema), extension)


def _content(
    spec: Mapping[str, Any], samples: Samples, body: Mapping[str, Any], where: str
) -> tuple[ContentFacts, ...]:
    out = []
    for media_type, media in (body.get("content") or {}).items():
        schema = (media or {}).get("schema") or {}
        items = schema.get("items") if schema.get("type") == "array" else None
        name = ref_name(items) if items is not None else ref_name(schema)
        sample = samples.of(schema, f"{where} {media_type}") if is_json(media_type) else None
        out.append(ContentFacts(media_type, schema, name, items is not None, sample))
    return tuple(out)


def operations(spec: Mapping[str, Any]) -> list[OperationFacts]:
    """Every operation of *spec*, in the spec's order (paths, then methods)."""
    samples = Samples(spec)
    out: list[OperationFacts] = []
    for path, item in (spec.get("paths") or {}).items():
        for method in [m for m in item if m in HTTP_METHODS]:
            op = item[method]
            op_id = str(op.get("operationId") or f"{method}_{path}")
            where = f"{op_id} ({method.upper()} {path})"
            extension = _marker(op, item)
            params: dict[tuple[str, str], FieldFacts] = {}
            for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
                p = resolve(spec, raw)
                facts = field_facts(
                    spec,
                    str(p["name"]),
                    str(p["in"]),
                    bool(p.get("required", False)),
                    p.get("schema"),
                    _marker(p) or extension,
                )
                params[(facts.location, facts.name)] = facts
            body = resolve(spec, op.get("requestBody") or {})
            responses = []
            for code, raw in (op.get("responses") or {}).items():
                if not str(code).isdigit():
                    continue  # "default", "2XX": no single status to answer
                response = resolve(spec, raw)
                responses.append(
                    ResponseFacts(
                        int(code),
                        _marker(raw, response) or None,
                        _content(spec, samples, response, f"{where} -> {code}"),
                    )
                )
            out.append(
                OperationFacts(
                    op_id,
                    method.upper(),
                    str(path),
                    str(op.get("summary") or ""),
                    extension,
                    tuple(params.values()),
                    _content(spec, samples, body, f"{where} request"),
                    bool(body.get("required", False)),
                    tuple(responses),
                )
            )
    return out


def mappings(node: Any) -> Iterator[Any]:
    """Every mapping in *node* (itself included), depth first, in document order."""
    if isinstance(node, Mapping):
        yield node
        for value in node.values():
            yield from mappings(value)
    elif isinstance(node, list):
        for value in node:
            yield from mappings(value)


def extensions(spec: Any) -> list[str]:
    """Every ``x-inductiva-extension`` value of *spec*, in order of first appearance."""
    found = (str(m[EXTENSION]) for m in mappings(spec) if m.get(EXTENSION) is not None)
    return list(dict.fromkeys(found))
