"""Input zips (sim_dir/ + input.json) and upload_input: multipart, streamed as the zip is built."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from transfer_fakes import TASK_ID, ArchiveServer, input_zip, serve, unserve

from inductiva import _client, errors
from inductiva._transfers import _progress, _upload
from inductiva._transfers._upload import build_input_zip, upload_input, zip_directory

PARAMS = {"commands": [{"cmd": "simpleFoam", "prompts": []}], "n_cores": 2}
LAYOUT = [
    "input.json",
    "sim_dir/",
    "sim_dir/constant/props.txt",
    "sim_dir/empty/",
    "sim_dir/mesh.bin",
]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API accepting uploads for TASK_ID."""
    srv = ArchiveServer(b"")
    serve(monkeypatch, srv)
    yield srv
    unserve()


@pytest.fixture
def input_dir(tmp_path: Path) -> Path:
    """An input directory with nested files, a binary blob and an empty directory."""
    root = tmp_path / "input"
    (root / "constant").mkdir(parents=True)
    (root / "constant" / "props.txt").write_text("nu 1e-5\n" * 100)
    (root / "mesh.bin").write_bytes(os.urandom(300_000))
    (root / "empty").mkdir()
    return root


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_zip_directory_round_trips(input_dir: Path, tmp_path: Path) -> None:
    """Every file (relative POSIX names, deflated) and empty directory is zipped; size returned."""
    dest = tmp_path / "in.zip"
    size = zip_directory(input_dir, dest)
    assert size == dest.stat().st_size
    members = _members(dest.read_bytes())
    assert sorted(members) == ["constant/props.txt", "empty/", "mesh.bin"]
    assert members["mesh.bin"] == (input_dir / "mesh.bin").read_bytes()
    with zipfile.ZipFile(dest) as zf:
        assert zf.getinfo("constant/props.txt").compress_type == zipfile.ZIP_DEFLATED


def test_zip_directory_skips_its_own_destination(input_dir: Path) -> None:
    """A destination inside the source directory is not zipped into itself."""
    dest = input_dir / "self.zip"
    zip_directory(input_dir, dest)
    assert "self.zip" not in _members(dest.read_bytes())


def test_input_zip_has_the_eras_layout(input_dir: Path, tmp_path: Path) -> None:
    """The input directory goes under sim_dir/ and the params into input.json at the root."""
    dest = tmp_path / "in.zip"
    assert build_input_zip(input_dir, PARAMS, dest) == dest.stat().st_size
    members, document = input_zip(dest.read_bytes())
    assert sorted(members) == LAYOUT
    assert document == {**PARAMS, "sim_dir": "sim_dir"}
    assert members["sim_dir/mesh.bin"] == (input_dir / "mesh.bin").read_bytes()


def test_empty_input_dir_still_has_sim_dir(tmp_path: Path) -> None:
    """An empty input directory is zipped as the sim_dir/ entry, so the server finds it."""
    (tmp_path / "empty").mkdir()
    build_input_zip(tmp_path / "empty", {}, tmp_path / "in.zip")
    members, document = input_zip((tmp_path / "in.zip").read_bytes())
    assert sorted(members) == ["input.json", "sim_dir/"] and document == {"sim_dir": "sim_dir"}


def test_params_that_are_not_json_are_rejected(input_dir: Path, tmp_path: Path) -> None:
    """A parameter JSON cannot hold is an InvalidArgumentError, not a TypeError."""
    with pytest.raises(errors.InvalidArgumentError, match="not JSON"):
        build_input_zip(input_dir, {"when": object()}, tmp_path / "in.zip")


def test_upload_is_multipart_with_part_file(server: ArchiveServer, input_dir: Path) -> None:
    """The body is multipart/form-data with one part `file` (input.zip) and a Content-Length."""
    upload_input(TASK_ID, input_dir, PARAMS)
    (request,) = server.requests
    assert request.url.path == f"/tasks/{TASK_ID}/input"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(request.headers["Content-Length"]) == len(request.content)
    (parts,) = server.upload_parts
    assert list(parts) == ["file"] and parts["file"][0] == "input.zip"
    members, document = input_zip(server.uploads[0])
    assert sorted(members) == LAYOUT and document["sim_dir"] == "sim_dir"
    props = (input_dir / "constant" / "props.txt").read_bytes()
    assert members["sim_dir/constant/props.txt"] == props


def test_upload_streams_in_chunks_with_progress(
    server: ArchiveServer, input_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The zip is read in bounded chunks through the progress reader, never whole."""
    reads: list[int] = []
    original = _progress.ProgressReader.read

    def spy(self: _progress.ProgressReader, size: int | None = -1) -> bytes:
        data = original(self, size)
        reads.append(len(data))
        return data

    monkeypatch.setattr(_progress.ProgressReader, "read", spy)
    upload_input(TASK_ID, input_dir, PARAMS)
    assert len([n for n in reads if n]) >= 4
    assert max(reads) <= 64 * 1024
    assert sum(reads) == len(server.uploads[0])  # the zip, read once through the bar


def test_progress_bar_counts_every_byte(
    server: ArchiveServer, input_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload bar ends at the zip's size."""
    bars: list[object] = []
    original = _upload.byte_bar

    def recording(*args: object, **kwargs: object) -> object:
        bar = original(*args, **kwargs)  # type: ignore[arg-type]
        bars.append(bar)
        return bar

    monkeypatch.setattr(_upload, "byte_bar", recording)
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "1")
    upload_input(TASK_ID, input_dir, PARAMS)
    (bar,) = bars
    assert bar.n == bar.total == len(server.uploads[0])  # type: ignore[attr-defined]


def test_missing_directory_is_a_clear_error(server: ArchiveServer, tmp_path: Path) -> None:
    """A path that does not exist or is a file raises InvalidArgumentError; nothing is sent."""
    with pytest.raises(errors.InvalidArgumentError, match="does not exist"):
        upload_input(TASK_ID, tmp_path / "nope", PARAMS)
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(errors.InvalidArgumentError, match="not a directory"):
        upload_input(TASK_ID, tmp_path / "f.txt", PARAMS)
    assert server.requests == []


def test_refused_upload_is_sent_again_from_the_start(
    server: ArchiveServer, input_dir: Path
) -> None:
    """A 503 (body not taken) is retried; the second attempt carries the whole zip."""
    server.upload_status = [503]
    upload_input(TASK_ID, input_dir, PARAMS)
    assert len(server.requests) == 2
    assert sorted(_members(server.uploads[0])) == LAYOUT


@pytest.mark.parametrize(
    ("failure", "resent"),
    [(httpx.ConnectError("refused"), True), (httpx.ReadError("reset after sending"), False)],
)
def test_upload_is_resent_only_after_failures_before_sending(
    server: ArchiveServer, input_dir: Path, failure: httpx.TransportError, resent: bool
) -> None:
    """A connection never made is re-sent; one that may have delivered the body is raised."""
    calls: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise failure
        return server.handle(request)

    _client.set_transport(httpx.MockTransport(flaky))
    if resent:
        upload_input(TASK_ID, input_dir, PARAMS)
        assert sorted(_members(server.uploads[0])) == LAYOUT
    else:
        with pytest.raises(errors.ApiConnectionError, match="reset after sending"):
            upload_input(TASK_ID, input_dir, PARAMS)
    assert len(calls) == (2 if resent else 1)


def test_conflict_is_not_retried(server: ArchiveServer, input_dir: Path) -> None:
    """A 409 (task not pending-input) raises ConflictError after one attempt."""
    server.upload_status = [409]
    with pytest.raises(errors.ConflictError):
        upload_input(TASK_ID, input_dir, PARAMS)
    assert len(server.requests) == 1


def test_upload_writes_no_temporary_file(
    server: ArchiveServer, input_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The upload streams the zip as it is built: no temporary file, not even a removed one."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", None)

    def forbidden(*args: object, **kwargs: object) -> object:
        raise AssertionError("the upload made a temporary file")

    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, forbidden)
    monkeypatch.setattr(_upload, "build_input_zip", forbidden)
    upload_input(TASK_ID, input_dir, PARAMS)
    assert list(tmp.iterdir()) == []
    with zipfile.ZipFile(io.BytesIO(server.uploads[-1])) as zf:
        assert zf.testzip() is None
