"""Limits on what an output archive may unpack to, checked before anything is written.

Two settings, each read like the others (``inductiva.<name>``, then
``INDUCTIVA_<NAME>``, then the default) and checked before any request:

* ``max_extract_size`` (``INDUCTIVA_MAX_EXTRACT_SIZE``): the most bytes the
  extracted files may add up to, by the archive's own declaration
  (default 64 GiB);
* ``max_compression_ratio`` (``INDUCTIVA_MAX_COMPRESSION_RATIO``): the most
  the archive may expand, extracted bytes over compressed bytes, once it
  declares more than :data:`RATIO_FLOOR` bytes (default 200; a zip bomb
  reaches about 1000).

Free space is checked too: the archive needs its size free before it is
downloaded, the extraction the declared total of what it writes. Each member's
output is also cut at its declared size (:mod:`inductiva._transfers._zipstream`),
so a lying declaration cannot get past these checks.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

import attrs

from .. import errors
from .._validate import printable

__all__ = [
    "DEFAULT_MAX_EXTRACT_SIZE",
    "DEFAULT_MAX_RATIO",
    "RATIO_FLOOR",
    "Limits",
    "check_archive",
    "check_free_space",
    "current",
]

DEFAULT_MAX_EXTRACT_SIZE = 64 * 1024**3
DEFAULT_MAX_RATIO = 200.0
RATIO_FLOOR = 100 * 1024**2
"""Archives declaring less than this many extracted bytes are not held to the ratio."""
SPACE_MARGIN = 16 * 1024**2


@attrs.frozen
class Limits:
    """The extraction limits in force."""

    max_extract_size: int = DEFAULT_MAX_EXTRACT_SIZE
    max_compression_ratio: float = DEFAULT_MAX_RATIO


def _read(name: str, default: float, parse: type[int] | type[float]) -> float:
    value = getattr(sys.modules.get("inductiva"), name, None)
    env = f"INDUCTIVA_{name.upper()}"
    where = f"inductiva.{name}"
    if value is None:
        raw = os.environ.get(env, "").strip()
        if not raw:
            return default
        where = env
        try:
            value = parse(raw)
        except (ValueError, OverflowError):
            raise errors.ConfigurationError(
                f"{env}={printable(repr(raw)[:60])} is not valid: expected a number > 0"
            ) from None
    ok = not isinstance(value, bool) and isinstance(value, int | float)
    if ok and parse is int and not isinstance(value, int):
        ok = False
    try:
        ok = ok and 0 < float(value) < float("inf")
    except OverflowError:  # an int too large for a float: far beyond any real limit
        ok = False
    if not ok:
        raise errors.ConfigurationError(
            f"{where}={printable(repr(value)[:60])} is not valid: expected a "
            f"{'whole number of bytes' if parse is int else 'finite number'} > 0"
        )
    return float(value)


def current() -> Limits:
    """The limits set now; ConfigurationError if one is invalid."""
    size = _read("max_extract_size", DEFAULT_MAX_EXTRACT_SIZE, int)
    ratio = _read("max_compression_ratio", DEFAULT_MAX_RATIO, float)
    return Limits(int(size), float(ratio))


def _gib(n: float) -> str:
    return f"{n / 1024**3:.2f} GiB" if n >= 1024**3 else f"{n / 1024**2:.1f} MiB"


def check_archive(sizes: Iterable[tuple[int, int]], where: str) -> int:
    """Refuse an archive whose ``(file_size, compress_size)`` pairs exceed the limits.

    Returns the declared total of extracted bytes.
    """
    limits = current()
    total = packed = 0
    for size, compressed in sizes:
        total += size
        packed += compressed
    if total > limits.max_extract_size:
        raise errors.ArchiveTooLargeError(
            f"{where} would extract to {_gib(total)}, over the limit of "
            f"{_gib(limits.max_extract_size)}; nothing was extracted. If you expect outputs "
            "this large, raise inductiva.max_extract_size (INDUCTIVA_MAX_EXTRACT_SIZE), or "
            "download with uncompress=False."
        )
    ratio = total / max(packed, 1)
    if total > RATIO_FLOOR and ratio > limits.max_compression_ratio:
        raise errors.ArchiveTooLargeError(
            f"{where} expands {ratio:.0f} times ({_gib(packed)} to {_gib(total)}), over the "
            f"limit of {limits.max_compression_ratio:g} (a zip bomb?); nothing was extracted. "
            "If you trust it, raise inductiva.max_compression_ratio "
            "(INDUCTIVA_MAX_COMPRESSION_RATIO), or download with uncompress=False."
        )
    return total


def check_free_space(directory: Path, needed: int, what: str) -> None:
    """InsufficientSpaceError if ``directory``'s file system has less than ``needed`` bytes free."""
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return  # cannot tell: the writes themselves will report a full disk
    if needed + SPACE_MARGIN > free:
        raise errors.InsufficientSpaceError(
            f"{what} needs {_gib(needed)} but only {_gib(free)} is free in {str(directory)!r}; "
            "free some space or choose another output_dir."
        )
