"""Choosing output files by name in one pass, without a copy of every name.

``download_outputs(filenames=[...])`` names files (relative to ``artifacts/``)
or directories (which select every file under them). :class:`NameSelector`
takes the task's file names one at a time, in order, and keeps only those
asked for: for each name an exact lookup, and for each length of a directory
asked for one slice and one lookup, so 300,000 names cost a fraction of a
second and no set of all of them. Unknown names raise
:class:`~inductiva.errors.UnknownFilesError` (with close matches, found on a
second pass over the names) before anything is written.

The names come from the archive's central directory
(:func:`select_in_archive`, held compactly by
:class:`~inductiva._transfers._cdir.CentralDirectory`) or, on servers without
byte ranges, from ``GET /tasks/{id}/output/list`` (:func:`listing_of`, on the
raw body ``inductiva._transfers._listing`` reads), parsed with every entry
handed to the selector and then dropped.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .. import errors
from ._cdir import decode_name, encode_ascii
from ._remote_zip import RemoteZip

__all__ = [
    "NameSelector",
    "listing_of",
    "parse_listing",
    "select_in_archive",
]

_ARTIFACTS = "artifacts/"


def _clean(wanted: str) -> str:
    clean = wanted.replace("\\", "/")
    while clean.startswith("./"):
        clean = clean[2:]
    return clean


class NameSelector:
    """The files of a name list that ``filenames`` ask for (a directory selects its files)."""

    def __init__(self, filenames: Sequence[str]) -> None:
        self.filenames = list(filenames)
        self._exact: dict[str, list[int]] = {}
        self._dirs: dict[str, list[int]] = {}
        for i, wanted in enumerate(self.filenames):
            clean = _clean(wanted)
            self._exact.setdefault(clean, []).append(i)
            self._dirs.setdefault(clean.rstrip("/"), []).append(i)
        self._lengths = sorted({len(d) for d in self._dirs})
        self._found = [False] * len(self.filenames)
        self._inside: list[dict[str, None]] = [{} for _ in self.filenames]
        self.count = 0

    def feed(self, name: str) -> bool:
        """Take the next available name; True if it is asked for (or inside a directory that is)."""
        self.count += 1
        hit = False
        hits = self._exact.get(name)
        if hits is not None:
            hit = True
            for i in hits:
                self._found[i] = True
        size = len(name)
        for length in self._lengths:
            if length >= size:
                break
            if name[length] == "/":
                inside = self._dirs.get(name[:length])
                if inside is not None:
                    hit = True
                    for i in inside:
                        self._inside[i][name] = None
        return hit

    def result(self, task_id: str, again: Callable[[], Iterable[str]]) -> list[str]:
        """The selected names (asked-for order, a directory's files in listing order).

        UnknownFilesError names what matched nothing, with close matches among the
        names ``again()`` gives once more.
        """
        selected: dict[str, None] = {}
        missing = []
        for i, wanted in enumerate(self.filenames):
            if self._found[i]:
                selected[_clean(wanted)] = None
            elif self._inside[i]:
                selected.update(self._inside[i])
            else:
                missing.append(wanted)
        if missing:
            names = list(again())
            raise errors.UnknownFilesError(
                f"Not in the outputs of task {task_id}: "
                f"{', '.join(map(repr, missing))}.{_close_matches(missing, names)} "
                f"The task has {self.count} output files; list them with "
                "task.get_output_files_info().",
                missing,
            )
        return list(selected)


def _close_matches(missing: Sequence[str], names: Sequence[str]) -> str:
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, names, n=3)
        if close:
            hints.append(f"{name!r}: did you mean {', '.join(map(repr, close))}?")
    return (" " + " ".join(hints)) if hints else ""


def select_in_archive(archive: RemoteZip, task_id: str, filenames: Sequence[str]) -> dict[str, str]:
    """Member name -> output name of the files ``filenames`` select in ``archive``.

    Output names are relative to ``artifacts/`` in a full archive (one with files
    under it); directories are left out.
    """
    table = archive.members
    prefix = encode_ascii(_ARTIFACTS)
    strip = any(r[1].startswith(prefix) and r[1][-1:] != b"/" for r in table.records())

    def outputs() -> Iterable[str]:
        for record in table.records():
            name = decode_name(record[1], record[2])
            if name.endswith("/"):
                continue
            if not strip:
                yield name
            elif name.startswith(_ARTIFACTS):
                yield name[len(_ARTIFACTS) :]

    selector = NameSelector(filenames)
    for name in outputs():
        selector.feed(name)
    chosen = selector.result(task_id, outputs)
    return {(_ARTIFACTS + n if strip else n): n for n in chosen}


def parse_listing(text: str | bytes, feed: Callable[[str], None]) -> int:
    """Hand every file name of an ``OutputArchiveInfo`` document to ``feed``; the count."""
    count = 0

    def entry(obj: dict[str, Any]) -> Any:
        nonlocal count
        if "contents" in obj:
            return obj
        name = obj.get("name")
        if not isinstance(name, str):
            raise errors.TransferError("The server's output listing has an entry without a name.")
        feed(name)
        count += 1
        return None

    try:
        document = json.loads(text, object_hook=entry)
    except ValueError as exc:
        raise errors.TransferError(f"The server's output listing is not JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("contents"), list):
        raise errors.TransferError("The server's output listing has no list of contents.")
    return count


def listing_of(
    task_id: str, body: bytearray, filenames: Sequence[str] | None
) -> tuple[int, dict[str, tuple[int, int]]]:
    """The archive size an ``output/list`` body declares, and the files ``filenames`` select.

    Each entry is handed to the selector and dropped: only the selected files'
    ``(size, compressed size)`` are kept (none without ``filenames``), so a
    300,000-file listing costs no object per file. The body is emptied.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.TransferError(f"The server's output listing is not UTF-8: {exc}") from exc
    del body[:]
    selector = NameSelector(filenames) if filenames is not None else None
    sizes: dict[str, tuple[int, int]] = {}
    total = 0

    def entry(obj: dict[str, Any]) -> Any:
        nonlocal total
        if "contents" in obj:
            size = obj.get("size")
            total = size if isinstance(size, int) and not isinstance(size, bool) else -1
            return obj
        name, size, packed = obj.get("name"), obj.get("size"), obj.get("compressed_size")
        if not isinstance(name, str):
            raise errors.TransferError("The server's output listing has an entry without a name.")
        if selector is not None and selector.feed(name):
            sizes[name] = (int(size or 0), int(packed or 0))
        return None

    try:
        document = json.loads(text, object_hook=entry)
    except (ValueError, TypeError) as exc:
        raise errors.TransferError(f"The server's output listing is not valid: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("contents"), list):
        raise errors.TransferError("The server's output listing has no list of contents.")
    if total < 0:
        raise errors.TransferError("The server's output listing declares no archive size.")
    if selector is None:
        return total, {}

    def again() -> list[str]:
        names: list[str] = []
        parse_listing(text, names.append)
        return names

    chosen = selector.result(task_id, again)
    return total, {name: sizes.get(name, (0, 0)) for name in chosen}
