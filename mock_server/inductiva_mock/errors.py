"""JSON responses, in particular those carrying the `Error` model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import Response

from .spec import ErrorItem, json_bytes

__all__ = ["conflict", "error_response", "invalid", "json_response", "not_found", "unauthorized"]

AUTH_MESSAGE = (
    "Missing or invalid X-API-Key header. Set the INDUCTIVA_API_KEY environment variable "
    "to a valid API key."
)


def json_response(payload: Any, status: int = 200) -> Response:
    """A compact JSON body with the given status."""
    return Response(json_bytes(payload), status_code=status, media_type="application/json")


def error_response(
    status: int,
    code: str,
    message: str,
    detail: Sequence[ErrorItem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A JSON `Error` body with the given status."""
    body: dict[str, Any] = {"code": code, "message": message}
    if detail:
        body["detail"] = [{"loc": d.loc, "msg": d.msg} for d in detail]
    return Response(
        json_bytes(body),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/json",
    )


def not_found(task_id: str) -> Response:
    """404 for a task the caller's key does not own (or that does not exist)."""
    return error_response(404, "not_found", f"Task {task_id} not found.")


def unauthorized() -> Response:
    """401 for a missing or unknown API key."""
    return error_response(401, "unauthorized", AUTH_MESSAGE)


def conflict(message: str, code: str = "conflict") -> Response:
    """409 for an operation the task's status does not allow."""
    return error_response(409, code, message)


def invalid(detail: Sequence[ErrorItem], message: str = "The request is invalid.") -> Response:
    """422 listing the problems of a request."""
    return error_response(422, "validation_error", message, detail)
