"""The download flow's entry: arguments, output directory, layout of a full download."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tqdm import tqdm
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    full_layout,
    listing,
    make_output,
    make_zip,
    serve,
    unserve,
)

from inductiva import errors

MEMBERS = {
    "stdout.txt": b"step 1\n" * 2000,
    "stderr.txt": b"",
    "results/data.bin": os.urandom(700_000),
    "results/summary.csv": b"time,value\n" + b"1,2\n" * 5000,
}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API serving MEMBERS (under artifacts/, with output.json) as the output archive."""
    srv = ArchiveServer(make_output(MEMBERS))
    serve(monkeypatch, srv)
    yield srv
    unserve()


def _assert_extracted(out: Path) -> None:
    for name, data in MEMBERS.items():
        assert (out / name).read_bytes() == data, name
    assert listing(out) == ["results", *sorted(MEMBERS)]


@pytest.fixture
def legacy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API without byte ranges (200 and the whole archive, no ETag)."""
    srv = ArchiveServer(make_output(MEMBERS), ranges=False)
    serve(monkeypatch, srv)
    yield srv
    unserve()


def test_full_download_extracts_every_member(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """The archive is fetched in one request, extracted, and the zip removed."""
    out = download(TASK_ID, output_dir=tmp_path / "out")
    assert out == tmp_path / "out"
    _assert_extracted(out)
    assert server.ranges() == [None]


def test_default_output_dir_is_inductiva_output_task_id(
    download: Download, server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without output_dir, files land in inductiva_output/<task_id> under the cwd."""
    monkeypatch.chdir(tmp_path)
    out = download(TASK_ID)
    assert out == Path("inductiva_output", TASK_ID)
    _assert_extracted(tmp_path / "inductiva_output" / TASK_ID)


def test_uncompress_false_keeps_the_zip(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """uncompress=False saves the verified archive as output.zip and nothing else."""
    out = download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert listing(out) == ["output.zip"]
    assert (out / "output.zip").read_bytes() == server.archive


def test_zip_slip_archive_is_refused(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A member named ../evil.txt raises UnsafeArchiveError; nothing is written anywhere."""
    serve(monkeypatch, ArchiveServer(make_zip({"ok.txt": b"fine", "../evil.txt": b"bad"})))
    try:
        with pytest.raises(errors.UnsafeArchiveError, match=r"\.\./evil\.txt"):
            download(TASK_ID, output_dir=tmp_path / "out")
        assert listing(tmp_path) == []
    finally:
        unserve()


def test_api_error_leaves_no_directory(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """A 404 for an unknown task raises NotFoundError and creates no directory."""
    with pytest.raises(errors.NotFoundError):
        download("999", output_dir=tmp_path / "a" / "b")
    assert listing(tmp_path) == []


def test_bad_arguments_are_rejected(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """A non-numeric task id or a file as output_dir raise InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="task_id"):
        download("../etc", output_dir=tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(errors.InvalidArgumentError, match="not a directory"):
        download(TASK_ID, output_dir=tmp_path / "file")
    assert server.requests == []


def test_existing_files_are_replaced(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """Downloading again over earlier outputs replaces them with the archive's bytes."""
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "summary.csv").write_text("stale")
    download(TASK_ID, output_dir=tmp_path)
    _assert_extracted(tmp_path)


def test_zip_is_deflate_compatible(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """The kept output.zip opens with zipfile and holds the same members."""
    download(TASK_ID, output_dir=tmp_path, uncompress=False)
    with zipfile.ZipFile(io.BytesIO((tmp_path / "output.zip").read_bytes())) as zf:
        assert sorted(zf.namelist()) == sorted(full_layout(MEMBERS))


def test_artifacts_land_in_the_output_dir_without_output_json(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """The task's files (artifacts/...) land directly in output_dir; output.json is left out."""
    out = download(TASK_ID, output_dir=tmp_path / "out")
    _assert_extracted(out)
    assert not (out / "output.json").exists() and not (out / "artifacts").exists()


def test_archive_without_artifacts_is_extracted_at_its_root(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An archive holding no artifacts/ directory is extracted as it is."""
    serve(monkeypatch, ArchiveServer(make_zip({"output.json": b"[]", "a/b.txt": b"b"})))
    try:
        out = download(TASK_ID, output_dir=tmp_path / "out")
        assert listing(out) == ["a", "a/b.txt", "output.json"]
    finally:
        unserve()


@pytest.mark.parametrize("uncompress", [True, False])
def test_legacy_full_download_works_and_reads_the_archive_once(
    download: Download, legacy: ArchiveServer, tmp_path: Path, uncompress: bool
) -> None:
    """Without byte ranges the archive is fetched whole, once; a range probe is closed unread."""
    out = download(TASK_ID, output_dir=tmp_path / "out", uncompress=uncompress)
    if uncompress:
        _assert_extracted(out)
    else:
        assert (out / "output.zip").read_bytes() == legacy.archive
    assert legacy.bytes_sent == len(legacy.archive)


def test_output_dir_below_a_file_is_an_invalid_argument(
    download: Download, tmp_path: Path, server: ArchiveServer
) -> None:
    """output_dir /dev/null/x (a path through a file) is an InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="not a directory"):
        download(TASK_ID, output_dir="/dev/null/x")


def test_output_dir_the_file_system_cannot_hold_is_an_invalid_argument(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """output_dir where mkdir says ENOENT (e.g. under /proc) is an InvalidArgumentError."""

    def enoent(self: Path, *args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", str(self))

    monkeypatch.setattr(Path, "mkdir", enoent)
    with pytest.raises(errors.InvalidArgumentError, match="does not allow a directory"):
        download(TASK_ID, output_dir=tmp_path / "x")


def test_unwritable_output_dir_is_a_local_file_error(
    download: Download, tmp_path: Path, server: ArchiveServer
) -> None:
    """A directory without write permission gives LocalFileError saying to check permissions."""
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions")
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    with pytest.raises(errors.LocalFileError, match="permission"):
        download(TASK_ID, output_dir=locked / "out")


@pytest.mark.parametrize(
    "kwargs",
    [{"output_dir": ""}, {"uncompress": "no"}, {"uncompress": 0}, {"filenames": 5}],
)
def test_bad_download_arguments_are_refused_before_any_request(
    download: Download, server: ArchiveServer, kwargs: dict[str, object]
) -> None:
    """Empty paths and non-bool flags are InvalidArgumentError, with no request sent."""
    with pytest.raises(errors.InvalidArgumentError):
        download(TASK_ID, **kwargs)  # type: ignore[arg-type]
    assert server.requests == []


class _Terminal(io.StringIO):
    """A stderr that is a terminal."""

    def isatty(self) -> bool:
        """Always a terminal."""
        return True


@pytest.mark.parametrize("progress", ["1", "0"])
def test_extraction_shows_a_bar_of_the_bytes_written(
    server: ArchiveServer,
    download: Download,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    progress: str,
) -> None:
    """An "Extracting" bar counts every byte written to its total, unless progress is off."""
    stderr = _Terminal()
    monkeypatch.setattr("sys.stderr", stderr)
    monkeypatch.setenv("INDUCTIVA_PROGRESS", progress)
    download(TASK_ID, output_dir=tmp_path / "out")
    _assert_extracted(tmp_path / "out")
    total = sum(len(data) for data in MEMBERS.values())
    shown = stderr.getvalue()
    if progress == "0":
        assert "Extracting" not in shown
    else:
        last = shown.rsplit("Extracting", 1)[1]
        size = tqdm.format_sizeof(total, divisor=1024)
        assert "100%" in last and f"{size}/{size}" in last
