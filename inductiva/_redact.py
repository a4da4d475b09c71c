"""Keeping secrets out of messages, logs and reprs.

Text that reaches an exception message, a log record or a repr may carry what
a server echoed back (an error body quoting the request, a redirect URL) or a
URL with credentials (``https://user:password@host``). :func:`redact` replaces
every secret this process has been given (API keys and URL passwords,
:func:`register`-ed when a client is built) with ``[redacted]``, and the
credentials part of any URL (``https://user:password@host``) with ``redacted``,
so that a redacted URL is still a URL (``https://redacted@host``: brackets there
would read as an IPv6 host). :class:`RedactingFilter`, added to the ``inductiva``
logger (and httpx's, which logs request URLs) when a client is built
(:func:`install_log_filter`), is a second line of defence for log records.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = [
    "MASK",
    "URL_MASK",
    "RedactingFilter",
    "install_log_filter",
    "redact",
    "redact_url",
    "register",
]

MASK = "[redacted]"
URL_MASK = "redacted"
"""What stands for the credentials of a URL (a valid user name, so the URL still parses)."""
MIN_SECRET = 6
"""Shorter values are not treated as secrets (masking them would mangle ordinary text)."""

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@]*@")


def register(*secrets: str | None) -> None:
    """Remember ``secrets`` so that :func:`redact` masks them from now on."""
    global _secrets
    found = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET}
    if found - _secrets:
        with _lock:
            _secrets = _secrets | found


def redact_url(url: str) -> str:
    """``url`` (or any text) with the ``user:password@`` part of each URL replaced by
    ``redacted@``."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{URL_MASK}@", url)


def redact(text: str, *extra: str | None) -> str:
    """``text`` with URL credentials, every registered secret and ``extra`` secret masked."""
    text = redact_url(text)
    secrets = _secrets | {s for s in extra if isinstance(s, str) and len(s) >= MIN_SECRET}
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


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
    """Add :class:`RedactingFilter` to :data:`LOGGERS` and every logger below them (once each).

    A logger's filters see only the records logged through that very logger, not those
    of its children (``httpcore.http11`` logs every response's headers at DEBUG, an
    echoed key included), so each existing descendant gets the filter too.
    """
    manager = logging.Logger.manager
    names = [*LOGGERS]
    names += [
        name
        for name in list(manager.loggerDict)
        if any(name.startswith(f"{root}.") for root in LOGGERS)
    ]
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
