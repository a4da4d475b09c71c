"""Checks shared by every public entry point: numbers of seconds, flags, paths, display text.

Each refuses a bad value with :class:`~inductiva.errors.InvalidArgumentError`
(or the error class passed in) naming what is allowed, before any request is sent.
"""

from __future__ import annotations

import math
import os
import re

from .errors import InductivaError, InvalidArgumentError

__all__ = ["MAX_SECONDS", "check_flag", "check_path", "check_seconds", "printable"]

MAX_SECONDS = 10_000_000.0
"""Longest accepted timeout or poll interval (about 115 days): longer ones overflow timers."""


def check_seconds(
    name: str,
    value: object,
    *,
    allow_none: bool = False,
    allow_zero: bool = False,
    error: type[InductivaError] = InvalidArgumentError,
) -> float | None:
    """``value`` as seconds: a finite number > 0 (>= 0 with ``allow_zero``) up to MAX_SECONDS."""
    if value is None and allow_none:
        return None
    lower = ">= 0" if allow_zero else "> 0"
    wanted = f"{name} must be {'None or ' if allow_none else ''}a finite number of seconds " + (
        f"{lower} and <= {MAX_SECONDS:,.0f}"
    )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error(f"{wanted}, got {type(value).__name__} {_short(value)}")
    try:
        seconds = float(value)
    except OverflowError:
        raise error(f"{wanted}, got a number too large to use") from None
    if not math.isfinite(seconds) or seconds > MAX_SECONDS or seconds < 0:
        raise error(f"{wanted}, got {_short(value)}")
    if seconds == 0 and not allow_zero:
        raise error(f"{wanted}, got {_short(value)}")
    return seconds


def check_flag(name: str, value: object) -> bool:
    """``value`` if it is a bool (``"no"`` or ``0`` would silently mean the opposite)."""
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be True or False, got {_short(value)}")
    return value


def check_path(name: str, value: object) -> str | os.PathLike[str]:
    """A non-empty ``str``/``PathLike`` path without NUL characters."""
    if not isinstance(value, str | os.PathLike):
        raise InvalidArgumentError(f"{name} must be a path (str or Path), got {_short(value)}")
    text = os.fspath(value)
    if not isinstance(text, str) or not text:
        raise InvalidArgumentError(
            f"{name} must be a non-empty path; pass '.' for the current directory"
        )
    if "\x00" in text:
        raise InvalidArgumentError(f"{name} must not contain NUL characters")
    return value


_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def printable(text: object) -> str:
    """``text`` safe for a terminal: control characters (ESC, CR, bidi...) shown escaped."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode(), str(text))


def _short(value: object) -> str:
    text = printable(repr(value))
    return text if len(text) <= 80 else text[:77] + "..."
