"""SIGTERM handled like Ctrl-C: the blocking operation unwinds and cleans up.

A process manager (systemd, Docker, Kubernetes, a CI runner) stops a program
with SIGTERM. By default Python then dies at once, skipping every ``finally``:
a half-written staging directory stays behind and a blocking run does not kill
its remote task. Inside :func:`sigterm_as_interrupt` SIGTERM raises
:class:`Terminated`, a :class:`KeyboardInterrupt`, so the same cleanup as for
Ctrl-C runs.

An exception raised from a signal handler can be swallowed by code it happens
to interrupt (a callback inside ``except Exception`` or ``except BaseException``
of a library). So the handler also records the signal, and the flow drivers
call :func:`raise_if_terminated` before every effect: a swallowed SIGTERM is
raised again at the next step, and an acknowledged one (:func:`acknowledge`,
once the flow has seen it) is not raised twice. Only the main thread can install
signal handlers, and a handler the application installed itself is left alone.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Terminated", "acknowledge", "raise_if_terminated", "sigterm_as_interrupt"]


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM (raised like Ctrl-C's KeyboardInterrupt)."""


_pending = threading.Event()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _pending.set()
    raise Terminated("terminated (SIGTERM)")


def raise_if_terminated() -> None:
    """Raise :class:`Terminated` if a SIGTERM arrived that no flow has seen yet."""
    if _pending.is_set():
        _pending.clear()
        raise Terminated("terminated (SIGTERM)")


def acknowledge(exc: BaseException) -> None:
    """Record that a flow has seen ``exc`` (a :class:`Terminated` is then not raised again)."""
    if isinstance(exc, Terminated):
        _pending.clear()


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
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        _pending.clear()
