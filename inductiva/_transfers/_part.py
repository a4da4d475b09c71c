"""The one resume model of a whole-archive download: ``output.zip.part`` and its sidecar.

Every mode (one stream, parallel ranges, extracted or kept) writes the archive
into the same ``.part`` file and describes it in the same sidecar,
``output.zip.part.json``::

    {"task_id": "...", "etag": "\\"v1\\"", "size": 123456, "segments": null}

* ``etag`` and ``size`` pin the archive version the bytes belong to (a resume
  sends ``If-Range: <etag>``; without an ETag nothing can be resumed);
* ``segments`` null (or absent): the ``.part`` holds the archive's first
  bytes, as many as the file is long (a single stream appends to it);
* ``segments`` ``[[start, end, have], ...]``: the ``.part`` is ``size`` bytes
  long and each range ``[start, end)`` of the archive holds its first ``have``
  bytes (parallel ranges write in place). The ranges tile ``[0, size)``.

Whichever mode wrote it, the next call (blocking or asyncio, extracting or
not) resumes from what it holds (see :class:`PartState`). A sidecar that
does not parse, or describes something implausible (an ETag with CR/LF, a
million segments, negative offsets, bytes beyond the declared size, a
``.part`` of the wrong length), is discarded with a WARNING and the download
starts over: local state never wedges a later call. A sidecar left by an
earlier version (``output.zip.part.ranges.json``) is read the same way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

import attrs

from .._validate import printable

__all__ = [
    "MAX_SEGMENTS",
    "MAX_SIDECAR_BYTES",
    "PartState",
    "Segment",
    "discard",
    "load",
    "save",
    "sidecar",
]

logger = logging.getLogger("inductiva")

MAX_SEGMENTS = 1024
"""More ranges than this in a sidecar are implausible (``download_connections`` per call)."""
MAX_SIDECAR_BYTES = 256 * 1024
MAX_ARCHIVE_BYTES = 2**53
_ETAG = re.compile(r'^(W/)?"?[\x21-\x7e]{1,1022}"?$')

Segment = list[int]
"""``[start, end_exclusive, have]`` of one range of the archive (``have`` grows)."""


class _Implausible(ValueError):
    """The sidecar parsed but cannot describe a real download."""


@attrs.frozen
class PartState:
    """What the sidecar says the ``.part`` holds; see the module docstring."""

    task_id: str
    etag: str | None
    size: int | None
    segments: tuple[tuple[int, int, int], ...] | None = None
    held_prefix: int = 0
    """For a sequential ``.part`` (no segments): how many first bytes it holds."""

    @property
    def resumable(self) -> bool:
        """Whether a later request can continue these bytes (the archive has an ETag)."""
        return bool(self.etag)

    @property
    def held(self) -> int:
        """Bytes of the archive the ``.part`` holds."""
        if self.segments is None:
            return self.held_prefix
        return sum(have for _start, _end, have in self.segments)

    @property
    def complete(self) -> bool:
        """Whether every byte of a known-size archive is held."""
        return self.size is not None and self.held == self.size

    def as_segments(self) -> list[Segment]:
        """The ranges of the archive with what each holds (a prefix is one range)."""
        if self.segments is not None:
            return [list(s) for s in self.segments]
        assert self.size is not None
        return [[0, self.size, self.held_prefix]] if self.size else []


def sidecar(part: Path) -> Path:
    """Where the state of ``part`` is kept."""
    return part.with_name(part.name + ".json")


def _legacy_sidecar(part: Path) -> Path:
    return part.with_name(part.name + ".ranges.json")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def discard(part: Path) -> None:
    """Remove ``part`` and its sidecars, whatever they are (a directory in the way too)."""
    state = sidecar(part)
    for path in (part, state, state.with_name(state.name + ".tmp"), _legacy_sidecar(part)):
        with contextlib.suppress(FileNotFoundError):
            _remove(path)


def save(part: Path, state: PartState) -> None:
    """Record ``state`` as the sidecar of ``part`` (replacing it whole, never half-written)."""
    body = {
        "task_id": state.task_id,
        "etag": state.etag,
        "size": state.size,
        "segments": [list(s) for s in state.segments] if state.segments is not None else None,
    }
    path = sidecar(part)
    staged = path.with_name(path.name + ".tmp")
    staged.write_text(json.dumps(body))
    os.replace(staged, path)
    _legacy_sidecar(part).unlink(missing_ok=True)


def _integer(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Implausible(f"{what} is {printable(repr(value)[:40])}, not in [{low}, {high}]")
    return value


def _segments(raw: Any, size: int | None) -> tuple[tuple[int, int, int], ...]:
    if size is None:
        raise _Implausible("ranges are recorded for an archive of unknown size")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_SEGMENTS:
        count = len(raw) if isinstance(raw, list) else type(raw).__name__
        raise _Implausible(f"{count} ranges recorded (1 to {MAX_SEGMENTS} allowed)")
    found: list[tuple[int, int, int]] = []
    expected = 0
    for item in raw:
        if not isinstance(item, list) or len(item) != 3:
            raise _Implausible(f"a range is {printable(repr(item)[:40])}")
        start = _integer(item[0], "a range's start", expected, expected)
        end = _integer(item[1], "a range's end", start + 1, size)
        have = _integer(item[2], "a range's received bytes", 0, end - start)
        found.append((start, end, have))
        expected = end
    if expected != size:
        raise _Implausible(f"the ranges cover {expected} of {size} bytes")
    return tuple(found)


def _etag(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _ETAG.match(value):
        raise _Implausible(f"the ETag is {printable(repr(value)[:60])}")
    return value


def _parse(part: Path, raw: Any, task_id: str) -> PartState | None:
    if not isinstance(raw, dict):
        raise _Implausible(f"it holds a {type(raw).__name__}, not an object")
    owner = raw.get("task_id")
    if not isinstance(owner, str):
        raise _Implausible("it names no task")
    if owner != task_id:
        logger.info("%s holds task %s's download, not %s's; starting over", part, owner, task_id)
        return None
    etag = _etag(raw.get("etag"))
    size = raw.get("size")
    size = None if size is None else _integer(size, "the size", 0, MAX_ARCHIVE_BYTES)
    segments = raw.get("segments")
    on_disk = part.stat().st_size if part.is_file() else -1
    if on_disk < 0:
        raise _Implausible("the .part file is missing or not a file")
    if segments is None:
        if size is not None and on_disk > size:
            raise _Implausible(f"the .part holds {on_disk} bytes of a {size}-byte archive")
        return PartState(task_id, etag, size, None, on_disk)
    found = _segments(segments, size)
    if on_disk != size:
        raise _Implausible(f"the .part is {on_disk} bytes, not the archive's {size}")
    return PartState(task_id, etag, size, found)


def _read(path: Path) -> Any:
    with path.open("rb") as fh:
        text = fh.read(MAX_SIDECAR_BYTES + 1)
    if len(text) > MAX_SIDECAR_BYTES:
        raise _Implausible(f"it is over {MAX_SIDECAR_BYTES} bytes long")
    return json.loads(text)


def load(part: Path, task_id: str) -> PartState | None:
    """The state of ``part`` if it can be resumed for ``task_id``, else None (start over).

    Unreadable or implausible state is discarded here, with a WARNING; so is a
    ``.part`` left without a sidecar, or one whose archive had no ETag.
    """
    path = sidecar(part)
    if not path.exists() and _legacy_sidecar(part).exists():
        path = _legacy_sidecar(part)
    if not path.exists() and not part.exists():
        return None
    try:
        state = _parse(part, _read(path), task_id)
    except FileNotFoundError:
        state = None
    except (OSError, ValueError, RecursionError) as exc:  # JSON errors and _Implausible
        logger.warning(
            "Discarding the partial download in %s: its record %s is unusable (%s); "
            "the download starts over.",
            part.parent,
            path.name,
            printable(str(exc)[:200]),
        )
        state = None
    if state is not None and not state.resumable:
        logger.info("The partial download in %s has no ETag to resume with; starting over", part)
        state = None
    if state is None:
        discard(part)
    return state
