"""JSON responses, errors in FastAPI's shapes (`HTTPError` and `HTTPValidationError`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import Response

from .spec import ErrorItem, json_bytes

__all__ = [
    "PayloadResponse",
    "conflict",
    "error_response",
    "invalid",
    "json_response",
    "not_found",
    "unauthorized",
]

AUTH_MESSAGE = (
    "Missing or invalid X-API-Key header. Set the INDUCTIVA_API_KEY environment variable "
    "to a valid API key."
)


class PayloadResponse(Response):
    """A JSON response that keeps its payload, for the spec to shape before it is sent."""

    media_type = "application/json"

    def __init__(
        self, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        self.payload = payload
        super().__init__(json_bytes(payload), status_code=status, headers=dict(headers or {}))


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> PayloadResponse:
    """A compact JSON body with the given status."""
    return PayloadResponse(payload, status, headers)


def error_response(
    status: int, detail: str, headers: Mapping[str, str] | None = None
) -> PayloadResponse:
    """An `HTTPError` body `{"detail": "..."}` (FastAPI's HTTPException) with *status*."""
    return json_response({"detail": detail}, status, headers)


def not_found(task_id: str) -> Response:
    """404 for a task the caller's key does not own (or that does not exist)."""
    return error_response(404, f"Task {task_id} not found.")


def unauthorized() -> Response:
    """401 for a missing or unknown API key."""
    return error_response(401, AUTH_MESSAGE)


def conflict(message: str) -> Response:
    """409 for an operation the task's status does not allow."""
    return error_response(409, message)


def invalid(detail: Sequence[ErrorItem]) -> Response:
    """422 `HTTPValidationError` listing the problems of a request."""
    body = {"detail": [{"loc": list(d.loc), "msg": d.msg, "type": d.type} for d in detail]}
    return json_response(body, 422)
