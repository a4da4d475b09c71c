"""Client settings: resolved when a client is built, never at import.

Each setting resolves as: an argument (``inductiva.Client(timeout=...)``), then
the module setting (``inductiva.timeout = ...``), then the environment variable
(``INDUCTIVA_TIMEOUT``), then the default. Every value is checked here, before
any request, with a :class:`~inductiva.errors.ConfigurationError` that names the
setting, where it came from and what is allowed; the API key is never shown.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from typing import Any, TypedDict
from urllib.parse import urlsplit

import attrs
import httpx
from typing_extensions import Unpack

from .. import errors
from .._redact import redact_url
from .._validate import check_seconds, printable
from ._logging import setup_logging
from ._retry import RetryPolicy

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_DOWNLOAD_CONNECTIONS",
    "MAX_RETRIES_LIMIT",
    "SETTING_NAMES",
    "Settings",
    "Tuning",
    "clean_api_key",
    "parse_progress",
    "resolve_settings",
]

logger = logging.getLogger("inductiva")

DEFAULT_API_URL = "https://api.inductiva.ai"
DEFAULT_DOWNLOAD_CONNECTIONS = 4
"""Concurrent range requests per large download (``download_connections``)."""
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""Longest answer to an API call (archives aside) read before giving up (64 MiB)."""
MAX_RETRIES_LIMIT = 100
SETTING_NAMES = (
    "api_key",
    "api_url",
    "timeout",
    "max_retries",
    "download_connections",
    "progress",
    "max_response_bytes",
)
"""The settings a client holds (argument > ``inductiva.<name>`` > ``INDUCTIVA_<NAME>``)."""


@attrs.frozen
class Settings:
    """Resolved client settings (see :func:`resolve_settings`).

    Only the key, URL, timeouts and retries identify a connection pool; the
    others can differ without rebuilding it (``eq=False``).
    """

    api_key: str | None = attrs.field(repr=False)  # never shown (see the secrets rule)
    api_url: str
    timeout: float = 60.0
    connect_timeout: float = 10.0
    max_retries: int = 4
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    """Longest answer to an API call (not an archive) that is read; see ``_bounds``."""
    download_connections: int = attrs.field(default=DEFAULT_DOWNLOAD_CONNECTIONS, eq=False)
    progress: bool | None = attrs.field(default=None, eq=False)
    """Progress bars: True, False, or None (a terminal or notebook decides)."""

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy these settings ask for."""
        return RetryPolicy(max_attempts=self.max_retries + 1)


def _module_value(name: str) -> object:
    return getattr(sys.modules.get("inductiva"), name, None)


def _setting(name: str, argument: object, default: Any, parse: Callable[[str], Any]) -> Any:
    if argument is not None:
        return argument
    module_value = _module_value(name)
    if module_value is not None:
        return module_value
    env = f"INDUCTIVA_{name.upper()}"
    raw = os.environ.get(env)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except (ValueError, OverflowError):
        shown = "<hidden>" if name == "api_key" else printable(repr(raw)[:80])
        raise errors.ConfigurationError(
            f"{env}={shown} is not valid: expected {parse.__name__}"
        ) from None


_KEY_CHARS = re.compile(r"[\x21-\x7e]+")


def clean_api_key(raw: object) -> str | None:
    """The key with surrounding whitespace stripped; ConfigurationError (without it) if invalid.

    A key read from a file usually ends in a newline: that is stripped. Any other
    control, space or non-ASCII character cannot travel in an HTTP header and is
    refused here, before any request, with a message that does not repeat the key.
    """
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise errors.ConfigurationError(
            f"api_key must be a string, got {type(raw).__name__}; set INDUCTIVA_API_KEY "
            "or `inductiva.api_key = '...'`."
        )
    key = raw.strip()
    if not key:
        return None
    if not _KEY_CHARS.fullmatch(key):
        position = next(i for i, ch in enumerate(key) if not _KEY_CHARS.fullmatch(ch))
        problem = (
            f"The API key ({len(key)} characters) holds a control, space or non-ASCII character "
            f"at position {position + 1}, which no valid key has."
        )
        raise errors.ConfigurationError(
            f"{problem} Copy the key again from your Inductiva account into INDUCTIVA_API_KEY "
            "(or `inductiva.api_key`).",
            setting="api_key",
            problem=problem,
        )
    return key


_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
_warned_plain_http: set[str] = set()


def _check_api_url(raw: object) -> str:
    if not isinstance(raw, str):
        raise errors.ConfigurationError(
            f"api_url must be a string such as {DEFAULT_API_URL!r}, got {type(raw).__name__}"
        )
    text = raw.strip().rstrip("/")
    problem = ""
    try:
        url = urlsplit(text)
        url.port  # noqa: B018  (raises ValueError for a bad port)
        httpx.URL(text)
    except (ValueError, httpx.InvalidURL) as exc:
        problem = f" ({printable(exc)})"
        url = urlsplit("")
    bad_chars = any(ch.isspace() or not ch.isprintable() for ch in text)
    if problem or bad_chars or url.scheme not in ("http", "https") or not url.hostname:
        shown = printable(repr(redact_url(text))[:200])
        raise errors.ConfigurationError(
            f"api_url {shown} is not an http(s) URL{redact_url(problem)}; set INDUCTIVA_API_URL "
            f"(or `inductiva.api_url`) to e.g. {DEFAULT_API_URL!r}.",
            setting="api_url",
            problem=f"The API URL {shown} is not an http(s) URL{redact_url(problem)}.",
        )
    if url.scheme == "http" and url.hostname not in _LOOPBACK and text not in _warned_plain_http:
        _warned_plain_http.add(text)
        logger.warning(
            "api_url %r uses plain http:// to a non-local host: your API key and data travel "
            "unencrypted. Use https:// unless you trust every network on the way.",
            redact_url(text),
        )
    return text


_FALSE = frozenset({"0", "false", "no", "off"})
_TRUE = frozenset({"1", "true", "yes", "on"})


def parse_progress(value: object, where: str = "progress") -> bool | None:
    """The progress switch: True, False or None; ConfigurationError for anything else."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        raw = value.strip().lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        if not raw:
            return None
        raise errors.ConfigurationError(
            f"{where}={printable(repr(value)[:60])} is not valid: expected 1/true/yes/on to "
            "show progress bars or 0/false/no/off to hide them (unset: shown on a terminal only)"
        )
    raise errors.ConfigurationError(
        f"{where}={printable(repr(value)[:60])} is not valid: expected True (show progress "
        "bars), False (hide them) or None (use INDUCTIVA_PROGRESS, else a terminal only)"
    )


def _progress(argument: object) -> bool | None:
    """The argument or ``inductiva.progress`` (True, False or None: no strings), else the env."""
    for value, where in ((argument, "progress"), (_module_value("progress"), "inductiva.progress")):
        if value is not None:
            if not isinstance(value, bool):
                raise errors.ConfigurationError(
                    f"{where}={printable(repr(value)[:60])} is not valid: expected True (show "
                    "progress bars), False (hide them) or None (use INDUCTIVA_PROGRESS, else a "
                    "terminal only)"
                )
            return value
    raw = os.environ.get("INDUCTIVA_PROGRESS", "")
    return parse_progress(raw, "INDUCTIVA_PROGRESS")


class Tuning(TypedDict, total=False):
    """The settings besides the key and the URL, as keyword arguments (None: not given)."""

    timeout: float | None
    max_retries: int | None
    download_connections: int | None
    progress: bool | None
    max_response_bytes: int | None


def resolve_settings(
    api_key: str | None = None, api_url: str | None = None, **tuning: Unpack[Tuning]
) -> Settings:
    """Per setting: argument, then ``inductiva.<name>``, then ``INDUCTIVA_<NAME>``, then default.

    Every setting is checked here, before any request: ConfigurationError names
    the one that is wrong and what is allowed. ``INDUCTIVA_LOG`` is applied here
    too (see :mod:`._logging`), so it takes effect with the first client.
    """
    setup_logging()
    seconds = _setting("timeout", tuning.get("timeout"), 60.0, float)
    retries = _setting("max_retries", tuning.get("max_retries"), 4, int)
    connections = _setting(
        "download_connections",
        tuning.get("download_connections"),
        DEFAULT_DOWNLOAD_CONNECTIONS,
        int,
    )
    check_seconds("timeout", seconds, error=errors.ConfigurationError)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise errors.ConfigurationError(f"max_retries must be an integer >= 0, got {retries!r}")
    if retries > MAX_RETRIES_LIMIT:
        raise errors.ConfigurationError(
            f"max_retries must be at most {MAX_RETRIES_LIMIT}, got {retries!r}"
        )
    if isinstance(connections, bool) or not isinstance(connections, int) or connections < 1:
        raise errors.ConfigurationError(
            "download_connections must be an integer >= 1 (1 = one stream, default "
            f"{DEFAULT_DOWNLOAD_CONNECTIONS}), got {printable(repr(connections)[:60])}"
        )
    limit = _setting(
        "max_response_bytes",
        tuning.get("max_response_bytes"),
        DEFAULT_MAX_RESPONSE_BYTES,
        int,
    )
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1024:
        raise errors.ConfigurationError(
            "max_response_bytes must be a whole number of bytes >= 1024 (default "
            f"{DEFAULT_MAX_RESPONSE_BYTES}), got {printable(repr(limit)[:60])}"
        )
    return Settings(
        api_key=clean_api_key(_setting("api_key", api_key, None, str)),
        api_url=_check_api_url(_setting("api_url", api_url, DEFAULT_API_URL, str)),
        timeout=float(seconds),
        max_retries=retries,
        max_response_bytes=limit,
        download_connections=connections,
        progress=_progress(tuning.get("progress")),
    )
