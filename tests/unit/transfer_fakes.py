"""A fake output-archive server for httpx.MockTransport: Range, If-Range, ETag, drops, subsets.

It speaks the real API's transfer wire: multipart uploads (part ``file``),
``GET .../output/list`` naming files relative to ``artifacts/``, and
``GET .../output?filename=a&filename=b`` answering a subset zip with the files
at its root. With ``ranges=False`` it behaves like a server without the
``byte-ranges`` extension (Range ignored: 200 and the whole archive, no ETag,
``GET /version`` 404); ``claims_ranges=True`` with it makes a server that
declares the extension in ``GET /version`` but answers ranges with 200 anyway.
Bodies are streamed in 64 KiB chunks and ``bytes_sent`` counts only the bytes
the client actually pulled, so a response closed unread costs nothing.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

import inductiva
from inductiva import _http
from inductiva._http._flow import Flow
from inductiva._http._retry import RetryPolicy
from inductiva._transfers._download import download_flow

T = TypeVar("T")

TASK_ID = "1234567890123456789"
CHUNK = 65536


def make_zip(members: dict[str, bytes], *, stored: bool = False) -> bytes:
    """A zip archive holding ``members`` (deflated unless ``stored``)."""
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def full_layout(files: dict[str, bytes]) -> dict[str, bytes]:
    """The members of a full output archive: ``output.json`` plus ``files`` under artifacts/."""
    return {
        "output.json": b"[]",
        "artifacts/": b"",
        **{f"artifacts/{n}": d for n, d in files.items()},
    }


def make_output(files: dict[str, bytes], *, stored: bool = False) -> bytes:
    """A full output archive (``output.json`` + ``artifacts/``) holding ``files``."""
    return make_zip(full_layout(files), stored=stored)


def error(status: int, detail: str) -> httpx.Response:
    """An error response in FastAPI's ``{"detail": ...}`` shape."""
    return httpx.Response(status, json={"detail": detail})


def multipart_parts(request: httpx.Request) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data request: name -> (filename, body)."""
    match = re.search(r"boundary=([^;]+)", request.headers.get("Content-Type", ""))
    assert match, request.headers.get("Content-Type")
    delimiter = b"--" + match.group(1).strip('"').encode()
    parts: dict[str, tuple[str | None, bytes]] = {}
    for raw in request.content.split(delimiter)[1:]:
        if raw.startswith(b"--"):
            break
        head, _, body = raw[2:].partition(b"\r\n\r\n")
        disposition = head.decode()
        name = re.search(r'name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        assert name, disposition
        parts[name.group(1)] = (filename.group(1) if filename else None, body[: -len(b"\r\n")])
    return parts


class _Counted(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body streamed in chunks, counting what was pulled; may drop after ``after`` bytes."""

    def __init__(self, server: ArchiveServer, data: bytes, after: int | None) -> None:
        self.server, self.data, self.after = server, data, after

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk

    def __iter__(self) -> Iterator[bytes]:
        end = len(self.data) if self.after is None else self.after
        sent = 0
        while sent < end:
            piece = self.data[sent : min(sent + CHUNK, end)]
            sent += len(piece)
            self.server.bytes_sent += len(piece)
            yield piece
        if self.after is not None:
            raise httpx.ReadError("connection dropped by the fake server")


class ArchiveServer:
    """Serves one task's output archive; counts requests and body bytes pulled."""

    def __init__(
        self,
        archive: bytes,
        etag: str = '"v1"',
        task_id: str = TASK_ID,
        *,
        ranges: bool = True,
        claims_ranges: bool | None = None,
    ) -> None:
        self.archive = archive
        self.claims_ranges = ranges if claims_ranges is None else claims_ranges
        self.etag = etag
        self.task_id = task_id
        self.ranges_supported = ranges
        self.requests: list[httpx.Request] = []
        self.bytes_sent = 0
        self.drop_after: int | None = None
        self.drop_times = 0
        self.uploads: list[bytes] = []
        self.upload_parts: list[dict[str, tuple[str | None, bytes]]] = []
        self.upload_status: list[int] = []

    def transport(self) -> httpx.MockTransport:
        """A MockTransport answering with this server."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        self.requests.append(request)
        path = request.url.path
        base = f"/tasks/{self.task_id}"
        if path == "/version":
            if not self.claims_ranges:
                return error(404, "Not Found")
            extensions = ["byte-ranges", "version"]
            return httpx.Response(
                200, json={"version": "fake", "api_version": "0.5.0", "extensions": extensions}
            )
        if request.method == "POST" and path == f"{base}/input":
            return self._upload(request)
        if path == f"{base}/output/list":
            return httpx.Response(200, json=self.listing())
        if path != f"{base}/output":
            return error(404, f"Task {path.split('/')[2]} not found.")
        names = request.url.params.get_list("filename")
        if names:
            return self._subset(names)
        return self._output(request)

    def _upload(self, request: httpx.Request) -> httpx.Response:
        if self.upload_status:
            status = self.upload_status.pop(0)
            return error(status, "try later")
        if not request.headers.get("Content-Type", "").startswith("multipart/form-data"):
            loc = ["body", "file"]
            detail = [{"loc": loc, "msg": "Field required", "type": "missing"}]
            return httpx.Response(422, json={"detail": detail})
        parts = multipart_parts(request)
        self.upload_parts.append(parts)
        self.uploads.append(parts["file"][1])
        return httpx.Response(200, json={"id": self.task_id, "status": "submitted"})

    def files(self) -> dict[str, zipfile.ZipInfo]:
        """The task's files (relative to artifacts/, directories left out) in the archive."""
        with zipfile.ZipFile(io.BytesIO(self.archive)) as zf:
            infos = zf.infolist()
        inside = any(i.filename.startswith("artifacts/") for i in infos)
        found = {}
        for info in infos:
            name = info.filename
            if info.is_dir() or (inside and not name.startswith("artifacts/")):
                continue
            found[name.removeprefix("artifacts/") if inside else name] = info
        return found

    def listing(self) -> dict[str, object]:
        """The ``output/list`` body."""
        contents = [
            {"name": n, "size": i.file_size, "compressed_size": i.compress_size}
            for n, i in self.files().items()
        ]
        return {"size": len(self.archive), "contents": contents}

    def _subset(self, names: list[str]) -> httpx.Response:
        files = self.files()
        with zipfile.ZipFile(io.BytesIO(self.archive)) as zf:
            data = {n: zf.read(files[n]) for n in names if n in files}
        body = make_zip(data)
        return httpx.Response(
            200, headers={"Content-Length": str(len(body))}, stream=_Counted(self, body, None)
        )

    def _output(self, request: httpx.Request) -> httpx.Response:
        size = len(self.archive)
        start, end, status = 0, size, 200
        rng = request.headers.get("Range") if self.ranges_supported else None
        if_range = request.headers.get("If-Range")
        if rng and (if_range is None or if_range == self.etag):
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", rng)
            assert match, rng
            a, b = match.groups()
            if a == "":
                start, end = max(0, size - int(b)), size
            else:
                start, end = int(a), min(size, int(b) + 1) if b else size
            if start >= size:
                resp = error(416, "bad range")
                resp.headers["Content-Range"] = f"bytes */{size}"
                return resp
            status = 206
        body = self.archive[start:end]
        headers = {"Content-Length": str(len(body))}
        if self.ranges_supported:
            headers.update({"ETag": self.etag, "Accept-Ranges": "bytes"})
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        after = None
        if self.drop_times and self.drop_after is not None and self.drop_after < len(body):
            self.drop_times -= 1
            after = self.drop_after
        return httpx.Response(status, headers=headers, stream=_Counted(self, body, after))

    def ranges(self) -> list[str | None]:
        """The Range header of every full-archive request (subset requests left out)."""
        return [
            r.headers.get("Range")
            for r in self.requests
            if r.url.path.endswith("/output") and "filename" not in r.url.params
        ]

    def subset_requests(self) -> list[list[str]]:
        """The ``filename`` values of every subset request."""
        return [
            r.url.params.get_list("filename")
            for r in self.requests
            if r.url.path.endswith("/output") and "filename" in r.url.params
        ]


def use_handler(handler: Callable[[httpx.Request], httpx.Response]) -> None:
    """Send the default client's requests (blocking and asyncio) to ``handler``."""
    transport = httpx.MockTransport(handler)
    _http.set_transport(transport, transport)


def serve(monkeypatch: pytest.MonkeyPatch, server: ArchiveServer, max_retries: int = 3) -> None:
    """Point the default client at ``server`` (undo with ``unserve``); no bars, no waiting."""
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.setattr(inductiva, "api_url", "http://api")
    monkeypatch.setattr(inductiva, "max_retries", max_retries)
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "0")
    monkeypatch.setattr(RetryPolicy, "delay", lambda *_a, **_k: 0.0)
    use_handler(server.handle)


def unserve() -> None:
    """Undo :func:`serve`."""
    _http.set_transport()


def run_flow(driver: str, flow: Flow[T]) -> T:
    """Run ``flow`` on the default client with the ``"sync"`` or the ``"async"`` driver."""
    core = _http.default_core()
    if driver == "async":

        async def main() -> T:
            return await core.run_async(flow)

        return asyncio.run(main())
    return core.run(flow, interruptible=True)


Download = Callable[..., Path]


def downloader(driver: str) -> Download:
    """``download(task_id, **kwargs)`` running :func:`download_flow` with ``driver``."""

    def download(task_id: str, **kwargs: Any) -> Path:
        return run_flow(driver, download_flow(task_id, **kwargs))

    return download


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``."""
    return asyncio.run(coro)


def corrupt_member(archive: bytes, name: str) -> bytes:
    """``archive`` with one data byte of the stored member ``name`` flipped (CRC now wrong)."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo(name)
    header = info.header_offset
    name_len = int.from_bytes(archive[header + 26 : header + 28], "little")
    extra_len = int.from_bytes(archive[header + 28 : header + 30], "little")
    pos = header + 30 + name_len + extra_len
    return archive[:pos] + bytes([archive[pos] ^ 0xFF]) + archive[pos + 1 :]


def listing(root: Path) -> list[str]:
    """Every path under ``root`` (relative, sorted), hidden ones included."""
    base = Path(root)
    if not base.exists():
        return []
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*"))


def input_zip(data: bytes) -> tuple[dict[str, bytes], dict[str, object]]:
    """An uploaded input zip's members and its parsed ``input.json``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    return members, json.loads(members["input.json"])
