"""Turning HTTP failures into :mod:`inductiva.errors` exceptions.

Error bodies are read in FastAPI's two shapes: ``{"detail": "..."}`` (any
error) and, for 422, ``{"detail": [{"loc", "msg", "type"}, ...]}``, whose items
are kept on the exception (:attr:`inductiva.errors.ApiError.detail`); a body of
neither shape is quoted. Transport failures (no connection, timeouts) become
:class:`~inductiva.errors.ApiConnectionError`.
"""

from __future__ import annotations

import contextlib

import httpx
from inductiva_api.models import HTTPError
from inductiva_api.models import ValidationError as FieldErrorModel

from .. import errors
from .._redact import redact
from .._validate import printable
from ._retry import RetriesExhausted

__all__ = [
    "API_URL_ADVICE",
    "connection_error",
    "error_from",
    "raise_for_status",
    "raise_for_status_async",
]

_VALIDATION_MESSAGE = "The API rejected the request"


def _field_error(item: object) -> errors.FieldError:
    """One item of a 422 ``detail`` list; an item of another shape is kept as its text."""
    try:
        if not isinstance(item, dict):
            raise TypeError
        model = FieldErrorModel.from_dict(item)
        loc = tuple(p for p in model.loc if isinstance(p, str | int))
        return errors.FieldError(loc=loc, msg=str(model.msg), type=str(model.type_))
    except (KeyError, TypeError, ValueError):
        return errors.FieldError(loc=(), msg=str(item))


def _error_body(response: httpx.Response) -> tuple[str, list[errors.FieldError]]:
    """The message and 422 field errors of an error body, read as tolerantly as possible."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return HTTPError.from_dict(body).detail, []
    if isinstance(detail, list):
        return _VALIDATION_MESSAGE, [_field_error(item) for item in detail]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"], []  # an older body shape: {"code", "message"}
    return response.text[:200].strip(), []


API_URL_ADVICE = (
    "Check api_url (INDUCTIVA_API_URL or `inductiva.api_url`): it must be the API's root, "
    "e.g. https://api.inductiva.ai"
)
"""The library's advice for an error whose remedy is the API URL (``setting="api_url"``)."""

_NO_ROUTE = "Not Found"
"""The ``detail`` a FastAPI server sends for a path it has no route for (not a missing task)."""


def _redirect_problem(response: httpx.Response) -> str:
    location = printable(response.headers.get("Location", "")[:300]) or "no Location given"
    https = " (https:// instead of http://?)" if response.request.url.scheme == "http" else ""
    return (
        f"The API answered HTTP {response.status_code}, a redirect to {location}{https}; the "
        "client does not follow redirects (they could leak your API key)."
    )


def _no_route_problem(response: httpx.Response) -> str:
    request = response.request
    return (
        f"The API answered 404 Not Found for {request.method} {request.url.path}, as a server "
        "does for a path it has no route for: is the API URL the API's root, with no path "
        "after the host?"
    )


def error_from(response: httpx.Response) -> errors.ApiError:
    """The exception for a non-2xx ``response`` whose body has been read.

    A redirect, and a 404 for a path the server has no route for (a wrong
    ``api_url`` answers every request so), carry ``setting="api_url"`` and
    ``problem`` (see :class:`inductiva.errors.InductivaError`).
    """
    problem: str | None = None
    if response.is_redirect or 300 <= response.status_code < 400:
        problem, detail = _redirect_problem(response), list[errors.FieldError]()
        message = f"{problem} {API_URL_ADVICE}."
    else:
        message, detail = _error_body(response)
        if response.status_code == 404 and message == _NO_ROUTE:
            problem = _no_route_problem(response)
            message = f"{problem} {API_URL_ADVICE}."
    request = response.request
    key = request.headers.get("X-API-Key")
    message = redact(message, key)
    error = errors.error_for_status(
        response.status_code,
        message,
        method=request.method,
        url=str(request.url),
        retry_after=response.headers.get("Retry-After"),
        detail=detail,
    )
    if problem is not None:
        error.setting, error.problem = "api_url", redact(problem, key)
    return error


def raise_for_status(response: httpx.Response) -> None:
    """Response hook: raise the :mod:`inductiva.errors` exception of a non-2xx answer."""
    if not response.is_success:
        response.read()
        raise error_from(response)


async def raise_for_status_async(response: httpx.Response) -> None:
    """The asyncio twin of :func:`raise_for_status`."""
    if not response.is_success:
        await response.aread()
        raise error_from(response)


def connection_error(exc: httpx.TransportError) -> errors.ApiConnectionError:
    """The :class:`~inductiva.errors.ApiConnectionError` for a transport failure."""
    url = ""
    with contextlib.suppress(RuntimeError):
        url = str(exc.request.url)
    url = redact(url)
    if isinstance(exc, RetriesExhausted):
        return errors.ApiConnectionError(
            redact(
                f"{exc} ({exc.request.method} {url}). The API may be overloaded or down; "
                "retry later, or raise max_retries."
            )
        )
    if isinstance(exc, httpx.TimeoutException):
        return errors.ApiTimeoutError(
            f"Request to {url} timed out ({type(exc).__name__}); raise INDUCTIVA_TIMEOUT "
            "or check your network."
        )
    problem = redact(
        f"Could not reach the Inductiva API at {url}: {exc or type(exc).__name__}. "
        "Check your network."
    )
    return errors.ApiConnectionError(
        f"{problem} {API_URL_ADVICE}.", setting="api_url", problem=problem
    )
