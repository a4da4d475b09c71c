"""Output archives: building the zip of a finished task and reading its member list."""

from __future__ import annotations

import hashlib
import os
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

__all__ = [
    "ARTIFACTS",
    "OUTPUT_JSON",
    "OUTPUT_JSON_BODY",
    "ExtractionRefused",
    "MissingFiles",
    "build_output_archive",
    "build_subset_archive",
    "etag_of",
    "is_valid_zip",
    "list_archive",
    "looks_compressible",
    "safe_extract",
]

SAMPLE_BYTES = 64 * 1024
CHUNK = 1024 * 1024
ARTIFACTS = "artifacts/"
OUTPUT_JSON = "output.json"
OUTPUT_JSON_BODY = b"[]\n"


class MissingFiles(Exception):
    """Some requested file names are not among the task's outputs."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


def looks_compressible(path: Path) -> bool:
    """Whether deflating *path* is worth it, judged on its first 64 KiB."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if len(sample) < 256:
        return True
    return len(zlib.compress(sample, 1)) < 0.9 * len(sample)


def build_output_archive(
    stdout: Path, stderr: Path, output_dir: Path, dest: Path
) -> tuple[int, bool]:
    """Zip stdout/stderr and every file under *output_dir* into *dest* atomically.

    The layout is the real API's: `output.json` (a JSON list) at the root and
    the task's files under `artifacts/`. Compressible members are deflated,
    others stored. The zip is written under a
    temporary name and renamed into place when complete. Returns (size, whether
    the task produced anything at all).
    """
    members: list[tuple[Path, str]] = []
    produced = False
    for path, name in ((stdout, "stdout.txt"), (stderr, "stderr.txt")):
        if path.exists():
            members.append((path, name))
            produced = produced or path.stat().st_size > 0
    if output_dir.is_dir():
        for root, dirs, files in os.walk(output_dir):
            dirs.sort()
            for fname in sorted(files):
                full = Path(root, fname)
                rel = full.relative_to(output_dir).as_posix()
                if rel in ("stdout.txt", "stderr.txt"):
                    rel = f"outputs/{rel}"
                members.append((full, rel))
                produced = True
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            zf.writestr(OUTPUT_JSON, OUTPUT_JSON_BODY, compress_type=zipfile.ZIP_DEFLATED)
            for path, name in members:
                method = zipfile.ZIP_DEFLATED if looks_compressible(path) else zipfile.ZIP_STORED
                zf.write(path, ARTIFACTS + name, compress_type=method, compresslevel=1)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)  # only left when writing failed part-way
    return dest.stat().st_size, produced


def list_archive(path: Path) -> dict[str, Any]:
    """The `OutputArchiveInfo` of a full archive: its size and the files under `artifacts/`,
    named relative to it."""
    with zipfile.ZipFile(path) as zf:
        contents = [
            {
                "name": info.filename[len(ARTIFACTS) :],
                "size": info.file_size,
                "compressed_size": info.compress_size,
            }
            for info in zf.infolist()
            if not info.is_dir() and info.filename.startswith(ARTIFACTS)
        ]
    return {"size": path.stat().st_size, "contents": contents}


def build_subset_archive(full: Path, names: list[str], dest: Path) -> Path:
    """A zip of just *names* (relative to `artifacts/`) at its root, cached at *dest*.

    Raises MissingFiles naming the files the task does not have.
    """
    wanted = list(dict.fromkeys(names))
    with zipfile.ZipFile(full) as src:
        have = {i.filename: i for i in src.infolist() if not i.is_dir()}
        missing = [n for n in wanted if ARTIFACTS + n not in have]
        if missing:
            raise MissingFiles(missing)
        if dest.is_file():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f"{dest.name}.{uuid.uuid4().hex}.tmp")
        try:
            with zipfile.ZipFile(tmp, "w", allowZip64=True) as out:
                for name in wanted:
                    info = have[ARTIFACTS + name]
                    target = zipfile.ZipInfo(name, date_time=info.date_time)
                    target.compress_type = info.compress_type
                    target.external_attr = info.external_attr
                    with (
                        src.open(info) as reader,
                        out.open(target, "w", force_zip64=info.file_size > 2**31) as writer,
                    ):
                        while block := reader.read(CHUNK):
                            writer.write(block)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
    return dest


def etag_of(path: Path, task_id: str) -> str:
    """A strong ETag from the archive's size, mtime and the task id."""
    st = path.stat()
    digest = hashlib.sha256(f"{task_id}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def is_valid_zip(path: Path) -> bool:
    """Whether *path* is a readable zip archive."""
    try:
        with zipfile.ZipFile(path) as zf:
            zf.infolist()
        return True
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


class ExtractionRefused(Exception):
    """The input archive would extract to too much data (a zip bomb, or simply too large)."""


RATIO_FLOOR = 1024 * 1024


def safe_extract(
    archive: Path,
    dest: Path,
    max_bytes: int | None = None,
    max_ratio: float | None = None,
) -> int:
    """Extract *archive* into *dest*, refusing members that escape it; returns members count.

    The bytes actually written are counted (the sizes a zip declares may lie): past
    *max_bytes* in total, or past *max_ratio* times the archive's compressed size once
    more than 1 MiB is out, extraction stops with ExtractionRefused.
    """
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    count = 0
    written = 0
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        compressed = max(1, sum(i.compress_size for i in infos))

        def check(total: int) -> None:
            if max_bytes is not None and total > max_bytes:
                raise ExtractionRefused(
                    f"the input archive extracts to more than {max_bytes} bytes"
                )
            if max_ratio is not None and total > RATIO_FLOOR and total > max_ratio * compressed:
                raise ExtractionRefused(
                    f"the input archive extracts to more than {max_ratio:g} times its "
                    f"compressed size of {compressed} bytes (a zip bomb?)"
                )

        check(sum(i.file_size for i in infos))
        for info in infos:
            target = (dest / info.filename).resolve()
            if not target.is_relative_to(root):
                continue
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                count += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as out:
                while block := src.read(CHUNK):
                    written += len(block)
                    check(written)
                    out.write(block)
            count += 1
    return count
