"""The one resume model (_part): sidecars read back, and unusable local state discarded."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from transfer_fakes import TASK_ID, ArchiveServer, Download, listing, make_output, serve, unserve

from inductiva._transfers import _part
from inductiva._transfers._part import PartState

FILES = {"a.bin": os.urandom(300_000), "b.txt": b"text\n" * 1000}
ARCHIVE = make_output(FILES)
SIZE = len(ARCHIVE)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API serving FILES as the output archive (byte ranges on)."""
    srv = ArchiveServer(ARCHIVE)
    serve(monkeypatch, srv)
    yield srv
    unserve()


def _leave(root: Path, sidecar: object, part: bytes | None = ARCHIVE[:100_000]) -> Path:
    space = root / ".inductiva"
    space.mkdir(parents=True)
    if part is not None:
        (space / "output.zip.part").write_bytes(part)
    text = sidecar if isinstance(sidecar, str) else json.dumps(sidecar)
    (space / "output.zip.part.json").write_text(text)
    return space / "output.zip.part"


def _state(**changes: object) -> dict[str, object]:
    return {"task_id": TASK_ID, "etag": '"v1"', "size": SIZE, "segments": None, **changes}


def test_state_round_trips_through_the_sidecar(tmp_path: Path) -> None:
    """A saved sequential or ranged state loads back as it was, its held bytes counted."""
    part = tmp_path / "output.zip.part"
    part.write_bytes(b"x" * 10)
    _part.save(part, PartState(TASK_ID, '"e"', 100, None, 10))
    assert _part.load(part, TASK_ID) == PartState(TASK_ID, '"e"', 100, None, 10)
    part.write_bytes(b"x" * 100)
    ranged = PartState(TASK_ID, '"e"', 100, ((0, 50, 20), (50, 100, 50)))
    _part.save(part, ranged)
    loaded = _part.load(part, TASK_ID)
    assert loaded == ranged and loaded is not None and loaded.held == 70
    assert not loaded.complete


def test_the_previous_versions_sidecars_are_read(tmp_path: Path) -> None:
    """A {task_id, etag, size} sidecar, or a .ranges.json of parallel ranges, still resumes."""
    part = tmp_path / "output.zip.part"
    part.write_bytes(b"x" * 30)
    _part.sidecar(part).write_text(json.dumps({"task_id": TASK_ID, "etag": '"e"', "size": 90}))
    assert _part.load(part, TASK_ID) == PartState(TASK_ID, '"e"', 90, None, 30)
    _part.sidecar(part).unlink()
    part.write_bytes(b"x" * 90)
    old = {"task_id": TASK_ID, "etag": '"e"', "size": 90, "segments": [[0, 45, 5], [45, 90, 0]]}
    part.with_name(part.name + ".ranges.json").write_text(json.dumps(old))
    assert _part.load(part, TASK_ID) == PartState(TASK_ID, '"e"', 90, ((0, 45, 5), (45, 90, 0)))


BAD_STATES = {
    "not json": "{not json",
    "a list": [1, 2, 3],
    "no task": _state(task_id=None),
    "etag not a string": _state(etag=12345),
    "etag with CR/LF": _state(etag='"v1"\r\nX-Evil: 1'),
    "etag far too long": _state(etag='"' + "e" * 5000 + '"'),
    "negative size": _state(size=-1),
    "size a bool": _state(size=True),
    "size absurd": _state(size=2**60),
    "part beyond the size": _state(size=10),
    "a million segments": _state(segments=[[i, i + 1, 0] for i in range(1_000_000)]),
    "negative offsets": _state(segments=[[-5, SIZE, 0]]),
    "segments beyond the size": _state(segments=[[0, SIZE + 10, 0]]),
    "segments not tiling": _state(segments=[[0, 10, 0], [20, SIZE, 0]]),
    "have beyond its range": _state(segments=[[0, SIZE, SIZE + 1]]),
    "segments of unknown size": _state(size=None, segments=[[0, 10, 0]]),
    "segment not a triple": _state(segments=[[0, SIZE]]),
}


@pytest.mark.parametrize("sidecar", BAD_STATES.values(), ids=BAD_STATES.keys())
def test_unusable_state_is_discarded_with_a_warning_and_the_download_restarts(
    download: Download,
    server: ArchiveServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    sidecar: object,
) -> None:
    """Unparsable or implausible sidecars: WARNING, start over from byte 0, a correct result."""
    _leave(tmp_path, sidecar)
    with caplog.at_level(logging.WARNING, logger="inductiva"):
        out = download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert (out / "output.zip").read_bytes() == ARCHIVE
    assert listing(tmp_path) == ["output.zip"]
    assert [r for r in server.ranges() if r != "bytes=-65536"] == [None]  # from byte 0
    assert any("starts over" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")


@pytest.mark.parametrize("where", ["sidecar", "part"])
def test_a_directory_in_the_way_of_the_state_does_not_wedge_later_calls(
    download: Download, server: ArchiveServer, tmp_path: Path, where: str
) -> None:
    """A directory named like the .part or its sidecar is removed; the download completes."""
    space = tmp_path / ".inductiva"
    name = "output.zip.part.json" if where == "sidecar" else "output.zip.part"
    (space / name / "inner").mkdir(parents=True)
    if where == "part":
        (space / "output.zip.part.json").write_text(json.dumps(_state()))
    out = download(TASK_ID, output_dir=tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["a.bin", "b.txt"]


def test_a_ranged_part_of_the_wrong_length_is_discarded(
    download: Download, server: ArchiveServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Ranges recorded for a .part shorter than the archive are not trusted: start over."""
    _leave(tmp_path, _state(segments=[[0, SIZE, 50]]), part=ARCHIVE[:50])
    with caplog.at_level(logging.WARNING, logger="inductiva"):
        out = download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert (out / "output.zip").read_bytes() == ARCHIVE
    assert "not the archive's" in caplog.text


def test_another_tasks_part_is_replaced_quietly(
    download: Download, server: ArchiveServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A .part of another task in the directory is replaced, without a warning."""
    _leave(tmp_path, _state(task_id="42"))
    with caplog.at_level(logging.WARNING, logger="inductiva"):
        out = download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert (out / "output.zip").read_bytes() == ARCHIVE
    transfer = ("_part", "_resume", "_download", "_keep", "_parallel")
    assert not [r for r in caplog.records if r.levelname == "WARNING" and r.module in transfer]


def test_a_valid_prefix_state_resumes_in_every_mode(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """A sequential .part resumes with Range also when extracting (uncompress=True)."""
    _leave(tmp_path, _state(), part=ARCHIVE[:100_000])
    download(TASK_ID, output_dir=tmp_path)
    assert server.ranges() == ["bytes=100000-"]
    assert server.bytes_sent == SIZE - 100_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.txt"]
