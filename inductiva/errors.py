"""Every error the client raises, under one root.

::

    InductivaError
    ├── ConfigurationError           bad or missing settings (also ValueError)
    ├── InvalidArgumentError         a bad argument, naming what is allowed (also ValueError)
    │   └── UnknownFilesError        download_outputs(filenames=...) names files not in the archive
    ├── ApiConnectionError           the API could not be reached (after retries)
    │   └── ApiTimeoutError          a request took too long
    ├── ApiError                     the API answered with an error status
    │   ├── AuthenticationError      401: missing or invalid API key
    │   ├── PermissionDeniedError    403
    │   ├── NotFoundError            404: no such task for this key
    │   ├── ConflictError            409: the task's status does not allow this
    │   ├── PayloadTooLargeError     413
    │   ├── RangeNotSatisfiableError 416
    │   ├── ValidationError          422: the API rejected the request's content
    │   ├── RateLimitError           429 (after retries)
    │   └── ServerError              5xx (after retries)
    ├── TaskError                    about a task's life rather than one request
    │   ├── TaskTimeoutError         wait(timeout=...) ran out (also TimeoutError)
    │   ├── TaskFinishedError        kill() on a task that already finished otherwise
    │   ├── TaskFailedError          get_output() on a task that did not succeed
    │   └── KillTimeoutError         kill() was not confirmed in time
    └── TransferError                an upload or download could not be completed
        ├── IntegrityError           size or CRC of downloaded data is wrong
        └── UnsafeArchiveError       an archive member would escape the output directory
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "InductivaError",
    "IntegrityError",
    "InvalidArgumentError",
    "KillTimeoutError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RangeNotSatisfiableError",
    "RateLimitError",
    "ServerError",
    "TaskError",
    "TaskFailedError",
    "TaskFinishedError",
    "TaskTimeoutError",
    "TransferError",
    "UnknownFilesError",
    "UnsafeArchiveError",
    "ValidationError",
    "error_for_status",
]


class InductivaError(Exception):
    """Root of every error raised by the inductiva client."""


class ConfigurationError(InductivaError, ValueError):
    """A setting is missing or invalid."""


class InvalidArgumentError(InductivaError, ValueError):
    """An argument has a value that is not allowed; the message names what is."""


class UnknownFilesError(InvalidArgumentError):
    """Requested output files are not in the task's archive."""

    def __init__(self, message: str, missing: Sequence[str]) -> None:
        super().__init__(message)
        self.missing = list(missing)


class ApiConnectionError(InductivaError):
    """The API could not be reached, even after retrying."""


class ApiTimeoutError(ApiConnectionError):
    """A request to the API took longer than the configured timeout."""


class ApiError(InductivaError):
    """The API answered with an error status.

    ``status_code`` is the HTTP status, ``code`` the API's machine-readable
    error code and ``message`` its human-readable explanation.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str = "",
        method: str = "",
        url: str = "",
        retry_after: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.method = method
        self.url = url
        self.retry_after = retry_after


class AuthenticationError(ApiError):
    """401: the API key is missing or invalid."""


class PermissionDeniedError(ApiError):
    """403: the API key may not do this."""


class NotFoundError(ApiError):
    """404: no such resource for this API key."""


class ConflictError(ApiError):
    """409: the task's current status does not allow this operation."""


class PayloadTooLargeError(ApiError):
    """413: the upload is larger than the API accepts."""


class RangeNotSatisfiableError(ApiError):
    """416: a byte range lies outside the archive."""


class ValidationError(ApiError):
    """422: the API rejected the request's content."""


class RateLimitError(ApiError):
    """429: too many requests, still refused after retrying."""


class ServerError(ApiError):
    """5xx: the API failed, still failing after retrying."""


class TaskError(InductivaError):
    """An operation on a task cannot proceed because of the task's state."""

    def __init__(self, message: str, *, task_id: str = "", status: str = "") -> None:
        super().__init__(message)
        self.task_id = task_id
        self.status = status


class TaskTimeoutError(TaskError, TimeoutError):
    """``wait(timeout=...)`` ran out before the task finished."""


class TaskFinishedError(TaskError):
    """``kill()`` was called on a task that had already finished."""


class TaskFailedError(TaskError):
    """The task ended without success, so it has no result to read."""


class KillTimeoutError(TaskError, TimeoutError):
    """The API did not confirm a kill within the timeout."""


class TransferError(InductivaError):
    """An upload or download could not be completed; no partial file is left."""


class IntegrityError(TransferError):
    """Downloaded data does not match the expected size or CRC."""


class UnsafeArchiveError(TransferError):
    """An archive member has an absolute path, ``..`` or a name invalid here."""


_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    416: RangeNotSatisfiableError,
    422: ValidationError,
    429: RateLimitError,
}

_HINTS: dict[type[ApiError], str] = {
    AuthenticationError: " Set a valid key with INDUCTIVA_API_KEY or `inductiva.api_key = ...`.",
    RateLimitError: " Retry later or raise `inductiva.max_retries`.",
    ServerError: " The API may be down; retry later.",
}


def error_for_status(
    status_code: int,
    code: str,
    message: str,
    *,
    method: str = "",
    url: str = "",
    retry_after: str | None = None,
) -> ApiError:
    """The ApiError subclass for an HTTP error status, with a message saying what to do."""
    cls = _BY_STATUS.get(status_code) or (ServerError if status_code >= 500 else ApiError)
    where = f" ({method} {url})" if method else ""
    text = f"{message or 'HTTP ' + str(status_code)}{where}{_HINTS.get(cls, '')}"
    return cls(
        text, status_code=status_code, code=code, method=method, url=url, retry_after=retry_after
    )
