"""Calling a generated endpoint, and surviving version skew between client and server.

A client regenerated from a newer contract may talk to an older server, which
does not send a field the new contract marks required: the generated parser
would stop with ``KeyError``. Here such an answer is parsed again with the
missing fields filled from the contract's samples (``inductiva_api.contract``,
generated), and those fields are then set to ``UNSET`` on the parsed model: the
caller sees them as unknown (``None`` in :class:`~inductiva.TaskInfo`), never a
crash. A warning names each missing field once. Only a minority of an object's
fields may be missing: an answer lacking most of them is not an older server but
a broken one (:class:`~inductiva.errors.InvalidResponseError`). (An older client talking to a
newer server needs nothing: unknown fields are kept as extra properties,
unknown statuses as strings, an unknown executer kind as its raw data.)

Everything else a parser cannot read is an
:class:`~inductiva.errors.InvalidResponseError`, and so is an answer whose
declared fields have the wrong JSON type (a number where the contract says a
string...): the generated parsers take such values as they are. Generated endpoint modules are
used through their ``_get_kwargs`` and ``_build_response`` (what their
``sync_detailed``/``asyncio_detailed`` do), so the raw answer is at hand.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx
from inductiva_api import AuthenticatedClient, contract
from inductiva_api.types import UNSET, Response

from .. import errors
from .._redact import redact
from .._validate import printable

__all__ = ["UNREADABLE", "build", "endpoint_module", "operation_id", "request_of"]

logger = logging.getLogger("inductiva")

UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError)
"""What the generated parsers raise on an answer that is not what the contract says."""
MAX_FILLS = 64
"""Most missing fields filled in one answer (a longer list is not version skew)."""
_warned: set[tuple[str, str]] = set()

Path = tuple[str | int, ...]


def endpoint_module(endpoint: Callable[..., Any]) -> ModuleType:
    """The generated module of an endpoint function (``get_task.sync_detailed`` -> get_task)."""
    return sys.modules[endpoint.__module__]


def operation_id(module: ModuleType) -> str:
    """The operationId a generated endpoint module is named after."""
    return module.__name__.rsplit(".", 1)[-1]


def request_of(module: ModuleType, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The ``httpx`` request arguments of a call (what the generated function would send)."""
    built: dict[str, Any] = module._get_kwargs(*args, **kwargs)
    return built


def _sample_of(operation: str, status: int) -> Any:
    for op in contract.OPERATIONS:
        if operation == op.OPERATION_ID:
            for success in op.SUCCESS:
                if success.status == status:
                    for content in success.content:
                        if content.sample is not None:
                            return content.sample
    return None


def _missing(value: Any, sample: Any, key: str, path: Path, found: list[Path]) -> None:
    """The paths of objects in ``value`` lacking ``key`` where ``sample`` has it."""
    if isinstance(value, dict) and isinstance(sample, dict):
        if key in sample and key not in value:
            found.append((*path, key))
        for name, item in value.items():
            if name in sample:
                _missing(item, sample[name], key, (*path, name), found)
    elif isinstance(value, list) and isinstance(sample, list) and sample:
        for index, item in enumerate(value):
            _missing(item, sample[0], key, (*path, index), found)


def _at(node: Any, path: Path) -> Any:
    for step in path:
        node = node[step]
    return node


def _fill(body: Any, sample: Any, path: Path) -> None:
    """Put the sample's value at ``path`` of ``body``."""
    sample_path = tuple(0 if isinstance(step, int) else step for step in path)
    _at(body, path[:-1])[path[-1]] = _at(sample, sample_path)


def _unset(parsed: Any, path: Path) -> None:
    """Mark the field at ``path`` of the parsed model unknown (``UNSET``)."""
    node = parsed
    for step in path[:-1]:
        node = node[step] if isinstance(step, int) else getattr(node, str(step), None)
        if node is None:
            return
    name = str(path[-1])
    for attribute in (name, f"{name}_"):
        if hasattr(node, attribute):
            setattr(node, attribute, UNSET)
            return


def _unreadable(operation: str, exc: BaseException) -> errors.InvalidResponseError:
    problem = redact(
        f"The API's answer to {operation} is not what the contract describes "
        f"({type(exc).__name__}: {printable(str(exc)[:200])}). Is the API URL the API's "
        "address (not a proxy or a web page), and is this client up to date?"
    )
    return errors.InvalidResponseError(
        problem.replace("the API URL", "api_url (INDUCTIVA_API_URL or `inductiva.api_url`)"),
        setting="api_url",
        problem=problem,
    )


def _tolerant(
    module: ModuleType, api: AuthenticatedClient, response: httpx.Response, first: KeyError
) -> Response[Any]:
    """Parse again with missing required fields filled in, then marked unknown."""
    operation = operation_id(module)
    sample = _sample_of(operation, response.status_code)
    try:
        body = response.json()
    except ValueError as exc:
        raise _unreadable(operation, exc) from None
    filled: list[Path] = []
    per_object: dict[Path, int] = {}
    error: BaseException = first
    while isinstance(error, KeyError) and error.args and len(filled) < MAX_FILLS:
        key = error.args[0]
        found: list[Path] = []
        if isinstance(key, str):
            _missing(body, sample, key, (), found)
        if not found:
            break
        for path in found:
            parent = path[:-1]
            per_object[parent] = per_object.get(parent, 0) + 1
            if per_object[parent] >= len(_at(body, parent)) - per_object[parent] + 1:
                break  # most of the object is missing: not an older server, a broken answer
            _fill(body, sample, path)
        else:
            filled += found
            found = []
        if found:
            break
        patched = httpx.Response(
            response.status_code, headers=response.headers, json=body, request=response.request
        )
        try:
            built = module._build_response(client=api, response=patched)
        except UNREADABLE as exc:
            error = exc
            continue
        for path in filled:
            _unset(built.parsed, path)
            _warn(operation, path)
        return built  # type: ignore[no-any-return]
    raise _unreadable(operation, error) from None


def _warn(operation: str, path: Path) -> None:
    name = ".".join(str(step) for step in path if not isinstance(step, int))
    if (operation, name) not in _warned:
        _warned.add((operation, name))
        logger.warning(
            "The server's answer to %s lacks %r, which this client's contract requires (an "
            "older server?); it is shown as unknown.",
            operation,
            name,
        )


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}
_SCHEMAS = {
    name.lower(): fields
    for name, fields in vars(contract.Schemas).items()
    if isinstance(fields, type)
}


def _json_name(value: Any) -> str:
    """The JSON type of a decoded value (``string``, ``integer``...)."""
    for name, kinds in _JSON_TYPES.items():
        if type(value) in kinds:
            return name
    return "null" if value is None else type(value).__name__


def _fields(schema: str) -> list[contract.Field]:
    found = _SCHEMAS.get(schema.replace("_", "").lower())
    values = vars(found).values() if found is not None else ()
    return [f for f in values if isinstance(f, contract.Field)]


def _type_error(obj: Any, schema: str, where: str) -> str | None:
    """Where ``obj`` breaks the declared JSON types of ``schema``'s fields, if it does."""
    if not isinstance(obj, dict):
        return f"{where or 'the answer'} is {_json_name(obj)}, not object"
    for field in _fields(schema):
        if field.name not in obj:
            continue
        value = obj[field.name]
        if value is None:
            if field.required and not field.nullable:
                return f"{where}{field.name} is null"
            continue
        kinds = _JSON_TYPES.get(field.type or "")
        if kinds is None:
            continue
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            return f"{where}{field.name} is {_json_name(value)}, not {field.type}"
    return None


def _check_types(operation: str, response: httpx.Response) -> None:
    """InvalidResponseError if a declared field of the answer has the wrong JSON type."""
    for op in contract.OPERATIONS:
        if operation != op.OPERATION_ID:
            continue
        for success in op.SUCCESS:
            if success.status != response.status_code:
                continue
            for content in success.content:
                if content.schema is None or not content.media_type.endswith("json"):
                    continue
                body = response.json()
                if content.array:
                    if not isinstance(body, list):
                        problem: str | None = f"the answer is {_json_name(body)}, not array"
                    else:
                        problem = next(
                            (
                                p
                                for i, item in enumerate(body)
                                if (p := _type_error(item, content.schema, f"item {i}: "))
                            ),
                            None,
                        )
                else:
                    problem = _type_error(body, content.schema, "")
                if problem is not None:
                    raise _unreadable(operation, TypeError(problem))
                return


def build(module: ModuleType, api: AuthenticatedClient, response: httpx.Response) -> Response[Any]:
    """The generated ``Response`` of ``response``, surviving missing required fields.

    InvalidResponseError for an answer the parser cannot read or whose fields have the
    wrong JSON types.
    """
    try:
        built: Response[Any] = module._build_response(client=api, response=response)
    except KeyError as exc:
        built = _tolerant(module, api, response, exc)
    except UNREADABLE as exc:
        raise _unreadable(operation_id(module), exc) from None
    if response.is_success:
        try:
            _check_types(operation_id(module), response)
        except UNREADABLE as exc:
            raise _unreadable(operation_id(module), exc) from None
    return built
