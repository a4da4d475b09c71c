"""Issue 12 drills on the transfer engine: bombs, lying sizes, kept progress, hostile names."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostile_zips import MIB, bomb, liar, plain
from transfer_fakes import TASK_ID, ArchiveServer, listing, make_output, serve, unserve

import inductiva
from inductiva import _client, errors
from inductiva._outputs import TaskOutput
from inductiva._signals import Terminated
from inductiva._transfers import _extract, _limits, _unzip, _workspace
from inductiva._transfers._download import download_outputs

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


# -- bounded decompression ------------------------------------------------------------


def test_bomb_download_without_extraction_stays_under_100_mb(tmp_path: Path) -> None:
    """uncompress=False on a 2 GiB-declaring bomb verifies it with peak RSS under 100 MB."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import pytest
        from hostile_zips import bomb
        from transfer_fakes import ArchiveServer, serve, TASK_ID
        from inductiva._transfers._download import download_outputs
        mp = pytest.MonkeyPatch()
        serve(mp, ArchiveServer(bomb(2048)))
        try:  # measure from here: imports (and compiling them without .pyc) do not count
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
        except OSError:
            pass
        download_outputs(TASK_ID, output_dir={str(tmp_path / "out")!r}, uncompress=False)
        try:
            status = open("/proc/self/status").read()
            print(int(status.split("VmHWM:")[1].split()[0]))
        except (OSError, IndexError):
            print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    peak_kib = int(done.stdout.split()[-1])
    assert peak_kib < 100 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"
    assert (tmp_path / "out" / "output.zip").exists()


def test_member_output_is_stopped_at_its_declared_size(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A member declaring 1,000 bytes that inflates to 64 MiB never has more than 1,000 written."""
    _serve(monkeypatch, liar(1000, 64))
    written: list[int] = []
    original = _extract.MemberWriter.write

    def spy(self: _extract.MemberWriter, data: bytes | memoryview) -> None:
        original(self, data)
        written.append(len(data))

    monkeypatch.setattr(_extract.MemberWriter, "write", spy)
    with pytest.raises(errors.IntegrityError, match="more than the 1000 bytes"):
        download_outputs(TASK_ID, filenames=["small.txt"], output_dir=tmp_path)
    assert sum(written) <= 1000
    assert listing(tmp_path) == []
    unserve()


def test_ratio_limit_refuses_a_bomb_before_extracting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A 1000x archive over 100 MiB is refused with ArchiveTooLargeError; nothing is extracted."""
    _serve(monkeypatch, bomb(200))
    with pytest.raises(errors.ArchiveTooLargeError, match="max_compression_ratio"):
        download_outputs(TASK_ID, output_dir=tmp_path)
    assert not (tmp_path / "zeros.bin").exists()
    assert not list((tmp_path / ".inductiva").glob("staging-*"))
    unserve()


def test_ratio_limit_is_settable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """inductiva.max_compression_ratio raised lets a trusted highly compressible archive in."""
    _serve(monkeypatch, bomb(120))
    monkeypatch.setattr(inductiva, "max_compression_ratio", 5000)
    download_outputs(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / "zeros.bin").stat().st_size == 120 * MIB
    unserve()


def test_total_size_limit_refuses_large_archives(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """INDUCTIVA_MAX_EXTRACT_SIZE below the archive's total refuses it, keeping the download."""
    monkeypatch.setenv("INDUCTIVA_MAX_EXTRACT_SIZE", "1000")
    with pytest.raises(errors.ArchiveTooLargeError, match="max_extract_size"):
        download_outputs(TASK_ID, output_dir=tmp_path)
    assert not (tmp_path / "stdout.txt").exists()
    assert (tmp_path / ".inductiva" / "output.zip.part").exists()
    monkeypatch.delenv("INDUCTIVA_MAX_EXTRACT_SIZE")
    download_outputs(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / "stdout.txt").read_bytes() == FILES["stdout.txt"]


def test_invalid_limit_setting_fails_before_any_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """A bad INDUCTIVA_MAX_COMPRESSION_RATIO is a ConfigurationError and no request is sent."""
    monkeypatch.setenv("INDUCTIVA_MAX_COMPRESSION_RATIO", "lots")
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_MAX_COMPRESSION_RATIO"):
        download_outputs(TASK_ID, output_dir=tmp_path)
    assert server.requests == []


def test_free_space_is_checked_before_extracting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """Too little free space for the extracted files: InsufficientSpaceError, download kept."""
    real = _limits.shutil.disk_usage
    calls: list[int] = []

    def usage(path: object) -> object:
        calls.append(1)
        u = real(path)  # type: ignore[arg-type]
        return u._replace(free=100) if len(calls) > 1 else u

    monkeypatch.setattr(_limits.shutil, "disk_usage", usage)
    with pytest.raises(errors.InsufficientSpaceError, match="free"):
        download_outputs(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / ".inductiva" / "output.zip.part").exists()


# -- progress kept ----------------------------------------------------------------------


def test_api_error_while_resuming_keeps_the_part(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """A 500 answering the resume keeps the bytes already received; the next call resumes."""
    monkeypatch.setattr(inductiva, "max_retries", 0)
    server.drop_after, server.drop_times = 200_000, 1
    with pytest.raises(errors.ApiConnectionError):
        download_outputs(TASK_ID, output_dir=tmp_path, uncompress=False)
    _client.set_transport(httpx.MockTransport(lambda r: httpx.Response(500, json={"detail": "x"})))
    with pytest.raises(errors.ServerError, match="resumes on the next call"):
        download_outputs(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert (tmp_path / ".inductiva" / "output.zip.part").stat().st_size == 200_000
    _client.set_transport(server.transport())
    download_outputs(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert server.ranges()[-1] == "bytes=200000-"


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, Terminated])
def test_interrupted_extraction_keeps_the_verified_download(
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
        download_outputs(TASK_ID, output_dir=tmp_path)
    assert listing(tmp_path) == [
        ".inductiva",
        ".inductiva/output.zip.part",
        ".inductiva/output.zip.part.json",
    ]
    monkeypatch.setattr(_unzip.BatchWriter, "add", original)
    sent = server.bytes_sent
    download_outputs(TASK_ID, output_dir=tmp_path)
    assert server.bytes_sent == sent  # answered 416: nothing downloaded again
    assert TaskOutput(tmp_path).files() == sorted(FILES)


def test_real_sigterm_during_extraction_unwinds_and_cleans_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """A real SIGTERM in extraction raises Terminated, removes staging, keeps the download."""
    original = _unzip.BatchWriter.add

    def signalled(self: _unzip.BatchWriter, job: _unzip.Job) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        original(self, job)

    monkeypatch.setattr(_unzip.BatchWriter, "add", signalled)
    with pytest.raises(Terminated):
        download_outputs(TASK_ID, output_dir=tmp_path)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert not list((tmp_path / ".inductiva").glob("staging-*"))
    assert (tmp_path / ".inductiva" / "output.zip.part").exists()


def test_stale_staging_is_removed_and_never_listed(tmp_path: Path, server: ArchiveServer) -> None:
    """Staging left by a killed process (old and new layout) goes on the next call, unlisted."""
    (tmp_path / ".inductiva" / "staging-x").mkdir(parents=True)
    (tmp_path / ".inductiva" / "staging-x" / "half.bin").write_bytes(b"x")
    (tmp_path / ".inductiva-partial-old").mkdir()
    assert TaskOutput(tmp_path).files() == []
    download_outputs(TASK_ID, output_dir=tmp_path)
    assert listing(tmp_path) == ["data", "data/values.csv", "stdout.txt"]


def test_output_named_like_an_internal_file_survives(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An output file called output.zip.part is extracted and kept, not deleted."""
    files = {"output.zip.part": b"mine", "output.zip.part.json": b"{}"}
    _serve(monkeypatch, make_output(files))
    download_outputs(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / "output.zip.part").read_bytes() == b"mine"
    assert TaskOutput(tmp_path).files() == sorted(files)
    unserve()


def test_member_under_the_reserved_directory_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A member named .inductiva/lock cannot collide with the client's files."""
    _serve(monkeypatch, make_output({".inductiva/lock": b"x"}))
    with pytest.raises(errors.UnsafeArchiveError, match="reserved"):
        download_outputs(TASK_ID, output_dir=tmp_path)
    unserve()


# -- hostile names and local failures ------------------------------------------------------


@pytest.mark.parametrize("partial", [False, True])
def test_file_and_directory_with_one_name_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, partial: bool
) -> None:
    """An archive holding both x and x/y is an UnsafeArchiveError, nothing extracted."""
    _serve(monkeypatch, make_output({"x": b"file", "x/y": b"child"}))
    with pytest.raises(errors.UnsafeArchiveError, match="both a file and the directory"):
        download_outputs(TASK_ID, output_dir=tmp_path, filenames=["x", "x/y"] if partial else None)
    assert not (tmp_path / "x").exists()
    unserve()


@pytest.mark.parametrize("partial", [False, True])
def test_invalid_utf8_member_name_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, partial: bool
) -> None:
    """A member name flagged UTF-8 but holding invalid bytes is an UnsafeArchiveError."""
    archive = plain({b"artifacts/ok.txt": b"ok", b"artifacts/bad\xff\xfe.txt": b"x"}, flags=0x800)
    _serve(monkeypatch, archive)
    with pytest.raises(errors.UnsafeArchiveError, match="UTF-8"):
        download_outputs(TASK_ID, output_dir=tmp_path, filenames=["ok.txt"] if partial else None)
    unserve()


def test_oversized_content_range_is_a_transfer_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """A Content-Range with an absurd total is a TransferError naming the header."""
    handle = server.handle

    def huge(request: httpx.Request) -> httpx.Response:
        response = handle(request)
        if response.status_code == 206:
            response.headers["Content-Range"] = "bytes 0-10/" + "9" * 40
        return response

    _client.set_transport(httpx.MockTransport(huge))
    with pytest.raises(errors.TransferError, match="Content-Range"):
        download_outputs(TASK_ID, output_dir=tmp_path, filenames=["stdout.txt"])


def test_disk_full_is_insufficient_space_and_keeps_progress(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """ENOSPC while writing the archive: InsufficientSpaceError; the bytes so far are kept."""
    from inductiva._transfers import _resume

    original = _resume._Writer.put
    seen: list[int] = []

    def full(self: object, chunk: bytes) -> None:
        if seen:
            raise OSError(errno.ENOSPC, "No space left on device")
        seen.append(1)
        original(self, chunk)  # type: ignore[arg-type]

    monkeypatch.setattr(_resume._Writer, "put", full)
    with pytest.raises(errors.InsufficientSpaceError, match="disk is full"):
        download_outputs(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / ".inductiva" / "output.zip.part").stat().st_size > 0


def test_output_dir_below_a_file_is_an_invalid_argument(
    tmp_path: Path, server: ArchiveServer
) -> None:
    """output_dir /dev/null/x (a path through a file) is an InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="not a directory"):
        download_outputs(TASK_ID, output_dir="/dev/null/x")


def test_unwritable_output_dir_is_a_local_file_error(tmp_path: Path, server: ArchiveServer) -> None:
    """A directory without write permission gives LocalFileError saying to check permissions."""
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions")
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    with pytest.raises(errors.LocalFileError, match="permission"):
        download_outputs(TASK_ID, output_dir=locked / "out")


# -- arguments and the lock ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"output_dir": ""}, {"uncompress": "no"}, {"uncompress": 0}, {"filenames": 5}],
)
def test_bad_download_arguments_are_refused_before_any_request(
    server: ArchiveServer, kwargs: dict[str, object]
) -> None:
    """Empty paths and non-bool flags are InvalidArgumentError, with no request sent."""
    with pytest.raises(errors.InvalidArgumentError):
        download_outputs(TASK_ID, **kwargs)  # type: ignore[arg-type]
    assert server.requests == []


def test_lock_stops_a_second_download_into_the_same_directory(
    tmp_path: Path, server: ArchiveServer
) -> None:
    """A live process's lock makes a second download fail with DownloadInProgressError."""
    space = _workspace.Workspace(tmp_path)
    with _workspace.lock_directory(space):
        with pytest.raises(errors.DownloadInProgressError, match="already downloading"):
            download_outputs(TASK_ID, output_dir=tmp_path)
        assert not (tmp_path / "stdout.txt").exists()
    download_outputs(TASK_ID, output_dir=tmp_path)
    assert not space.lock.exists()


def test_lock_of_a_dead_process_is_taken_over(tmp_path: Path, server: ArchiveServer) -> None:
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
    download_outputs(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / "stdout.txt").exists()
