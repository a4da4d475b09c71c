"""Every error the client raises, under one root.

::

    InductivaError
    ├── ConfigurationError           bad or missing settings (also ValueError)
    ├── InvalidArgumentError         a bad argument, naming what is allowed (also ValueError)
    │   └── UnknownFilesError        download_outputs(filenames=...) names files not in the archive
    ├── OutputFileError              an output file is missing, or not in the format its reader
    │                                expects (also ValueError); the message names the file
    ├── ApiConnectionError           the API could not be reached (after retries)
    │   └── ApiTimeoutError          a request took too long (a read, or the whole call)
    ├── InvalidResponseError         the API answered 2xx with something unusable (not JSON,
    │   │                            HTML from a proxy, wrong types, too deeply nested)
    │   └── ResponseTooLargeError    an answer longer than max_response_bytes
    ├── ApiError                     the API answered with an error status; ``message`` is
    │   │                            its ``{"detail": "..."}`` text (or the body's start)
    │   ├── AuthenticationError      401: missing or invalid API key
    │   ├── PermissionDeniedError    403
    │   ├── NotFoundError            404: no such task for this key
    │   ├── ConflictError            409: the task's status does not allow this
    │   ├── PayloadTooLargeError     413
    │   ├── RangeNotSatisfiableError 416
    │   ├── ValidationError          422: the API rejected the request's content; ``detail``
    │   │                            lists a FieldError (loc, msg, type) per problem
    │   ├── RateLimitError           429 (after retries)
    │   └── ServerError              5xx (after retries)
    ├── TaskError                    about a task's life rather than one request
    │   ├── TaskTimeoutError         wait(timeout=...) ran out (also TimeoutError)
    │   ├── TaskFinishedError        kill() on a task that already finished otherwise
    │   ├── TaskFailedError          get_output() on a task that did not succeed
    │   └── KillTimeoutError         kill() was not confirmed in time
    └── TransferError                an upload or download could not be completed
        ├── IntegrityError           size or CRC of downloaded data is wrong
        ├── UnsafeArchiveError       an archive member would escape the output directory,
        │   │                        or has a name this system cannot hold
        │   └── ArchiveTooLargeError the archive exceeds max_extract_size or
        │                            max_compression_ratio (a zip bomb?)
        ├── LocalFileError           a local file or directory could not be read or written
        │   └── InsufficientSpaceError  not enough free disk space (checked ahead, or ENOSPC)
        └── DownloadInProgressError  another download into the same directory is running
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import attrs
from typing_extensions import Unpack

from ._redact import redact

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "ArchiveTooLargeError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "DownloadInProgressError",
    "FieldError",
    "InductivaError",
    "InsufficientSpaceError",
    "IntegrityError",
    "InvalidArgumentError",
    "InvalidResponseError",
    "KillTimeoutError",
    "LocalFileError",
    "NotFoundError",
    "OutputFileError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RangeNotSatisfiableError",
    "RateLimitError",
    "RequestFacts",
    "ResponseTooLargeError",
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
    """Root of every error raised by the inductiva client.

    Besides its message, an error may say what it is about, for a caller that gives
    its own advice (the command line names its flags): ``setting`` is the setting
    the remedy lies in (``"api_url"``, ``"api_key"``...), ``problem`` the message
    without the library's advice, and ``kept`` the partial or complete download a
    failed download left on disk (the same call resumes from it). Each is None
    when it does not apply.
    """

    setting: str | None = None
    problem: str | None = None
    kept: str | None = None

    def __init__(
        self, *args: object, setting: str | None = None, problem: str | None = None
    ) -> None:
        super().__init__(*args)
        if setting is not None:  # else the class's (AuthenticationError: the API key)
            self.setting = setting
        self.problem = problem


class ConfigurationError(InductivaError, ValueError):
    """A setting is missing or invalid."""


class InvalidArgumentError(InductivaError, ValueError):
    """An argument has a value that is not allowed; the message names what is."""


class UnknownFilesError(InvalidArgumentError):
    """Requested output files are not in the task's archive."""

    def __init__(self, message: str, missing: Sequence[str]) -> None:
        super().__init__(message)
        self.missing = list(missing)


class OutputFileError(InductivaError, ValueError):
    """An output file is missing, or is not in the format its reader expects.

    The message names the file and what is wrong with it (or how to download it).
    """


class ApiConnectionError(InductivaError):
    """The API could not be reached, even after retrying."""


class ApiTimeoutError(ApiConnectionError):
    """A request to the API took longer than the configured timeout."""


class InvalidResponseError(InductivaError):
    """The API answered with something this client cannot use (not what the contract says).

    A proxy's or captive portal's HTML page, garbage, values of the wrong type,
    JSON nested too deeply: the request may have been processed; the answer is
    not shown whole (only its start, with secrets masked).
    """


class ResponseTooLargeError(InvalidResponseError):
    """An answer was longer than ``max_response_bytes`` (it was not read further)."""


@attrs.frozen
class FieldError:
    """One problem of a 422 answer: where (``loc``, e.g. ``("body", "file")``), what, and its kind.

    ``str()`` gives ``"body.file: field required"``.
    """

    loc: tuple[str | int, ...]
    msg: str
    type: str = ""

    def __str__(self) -> str:
        where = ".".join(str(part) for part in self.loc)
        return f"{where}: {self.msg}" if where else self.msg


class RequestFacts(TypedDict, total=False):
    """What an :class:`ApiError` knows of the request and the answer besides the status."""

    method: str
    url: str
    retry_after: str | None
    detail: Sequence[FieldError]


class ApiError(InductivaError):
    """The API answered with an error status.

    ``status_code`` is the HTTP status; ``message`` (also ``str(exc)``) is the
    API's explanation (the ``detail`` of its ``{"detail": "..."}`` body), the
    request and what to do. ``detail`` holds the field errors of a 422.
    """

    def __init__(self, message: str, *, status_code: int, **request: Unpack[RequestFacts]) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.detail = list(request.get("detail", ()))
        self.method = request.get("method", "")
        self.url = request.get("url", "")
        self.retry_after = request.get("retry_after")


class AuthenticationError(ApiError):
    """401: the API key is missing or invalid."""

    setting = "api_key"


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
    """422: the API rejected the request's content.

    ``detail`` holds one :class:`FieldError` per problem the API named (empty if
    the body did not list any); the message shows them all.
    """


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
    """An upload or download could not be completed (what was kept is in the message)."""


class IntegrityError(TransferError):
    """Downloaded data does not match the expected size or CRC."""


class UnsafeArchiveError(TransferError):
    """An archive member has an absolute path, ``..`` or a name invalid here."""


class ArchiveTooLargeError(UnsafeArchiveError):
    """The archive declares more than ``max_extract_size`` bytes or expands too much."""


class LocalFileError(TransferError):
    """A local file or directory could not be created, read or written (permissions, path)."""


class InsufficientSpaceError(LocalFileError):
    """The disk holding the output directory has not enough free space."""


class DownloadInProgressError(TransferError):
    """Another download into the same output directory holds its lock."""


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


def error_for_status(status_code: int, message: str, **request: Unpack[RequestFacts]) -> ApiError:
    """The ApiError subclass for an HTTP error status, with a message saying what to do.

    The field errors of ``detail`` (a 422's list) are appended to ``message``.
    Secrets (API keys, URL passwords) are masked in the message and the URL.
    """
    cls = _BY_STATUS.get(status_code) or (ServerError if status_code >= 500 else ApiError)
    detail, method = request.get("detail", ()), request.get("method", "")
    problems = "; ".join(str(d) for d in detail)
    text = message or f"HTTP {status_code}"
    if problems:
        text = f"{text}: {problems}" if message else problems
    url = redact(request.get("url", ""))
    where = f" ({method} {url})" if method else ""
    message = redact(f"{text}{where}{_HINTS.get(cls, '')}")
    request["url"] = url
    return cls(message, status_code=status_code, **request)
