"""Safe, verified extraction of output archives.

A full output archive holds ``output.json`` and the task's files under
``artifacts/``: as the era's client did, only the files under ``artifacts/``
are extracted, directly into the destination (``artifacts/log.txt`` becomes
``<dest>/log.txt``); ``output.json`` (the server's record of the method's
return values) is not written. An archive without ``artifacts/`` (a subset, or
an older layout) is extracted at its root (see :func:`output_members`).

Every member name is checked before anything is written
(:mod:`inductiva._transfers._safenames`): absolute paths, drive letters, ``..``
components, NUL/control characters, names the host cannot hold (reserved
device names and ``<>:"|?*`` on Windows), names written twice, a name that is
both a file and a directory, and targets a symlink would send outside the
destination raise :class:`~inductiva.errors.UnsafeArchiveError`. Members are
then written into a hidden staging directory inside the destination, each
checked against its CRC-32 and size, and moved into place only when all of them
verified; on any failure the staging directory is removed, so final names
never hold partial data. Moving into place renames whole directories the
destination does not have yet (one rename for a tree of thousands of files).

The archive is read in one sequential pass (:mod:`inductiva._transfers._unzip`:
its central directory held compactly, files written in batches by a second
thread), so memory stays flat whatever the member count. Members compressed
with methods other than stored and deflate are left to :mod:`zipfile`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from .. import errors
from .._validate import printable
from . import _cdir, _crc, _limits, _unzip
from ._cdir import CentralDirectory, Record
from ._safenames import TargetCheck, check_member_name, member_key
from ._workspace import Workspace

__all__ = [
    "ARTIFACTS",
    "CHUNK",
    "MemberWriter",
    "Selector",
    "check_member_name",
    "extract_archive",
    "move_into_place",
    "output_members",
    "plan_targets",
    "staging_dir",
    "verify_archive",
]

CHUNK = 1024 * 1024
ARTIFACTS = "artifacts/"


def output_members(names: Iterable[str]) -> dict[str, str]:
    """Which members of an output archive to extract, and under which relative names.

    With an ``artifacts/`` directory (the full archive): the members under it,
    named without the prefix; ``output.json`` and anything else outside it are
    left out. Without one (a subset archive): every member, named as it is.
    """
    names = list(names)
    inside = {n: n[len(ARTIFACTS) :] for n in names if n.startswith(ARTIFACTS) and n != ARTIFACTS}
    if inside or ARTIFACTS in names:
        return inside
    return {n: n for n in names}


def plan_targets(names: Iterable[str] | Mapping[str, str], root: Path) -> dict[str, Path]:
    """Each member's destination under ``root``, all names checked first.

    ``names`` may map member names to the relative names to write them as.
    """
    renames = names if isinstance(names, Mapping) else {n: n for n in names}
    check = TargetCheck(root, lambda: renames.items())
    base = Path(check.root)
    targets = {name: base.joinpath(check.add(name, rel)) for name, rel in renames.items()}
    check.finish()
    return targets


@contextlib.contextmanager
def staging_dir(output_dir: Path) -> Iterator[Path]:
    """A temporary directory in ``output_dir/.inductiva/``, removed on exit.

    One left by a process killed hard is removed by the next download (see
    :mod:`inductiva._transfers._workspace`).
    """
    space = Workspace(output_dir)
    stage = Path(tempfile.mkdtemp(prefix="staging-", dir=space.create()))
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        space.remove_if_empty()


class MemberWriter:
    """Writes one member's bytes to a file while checking its size and CRC-32.

    ``crc=None`` skips the CRC here, for callers whose reader already checks it
    (zipfile does while extracting).
    """

    def __init__(self, name: str, path: Path, size: int, crc: int | None) -> None:
        self.name, self.path, self.size, self.crc = name, path, size, crc
        self._written = 0
        self._crc = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[bytes] = path.open("wb")

    def write(self, data: bytes | memoryview) -> None:
        """Append ``data``; IntegrityError at once if it would pass the declared size."""
        if self._written + len(data) > self.size:
            raise errors.IntegrityError(
                f"Output file {printable(repr(self.name))} is corrupt or hostile: it holds more "
                f"than the {self.size} bytes it declares; nothing was extracted."
            )
        if self.crc is not None:
            self._crc = _crc.crc32(data, self._crc)
        self._written += len(data)
        self._fh.write(data)

    def finish(self) -> None:
        """Close the file; IntegrityError if the size or CRC-32 is wrong."""
        self._fh.close()
        crc_ok = self.crc is None or self._crc == self.crc
        if self._written != self.size or not crc_ok:
            raise errors.IntegrityError(
                f"Output file {self.name!r} is corrupt: got {self._written} bytes with CRC-32 "
                f"{self._crc:08x}, expected {self.size} bytes with CRC-32 {self.crc or 0:08x}."
            )

    def abort(self) -> None:
        """Close and delete the file."""
        self._fh.close()
        self.path.unlink(missing_ok=True)


_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError)
_FAST_METHODS = (0, 8)

Selector = Callable[[str], str | None]
"""A member's name -> the relative name to write it as, or None to leave it out."""


def _read_directory(archive: Path) -> tuple[CentralDirectory, int]:
    """The archive's central directory and its offset; IntegrityError if it is no zip."""
    try:
        table, cd_offset, _size = _cdir.read_file(archive)
    except OSError as exc:
        raise errors.IntegrityError(
            f"Downloaded archive is not a valid zip: {printable(exc)}"
        ) from exc
    return table, cd_offset


def _selector(
    table: CentralDirectory, members: Iterable[str] | Mapping[str, str] | None
) -> tuple[Selector, int]:
    """Which members to extract and under which relative names; the prefix dropped."""
    if isinstance(members, Mapping):
        return dict(members).get, 0
    if members is not None:
        wanted = set(members)
        return (lambda name: name if name in wanted else None), 0
    prefix = _cdir.encode_ascii(ARTIFACTS)
    if any(r[1].startswith(prefix) for r in table.records()):
        size = len(ARTIFACTS)
        return (
            lambda name: name[size:] if name.startswith(ARTIFACTS) and name != ARTIFACTS else None
        ), size
    return (lambda name: name), 0


def _selected(table: CentralDirectory, select: Selector) -> Iterator[tuple[Record, str, str]]:
    """``(record, name, relative)`` of every selected member, in directory order."""
    for record in table.records():
        name = _cdir.decode_name(record[1], record[2])
        relative = select(name)
        if relative is not None:
            yield record, name, relative


def _plan(
    table: CentralDirectory, select: Selector, prefix: int, output_dir: Path, what: str
) -> _unzip.Plan:
    """Check names, encryption, limits and free space of the selected members; the plan.

    Its ``fast`` is False when a member is neither stored nor deflated (zipfile
    decodes those).
    """
    check = TargetCheck(output_dir, lambda: ((n, r) for _, n, r in _selected(table, select)))
    order = array("I")
    plan = _unzip.Plan(prefix, order)
    renamed = plan.renamed
    total = packed = 0
    ordered, previous = True, -1
    for record, name, relative in _selected(table, select):
        index, _raw, flags, method, _crc32, csize, size, offset = record
        key = check.add(name, relative)
        if key != name[prefix:]:
            renamed[index] = key
        if flags & 0x1:
            raise errors.TransferError(f"Output file {name!r} is encrypted; cannot extract.")
        if method not in _FAST_METHODS:
            plan.fast = False
        order.append(index)
        ordered = ordered and offset >= previous
        previous = offset
        total += size
        packed += csize
    check.finish()
    plan.total = total
    needed = _limits.check_archive([(total, packed)], what)
    _limits.check_free_space(output_dir, needed, "Extracting the output archive")
    if not ordered:
        offsets = {i: table.record(i)[7] for i in order}
        plan.order = array("I", sorted(order, key=offsets.__getitem__))
    return plan


def move_into_place(
    stage: Path, output_dir: Path, targets: Mapping[str, Path] | None = None
) -> None:
    """Move everything staged in ``stage`` (the same relative paths) into ``output_dir``.

    A directory the destination lacks moves in one rename; one it has is merged
    into, file by file (a file there is replaced). ``targets`` (the checked
    destinations of what was staged) is accepted for the callers that hold it.
    """
    del targets  # the staging tree holds exactly the checked targets
    pending = [(os.fspath(stage), os.fspath(output_dir.resolve()))]
    while pending:
        src, dst = pending.pop()
        with os.scandir(src) as entries:
            names = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        for name, is_dir in names:
            source, target = os.path.join(src, name), os.path.join(dst, name)
            if is_dir and os.path.isdir(target):
                pending.append((source, target))
            else:
                os.replace(source, target)


def extract_archive(
    archive: Path,
    output_dir: Path,
    members: Iterable[str] | Mapping[str, str] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Extract ``archive`` into ``output_dir``, verified, or nothing.

    ``members`` names the members to extract (or maps them to the relative
    names to write them as); by default :func:`output_members` decides.
    ``progress(count, total)`` is told of the bytes written as extraction goes,
    ``total`` being all it writes.
    """
    table, cd_offset = _read_directory(archive)
    select, prefix = _selector(table, members)
    plan = _plan(table, select, prefix, output_dir, "The output archive")
    if not plan.fast:
        _extract_with_zipfile(archive, output_dir, select, progress, plan.total)
        return
    with staging_dir(output_dir) as stage, archive.open("rb", buffering=0) as fh:
        _unzip.unpack(fh, table, plan, cd_offset, os.fspath(stage), progress)
        move_into_place(stage, output_dir)


def verify_archive(archive: Path) -> int:
    """Check every member's CRC-32 and size without writing; return the member count."""
    table, cd_offset = _read_directory(archive)
    if any(r[3] not in _FAST_METHODS for r in table.records()):
        return _verify_with_zipfile(archive)
    plan = _unzip.Plan(0, table.by_offset())
    with archive.open("rb", buffering=0) as fh:
        return _unzip.unpack(fh, table, plan, cd_offset, None)


# -- other compression methods (bzip2, lzma): zipfile decodes them ---------------------
def _copy_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    writer: MemberWriter,
    wrote: Callable[[int], None] | None = None,
) -> None:
    try:
        with zf.open(info) as src:
            while chunk := src.read(CHUNK):
                writer.write(chunk)
                if wrote is not None:
                    wrote(len(chunk))
    except _ZIP_ERRORS as exc:
        writer.abort()
        raise errors.IntegrityError(
            f"Output file {printable(repr(info.filename))} is corrupt: {printable(exc)}"
        ) from exc
    except BaseException:
        writer.abort()
        raise
    writer.finish()


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (*_ZIP_ERRORS, OSError) as exc:
        raise errors.IntegrityError(
            f"Downloaded archive is not a valid zip: {printable(exc)}"
        ) from exc


def _extract_with_zipfile(
    archive: Path,
    output_dir: Path,
    select: Selector,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
) -> None:
    wrote = (lambda n: progress(n, total)) if progress is not None else None
    with _open_zip(archive) as zf, staging_dir(output_dir) as stage:
        for info in zf.infolist():
            relative = select(info.filename)
            if relative is None:
                continue
            staged = stage.joinpath(member_key(relative))
            if info.is_dir():
                staged.mkdir(parents=True, exist_ok=True)
                continue
            # zipfile verifies the CRC-32 as it reads (BadZipFile on mismatch)
            writer = MemberWriter(info.filename, staged, info.file_size, None)
            _copy_member(zf, info, writer, wrote)
        move_into_place(stage, output_dir)


def _verify_with_zipfile(archive: Path) -> int:
    with _open_zip(archive) as zf:
        infos = zf.infolist()
        for info in infos:
            crc, size = 0, 0
            try:
                with zf.open(info) as src:
                    while chunk := src.read(CHUNK):
                        crc = _crc.crc32(chunk, crc)
                        size += len(chunk)
            except _ZIP_ERRORS as exc:
                raise errors.IntegrityError(
                    f"Output file {printable(repr(info.filename))} in the archive is corrupt: "
                    f"{printable(exc)}"
                ) from exc
            if size != info.file_size or crc != info.CRC:
                raise errors.IntegrityError(
                    f"Output file {info.filename!r} in the archive is corrupt (size/CRC mismatch)."
                )
        return len(infos)
