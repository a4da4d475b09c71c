"""SIGTERM handled like Ctrl-C: the blocking operation unwinds and cleans up.

A process manager (systemd, Docker, Kubernetes, a CI runner) stops a program
with SIGTERM. By default Python then dies at once, skipping every ``finally``:
a half-written staging directory stays behind and a blocking run does not kill
its remote task. Inside :func:`sigterm_as_interrupt` SIGTERM raises
:class:`Terminated`, a :class:`KeyboardInterrupt`, so the same cleanup as for
Ctrl-C runs. Only the main thread can install signal handlers, and a handler
the application installed itself is left alone.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "sigterm_as_interrupt"]


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM (raised like Ctrl-C's KeyboardInterrupt)."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated("terminated (SIGTERM)")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` in this block (main thread, default handler only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (AttributeError, ValueError):  # pragma: no cover - no SIGTERM here
        yield
        return
    if previous not in (signal.SIG_DFL, None):
        yield  # the application (or an outer block) handles SIGTERM
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
