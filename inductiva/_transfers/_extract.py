"""Safe, verified extraction of output archives.

A full output archive holds ``output.json`` and the task's files under
``artifacts/``: as the era's client did, only the files under ``artifacts/``
are extracted, directly into the destination (``artifacts/log.txt`` becomes
``<dest>/log.txt``); ``output.json`` (the server's record of the method's
return values) is not written. An archive without ``artifacts/`` (a subset, or
an older layout) is extracted at its root (see :func:`output_members`).

Every member name is checked before anything is written: absolute paths,
drive letters, ``..`` components, NUL/control characters and names the host
cannot hold (reserved device names and ``<>:"|?*`` on Windows) raise
:class:`~inductiva.errors.UnsafeArchiveError`. Members are then written into a
hidden staging directory inside the destination, each checked against its
CRC-32 and size, and moved into place only when all of them verified; on any
failure the staging directory is removed, so final names never hold partial
data.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import IO

from .. import errors
from .._validate import printable
from . import _crc, _limits
from ._workspace import RESERVED, Workspace

__all__ = [
    "ARTIFACTS",
    "CHUNK",
    "MemberWriter",
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

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f]")
_WINDOWS_BAD_CHARS = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in "123456789¹²³"}
    | {f"LPT{i}" for i in "123456789¹²³"}
)


def _unsafe(name: str, why: str) -> errors.UnsafeArchiveError:
    return errors.UnsafeArchiveError(
        f"Refusing to extract archive member {printable(repr(name)[:300])}: {why}. "
        "Nothing was extracted; the archive may be damaged or hostile, ask the task's "
        "owner, or download it with uncompress=False to inspect it."
    )


def check_member_name(name: str, *, windows: bool | None = None) -> PurePosixPath:
    """The relative path ``name`` stands for, or UnsafeArchiveError if it is unsafe here."""
    windows = os.name == "nt" if windows is None else windows
    if not name or name in ("/", "."):
        raise _unsafe(name, "empty name")
    if "\x00" in name or _CONTROL.search(name):
        raise _unsafe(name, "NUL or control character in the name")
    if name.startswith(("/", "\\")):
        raise _unsafe(name, "absolute path")
    if _DRIVE.match(name):
        raise _unsafe(name, "drive letter")
    parts = [p for p in re.split(r"[/\\]", name) if p not in ("", ".")]
    if not parts:
        raise _unsafe(name, "empty name")
    if ".." in parts:
        raise _unsafe(name, "'..' component would escape the output directory")
    if parts[0] == RESERVED:
        raise _unsafe(name, f"{RESERVED}/ is reserved for the client's own files")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        raise _unsafe(name, "the name is not valid UTF-8")
    if windows:
        for part in parts:
            if _WINDOWS_BAD_CHARS.search(part):
                raise _unsafe(name, 'character not allowed on Windows (<>:"|?*)')
            if part.endswith((" ", ".")):
                raise _unsafe(name, "component ends with a space or dot (invalid on Windows)")
            if part.split(".")[0].upper().rstrip(" ") in _WINDOWS_RESERVED:
                raise _unsafe(name, f"{part!r} is a reserved device name on Windows")
    return PurePosixPath(*parts)


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
    resolved_root = root.resolve()
    targets: dict[str, Path] = {}
    files: dict[tuple[str, ...], str] = {}
    dirs: dict[tuple[str, ...], str] = {}
    for name, relative in renames.items():
        rel = check_member_name(relative)
        target = resolved_root.joinpath(*rel.parts)
        if not target.resolve().is_relative_to(resolved_root):
            raise _unsafe(name, "resolves outside the output directory (symlink?)")
        key = tuple(rel.parts)
        is_dir = relative.endswith(("/", "\\"))
        for depth in range(1, len(key)):
            dirs.setdefault(key[:depth], name)
        if is_dir:
            dirs.setdefault(key, name)
        elif key in files:
            raise _unsafe(name, f"the archive holds {files[key]!r} twice")
        else:
            files[key] = name
        targets[name] = target
    for key, name in files.items():
        if key in dirs:
            raise _unsafe(name, f"it is both a file and the directory of {dirs[key]!r}")
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
    except UnicodeDecodeError as exc:
        raise errors.UnsafeArchiveError(
            f"The archive has a member name that is not valid UTF-8 ({exc.reason}); "
            "nothing was extracted. Download it with uncompress=False to inspect it."
        ) from exc
    except (*_ZIP_ERRORS, OSError) as exc:
        raise errors.IntegrityError(
            f"Downloaded archive is not a valid zip: {printable(exc)}"
        ) from exc


def move_into_place(stage: Path, output_dir: Path, targets: dict[str, Path]) -> None:
    """Move staged files (same relative paths) from ``stage`` to their targets."""
    root = output_dir.resolve()
    for target in targets.values():
        staged = stage.joinpath(target.relative_to(root))
        if staged.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)


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
    ``progress(count, total)`` is called as each chunk of ``count`` bytes is
    written, ``total`` being the bytes the extraction writes in all.
    """
    with _open_zip(archive) as zf:
        infos = zf.infolist()
        if members is None:
            renames = output_members(i.filename for i in infos)
        elif isinstance(members, Mapping):
            renames = dict(members)
        else:
            renames = {m: m for m in members}
        infos = [i for i in infos if i.filename in renames]
        targets = plan_targets({i.filename: renames[i.filename] for i in infos}, output_dir)
        total = _limits.check_archive(
            ((i.file_size, i.compress_size) for i in infos), "The output archive"
        )
        _limits.check_free_space(output_dir, total, "Extracting the output archive")
        with staging_dir(output_dir) as stage:
            stage_root = stage.resolve()
            root = output_dir.resolve()
            for info in infos:
                staged = stage_root.joinpath(targets[info.filename].relative_to(root))
                if info.is_dir():
                    staged.mkdir(parents=True, exist_ok=True)
                    continue
                # zipfile verifies the CRC-32 as it reads (BadZipFile on mismatch)
                writer = MemberWriter(info.filename, staged, info.file_size, None)
                _copy_member(zf, info, writer, progress and (lambda n: progress(n, total)))
            move_into_place(stage_root, output_dir, targets)


def verify_archive(archive: Path) -> int:
    """Check every member's CRC-32 and size without writing; return the member count."""
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
