"""Exit codes of the ``inductiva`` command line (documented in :mod:`inductiva.cli`)."""

from __future__ import annotations

__all__ = [
    "EXIT_AUTH",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_TIMEOUT",
    "EXIT_USAGE",
]

EXIT_OK = 0
"""The command did what was asked."""
EXIT_ERROR = 1
"""The API or the task reported an error, ``wait`` saw no success, or a kill was declined."""
EXIT_USAGE = 2
"""A bad option, argument or setting; or ``kill`` without ``--yes`` and no answer on stdin."""
EXIT_TIMEOUT = 3
"""``wait --timeout`` ran out before the task finished."""
EXIT_AUTH = 4
"""The API key is missing or invalid."""
EXIT_INTERRUPTED = 130
"""Interrupted with Ctrl-C (128 + SIGINT)."""
EXIT_TERMINATED = 143
"""Terminated with SIGTERM (128 + 15), after the same cleanup as Ctrl-C."""
