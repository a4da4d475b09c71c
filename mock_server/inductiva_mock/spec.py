"""Loading openapi.yaml and validating requests and responses against it with openapi-core."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
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

__all__ = [
    "ErrorItem",
    "ResponseValidationFailed",
    "SpecRequest",
    "SpecResponse",
    "SpecValidator",
    "json_bytes",
    "load_spec_dict",
]

DEFAULT_SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"


def load_spec_dict(path: Path | None = None) -> dict[str, Any]:
    """Read the OpenAPI document (the repository's openapi.yaml unless *path* is given)."""
    with (path or DEFAULT_SPEC_PATH).open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


@dataclass
class ErrorItem:
    """One problem of a request, rendered as an `ErrorDetail`."""

    loc: str
    msg: str


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

    def __init__(self, spec_path: Path | None = None) -> None:
        data = load_spec_dict(spec_path)
        # Match paths whatever host/port the server listens on.
        data["servers"] = [{"url": "/"}]
        self.raw = data
        self.openapi = OpenAPI.from_dict(data)
        schema: SchemaPath = self.openapi.spec
        self._params = V30RequestParametersValidator(schema)
        self._body = V30RequestBodyValidator(schema)
        self._response = V30ResponseValidator(schema)
        self._response_headers = V30ResponseHeadersValidator(schema)

    def request_errors(self, request: SpecRequest, *, check_body: bool) -> list[ErrorItem]:
        """All problems of *request* (parameters always; the body when *check_body*)."""
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


def _schema_messages(err: BaseException) -> Iterable[tuple[list[Any], str]]:
    cause: BaseException | None = err
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            for se in schema_errors:
                yield list(se.absolute_path), se.message
            return
        cause = cause.__cause__


def _param_items(err: BaseException) -> list[ErrorItem]:
    if isinstance(err, ParametersError):
        out: list[ErrorItem] = []
        for sub in err.errors:
            out.extend(_param_items(sub))
        return out
    if isinstance(err, ParameterValidationError):
        loc = f"{err.location}.{err.name}"
        msgs = [m for _, m in _schema_messages(err)]
        if not msgs:
            msgs = [str(err.__cause__ or err)]
        return [ErrorItem(loc, m) for m in msgs]
    return [ErrorItem("request", _describe(err))]


def _body_items(err: BaseException) -> list[ErrorItem]:
    if isinstance(err, RequestBodyValidationError):
        found = list(_schema_messages(err))
        if found:
            return [
                ErrorItem(".".join(["body", *(str(p) for p in path)]), msg) for path, msg in found
            ]
        cause = err.__cause__
        if cause is not None and "deserialize" in str(cause).lower():
            return [ErrorItem("body", "The body is not valid JSON.")]
        return [ErrorItem("body", _describe(err))]
    return [ErrorItem("body", _describe(err))]


def json_bytes(payload: Any) -> bytes:
    """Compact JSON encoding used for every JSON response."""
    return json.dumps(payload, separators=(",", ":")).encode()
