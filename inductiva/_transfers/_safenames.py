"""Archive member names checked before anything is written, at a few microseconds a member.

:func:`check_member_name` refuses absolute paths, drive letters, ``..``
components, NUL/control characters, names under the client's reserved
directory, names that are not valid UTF-8, and (on Windows) names the host
cannot hold. :func:`member_key` is the same check returning the normalised
relative path as a string, with a fast path for the plain names archives are
made of (one regular expression; the full check runs for anything else).

:class:`TargetCheck` checks a whole extraction without one object per member:
a name written twice, a name that is both a file and a directory, and a
target that a symlink already in the destination would send outside it. It
keeps the set of directories (few, next to the files) and one 8-byte hash per
file (in 64 buckets, each sorted on its own at the end); a repeated hash is
confirmed by a second look at the names before it is reported. Symlinks are
looked for once per directory: in a directory the destination does not have
yet nothing can be a symlink, so a fresh extraction costs one ``lstat`` per
top-level directory.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from .. import errors
from .._validate import printable
from ._workspace import RESERVED

__all__ = ["TargetCheck", "check_member_name", "member_key", "unsafe"]

_hash = hash  # 64 bits; a repeated value is confirmed on the names themselves
_BUCKETS = 64
_BUCKET_MASK = _BUCKETS - 1
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN = re.compile(
    rf"(?![A-Za-z]:)(?!{re.escape(RESERVED)}(?:/|$))"  # no drive letter; not the reserved dir
    r"(?:(?!\.\.?(?:/|$))[^\x00-\x1f/\\]+/)*"  # directories: no '.', '..', empty or control
    r"(?!\.\.?$)[^\x00-\x1f/\\]+"  # the last component, likewise
)
"""A plain relative name: nothing for the full check to refuse or normalise (UTF-8 aside)."""
_WINDOWS_BAD_CHARS = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in "123456789¹²³"}
    | {f"LPT{i}" for i in "123456789¹²³"}
)


def unsafe(name: str, why: str) -> errors.UnsafeArchiveError:
    """The error refusing member ``name`` because ``why``."""
    return errors.UnsafeArchiveError(
        f"Refusing to extract archive member {printable(repr(name)[:300])}: {why}. "
        "Nothing was extracted; the archive may be damaged or hostile, ask the task's "
        "owner, or download it with uncompress=False to inspect it."
    )


def check_member_name(name: str, *, windows: bool | None = None) -> PurePosixPath:
    """The relative path ``name`` stands for, or UnsafeArchiveError if it is unsafe here."""
    windows = os.name == "nt" if windows is None else windows
    if not name or name in ("/", "."):
        raise unsafe(name, "empty name")
    if "\x00" in name or _CONTROL.search(name):
        raise unsafe(name, "NUL or control character in the name")
    if name.startswith(("/", "\\")):
        raise unsafe(name, "absolute path")
    if _DRIVE.match(name):
        raise unsafe(name, "drive letter")
    parts = [p for p in re.split(r"[/\\]", name) if p not in ("", ".")]
    if not parts:
        raise unsafe(name, "empty name")
    if ".." in parts:
        raise unsafe(name, "'..' component would escape the output directory")
    if parts[0] == RESERVED:
        raise unsafe(name, f"{RESERVED}/ is reserved for the client's own files")
    if _SURROGATE.search(name):
        raise unsafe(name, "the name is not valid UTF-8")
    if windows:
        for part in parts:
            if _WINDOWS_BAD_CHARS.search(part):
                raise unsafe(name, 'character not allowed on Windows (<>:"|?*)')
            if part.endswith((" ", ".")):
                raise unsafe(name, "component ends with a space or dot (invalid on Windows)")
            if part.split(".")[0].upper().rstrip(" ") in _WINDOWS_RESERVED:
                raise unsafe(name, f"{part!r} is a reserved device name on Windows")
    return PurePosixPath(*parts)


def member_key(name: str, windows: bool = os.name == "nt") -> str:
    """``name`` checked (as :func:`check_member_name`) and normalised: ``"a/b.txt"``."""
    if not windows and _PLAIN.fullmatch(name) and (name.isascii() or not _SURROGATE.search(name)):
        return name
    return "/".join(check_member_name(name, windows=windows).parts)


class TargetCheck:
    """Checks every target of one extraction into ``root``; :meth:`finish` ends the check.

    ``add(name, relative)`` takes each member's name and the relative name it is
    written as, and returns the normalised key (``"a/b.txt"``). ``rescan`` gives
    the same ``(name, relative)`` pairs again, asked for only to name the members
    of a repeated hash.
    """

    def __init__(self, root: Path, rescan: Callable[[], Iterable[tuple[str, str]]]) -> None:
        self.root = os.path.realpath(root)
        self._rescan = rescan
        self.dirs: dict[str, str] = {}  # key -> first member implying it
        self._hashes = [array("q") for _ in range(_BUCKETS)]
        self._real: dict[str, tuple[str, bool]] = {"": (self.root, os.path.isdir(self.root))}
        self._links: dict[str, frozenset[str]] = {}
        self._last: tuple[str, str, frozenset[str]] | None = None  # parent, real, symlinks

    def add(self, name: str, relative: str) -> str:
        """Check one member; its normalised key."""
        key = member_key(relative)
        if relative[-1:] in ("/", "\\"):
            self._directory(key, name)
            self._last = None
            return key
        digest = _hash(key)
        self._hashes[digest & _BUCKET_MASK].append(digest)
        parent, _, leaf = key.rpartition("/")
        last = self._last
        if last is None or last[0] != parent:  # members come directory by directory
            if parent:
                self._directory(parent, name)
            real, exists = self._resolve(parent)
            if not self._inside(real):
                raise unsafe(name, "resolves outside the output directory (symlink?)")
            last = self._last = (parent, real, self._symlinks(parent) if exists else frozenset())
        if leaf in last[2] and not self._inside(os.path.realpath(os.path.join(last[1], leaf))):
            raise unsafe(name, "resolves outside the output directory (symlink?)")
        return key

    def _directory(self, key: str, name: str) -> None:
        dirs = self.dirs
        while key and key not in dirs:
            dirs[key] = name
            self._escape(name, key, key.rpartition("/")[0])
            key = key.rpartition("/")[0]

    def _resolve(self, key: str) -> tuple[str, bool]:
        """The real path of directory ``key`` under the root, and whether it exists."""
        known = self._real.get(key)
        if known is not None:
            return known
        parent, _, leaf = key.rpartition("/")
        real, exists = self._resolve(parent)
        path = os.path.join(real, leaf)
        found = (path, False)
        if exists:
            try:
                st = os.lstat(path)
            except OSError:
                st = None
            if st is not None and stat.S_ISLNK(st.st_mode):
                target = os.path.realpath(path)
                found = (target, os.path.isdir(target))
            elif st is not None:
                found = (path, stat.S_ISDIR(st.st_mode))
        self._real[key] = found
        return found

    def _symlinks(self, parent: str) -> frozenset[str]:
        """Names of the symlinks in directory ``parent`` of the destination (listed once)."""
        known = self._links.get(parent)
        if known is None:
            real, exists = self._resolve(parent)
            known = frozenset()
            if exists:
                try:
                    with os.scandir(real) as entries:
                        known = frozenset(e.name for e in entries if e.is_symlink())
                except OSError:
                    pass
            self._links[parent] = known
        return known

    def _escape(self, name: str, key: str, parent: str) -> None:
        real, exists = self._resolve(parent)
        if not self._inside(real):
            raise unsafe(name, "resolves outside the output directory (symlink?)")
        leaf = key.rpartition("/")[2]
        if (
            exists
            and leaf in self._symlinks(parent)
            and not self._inside(os.path.realpath(os.path.join(real, leaf)))
        ):
            raise unsafe(name, "resolves outside the output directory (symlink?)")

    def _inside(self, real: str) -> bool:
        return real == self.root or real.startswith(self.root.rstrip(os.sep) + os.sep)

    def finish(self) -> None:
        """UnsafeArchiveError for a name written twice, or both a file and a directory."""
        dir_hashes = {_hash(key) for key in self.dirs}
        repeated: set[int] = set()
        clash = False
        for bucket in self._hashes:  # sorted a bucket at a time: memory stays small
            hashes = sorted(bucket)
            repeated.update(a for a, b in itertools.pairwise(hashes) if a == b)
            clash = clash or not dir_hashes.isdisjoint(hashes)
        if not repeated and not clash:
            return
        seen: dict[str, str] = {}
        for name, relative in self._rescan():
            if relative.endswith(("/", "\\")):
                continue
            key = member_key(relative)
            if key in self.dirs:
                raise unsafe(name, f"it is both a file and the directory of {self.dirs[key]!r}")
            if _hash(key) in repeated:
                if key in seen:
                    raise unsafe(name, f"the archive holds {seen[key]!r} twice")
                seen[key] = name
