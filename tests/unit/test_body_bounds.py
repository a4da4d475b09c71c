"""Bodies are never longer than what the API declared: longer or endless ones are refused.

Whole archives are bounded by their answer's Content-Range/Content-Length, else
by the ``size`` of ``GET .../output/list``; ranges and directory reads by the
bytes asked for; subset archives by what their files can take. A body past its
bound is an IntegrityError, and nothing of it is kept as resumable.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    listing,
    make_output,
    serve,
    unserve,
    use_handler,
)

from inductiva import errors

FILES = {"a.bin": os.urandom(200_000), "b.txt": b"b\n" * 500}
ARCHIVE = make_output(FILES)


class _Endless(httpx.SyncByteStream, httpx.AsyncByteStream):
    """``prefix`` then zeros forever, counting what was pulled."""

    def __init__(self, prefix: bytes) -> None:
        self.prefix, self.pulled = prefix, 0

    def __iter__(self) -> Iterator[bytes]:
        self.pulled += len(self.prefix)
        yield self.prefix
        while True:
            self.pulled += 65536
            yield bytes(65536)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


def _serve(monkeypatch: pytest.MonkeyPatch, ranges: bool = True) -> ArchiveServer:
    srv = ArchiveServer(ARCHIVE, ranges=ranges)
    serve(monkeypatch, srv, max_retries=0)
    return srv


@pytest.fixture(autouse=True)
def _unserve() -> Iterator[None]:
    yield
    unserve()


def test_a_body_longer_than_its_content_length_is_refused(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A 200 whose body runs past its Content-Length: IntegrityError, nothing kept."""
    srv = _serve(monkeypatch)

    def longer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/output"):
            headers = {"Content-Length": str(len(ARCHIVE)), "ETag": srv.etag}
            return httpx.Response(200, headers=headers, content=ARCHIVE + bytes(100_000))
        return srv.handle(request)

    use_handler(longer)
    with pytest.raises(errors.IntegrityError, match="more than"):
        download(TASK_ID, output_dir=tmp_path / "o")
    assert listing(tmp_path) == []


def test_an_endless_body_without_length_stops_at_the_listed_size(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No Content-Length and no end: cut at output/list's size, IntegrityError, nothing kept."""
    srv = _serve(monkeypatch)
    bodies: list[_Endless] = []

    def endless(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/output"):
            bodies.append(_Endless(ARCHIVE))
            return httpx.Response(200, headers={"ETag": srv.etag}, stream=bodies[-1])
        return srv.handle(request)

    use_handler(endless)
    with pytest.raises(errors.IntegrityError, match="more than"):
        download(TASK_ID, output_dir=tmp_path / "o", uncompress=False)
    assert listing(tmp_path) == []
    assert bodies[0].pulled <= len(ARCHIVE) + 65536
    assert [r.url.path.rsplit("/", 1)[-1] for r in srv.requests].count("list") == 1


def test_a_resumed_body_longer_than_its_range_discards_the_part(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A 206 resume sending more than Content-Range says: IntegrityError, the .part is gone."""
    srv = _serve(monkeypatch)
    space = tmp_path / ".inductiva"
    space.mkdir()
    (space / "output.zip.part").write_bytes(ARCHIVE[:1000])
    state = {"task_id": TASK_ID, "etag": srv.etag, "size": len(ARCHIVE)}
    (space / "output.zip.part.json").write_text(json.dumps(state))

    def longer(request: httpx.Request) -> httpx.Response:
        if request.headers.get("Range") == "bytes=1000-":
            size = len(ARCHIVE)
            headers = {"Content-Range": f"bytes 1000-{size - 1}/{size}", "ETag": srv.etag}
            return httpx.Response(206, headers=headers, stream=_Endless(ARCHIVE[1000:]))
        return srv.handle(request)

    use_handler(longer)
    with pytest.raises(errors.IntegrityError):
        download(TASK_ID, output_dir=tmp_path)
    assert listing(tmp_path) == []


def test_a_range_answer_longer_than_asked_is_refused(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A partial download's range answered with extra bytes: IntegrityError, nothing written."""
    srv = _serve(monkeypatch)

    def padded(request: httpx.Request) -> httpx.Response:
        response = srv.handle(request)
        if response.status_code == 206 and request.headers.get("If-Range"):
            body = response.read() + bytes(70_000)
            return httpx.Response(206, headers=response.headers, stream=_Endless(body))
        return response

    use_handler(padded)
    with pytest.raises(errors.IntegrityError, match="longer than"):
        download(TASK_ID, filenames=["a.bin"], output_dir=tmp_path / "o")
    assert listing(tmp_path) == []


def test_an_endless_subset_archive_is_refused(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A ?filename= subset that never ends is cut at what its files can take: IntegrityError."""
    srv = _serve(monkeypatch, ranges=False)
    bodies: list[_Endless] = []

    def endless(request: httpx.Request) -> httpx.Response:
        if "filename" in request.url.params:
            bodies.append(_Endless(b"PK"))
            return httpx.Response(200, stream=bodies[-1])
        return srv.handle(request)

    use_handler(endless)
    with pytest.raises(errors.IntegrityError, match="longer than"):
        download(TASK_ID, filenames=["b.txt"], output_dir=tmp_path / "o")
    assert listing(tmp_path) == []
    assert bodies[0].pulled < 64 * 1024 * 2
