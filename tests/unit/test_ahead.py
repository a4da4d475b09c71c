"""inductiva._transfers._ahead: AheadReader makes a stream's bytes ahead in a thread (so the
asyncio upload never deflates on the event loop), rewinds, and ends its thread on close."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

from inductiva import errors
from inductiva._transfers import _ahead, _upload

PARAMS = {"commands": [{"cmd": "simpleFoam", "prompts": []}], "n_cores": 2}


@pytest.fixture
def input_dir(tmp_path: Path) -> Path:
    """An input directory with a text file, a random blob and an empty directory."""
    root = tmp_path / "input"
    (root / "constant").mkdir(parents=True)
    (root / "constant" / "props.txt").write_text("nu 1e-5\n" * 20_000)
    (root / "mesh.bin").write_bytes(os.urandom(300_000))
    (root / "empty").mkdir()
    return root


def _reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "inductiva-upload-reader"]


def _open_paths(root: Path) -> list[str]:
    """Files under ``root`` this process holds open (Linux; empty elsewhere)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return []
    paths = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(root)):
            paths.append(target)
    return paths


def test_ahead_reader_reads_rewinds_and_stops_its_thread(input_dir: Path) -> None:
    """The reader yields the stream's bytes, restarts on seek(0) and ends its thread on close."""
    stream = _upload.input_zip(input_dir, PARAMS)
    reference = b"".join(iter(lambda: stream.read(65536), b""))
    reader = _ahead.AheadReader(stream, stream.size, chunk=4096, depth=2)
    assert reader.seek(0, os.SEEK_END) == stream.size and reader.tell() == 0
    first = reader.read(100_000)
    assert first == reference[: len(first)] and reader.tell() == len(first)
    with pytest.raises(io.UnsupportedOperation):
        reader.seek(10)
    assert reader.seek(0) == 0
    assert b"".join(iter(lambda: reader.read(65536), b"")) == reference
    reader.seek(0)
    reader.read(10)  # the thread now waits on a full queue
    assert len(_reader_threads()) == 1
    reader.close()
    assert _reader_threads() == [] and stream.closed
    assert _open_paths(input_dir) == []
    with pytest.raises(ValueError, match="closed"):
        reader.read(1)


def test_ahead_reader_raises_the_producers_error_until_rewound() -> None:
    """An error raised while producing comes out of read(); seek(0) starts over."""

    class Flaky(io.BytesIO):
        fail = True

        def read(self, size: int | None = -1) -> bytes:
            if self.tell() >= 10 and self.fail:
                raise errors.TransferError("disk went away")
            return super().read(size)

    source = Flaky(b"x" * 100)
    with _ahead.AheadReader(source, 100, chunk=10) as reader:
        assert reader.read(10) == b"x" * 10
        with pytest.raises(errors.TransferError, match="disk went away"):
            reader.read(10)
        with pytest.raises(errors.TransferError, match="disk went away"):
            reader.read(10)
        source.fail = False
        reader.seek(0)
        assert reader.read() == b"x" * 100
    assert _reader_threads() == []
