"""Loading openapi.yaml and validating requests and responses against it with openapi-core."""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from inductiva_api.contract import Extension
from jsonschema_path import SchemaPath
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.exceptions import (
    ParametersError,
    ParameterValidationError,
    RequestBodyValidationError,
)
from openapi_core.validation.request.validators import (
    V30RequestBodyValidator,
    V30RequestParametersValidator,
)
from openapi_core.validation.response.validators import (
    V30ResponseHeadersValidator,
    V30ResponseValidator,
)
from starlette.datastructures import Headers, QueryParams

from .operations import EXTENSION, mappings

__all__ = [
    "KEPT_EXTENSIONS",
    "ErrorItem",
    "ResponseValidationFailed",
    "SpecRequest",
    "SpecResponse",
    "SpecValidator",
    "default_spec_text",
    "json_bytes",
    "legacy_spec",
    "load_spec_dict",
    "strict_spec",
]

# The wheel ships the repository's openapi.yaml inside the package (hatch force-include);
# a source checkout (editable install) reads it from the repository root.
REPO_SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
# Kept in legacy mode: a real FastAPI server answers these error codes too.
KEPT_EXTENSIONS = frozenset({Extension.ERROR_CODES})
CACHE_ENTRIES = 4096
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def default_spec_text() -> str:
    """The contract the mock implements: the packaged `openapi.yaml` (the wheel's copy), else
    the repository's (a source checkout)."""
    packaged = resources.files("inductiva_mock").joinpath("openapi.yaml")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    if REPO_SPEC_PATH.is_file():
        return REPO_SPEC_PATH.read_text(encoding="utf-8")
    raise FileNotFoundError(
        "openapi.yaml is neither packaged with inductiva_mock nor at the repository root; "
        "reinstall with `pip install 'inductiva-tasks[mock]'` or pass --spec FILE"
    )


def load_spec_dict(path: Path | None = None) -> dict[str, Any]:
    """Read the OpenAPI document (the packaged openapi.yaml unless *path* is given)."""
    text = path.read_text(encoding="utf-8") if path else default_spec_text()
    data: dict[str, Any] = yaml.safe_load(text)
    return data


Loc = tuple[str | int, ...]


@dataclass
class ErrorItem:
    """One problem of a request, rendered as a FastAPI `ValidationError` {loc, msg, type}."""

    loc: Loc
    msg: str
    type: str = "value_error"


def strict_spec(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of *data* where every object schema declaring `properties` but no
    `additionalProperties` gets `additionalProperties: false` (unknown fields rejected)."""
    out = copy.deepcopy(data)
    for node in mappings(out):
        if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
            node["additionalProperties"] = False
    return out


def legacy_spec(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of *data* without our extensions: the real API only.

    Paths, parameters, responses and headers flagged `x-inductiva-extension`
    are removed (the `error-codes` responses stay: a real server answers them too).
    """
    out = copy.deepcopy(data)
    components = out.get("components", {}).get("responses", {})

    def dropped(node: Any) -> bool:
        if isinstance(node, dict) and "$ref" in node:
            ref = str(node["$ref"])
            if ref.startswith("#/components/responses/"):
                node = components.get(ref.rsplit("/", 1)[-1], {})
        return isinstance(node, dict) and node.get(EXTENSION, None) not in (None, *KEPT_EXTENSIONS)

    paths = out.get("paths", {})
    for path in [p for p, item in paths.items() if dropped(item)]:
        del paths[path]
    for item in paths.values():
        for method, op in item.items():
            if method not in HTTP_METHODS or not isinstance(op, dict):
                continue
            op["parameters"] = [p for p in op.get("parameters", []) if not dropped(p)]
            responses = op.get("responses", {})
            for code in [c for c, r in responses.items() if dropped(r)]:
                del responses[code]
            for response in responses.values():
                headers = response.get("headers") if isinstance(response, dict) else None
                if isinstance(headers, dict):
                    for name in [n for n, h in headers.items() if dropped(h)]:
                        del headers[name]
    return out


@dataclass
class SpecRequest:
    """The parts of an HTTP request openapi-core needs (its `Request` protocol)."""

    method: str
    path: str
    query: QueryParams
    headers: Headers
    body: bytes | None = None
    host_url: str = "http://mock"
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        self.method = self.method.lower()
        self.parameters = RequestParameters(query=self.query, header=self.headers, cookie={})

    @property
    def content_type(self) -> str:
        """The request's media type (octet-stream when absent, per RFC 2616)."""
        return self.headers.get("content-type") or "application/octet-stream"


@dataclass
class SpecResponse:
    """The parts of an HTTP response openapi-core needs (its `Response` protocol)."""

    status_code: int
    headers: Mapping[str, str]
    data: bytes | None = None

    @property
    def content_type(self) -> str:
        """The response's media type."""
        return self.headers.get("content-type", "")


class ResponseValidationFailed(Exception):
    """The server produced a response that violates openapi.yaml (a bug of the mock)."""


class SpecValidator:
    """Request/response validation for the operations of openapi.yaml."""

    def __init__(
        self,
        spec_path: Path | None = None,
        *,
        strict: bool = False,
        legacy: bool = False,
        cache: bool = True,
    ) -> None:
        # Validation is a pure function of what is validated, so the verdicts on the
        # most recent distinct requests and responses are kept (LRU): a client polling
        # the same status is validated once per distinct request/response, not per call.
        self._cache: OrderedDict[tuple[object, ...], list[Any]] | None = (
            OrderedDict() if cache else None
        )
        data = load_spec_dict(spec_path)
        # Match paths whatever host/port the server listens on.
        data["servers"] = [{"url": "/"}]
        self.raw = data
        if legacy:
            data = legacy_spec(data)
        self.openapi = OpenAPI.from_dict(data)
        schema: SchemaPath = self.openapi.spec
        self._params = V30RequestParametersValidator(schema)
        self._body = V30RequestBodyValidator(schema)
        # Strict mode applies to responses only: requests may carry fields we ignore.
        response_schema = OpenAPI.from_dict(strict_spec(data)).spec if strict else schema
        self._response = V30ResponseValidator(response_schema)
        self._response_headers = V30ResponseHeadersValidator(response_schema)

    def _cached(self, key: tuple[object, ...], compute: Callable[[], list[Any]]) -> list[Any]:
        if self._cache is None:
            return compute()
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return list(found)
        result = compute()
        self._cache[key] = list(result)
        if len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return result

    def request_errors(self, request: SpecRequest, *, check_body: bool) -> list[ErrorItem]:
        """All problems of *request* (parameters always; the body when *check_body*)."""
        key = (
            "request",
            request.method,
            request.path,
            str(request.query),
            tuple(request.headers.raw),
            request.body if check_body else None,
            check_body,
        )
        return self._cached(key, lambda: self._request_errors(request, check_body=check_body))

    def _request_errors(self, request: SpecRequest, *, check_body: bool) -> list[ErrorItem]:
        items: list[ErrorItem] = []
        for err in self._params.iter_errors(request):
            items.extend(_param_items(err))
        if check_body:
            for err in self._body.iter_errors(request):
                items.extend(_body_items(err))
        return items

    def response_errors(
        self, request: SpecRequest, response: SpecResponse, *, check_body: bool = True
    ) -> list[str]:
        """Messages describing how *response* violates the spec (empty when it conforms)."""
        key = (
            "response",
            request.method,
            request.path,
            str(request.query),
            response.status_code,
            tuple(sorted(response.headers.items())),
            response.data if check_body else None,
            check_body,
        )
        return self._cached(
            key, lambda: self._response_errors(request, response, check_body=check_body)
        )

    def _response_errors(
        self, request: SpecRequest, response: SpecResponse, *, check_body: bool
    ) -> list[str]:
        validator = self._response if check_body else self._response_headers
        out: list[str] = []
        for err in validator.iter_errors(request, response):
            out.append(_describe(err))
        return out


def _describe(err: BaseException) -> str:
    parts = [str(err)]
    cause = err.__cause__
    while cause is not None:
        text = str(cause)
        if text and text not in parts[-1]:  # openapi-core often repeats the cause's text
            parts.append(text)
        cause = cause.__cause__
    return ": ".join(parts)


def _schema_errors(err: BaseException) -> list[Any]:
    cause: BaseException | None = err
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            return list(schema_errors)
        cause = cause.__cause__
    return []


def _error_type(se: Any) -> str:
    """A pydantic-v1-like error type for a jsonschema error (what FastAPI answered then)."""
    kind = str(getattr(se, "validator", ""))
    if kind == "type":
        return f"type_error.{se.validator_value}"
    return {
        "enum": "type_error.enum",
        "required": "value_error.missing",
        "maximum": "value_error.number.not_le",
        "minimum": "value_error.number.not_ge",
        "maxLength": "value_error.any_str.max_length",
        "minLength": "value_error.any_str.min_length",
    }.get(kind, "value_error")


def _schema_items(prefix: Loc, err: BaseException) -> list[ErrorItem]:
    items: list[ErrorItem] = []
    for se in _schema_errors(err):
        loc: Loc = (*prefix, *se.absolute_path)
        if se.validator == "required" and isinstance(se.instance, dict):
            for name in se.validator_value:
                if name not in se.instance:
                    items.append(ErrorItem((*loc, name), "field required", "value_error.missing"))
            continue
        items.append(ErrorItem(loc, se.message, _error_type(se)))
    return items


def _param_items(err: BaseException) -> list[ErrorItem]:
    if isinstance(err, ParametersError):
        out: list[ErrorItem] = []
        for sub in err.errors:
            out.extend(_param_items(sub))
        return out
    if isinstance(err, ParameterValidationError):
        prefix: Loc = (err.location, err.name)
        items = _schema_items(prefix, err)
        if items:
            return items
        cause = err.__cause__ or err
        if "missing" in type(cause).__name__.lower():
            return [ErrorItem(prefix, "field required", "value_error.missing")]
        return [ErrorItem(prefix, str(cause), "type_error")]
    return [ErrorItem(("request",), _describe(err))]


def _body_items(err: BaseException) -> list[ErrorItem]:
    if isinstance(err, RequestBodyValidationError):
        items = _schema_items(("body",), err)
        if items:
            return items
        cause = err.__cause__
        if cause is not None and "deserialize" in str(cause).lower():
            return [ErrorItem(("body",), "The body is not valid JSON.", "value_error.jsondecode")]
    return [ErrorItem(("body",), _describe(err))]


def json_bytes(payload: Any) -> bytes:
    """Compact JSON encoding used for every JSON response."""
    return json.dumps(payload, separators=(",", ":")).encode()
