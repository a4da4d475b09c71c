"""The input zip of many files: parallel deflate equals serial, plan within its memory budget."""

from __future__ import annotations

import io
import os
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from inductiva import errors
from inductiva._transfers import _deflate, _segments, _zipwrite
from inductiva._transfers._upload import input_zip


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """An OpenFOAM-like tree: 600 small text files, a large one, binaries, empty things."""
    root = tmp_path / "case"
    for p in range(3):
        for step in range(20):
            d = root / f"processor{p}" / f"{step * 0.1:g}"
            d.mkdir(parents=True)
            for field in ("U", "p", "k", "nut", "omega", "T", "phi", "alphat", "epsilon", "k2"):
                lines = "".join(
                    f"{(p + 1) * (step + 1) * i % 997 * 0.001:.6g}\n" for i in range(200)
                )
                (d / field).write_text(f"FoamFile {field}\n{lines}")
    (root / "constant").mkdir()
    (root / "constant" / "points").write_bytes(b"(0 0 0)\n(1 0 0)\n" * 120_000)  # over WHOLE
    (root / "constant" / "noise.bin").write_bytes(os.urandom(2 * _deflate.WHOLE))
    (root / "empty").mkdir()
    (root / "zero.txt").write_bytes(b"")
    return root


def _zip(root: Path) -> bytes:
    stream = input_zip(root, {"n": 1})
    data = b"".join(iter(lambda: stream.read(65536), b""))
    assert len(data) == stream.size
    stream.close()
    return data


def test_parallel_deflate_makes_the_same_zip_as_serial(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four deflate threads produce byte for byte the zip one thread does."""
    monkeypatch.setattr(_deflate, "workers", lambda: 1)
    serial = _zip(case)
    monkeypatch.setattr(_deflate, "workers", lambda: 4)
    assert _zip(case) == serial


def test_every_member_is_intact_in_walk_order(case: Path) -> None:
    """CRCs check, contents equal the files, order is os.walk's, empty dirs kept."""
    with zipfile.ZipFile(io.BytesIO(_zip(case))) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        expected = ["sim_dir/"]
        for root, dirs, files in os.walk(case):
            dirs.sort()
            rel = Path(root).relative_to(case).as_posix()
            prefix = "sim_dir/" if rel == "." else f"sim_dir/{rel}/"
            if rel != "." and not dirs and not files:
                expected.append(prefix)
            expected += [prefix + f for f in sorted(files)]
        assert names == [*expected, "input.json"]
        for name in names[1:-1]:
            if not name.endswith("/"):
                assert zf.read(name) == (case / name[len("sim_dir/") :]).read_bytes()
        info = {i.filename: i for i in zf.infolist()}
    assert info["sim_dir/constant/noise.bin"].compress_type == zipfile.ZIP_STORED
    assert info["sim_dir/constant/points"].compress_type == zipfile.ZIP_DEFLATED
    assert info["sim_dir/processor0/0/U"].compress_type == zipfile.ZIP_DEFLATED


def test_members_deflate_as_raw_deflate_any_inflater_reads(case: Path) -> None:
    """The deflated bytes (ISA-L's when installed) inflate with plain zlib."""
    data = (case / "processor1" / "0.5" / "p").read_bytes()
    assert zlib.decompressobj(-15).decompress(_deflate.compress(data)) == data


def test_plan_over_its_budget_sends_the_same_bytes(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room for few kept bytes, the rest is deflated again while sending, identically."""
    reference = _zip(case)
    monkeypatch.setattr(_zipwrite, "CACHE_BYTES", 60_000)
    stream = input_zip(case, {"n": 1})
    assert stream._plan.cache.size <= 60_000
    stream.close()
    assert _zip(case) == reference


def test_file_changed_after_planning_is_caught_beyond_the_cache(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deflated file re-read while sending that changed raises TransferError."""
    monkeypatch.setattr(_zipwrite, "CACHE_BYTES", 0)
    stream = input_zip(case, {})
    (case / "processor0" / "0" / "U").write_text("changed")
    with pytest.raises(errors.TransferError, match="changed"):
        b"".join(iter(lambda: stream.read(65536), b""))
    stream.close()


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system taking any bytes")
def test_file_name_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    """A file whose name is not UTF-8 cannot be a zip member name: InvalidArgumentError."""
    (tmp_path / "in").mkdir()
    with open(os.path.join(os.fsencode(tmp_path / "in"), b"bad\xff.txt"), "wb") as fh:
        fh.write(b"x")
    with pytest.raises(errors.InvalidArgumentError, match="not valid UTF-8"):
        input_zip(tmp_path / "in", {})


def test_segments_are_given_back_from_the_end() -> None:
    """Items read back as pushed; popping empties segments, which are closed."""
    kept = _segments.Segments()
    small = kept.push(b"a" * 10)
    big = kept.push(b"b" * (_segments.SEGMENT + 5))
    last = kept.push(b"c" * 3)
    assert kept.get(small) == b"a" * 10 and kept.get(last) == b"ccc"
    assert kept.get(big) == b"b" * (_segments.SEGMENT + 5) and kept.size == _segments.SEGMENT + 18
    segments = list(kept._segments)
    assert kept.pop() == 3 and kept.pop() == _segments.SEGMENT + 5
    assert len(kept) == 1 and segments[-1].closed and not segments[0].closed
    kept.close()
    assert segments[0].closed and kept.size == 0
