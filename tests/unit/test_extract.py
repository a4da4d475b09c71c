"""Safe extraction: unsafe names refused before writing, CRC verified, all-or-nothing."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from hostile_zips import plain
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    corrupt_member,
    listing,
    make_output,
    make_zip,
    serve,
    unserve,
)

from inductiva import errors
from inductiva._transfers._extract import (
    check_member_name,
    extract_archive,
    output_members,
    verify_archive,
)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("/etc/passwd", "absolute"),
        ("\\windows\\system32", "absolute"),
        ("C:evil.txt", "drive letter"),
        ("c:/evil.txt", "drive letter"),
        ("../evil.txt", r"\.\."),
        ("a/../../evil.txt", r"\.\."),
        ("a\\..\\..\\evil.txt", r"\.\."),
        ("bad\x00name", "NUL"),
        ("tab\tname", "control"),
        ("", "empty"),
        ("./", "empty"),
    ],
)
def test_unsafe_names_are_refused(name: str, why: str) -> None:
    """Absolute paths, drive letters, '..', NUL/control chars and empty names are refused."""
    with pytest.raises(errors.UnsafeArchiveError, match=why):
        check_member_name(name, windows=False)


@pytest.mark.parametrize("name", ["CON", "aux.txt", "dir/NUL", "com1.log", "a<b", "q?", "dot."])
def test_windows_invalid_names_are_refused_on_windows(name: str) -> None:
    """Reserved device names and <>:"|?* or trailing dots are refused on Windows hosts."""
    with pytest.raises(errors.UnsafeArchiveError, match="Windows"):
        check_member_name(name, windows=True)


def test_windows_reserved_names_are_fine_elsewhere() -> None:
    """On POSIX hosts names like aux.txt are ordinary files."""
    assert check_member_name("aux.txt", windows=False) == PurePosixPath("aux.txt")


def test_safe_names_are_normalised() -> None:
    """Harmless './' prefixes and doubled slashes are dropped."""
    assert check_member_name("./a//b.txt", windows=False) == PurePosixPath("a/b.txt")
    assert check_member_name("dir/", windows=False) == PurePosixPath("dir")


def test_unsafe_member_stops_extraction_before_any_write(tmp_path: Path) -> None:
    """A bad member anywhere in the archive means no member is written at all."""
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"first.txt": b"1", "../escape.txt": b"x", "last.txt": b"2"}))
    out = tmp_path / "out"
    with pytest.raises(errors.UnsafeArchiveError, match="escape"):
        extract_archive(archive, out)
    assert listing(out) == []
    assert not (tmp_path / "escape.txt").exists()


def test_symlinked_directory_escape_is_refused(tmp_path: Path) -> None:
    """A member that would be written through a symlink out of output_dir is refused."""
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(outside, out / "link")
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"link/x.txt": b"x"}))
    with pytest.raises(errors.UnsafeArchiveError, match="outside"):
        extract_archive(archive, out)
    assert listing(outside) == []


def test_crc_mismatch_writes_nothing(tmp_path: Path) -> None:
    """A corrupt member fails with IntegrityError; earlier good members are not left behind."""
    archive = tmp_path / "a.zip"
    data = make_zip({"good.txt": b"good" * 100, "bad.bin": b"payload" * 100}, stored=True)
    archive.write_bytes(corrupt_member(data, "bad.bin"))
    out = tmp_path / "out"
    with pytest.raises(errors.IntegrityError, match=r"bad\.bin"):
        extract_archive(archive, out)
    assert listing(out) == []


def test_extracts_nested_members_and_empty_dirs(tmp_path: Path) -> None:
    """Nested files and directory entries are reproduced under output_dir."""
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"d/e/f.txt": b"deep", "empty/": b""}))
    extract_archive(archive, tmp_path / "out")
    assert listing(tmp_path / "out") == ["d", "d/e", "d/e/f.txt", "empty"]
    assert (tmp_path / "out" / "d" / "e" / "f.txt").read_bytes() == b"deep"


def test_extract_selected_members_only(tmp_path: Path) -> None:
    """members=[...] extracts only those names."""
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"a.txt": b"a", "b.txt": b"b"}))
    extract_archive(archive, tmp_path / "out", members=["b.txt"])
    assert listing(tmp_path / "out") == ["b.txt"]


def test_verify_archive_counts_good_members_and_catches_bad_ones(tmp_path: Path) -> None:
    """verify_archive returns the member count, or IntegrityError on a CRC mismatch."""
    good = make_zip({"a.txt": b"a" * 1000, "b.txt": b"b"}, stored=True)
    (tmp_path / "good.zip").write_bytes(good)
    assert verify_archive(tmp_path / "good.zip") == 2
    (tmp_path / "bad.zip").write_bytes(corrupt_member(good, "a.txt"))
    with pytest.raises(errors.IntegrityError, match=r"a\.txt"):
        verify_archive(tmp_path / "bad.zip")


def test_not_a_zip_is_an_integrity_error(tmp_path: Path) -> None:
    """A file that is not a zip raises IntegrityError, not zipfile.BadZipFile."""
    (tmp_path / "x.zip").write_bytes(b"nope")
    with pytest.raises(errors.IntegrityError, match="not a valid zip"):
        verify_archive(tmp_path / "x.zip")


def test_full_archive_extracts_artifacts_into_the_root_without_output_json(
    tmp_path: Path,
) -> None:
    """artifacts/x lands as x; output.json and the artifacts/ entry are not written."""
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_output({"stdout.txt": b"out", "d/e.txt": b"e", "empty/": b""}))
    extract_archive(archive, tmp_path / "out")
    assert listing(tmp_path / "out") == ["d", "d/e.txt", "empty", "stdout.txt"]
    assert (tmp_path / "out" / "d" / "e.txt").read_bytes() == b"e"


def test_output_members_maps_the_layouts() -> None:
    """Full layout: artifacts/ stripped, the rest dropped; no artifacts/: names as they are."""
    full = ["output.json", "artifacts/", "artifacts/a.txt", "artifacts/d/b.txt"]
    assert output_members(full) == {"artifacts/a.txt": "a.txt", "artifacts/d/b.txt": "d/b.txt"}
    assert output_members(["output.json", "artifacts/"]) == {}
    subset = ["a.txt", "artifacts.txt", "d/b.txt"]
    assert output_members(subset) == {n: n for n in subset}


def test_escape_through_the_artifacts_prefix_is_refused(tmp_path: Path) -> None:
    """artifacts/../x is checked after the prefix is stripped: refused, nothing written."""
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_output({"ok.txt": b"ok", "../x.txt": b"x"}))
    with pytest.raises(errors.UnsafeArchiveError):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "x.txt").exists() and listing(tmp_path / "out") == []


# -- hostile names met by a download ------------------------------------------------


def _serve(monkeypatch: pytest.MonkeyPatch, archive: bytes, **kw: object) -> ArchiveServer:
    srv = ArchiveServer(archive, **kw)  # type: ignore[arg-type]
    serve(monkeypatch, srv)
    return srv


@pytest.mark.parametrize("partial", [False, True])
def test_file_and_directory_with_one_name_is_refused(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, partial: bool
) -> None:
    """An archive holding both x and x/y is an UnsafeArchiveError, nothing extracted."""
    _serve(monkeypatch, make_output({"x": b"file", "x/y": b"child"}))
    with pytest.raises(errors.UnsafeArchiveError, match="both a file and the directory"):
        download(TASK_ID, output_dir=tmp_path, filenames=["x", "x/y"] if partial else None)
    assert not (tmp_path / "x").exists()
    unserve()


@pytest.mark.parametrize("partial", [False, True])
def test_invalid_utf8_member_name_is_refused(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, partial: bool
) -> None:
    """A member name flagged UTF-8 but holding invalid bytes is an UnsafeArchiveError."""
    archive = plain({b"artifacts/ok.txt": b"ok", b"artifacts/bad\xff\xfe.txt": b"x"}, flags=0x800)
    _serve(monkeypatch, archive)
    with pytest.raises(errors.UnsafeArchiveError, match="UTF-8"):
        download(TASK_ID, output_dir=tmp_path, filenames=["ok.txt"] if partial else None)
    unserve()


def test_progress_counts_every_byte_written_against_the_total(tmp_path: Path) -> None:
    """progress(count, total) sees chunks adding up to the total bytes the extraction writes."""
    members = {"a.bin": bytes(3 * 1024 * 1024), "b/c.txt": b"hello", "d/": b""}
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    seen: list[tuple[int, int]] = []
    extract_archive(archive, tmp_path / "out", progress=lambda n, total: seen.append((n, total)))
    total = sum(len(d) for d in members.values())
    assert sum(n for n, _ in seen) == total and {t for _, t in seen} == {total}
    assert len(seen) >= 4  # the large member in 1 MiB chunks
