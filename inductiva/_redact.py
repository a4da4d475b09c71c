"""Keeping secrets out of messages, logs and reprs.

Text that reaches an exception message, a log record or a repr may carry what
a server echoed back (an error body quoting the request, a redirect URL) or a
URL with credentials (``https://user:password@host``). :func:`redact` replaces
every secret this process has been given (API keys and URL passwords,
:func:`register`-ed when a client is built) and any ``user:password@`` part of a
URL with ``[redacted]``. :class:`RedactingFilter`, added to the ``inductiva``
logger (and httpx's, which logs request URLs) when a client is built
(:func:`install_log_filter`), is a second line of defence for log records.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["MASK", "RedactingFilter", "install_log_filter", "redact", "redact_url", "register"]

MASK = "[redacted]"
MIN_SECRET = 6
"""Shorter values are not treated as secrets (masking them would mangle ordinary text)."""

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:]*:[^\s/@]*@")


def register(*secrets: str | None) -> None:
    """Remember ``secrets`` so that :func:`redact` masks them from now on."""
    global _secrets
    found = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET}
    if found - _secrets:
        with _lock:
            _secrets = _secrets | found


def redact_url(url: str) -> str:
    """``url`` without the password of its ``user:password@`` part."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{MASK}@", url)


def redact(text: str, *extra: str | None) -> str:
    """``text`` with every registered secret, ``extra`` secret and URL password masked."""
    secrets = _secrets | {s for s in extra if isinstance(s, str) and len(s) >= MIN_SECRET}
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return redact_url(text)


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's final message (the arguments are merged into it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_FILTER = RedactingFilter()


LOGGERS = ("inductiva", "httpx", "httpcore")
"""Our logger, and those of the HTTP stack (httpx logs every request's URL at INFO)."""


def install_log_filter() -> None:
    """Add :class:`RedactingFilter` to :data:`LOGGERS` (once each)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
