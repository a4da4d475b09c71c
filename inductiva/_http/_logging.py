"""``INDUCTIVA_LOG``: the library's logs on stderr, without writing any logging code.

Like ``ANTHROPIC_LOG`` or ``HTTPX_LOG_LEVEL``: with ``INDUCTIVA_LOG=info`` (or
``debug``, ``warning``, ``error``) the first client that is built (or the first
call of the module-level API) attaches one stderr handler to the ``inductiva``
logger at that level; ``debug`` also shows httpx's line per request. Nothing
happens at import, and nothing is attached when the ``inductiva`` logger already
has a handler (your own logging configuration, or the command line's ``-v``). An
unknown value is a :class:`~inductiva.errors.ConfigurationError` naming the
allowed ones. Secrets stay masked (see :mod:`inductiva._redact`).
"""

from __future__ import annotations

import logging
import os
import sys

from .. import errors
from .._redact import install_log_filter
from .._validate import printable

__all__ = ["LOG_LEVELS", "setup_logging"]

LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
"""The values ``INDUCTIVA_LOG`` accepts (any case)."""


class _EnvHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler ``INDUCTIVA_LOG`` attached (told apart from the user's own)."""


def _level() -> int | None:
    """The level ``INDUCTIVA_LOG`` asks for, None when unset; ConfigurationError if unknown."""
    raw = os.environ.get("INDUCTIVA_LOG", "").strip()
    if not raw:
        return None
    level = LOG_LEVELS.get(raw.lower())
    if level is None:
        raise errors.ConfigurationError(
            f"INDUCTIVA_LOG={printable(repr(raw)[:60])} is not valid: expected one of "
            f"{', '.join(LOG_LEVELS)} (or unset: no log output unless you configure logging)",
            setting="log",
        )
    return level


def setup_logging() -> None:
    """Attach the ``INDUCTIVA_LOG`` stderr handler to the ``inductiva`` logger, once."""
    level = _level()
    if level is None:
        return
    logger = logging.getLogger("inductiva")
    if logger.handlers:  # already ours, or the application's own configuration
        return
    handler = _EnvHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    if level == logging.DEBUG:
        http = logging.getLogger("httpx")
        http.addHandler(handler)
        http.setLevel(logging.INFO)
    install_log_filter()
