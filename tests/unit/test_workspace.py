"""The client's corner of an output directory (_workspace): the lock, staging, reserved names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    listing,
    make_output,
    serve,
    unserve,
)

from inductiva import errors
from inductiva._outputs import TaskOutput
from inductiva._transfers import _workspace

FILES = {"stdout.txt": b"hello\n" * 1000, "data/values.csv": os.urandom(600_000)}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API serving FILES as the output archive (byte ranges on)."""
    srv = ArchiveServer(make_output(FILES))
    serve(monkeypatch, srv)
    yield srv
    unserve()


def _serve(monkeypatch: pytest.MonkeyPatch, archive: bytes, **kw: object) -> ArchiveServer:
    srv = ArchiveServer(archive, **kw)  # type: ignore[arg-type]
    serve(monkeypatch, srv)
    return srv


def test_stale_staging_is_removed_and_never_listed(
    download: Download, tmp_path: Path, server: ArchiveServer
) -> None:
    """Staging left by a killed process (old and new layout) goes on the next call, unlisted."""
    (tmp_path / ".inductiva" / "staging-x").mkdir(parents=True)
    (tmp_path / ".inductiva" / "staging-x" / "half.bin").write_bytes(b"x")
    (tmp_path / ".inductiva-partial-old").mkdir()
    assert TaskOutput(tmp_path).files() == []
    download(TASK_ID, output_dir=tmp_path)
    assert listing(tmp_path) == ["data", "data/values.csv", "stdout.txt"]


def test_output_named_like_an_internal_file_survives(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An output file called output.zip.part is extracted and kept, not deleted."""
    files = {"output.zip.part": b"mine", "output.zip.part.json": b"{}"}
    _serve(monkeypatch, make_output(files))
    download(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / "output.zip.part").read_bytes() == b"mine"
    assert TaskOutput(tmp_path).files() == sorted(files)
    unserve()


def test_member_under_the_reserved_directory_is_refused(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A member named .inductiva/lock cannot collide with the client's files."""
    _serve(monkeypatch, make_output({".inductiva/lock": b"x"}))
    with pytest.raises(errors.UnsafeArchiveError, match="reserved"):
        download(TASK_ID, output_dir=tmp_path)
    unserve()


def test_lock_stops_a_second_download_into_the_same_directory(
    download: Download, tmp_path: Path, server: ArchiveServer
) -> None:
    """A live process's lock makes a second download fail with DownloadInProgressError."""
    space = _workspace.Workspace(tmp_path)
    with _workspace.lock_directory(space):
        with pytest.raises(errors.DownloadInProgressError, match="already downloading"):
            download(TASK_ID, output_dir=tmp_path)
        assert not (tmp_path / "stdout.txt").exists()
    download(TASK_ID, output_dir=tmp_path)
    assert not space.lock.exists()


def test_lock_of_a_dead_process_is_taken_over(
    download: Download, tmp_path: Path, server: ArchiveServer
) -> None:
    """A lock whose process no longer runs does not block the download."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    space = _workspace.Workspace(tmp_path)
    space.create()
    space.lock.write_text(json.dumps({"pid": int(dead.stdout), "host": os.uname().nodename}))
    download(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / "stdout.txt").exists()
