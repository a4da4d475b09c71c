"""The text of the generated ``inductiva_api/contract.py``: the spec's facts as typed constants.

``render(spec)`` reads the spec with the mock's readers (``inductiva_mock.operations``
and ``inductiva_mock.samples``, standard library only, which import nothing of the
generated package) and writes Python source; ``scripts/generate.py`` formats it with
ruff. What the module holds is described in ``PREAMBLE`` (its docstring).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from string import Template
from typing import Any

from inductiva_mock.operations import (
    FieldFacts,
    OperationFacts,
    extensions,
    field_facts,
    is_json,
    operations,
    ref_name,
)
from inductiva_mock.samples import SampleError, Samples, plain, resolve

__all__ = ["ContractError", "render"]

STATUS_SCHEMA = "TaskStatusCode"
GROUPS = {"path": "Path", "query": "Query", "header": "Header", "cookie": "Cookie"}
RESERVED = frozenset(
    {"Field", "Content", "Success", "Operation", "Extension", "Status", "Schemas"}
    | {"Any", "ClassVar", "Final", "Literal", "Mapping", "attrs", "deepcopy", "sample"}
)
FIELD_KEYWORDS = {  # OpenAPI keyword -> Field attribute
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "format": "format",
    "minItems": "min_items",
    "maxItems": "max_items",
    "nullable": "nullable",
    "default": "default",
}

PREAMBLE = '''"""Facts of the API contract, generated from openapi.yaml: what the layer and the mock
read of the spec besides the generated client, as typed constants.

Written by scripts/generate.py; never edited by hand. A fact the spec renames or removes
disappears from here, so every use of it fails ``make typecheck``.

* ``__version__``: ``info.version``, the version of the API and of this project.
* ``STATUSES`` (every ``TaskStatusCode`` value, in the spec's order), ``Status`` (one
  constant per value), ``FINAL_STATUSES`` (``x-final-statuses``), ``TaskStatusLiteral``.
* ``Extension`` (one constant per ``x-inductiva-extension`` value) and ``EXTENSIONS``;
  ``API_KEY_HEADER`` (the header of the API key).
* One :class:`Operation` subclass per operation, named after its ``operationId``
  (``list_tasks`` -> ``ListTasks``): ``METHOD``, ``PATH``, ``EXTENSION``, its
  parameters grouped by location (``ListTasks.Query.PER_PAGE``, a :class:`Field`:
  ``.name == "per_page"``, ``.maximum``, ...), ``PARAMETERS``, ``REQUEST`` (the body's
  media types, :class:`Content`) and ``SUCCESS`` (its 2xx responses, :class:`Success`).
  ``OPERATIONS`` lists them all.
* ``Schemas``: one class per object schema, one :class:`Field` per property
  (``Schemas.TaskStatusesRequest.TASKS.max_items``).
* ``SAMPLES``: a schema-valid sample value of every component schema, derived from the
  schema (example, default, first enum value, format, type; see
  ``inductiva_mock.samples``). Shared values: ``sample(name)`` gives a copy to change.
"""
'''

BASES = '''
Location = Literal["path", "query", "header", "cookie", "body"]


@attrs.frozen
class Field:
    """A parameter (``location`` path, query, header or cookie) or a property of a schema
    (``location`` body), and what the spec declares of it (None or False: nothing)."""

    name: str
    location: Location
    required: bool = attrs.field(default=False, kw_only=True)
    type: str | None = attrs.field(default=None, kw_only=True)
    """The JSON type (``integer``, ``string``, ``array``, ...)."""
    schema: str | None = attrs.field(default=None, kw_only=True)
    """The component schema it refers to (e.g. ``TaskStatusCode``)."""
    extension: str | None = attrs.field(default=None, kw_only=True)
    """The extension it belongs to (its own marker, else its operation's)."""
    enum: tuple[Any, ...] | None = attrs.field(default=None, kw_only=True)
    default: Any = attrs.field(default=None, kw_only=True)
    minimum: float | None = attrs.field(default=None, kw_only=True)
    maximum: float | None = attrs.field(default=None, kw_only=True)
    exclusive_minimum: bool = attrs.field(default=False, kw_only=True)
    exclusive_maximum: bool = attrs.field(default=False, kw_only=True)
    min_length: int | None = attrs.field(default=None, kw_only=True)
    max_length: int | None = attrs.field(default=None, kw_only=True)
    pattern: str | None = attrs.field(default=None, kw_only=True)
    format: str | None = attrs.field(default=None, kw_only=True)
    """The string format (``date-time``, ``uuid``, ...)."""
    min_items: int | None = attrs.field(default=None, kw_only=True)
    max_items: int | None = attrs.field(default=None, kw_only=True)
    nullable: bool = attrs.field(default=False, kw_only=True)


@attrs.frozen
class Content:
    """One media type of a request or response body."""

    media_type: str
    schema: str | None = attrs.field(default=None, kw_only=True)
    """The component schema of the body (of its items when ``array``), if it is one."""
    array: bool = attrs.field(default=False, kw_only=True)
    sample: Any = attrs.field(default=None, kw_only=True)
    """A schema-valid body (shared: copy before changing); None unless JSON."""


@attrs.frozen
class Success:
    """A 2xx response of an operation."""

    status: int
    content: tuple[Content, ...] = ()
    extension: str | None = attrs.field(default=None, kw_only=True)


class Operation:
    """The facts of one operation; subclasses also group their parameters by location
    in nested classes ``Path``, ``Query``, ``Header`` and ``Cookie``."""

    OPERATION_ID: ClassVar[str]
    METHOD: ClassVar[str]
    PATH: ClassVar[str]
    """The path template, e.g. ``/tasks/{task_id}``."""
    EXTENSION: ClassVar[str | None]
    PARAMETERS: ClassVar[tuple[Field, ...]]
    REQUEST: ClassVar[tuple[Content, ...]]
    REQUEST_REQUIRED: ClassVar[bool]
    SUCCESS: ClassVar[tuple[Success, ...]]
'''


HEAD = Template(
    """
from copy import deepcopy
from typing import Any, ClassVar, Final, Literal

import attrs

__all__ = [$public]

__version__ = $version
\"""``info.version`` of the contract: the version of the API and of this project.\"""

TaskStatusLiteral = Literal[$statuses]
\"""Every ``TaskStatusCode`` value, as a type checkers understand (``TaskStatus``).\"""

STATUSES: tuple[TaskStatusLiteral, ...] = ($statuses)
\"""Every ``TaskStatusCode`` value, in the spec's order (the lifecycle order).\"""

FINAL_STATUSES: frozenset[str] = frozenset($final)
\"""``TaskStatusCode`` values after which a task never changes (``x-final-statuses``).\"""


class Status:
    \"""One constant per ``TaskStatusCode`` value.\"""

$status_constants

class Extension:
    \"""One constant per ``x-inductiva-extension`` value of the spec.\"""

$ext_constants

EXTENSIONS: frozenset[str] = frozenset($extensions)
\"""Every extension the spec declares.\"""
$api_key
"""
)

SAMPLES_SOURCE = Template(
    """
SAMPLES: dict[str, Any] = {$samples}
\"""A schema-valid sample of every component schema (shared: see ``sample``).\"""


def sample(schema: str) -> Any:
    \"""A copy of the sample of component schema *schema*, free to change.\"""
    return deepcopy(SAMPLES[schema])
"""
)


class ContractError(ValueError):
    """The spec lacks something contract.py needs, or two facts would get one name."""


def constant(name: str) -> str:
    """The UPPER_SNAKE constant of a spec name (``per_page`` -> PER_PAGE, ``If-Range`` ->
    IF_RANGE, ``pending-input`` -> PENDING_INPUT)."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").upper()
    if not text:
        raise ContractError(f"no constant name can be made of {name!r}")
    return f"N{text}" if text[0].isdigit() else text


def class_name(name: str) -> str:
    """The CamelCase class of an operationId or schema (``get_task`` -> GetTask)."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", name) if p]
    text = "".join(p[0].upper() + p[1:] for p in parts)
    if not text:
        raise ContractError(f"no class name can be made of {name!r}")
    return f"N{text}" if text[0].isdigit() else text


def _unique(names: Iterable[str], where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ContractError(f"{where}: two facts would both be named {name}")
        seen.add(name)


def _literal(value: Any) -> str:
    return repr(plain(value))


def _field(facts: FieldFacts, statuses: tuple[str, ...]) -> str:
    args = [_literal(facts.name), _literal(facts.location)]
    if facts.required:
        args.append("required=True")
    for key, value in (
        ("type", facts.type),
        ("schema", facts.schema_name),
        ("extension", facts.extension),
    ):
        if value is not None:
            args.append(f"{key}={_literal(value)}")
    constraints = facts.constraints
    enum = constraints.pop("enum", None)
    if enum is not None:
        values = tuple(plain(enum))
        args.append("enum=STATUSES" if values == statuses else f"enum={_literal(values)}")
    for keyword, value in constraints.items():
        if keyword in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            bound = "minimum" if keyword == "exclusiveMinimum" else "maximum"
            args.append(f"{bound}={_literal(value)}")
            value = True
        args.append(f"{FIELD_KEYWORDS[keyword]}={_literal(value)}")
    return f"Field({', '.join(args)})"


def _sample_source(schema: Mapping[str, Any], sample: Any, components: Mapping[str, Any]) -> str:
    """The sample as source: ``SAMPLES["X"]`` where it is a component's."""
    name = ref_name(schema)
    if name is not None and name in components:
        return f"SAMPLES[{name!r}]"
    items = schema.get("items") if schema.get("type") == "array" else None
    item = ref_name(items)
    if item is not None and item in components and isinstance(sample, list) and sample:
        times = f" * {len(sample)}" if len(sample) > 1 else ""
        return f"[SAMPLES[{item!r}]]{times}"
    return _literal(sample)


def _content(facts: Any, components: Mapping[str, Any]) -> str:
    args = [_literal(facts.media_type)]
    if facts.schema_name is not None:
        args.append(f"schema={_literal(facts.schema_name)}")
    if facts.array:
        args.append("array=True")
    if is_json(facts.media_type):
        args.append(f"sample={_sample_source(facts.schema, facts.sample, components)}")
    return f"Content({', '.join(args)})"


def _tuple(items: list[str]) -> str:
    """A tuple display of *items* (ruff puts one per line when it does not fit one)."""
    return f"({', '.join(items)},)" if items else "()"


def _operation(op: OperationFacts, statuses: tuple[str, ...], samples: Mapping[str, Any]) -> str:
    name = class_name(op.operation_id)
    summary = f": {op.summary}" if op.summary else ""
    lines = [
        f"class {name}(Operation):",
        f'    """``{op.method} {op.path}``{summary.rstrip(".")}."""',
        "",
        f"    OPERATION_ID = {op.operation_id!r}",
        f"    METHOD = {op.method!r}",
        f"    PATH = {op.path!r}",
        f"    EXTENSION = {op.extension!r}",
    ]
    refs: list[str] = []
    for location, group in GROUPS.items():
        params = [p for p in op.parameters if p.location == location]
        if not params:
            continue
        names = [constant(p.name) for p in params]
        _unique(names, f"{op.operation_id} {location} parameters")
        lines += ["", f"    class {group}:"]
        for const, param in zip(names, params, strict=True):
            lines.append(f"        {const}: Final = {_field(param, statuses)}")
            refs.append(f"{group}.{const}")
    lines += [
        "",
        f"    PARAMETERS = {_tuple(refs)}",
        f"    REQUEST = {_tuple([_content(c, samples) for c in op.request])}",
        f"    REQUEST_REQUIRED = {op.request_required!r}",
    ]
    success = []
    for response in op.success:
        contents = _tuple([_content(c, samples) for c in response.content])
        ext = f", extension={response.extension!r}" if response.extension else ""
        success.append(f"Success({response.status}, {contents}{ext})")
    lines.append(f"    SUCCESS = {_tuple(success)}")
    return "\n".join(lines) + "\n"


def _schemas(spec: Mapping[str, Any], statuses: tuple[str, ...]) -> str:
    lines = [
        "class Schemas:",
        '    """One class per object schema: its properties, as :class:`Field` constants."""',
    ]
    components = (spec.get("components") or {}).get("schemas") or {}
    _unique([class_name(n) for n in components], "component schemas")
    for schema_name, raw in components.items():
        schema = resolve(spec, raw)
        properties = schema.get("properties") or {}
        if not properties:
            continue
        required = set(schema.get("required") or [])
        marker = schema.get("x-inductiva-extension")
        consts = [constant(p) for p in properties]
        _unique(consts, f"schema {schema_name} properties")
        lines += ["", f"    class {class_name(schema_name)}:", f'        """``{schema_name}``."""']
        for const, (prop, prop_schema) in zip(consts, properties.items(), strict=True):
            facts = field_facts(
                spec,
                str(prop),
                "body",
                prop in required,
                prop_schema,
                (prop_schema or {}).get("x-inductiva-extension") or marker,
            )
            lines.append(f"        {const}: Final = {_field(facts, statuses)}")
    return "\n".join(lines) + "\n"


def _api_key(spec: Mapping[str, Any]) -> str:
    """``API_KEY_HEADER``: the header of the spec's global API-key scheme (none: no constant)."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    for requirement in spec.get("security") or []:
        for name in requirement:
            scheme = schemes.get(name) or {}
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                header = str(scheme["name"])
                doc = "The header carrying the API key (the spec's global ``apiKey`` scheme)."
                return f'\nAPI_KEY_HEADER: Final = {header!r}\n"""{doc}"""\n'
    return ""


def render(spec: Mapping[str, Any]) -> str:
    """The source of contract.py for *spec* (ContractError/SampleError on what it lacks)."""
    version = str(spec["info"]["version"])
    codes = spec["components"]["schemas"].get(STATUS_SCHEMA) or {}
    statuses = tuple(str(v) for v in codes.get("enum") or [])
    if not statuses:
        raise ContractError(f"{STATUS_SCHEMA} needs an enum of the task statuses")
    final = codes.get("x-final-statuses")
    if not isinstance(final, list) or not final:
        raise ContractError(f"{STATUS_SCHEMA} needs an `x-final-statuses` list of its enum values")
    unknown = sorted(set(final) - set(statuses))
    if unknown:
        raise ContractError(f"x-final-statuses names values not in {STATUS_SCHEMA}.enum: {unknown}")
    try:
        samples = Samples(spec).components()
        ops = operations(spec)
    except SampleError as exc:
        raise ContractError(f"no sample value for {exc}") from None
    names = [class_name(op.operation_id) for op in ops]
    _unique([*names, *RESERVED], "operations")
    ext_names = extensions(spec)
    _unique([constant(e) for e in ext_names], "extensions")
    _unique([constant(s) for s in statuses], STATUS_SCHEMA)

    public = [
        *(["API_KEY_HEADER"] if _api_key(spec) else []),
        *("Content", "EXTENSIONS", "Extension", "FINAL_STATUSES", "Field", "Location"),
        *("OPERATIONS", "Operation", "SAMPLES", "STATUSES", "Schemas", "Status", "Success"),
        *("TaskStatusLiteral", "__version__", "sample", *names),
    ]
    head = HEAD.substitute(
        public=", ".join(repr(n) for n in sorted(public)),
        version=repr(version),
        statuses=", ".join(map(repr, statuses)),
        final=_tuple([repr(s) for s in final]),
        status_constants="".join(f"    {constant(s)}: Final = {s!r}\n" for s in statuses),
        ext_constants="".join(f"    {constant(e)}: Final = {e!r}\n" for e in ext_names),
        extensions=_tuple([f"Extension.{constant(e)}" for e in ext_names]),
        api_key=_api_key(spec),
    )
    listed = ", ".join(f"{n!r}: {_literal(v)}" for n, v in samples.items())
    out = [PREAMBLE, head, BASES, SAMPLES_SOURCE.substitute(samples=listed)]
    out += [f"\n\n{_operation(op, statuses, samples)}" for op in ops]
    out.append(f"\n\nOPERATIONS: tuple[type[Operation], ...] = {_tuple(names)}\n")
    out.append('"""Every operation, in the spec\'s order."""\n\n\n')
    out.append(_schemas(spec, statuses))
    return "".join(out)
