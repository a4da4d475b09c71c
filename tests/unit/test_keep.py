"""What a failed or interrupted download keeps (_keep): progress kept, the next call resumes."""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    downloader,
    listing,
    make_output,
    serve,
    unserve,
    use_handler,
)

import inductiva
from inductiva import errors
from inductiva._outputs import TaskOutput
from inductiva._signals import Terminated
from inductiva._transfers import _unzip

FILES = {"stdout.txt": b"hello\n" * 1000, "data/values.csv": os.urandom(600_000)}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API serving FILES as the output archive (byte ranges on)."""
    srv = ArchiveServer(make_output(FILES))
    serve(monkeypatch, srv)
    yield srv
    unserve()


def test_api_error_while_resuming_keeps_the_part(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """A 500 answering the resume keeps the bytes already received; the next call resumes."""
    monkeypatch.setattr(inductiva, "max_retries", 0)
    server.drop_after, server.drop_times = 200_000, 1
    with pytest.raises(errors.ApiConnectionError):
        download(TASK_ID, output_dir=tmp_path, uncompress=False)
    use_handler(lambda r: httpx.Response(500, json={"detail": "x"}))
    with pytest.raises(errors.ServerError, match="resumes on the next call"):
        download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert (tmp_path / ".inductiva" / "output.zip.part").stat().st_size == 200_000
    use_handler(server.handle)
    download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert server.ranges()[-1] == "bytes=200000-"


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, Terminated])
def test_interrupted_extraction_keeps_the_verified_download(
    download: Download,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    server: ArchiveServer,
    interrupt: type[BaseException],
) -> None:
    """Ctrl-C or SIGTERM while extracting keeps output.zip.part; the next call only extracts."""
    original = _unzip.BatchWriter.add

    def interrupted(self: _unzip.BatchWriter, job: _unzip.Job) -> None:
        raise interrupt()

    monkeypatch.setattr(_unzip.BatchWriter, "add", interrupted)
    with pytest.raises(interrupt):
        download(TASK_ID, output_dir=tmp_path)
    assert listing(tmp_path) == [
        ".inductiva",
        ".inductiva/output.zip.part",
        ".inductiva/output.zip.part.json",
    ]
    monkeypatch.setattr(_unzip.BatchWriter, "add", original)
    sent = server.bytes_sent
    download(TASK_ID, output_dir=tmp_path)
    assert server.bytes_sent == sent  # answered 416: nothing downloaded again
    assert TaskOutput(tmp_path).files() == sorted(FILES)


def test_real_sigterm_during_extraction_unwinds_and_cleans_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """A real SIGTERM in a blocking extraction: Terminated, staging removed, download kept."""
    download = downloader("sync")  # asyncio programs handle SIGTERM themselves
    original = _unzip.BatchWriter.add

    def signalled(self: _unzip.BatchWriter, job: _unzip.Job) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        original(self, job)

    monkeypatch.setattr(_unzip.BatchWriter, "add", signalled)
    with pytest.raises(Terminated):
        download(TASK_ID, output_dir=tmp_path)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert not list((tmp_path / ".inductiva").glob("staging-*"))
    assert (tmp_path / ".inductiva" / "output.zip.part").exists()


def test_disk_full_is_insufficient_space_and_keeps_progress(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """ENOSPC while writing the archive: InsufficientSpaceError; the bytes so far are kept."""
    from inductiva._transfers import _resume

    original = _resume.ArchiveWriter.write
    seen: list[int] = []

    def full(self: object, chunk: bytes) -> None:
        if seen:
            raise OSError(errno.ENOSPC, "No space left on device")
        seen.append(1)
        original(self, chunk)  # type: ignore[arg-type]

    monkeypatch.setattr(_resume.ArchiveWriter, "write", full)
    with pytest.raises(errors.InsufficientSpaceError, match="disk is full"):
        download(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / ".inductiva" / "output.zip.part").stat().st_size > 0
