"""A fake output-archive server for httpx.MockTransport: Range, If-Range, ETag, drops."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import inductiva
from inductiva import _client

TASK_ID = "1234567890123456789"


def make_zip(members: dict[str, bytes], *, stored: bool = False) -> bytes:
    """A zip archive holding ``members`` (deflated unless ``stored``)."""
    buf = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


class _Dropping(httpx.SyncByteStream):
    def __init__(self, data: bytes, after: int, chunk: int) -> None:
        self.data, self.after, self.chunk = data, after, chunk

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        while sent < self.after:
            piece = self.data[sent : min(sent + self.chunk, self.after)]
            sent += len(piece)
            yield piece
        raise httpx.ReadError("connection dropped by the fake server")


class ArchiveServer:
    """Serves one task's output archive; counts requests and body bytes sent."""

    def __init__(self, archive: bytes, etag: str = '"v1"', task_id: str = TASK_ID) -> None:
        self.archive = archive
        self.etag = etag
        self.task_id = task_id
        self.requests: list[httpx.Request] = []
        self.bytes_sent = 0
        self.drop_after: int | None = None
        self.drop_times = 0
        self.uploads: list[bytes] = []
        self.upload_chunks: list[int] = []
        self.upload_status: list[int] = []

    def transport(self) -> httpx.MockTransport:
        """A MockTransport answering with this server."""
        return httpx.MockTransport(self.handle)

    def _json(self, status: int, code: str, message: str) -> httpx.Response:
        return httpx.Response(status, json={"code": code, "message": message})

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST" and path == f"/tasks/{self.task_id}/input":
            return self._upload(request)
        if path != f"/tasks/{self.task_id}/output":
            return self._json(404, "not_found", "no such task")
        return self._output(request)

    def _upload(self, request: httpx.Request) -> httpx.Response:
        if self.upload_status:
            status = self.upload_status.pop(0)
            return self._json(status, "unavailable", "try later")
        chunks = list(request.stream)  # type: ignore[arg-type]
        self.upload_chunks = [len(c) for c in chunks]
        self.uploads.append(b"".join(chunks))
        return httpx.Response(200, json={"id": self.task_id, "status": "submitted"})

    def _output(self, request: httpx.Request) -> httpx.Response:
        size = len(self.archive)
        start, end, status = 0, size, 200
        rng = request.headers.get("Range")
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
                resp = self._json(416, "range_not_satisfiable", "bad range")
                resp.headers["Content-Range"] = f"bytes */{size}"
                return resp
            status = 206
        body = self.archive[start:end]
        headers = {"ETag": self.etag, "Accept-Ranges": "bytes", "Content-Length": str(len(body))}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        if self.drop_times and self.drop_after is not None and self.drop_after < len(body):
            self.drop_times -= 1
            self.bytes_sent += self.drop_after
            return httpx.Response(
                status, headers=headers, stream=_Dropping(body, self.drop_after, 65536)
            )
        self.bytes_sent += len(body)
        return httpx.Response(status, headers=headers, content=body)

    def ranges(self) -> list[str | None]:
        """The Range header of every output request."""
        return [r.headers.get("Range") for r in self.requests if r.url.path.endswith("/output")]


def serve(monkeypatch: pytest.MonkeyPatch, server: ArchiveServer, max_retries: int = 3) -> None:
    """Point the shared client at ``server`` (undo with ``unserve``); no bars, no sleeping."""
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.setattr(inductiva, "api_url", "http://api")
    monkeypatch.setattr(inductiva, "max_retries", max_retries)
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "0")
    monkeypatch.setattr("time.sleep", lambda _s: None)
    _client.set_transport(server.transport())


def unserve() -> None:
    """Undo :func:`serve`."""
    _client.set_transport()


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
