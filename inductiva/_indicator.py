"""A one-line waiting indicator on stderr: ``Waiting for task 123: started (1m 05s)``.

While a blocking wait runs (``task.wait()``, a blocking ``run()``/``simulate()``,
``inductiva tasks wait``), the line is redrawn in place every second and
whenever the wait flow reports a new status (it is told through a callback: the
flow itself never prints); it is erased when the wait ends. Like a progress bar,
it is drawn only when stderr is a terminal, the progress setting is not False,
and the wait runs on the main thread (concurrent waits from worker threads or
asyncio tasks would fight over one line); otherwise nothing is printed.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["StatusCallback", "WaitIndicator", "elapsed_text", "indicator_enabled", "wait_indicator"]

StatusCallback = Callable[[str, str], None]
"""``(task_id, status)``: what a wait flow calls each time it sees a new status."""


def elapsed_text(seconds: float) -> str:
    """``45s``, ``1m 05s``, ``2h 03m 09s``."""
    whole = int(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def indicator_enabled(progress: bool | None, stream: TextIO | None = None) -> bool:
    """Whether to draw: a terminal, progress not turned off, and the main thread."""
    stream = sys.stderr if stream is None else stream
    try:
        terminal = bool(stream.isatty())
    except (AttributeError, ValueError):
        terminal = False
    main = threading.current_thread() is threading.main_thread()
    return terminal and progress is not False and main


class WaitIndicator:
    """The line itself: :meth:`update` with each status; a thread redraws it every second."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream, self._interval, self._clock = stream, interval, clock
        self._start = clock()
        self._task_id = ""
        self._status = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="inductiva-wait", daemon=True)

    def line(self) -> str:
        """The text shown now."""
        return (
            f"Waiting for task {self._task_id}: {self._status} "
            f"({elapsed_text(self._clock() - self._start)})"
        )

    def update(self, task_id: str, status: str) -> None:
        """A new status of ``task_id`` (drawn at once)."""
        self._task_id, self._status = task_id, status
        self._draw()

    def _draw(self) -> None:
        if not self._status:
            return
        with self._lock, contextlib.suppress(OSError, ValueError):
            self._stream.write(f"\r{self.line()}\x1b[K")
            self._stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            self._draw()

    def start(self) -> None:
        """Start redrawing every ``interval`` seconds."""
        self._thread.start()

    def stop(self) -> None:
        """Stop redrawing and erase the line."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._status:
            with self._lock, contextlib.suppress(OSError, ValueError):
                self._stream.write("\r\x1b[K")
                self._stream.flush()


@contextlib.contextmanager
def wait_indicator(progress: bool | None) -> Iterator[StatusCallback | None]:
    """The callback to give a wait flow, or None when nothing is to be drawn (see above)."""
    if not indicator_enabled(progress):
        yield None
        return
    indicator = WaitIndicator(sys.stderr)
    indicator.start()
    try:
        yield indicator.update
    finally:
        indicator.stop()
