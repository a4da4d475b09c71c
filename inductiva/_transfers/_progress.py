"""Progress bars for transfers (tqdm, on stderr) and a file wrapper that feeds one.

Bars count bytes in binary units (``unit="iB"`` scaled by 1024, so rates read
"273MiB/s" as in the seed). By default they are drawn only when stderr is a
terminal: piped into a CI log or a file, tqdm's carriage-return redraws would
pile up as messy partial lines. ``inductiva.progress = True`` or
``INDUCTIVA_PROGRESS=1`` forces them on, ``False``/``0`` off, and
``inductiva.Client(progress=...)`` beats both for its own transfers (resolved
with the client's other settings, see :mod:`inductiva._http._settings`). Bars
come from tqdm: in a Jupyter notebook ``tqdm.auto`` draws them as widgets (and
on by default there), elsewhere as text. tqdm is imported only when a bar is
drawn: a hidden bar is a :class:`Bar` that counts (the fast path of scripts and CI).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import IO, Any, Protocol

__all__ = ["Bar", "ProgressReader", "byte_bar", "extract_bar", "progress_enabled"]


class Bar(Protocol):
    """What transfers use of a progress bar (a tqdm bar, or a hidden one)."""

    n: float
    total: float | None

    def update(self, n: float = 1) -> bool | None: ...

    def refresh(self) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Bar: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class _Hidden:
    """A bar that is not drawn: it only counts (no tqdm import, no terminal I/O)."""

    def __init__(self, total: float | None, initial: float) -> None:
        self.total, self.n = total, initial

    def update(self, n: float = 1) -> None:
        self.n += n

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Hidden:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        pass


def _stderr_is_terminal() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (where tqdm.auto draws a widget)."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def progress_enabled(setting: bool | None = None) -> bool:
    """Whether transfer progress bars are drawn: ``setting`` (a client's resolved
    ``progress``: argument, ``inductiva.progress`` or ``INDUCTIVA_PROGRESS``), else
    only on a terminal or in a notebook."""
    if setting is not None:
        return setting
    return _stderr_is_terminal() or _in_notebook()


def byte_bar(
    total: int | None,
    desc: str | None = None,
    initial: int = 0,
    *,
    progress: bool | None = None,
) -> Bar:
    """A byte-counting progress bar on stderr (``progress``: see :func:`progress_enabled`)."""
    if not progress_enabled(progress):
        return _Hidden(total, initial)
    # In a notebook, tqdm.auto's widgets; else plain text (tqdm.auto imports asyncio and the
    # notebook helpers, a tenth of a second of a script's start).
    module = "tqdm.auto" if _in_notebook() else "tqdm"
    tqdm: Any = importlib.import_module(module).tqdm
    bar: Bar = tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit="iB",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    return bar


@contextlib.contextmanager
def extract_bar(progress: bool | None = None) -> Iterator[Callable[[int, int], None]]:
    """An "Extracting" bar (bytes written) and the ``progress(count, total)`` that advances it.

    Extraction reports each chunk it writes and the total it will write (see
    ``_extract.extract_archive``); the bar is drawn as :func:`byte_bar` decides.
    """
    with byte_bar(None, desc="Extracting", progress=progress) as bar:

        def advance(count: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
                bar.refresh()
            bar.update(count)

        yield advance


class ProgressReader(io.RawIOBase):
    """A read-only view of a binary file that advances a progress bar as it is read.

    ``fileno``/``seek``/``tell`` are passed through so httpx can learn the length
    (and send ``Content-Length``) while streaming the body in chunks.
    """

    def __init__(self, raw: IO[bytes], bar: Bar) -> None:
        super().__init__()
        self._raw = raw
        self._bar = bar

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Seekable when the wrapped file is."""
        return self._raw.seekable()

    def fileno(self) -> int:
        """The wrapped file's descriptor."""
        return self._raw.fileno()

    def tell(self) -> int:
        """The wrapped file's position."""
        return self._raw.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the wrapped file's position (the bar is not rewound)."""
        return self._raw.seek(offset, whence)

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes and count them on the bar."""
        data = self._raw.read(-1 if size is None else size)
        if data:
            self._bar.update(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer`` and count the bytes on the bar."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
