"""Refusing to run beside the vendor's ``inductiva`` distribution.

This client is distributed as ``inductiva-tasks`` and imported as ``inductiva``.
The public package index's ``inductiva`` is Inductiva's own, unrelated SDK, and
it installs a top-level ``inductiva`` package too: with both installed, one
overwrote the other's files, and what gets imported is a mix of the two. That is
detected at first use (when a client's connection pool is first built, and by
the command line before it runs a command), never at import, and refused with a
:class:`~inductiva.errors.ConfigurationError` saying how to repair the environment.
"""

from __future__ import annotations

import os
import re
import sys

from .. import errors
from .._validate import printable

__all__ = ["DISTRIBUTION", "VENDOR_DISTRIBUTION", "check_installation"]

DISTRIBUTION = "inductiva-tasks"
"""This client's distribution name (``pip install inductiva-tasks``)."""
VENDOR_DISTRIBUTION = "inductiva"
"""The vendor's SDK on the public index, whose import package has the same name as ours."""

_checked = False


_VENDOR_INFO = re.compile(r"^inductiva-(\d[^-]*)\.(?:dist|egg)-info$", re.IGNORECASE)
"""The metadata directory of the vendor's distribution (ours is ``inductiva_tasks-...``)."""


def _vendor() -> tuple[str, str] | None:
    """``(version, site directory)`` of an installed ``inductiva`` distribution, if any.

    The metadata directories on ``sys.path`` are listed by name (no metadata is
    parsed, and ``importlib.metadata`` is not imported): a few milliseconds, where
    scanning every distribution's metadata takes a tenth of a second or more.
    """
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if (match := _VENDOR_INFO.match(name)) is not None:
                return match.group(1), os.path.abspath(entry or ".")
    return None


def check_installation() -> None:
    """ConfigurationError if the vendor's ``inductiva`` distribution is installed beside ours.

    Once the environment was found clean it is not looked at again in this process.
    """
    global _checked
    if _checked:
        return
    found = _vendor()
    if found is None:
        _checked = True
        return
    version, where = printable(found[0]), printable(found[1])
    raise errors.ConfigurationError(
        f"The distribution {VENDOR_DISTRIBUTION!r} {version} (Inductiva's own SDK, an "
        f"unrelated package) is installed in {where} beside {DISTRIBUTION} (this client): both "
        "install the Python package `inductiva`, so its files are a mix of the two. Keep one: "
        f"`{sys.executable} -m pip uninstall -y {VENDOR_DISTRIBUTION} {DISTRIBUTION} && "
        f"{sys.executable} -m pip install {DISTRIBUTION}` (or use separate virtual environments).",
        setting="installation",
    )
