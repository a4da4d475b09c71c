"""Issue 12 fault drills against a real mock server: nothing lost, a clear error each time.

Each drill breaks something mid-transfer (the server killed and restarted, 503
bursts while resuming, Ctrl-C or SIGTERM during extraction, a full disk,
corrupted bytes, a bomb) and checks that what was received is kept, the error
says what to do, and the next call completes.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from inductiva_mock.launcher import MockServer
from test_transfers import download_outputs, point_at, run_synthetic

import inductiva
from inductiva import _http, errors
from inductiva._outputs import TaskOutput
from inductiva._transfers import _resume, _unzip

pytestmark = pytest.mark.contract

MIB = 1024 * 1024
FILES = [
    {"name": "big/a.bin", "size": 6 * MIB, "compressible": False},
    {"name": "notes.txt", "size": 40_000, "compressible": True},
]
NAMES = sorted(["big/a.bin", "notes.txt", "stdout.txt", "stderr.txt"])


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """A mock of this module's own, so it can be killed and restarted."""
    with MockServer(data_dir=tmp_path_factory.mktemp("drills"), api_keys=("test-key",)) as server:
        yield server


@pytest.fixture
def server(own_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    """The client pointed at the module's mock, faults cleared before and after."""
    point_at(own_server, monkeypatch)
    monkeypatch.setattr(inductiva, "max_retries", 6)
    own_server.clear_faults()
    yield own_server
    own_server.clear_faults()
    _http.reset()


_TASK: dict[str, str] = {}


@pytest.fixture
def task_id(server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One finished synthetic task with ~6 MiB of incompressible output."""
    if "id" not in _TASK:
        _TASK["id"] = run_synthetic(FILES, tmp_path_factory.mktemp("in"))
    return _TASK["id"]


def _complete(out: Path) -> None:
    assert TaskOutput(out).files() == NAMES
    assert (out / "big/a.bin").stat().st_size == 6 * MIB
    assert not (out / ".inductiva").exists()


def test_server_killed_mid_download_and_restarted(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mock killed after the first MiB and restarted: the download resumes and completes."""
    original = _resume.ArchiveWriter.write
    restarted: list[int] = []

    def put(self: _resume.ArchiveWriter, chunk: bytes) -> None:
        original(self, chunk)
        if not restarted and self.written >= MIB:
            restarted.append(1)
            server.restart()

    monkeypatch.setattr(_resume.ArchiveWriter, "write", put)
    server.reset_stats()
    download_outputs(task_id, output_dir=tmp_path)
    assert restarted
    _complete(tmp_path)


def test_503_burst_during_resume_still_completes(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drop, then three 503s answering the resume: retried within the budget, complete."""
    server.set_faults(drop_download_after_bytes=2 * MIB, drop_download_times=1)
    original = _resume.ArchiveWriter.write
    armed: list[int] = []

    def put(self: _resume.ArchiveWriter, chunk: bytes) -> None:
        original(self, chunk)
        if not armed:
            armed.append(1)
            server.set_faults(
                drop_download_after_bytes=2 * MIB,
                drop_download_times=0,
                fail_next=3,
                fail_status=503,
                retry_after=0,
                path_regex="/output$",
            )

    monkeypatch.setattr(_resume.ArchiveWriter, "write", put)
    download_outputs(task_id, output_dir=tmp_path)
    _complete(tmp_path)


def test_503_burst_beyond_the_budget_keeps_the_part(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More 503s than max_retries: a ServerError that says the partial download resumes."""
    monkeypatch.setattr(inductiva, "max_retries", 2)
    server.set_faults(drop_download_after_bytes=2 * MIB, drop_download_times=1)
    original = _resume.ArchiveWriter.write

    def put(self: _resume.ArchiveWriter, chunk: bytes) -> None:
        original(self, chunk)
        server.set_faults(fail_next=50, fail_status=503, retry_after=0, path_regex="/output$")

    monkeypatch.setattr(_resume.ArchiveWriter, "write", put)
    with pytest.raises(errors.ServerError, match="resumes on the next call"):
        download_outputs(task_id, output_dir=tmp_path)
    assert (tmp_path / ".inductiva" / "output.zip.part").stat().st_size > 0
    monkeypatch.setattr(_resume.ArchiveWriter, "write", original)
    server.clear_faults()
    download_outputs(task_id, output_dir=tmp_path)
    _complete(tmp_path)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_cli_interrupted_during_extraction_keeps_the_download(
    server: MockServer, task_id: str, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """Ctrl-C or SIGTERM while the CLI extracts: exit 130/143, no staging, next call completes."""
    script = textwrap.dedent(
        """
        import sys, time
        from inductiva._transfers import _unzip
        original = _unzip._write_all
        def slow(fd, data):
            time.sleep(0.05)
            original(fd, data)
        _unzip._write_all = slow
        from inductiva.cli import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    env = {
        **os.environ,
        "INDUCTIVA_API_URL": server.url,
        "INDUCTIVA_API_KEY": "test-key",
        "INDUCTIVA_PROGRESS": "0",
    }
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "tasks", "download", task_id, "--dir", str(out)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list((out / ".inductiva").glob("staging-*/*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err and "inductiva: error:" in err
    assert not list((out / ".inductiva").glob("staging-*"))
    assert (out / ".inductiva" / "output.zip.part").exists()
    server.reset_stats()
    download_outputs(task_id, output_dir=out)
    _complete(out)


def test_disk_full_during_extraction_keeps_the_download(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while extracting: InsufficientSpaceError; after freeing space the call completes."""
    original = _unzip._write_all

    def full(fd: int, data: bytes | memoryview) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_unzip, "_write_all", full)
    with pytest.raises(errors.InsufficientSpaceError, match="disk is full"):
        download_outputs(task_id, output_dir=tmp_path)
    assert (tmp_path / ".inductiva" / "output.zip.part").exists()
    monkeypatch.setattr(_unzip, "_write_all", original)
    download_outputs(task_id, output_dir=tmp_path)
    _complete(tmp_path)


def test_corrupted_bytes_on_disk_are_caught_and_refetched(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flipped byte in a kept .part is an IntegrityError; the next call fetches it afresh."""
    monkeypatch.setattr(inductiva, "max_retries", 0)
    server.set_faults(drop_download_after_bytes=3 * MIB, drop_download_times=1)
    with pytest.raises(errors.ApiConnectionError, match="resumes"):
        download_outputs(task_id, output_dir=tmp_path)
    part = tmp_path / ".inductiva" / "output.zip.part"
    data = bytearray(part.read_bytes())
    data[MIB] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(errors.IntegrityError, match="corrupt"):
        download_outputs(task_id, output_dir=tmp_path)
    assert not part.exists()
    download_outputs(task_id, output_dir=tmp_path)
    _complete(tmp_path)


def test_archive_over_the_ratio_limit_is_refused_then_allowed(
    server: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 120 MiB compressible output over a ratio limit of 2 is refused; the default extracts."""
    packed_id = run_synthetic(
        [{"name": "text.txt", "size": 120 * MIB, "compressible": True}], tmp_path
    )
    monkeypatch.setattr(inductiva, "max_compression_ratio", 2)
    with pytest.raises(errors.ArchiveTooLargeError, match="max_compression_ratio"):
        download_outputs(packed_id, output_dir=tmp_path / "out")
    assert not (tmp_path / "out" / "text.txt").exists()
    monkeypatch.setattr(inductiva, "max_compression_ratio", None)
    download_outputs(packed_id, output_dir=tmp_path / "out")
    assert (tmp_path / "out" / "text.txt").stat().st_size == 120 * MIB
