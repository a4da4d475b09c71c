"""The input zip streamed while it is built: layout, store-or-deflate choice, exact length."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from inductiva import errors
from inductiva._transfers import _zipwrite
from inductiva._transfers._upload import input_zip


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "case"
    (root / "constant").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "constant" / "log.txt").write_text("step 1 residual 1e-3\n" * 5000)
    (root / "mesh.bin").write_bytes(os.urandom(300_000))
    (root / "photo.png").write_bytes(b"\x89PNG" + b"a" * 100_000)  # compressible, but a png
    (root / "ünïcode.dat").write_text("x" * 1000)
    return root


def _read_all(stream: _zipwrite.InputZip) -> bytes:
    stream.seek(0)
    return b"".join(iter(lambda: stream.read(64 * 1024), b""))


def test_layout_is_the_eras(tree: Path) -> None:
    """sim_dir/ with the tree (empty dirs too) and input.json with the params and sim_dir."""
    data = _read_all(input_zip(tree, {"n": 1}))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names[0] == "sim_dir/" and names[-1] == "input.json"
        assert "sim_dir/empty/" in names and "sim_dir/ünïcode.dat" in names
        assert json.loads(zf.read("input.json")) == {"n": 1, "sim_dir": "sim_dir"}
        assert zf.read("sim_dir/mesh.bin") == (tree / "mesh.bin").read_bytes()


def test_incompressible_files_are_stored_and_text_deflated(tree: Path) -> None:
    """Random bytes (probe) and a .png (extension) are stored; text is deflated and shrinks."""
    data = _read_all(input_zip(tree, {}))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = {i.filename: i for i in zf.infolist()}
    assert info["sim_dir/mesh.bin"].compress_type == zipfile.ZIP_STORED
    assert info["sim_dir/photo.png"].compress_type == zipfile.ZIP_STORED
    text = info["sim_dir/constant/log.txt"]
    assert text.compress_type == zipfile.ZIP_DEFLATED
    assert text.compress_size < text.file_size / 10


def test_length_is_known_before_sending(tree: Path) -> None:
    """The planned size equals the bytes produced, and a rewind produces the same bytes."""
    stream = input_zip(tree, {"a": "b"})
    first = _read_all(stream)
    assert len(first) == stream.size == stream.seek(0, os.SEEK_END)
    assert _read_all(stream) == first


def test_deflated_beyond_the_cache_is_deflated_again_identically(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no room to keep compressed bytes, they are recomputed while sending, identically."""
    reference = _read_all(input_zip(tree, {}))
    monkeypatch.setattr(_zipwrite, "CACHE_BYTES", 0)
    assert _read_all(input_zip(tree, {})) == reference


def test_a_file_changed_after_planning_stops_the_upload(tree: Path) -> None:
    """A file whose size changes between planning and sending raises TransferError."""
    stream = input_zip(tree, {})
    (tree / "mesh.bin").write_bytes(os.urandom(1000))
    with pytest.raises(errors.TransferError, match="changed"):
        _read_all(stream)


def test_should_store_probes_the_content(tmp_path: Path) -> None:
    """The quick probe stores random data and deflates repetitive data."""
    (tmp_path / "r.dat").write_bytes(os.urandom(100_000))
    (tmp_path / "t.dat").write_bytes(b"abc" * 50_000)
    assert _zipwrite.should_store(tmp_path / "r.dat", 100_000)
    assert not _zipwrite.should_store(tmp_path / "t.dat", 150_000)
    assert _zipwrite.should_store(tmp_path / "t.dat.gz", 0)
