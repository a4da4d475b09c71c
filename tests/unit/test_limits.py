"""Limits (_limits): zip bombs, lying sizes, the ratio and size limits, free space."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_zips import MIB, bomb, liar
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    listing,
    make_output,
    serve,
    unserve,
)

import inductiva
from inductiva import errors
from inductiva._transfers import _extract, _limits

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


def test_bomb_download_without_extraction_stays_under_100_mb(tmp_path: Path) -> None:
    """uncompress=False on a 2 GiB-declaring bomb verifies it with peak RSS under 100 MB."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import pytest
        from hostile_zips import bomb
        from transfer_fakes import ArchiveServer, serve, TASK_ID, downloader
        download = downloader("sync")
        mp = pytest.MonkeyPatch()
        serve(mp, ArchiveServer(bomb(2048)))
        try:  # measure from here: imports (and compiling them without .pyc) do not count
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
        except OSError:
            pass
        download(TASK_ID, output_dir={str(tmp_path / "out")!r}, uncompress=False)
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
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
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
        download(TASK_ID, filenames=["small.txt"], output_dir=tmp_path)
    assert sum(written) <= 1000
    assert listing(tmp_path) == []
    unserve()


def test_ratio_limit_refuses_a_bomb_before_extracting(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A 1000x archive over 100 MiB is refused with ArchiveTooLargeError; nothing is extracted."""
    _serve(monkeypatch, bomb(200))
    with pytest.raises(errors.ArchiveTooLargeError, match="max_compression_ratio"):
        download(TASK_ID, output_dir=tmp_path)
    assert not (tmp_path / "zeros.bin").exists()
    assert not list((tmp_path / ".inductiva").glob("staging-*"))
    unserve()


def test_ratio_limit_is_settable(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """inductiva.max_compression_ratio raised lets a trusted highly compressible archive in."""
    _serve(monkeypatch, bomb(120))
    monkeypatch.setattr(inductiva, "max_compression_ratio", 5000)
    download(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / "zeros.bin").stat().st_size == 120 * MIB
    unserve()


def test_total_size_limit_refuses_large_archives(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """INDUCTIVA_MAX_EXTRACT_SIZE below the archive's total refuses it, keeping the download."""
    monkeypatch.setenv("INDUCTIVA_MAX_EXTRACT_SIZE", "1000")
    with pytest.raises(errors.ArchiveTooLargeError, match="max_extract_size"):
        download(TASK_ID, output_dir=tmp_path)
    assert not (tmp_path / "stdout.txt").exists()
    assert (tmp_path / ".inductiva" / "output.zip.part").exists()
    monkeypatch.delenv("INDUCTIVA_MAX_EXTRACT_SIZE")
    download(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / "stdout.txt").read_bytes() == FILES["stdout.txt"]


def test_invalid_limit_setting_fails_before_any_request(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
) -> None:
    """A bad INDUCTIVA_MAX_COMPRESSION_RATIO is a ConfigurationError and no request is sent."""
    monkeypatch.setenv("INDUCTIVA_MAX_COMPRESSION_RATIO", "lots")
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_MAX_COMPRESSION_RATIO"):
        download(TASK_ID, output_dir=tmp_path)
    assert server.requests == []


def test_free_space_is_checked_before_extracting(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: ArchiveServer
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
        download(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / ".inductiva" / "output.zip.part").exists()
