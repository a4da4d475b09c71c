"""Reading large bodies from the network stream: when, how much, and what errors look like."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator

import httpcore
import httpx
import pytest

from inductiva._http import _wire

BIG = _wire.DIRECT_MIN + 3 * _wire.READ_BYTES + 123
URL = "http://api.test/tasks/1/output"


class Recording(httpcore.NetworkStream):
    """A network stream serving ``buffer`` (at most max_bytes a read); records each read size."""

    def __init__(self, buffer: list[bytes], fail: Exception | None = None) -> None:
        self.buffer = list(buffer)
        self.reads: list[int] = []
        self.timeouts: list[float | None] = []
        self.fail = fail

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.reads.append(max_bytes)
        self.timeouts.append(timeout)
        if self.fail is not None:
            raise self.fail
        if not self.buffer:
            return b""
        head = self.buffer[0]
        if len(head) > max_bytes:
            self.buffer[0] = head[max_bytes:]
            return head[:max_bytes]
        return self.buffer.pop(0)


class AsyncRecording(httpcore.AsyncNetworkStream):
    """The asyncio twin of :class:`Recording`."""

    def __init__(self, buffer: list[bytes]) -> None:
        self.sync = Recording(buffer)
        self.reads = self.sync.reads

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.sync.read(max_bytes, timeout)


def response(
    first: bytes,
    length: int,
    stream: object,
    headers: dict[str, str] | None = None,
    version: bytes = b"HTTP/1.1",
) -> httpx.Response:
    """A streamed response whose httpx body is ``first`` and whose network stream is ``stream``."""
    request = httpx.Request("GET", URL, extensions={"timeout": {"read": 7.0}})
    return httpx.Response(
        200,
        headers={"Content-Length": str(length), **(headers or {})},
        stream=httpx.ByteStream(first),
        extensions={"network_stream": stream, "http_version": version},
        request=request,
    )


def chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    """``total`` bytes in ``size``-byte pieces with distinct content."""
    for i, start in enumerate(range(0, total, size)):
        yield bytes([i % 251]) * min(size, total - start)


def test_large_body_is_read_from_the_network_stream_after_the_first_chunk() -> None:
    """The first chunk comes through httpx, the rest in reads of at most 1 MiB, exactly once."""
    first = b"f" * 1000
    rest = b"".join(chunks(BIG - len(first)))
    stream = Recording([rest[i : i + 300_000] for i in range(0, len(rest), 300_000)])
    body = b"".join(_wire.iter_body(response(first, BIG, stream)))
    assert body == first + rest
    assert max(stream.reads) == _wire.READ_BYTES


def test_reads_stop_at_the_content_length() -> None:
    """Bytes after the declared length (a misbehaving peer) are never asked for."""
    first = b"f" * 10
    rest = b"r" * (BIG - 10)
    stream = Recording([rest, b"EXTRA BYTES THAT BELONG TO NOBODY"])
    body = b"".join(_wire.iter_body(response(first, BIG, stream)))
    assert body == first + rest
    assert stream.buffer == [b"EXTRA BYTES THAT BELONG TO NOBODY"]  # never read


def test_a_body_cut_short_is_a_protocol_error() -> None:
    """The peer closing early raises httpx.RemoteProtocolError, like h11 would."""
    stream = Recording([b"r" * 1000])
    with pytest.raises(httpx.RemoteProtocolError, match="bytes missing"):
        b"".join(_wire.iter_body(response(b"f", BIG, stream)))


@pytest.mark.parametrize(
    ("fail", "expected"),
    [
        (httpcore.ReadTimeout("timed out"), httpx.ReadTimeout),
        (httpcore.ReadError("connection reset"), httpx.ReadError),
        (ConnectionResetError(104, "reset by peer"), httpx.ReadError),
    ],
)
def test_read_failures_become_the_httpx_exceptions_the_pool_raises(
    fail: Exception, expected: type[Exception]
) -> None:
    """Timeouts and network errors surface as httpx.ReadTimeout / ReadError with the request."""
    stream = Recording([], fail=fail)
    with pytest.raises(expected) as info:
        b"".join(_wire.iter_body(response(b"f", BIG, stream)))
    assert isinstance(info.value, httpx.TransportError)
    assert info.value.request.url == httpx.URL(URL)


def test_the_read_timeout_of_the_request_applies() -> None:
    """Each read from the network stream gets the request's read timeout."""
    stream = Recording([b"r" * (BIG - 1)])
    b"".join(_wire.iter_body(response(b"f", BIG, stream)))
    assert stream.timeouts and set(stream.timeouts) == {7.0}


@pytest.mark.parametrize(
    ("length", "headers", "version"),
    [
        (_wire.DIRECT_MIN - 1, {}, b"HTTP/1.1"),  # small: keeps its pooled connection
        (BIG, {"Content-Encoding": "gzip"}, b"HTTP/1.1"),  # httpx must decode it
        (BIG, {"Transfer-Encoding": "chunked"}, b"HTTP/1.1"),
        (BIG, {}, b"HTTP/2"),  # the stream carries frames, not the body
    ],
)
def test_other_answers_go_through_httpx(
    length: int, headers: dict[str, str], version: bytes
) -> None:
    """Small, encoded, chunked or HTTP/2 bodies never touch the network stream."""
    stream = Recording([b"NOT THE BODY"])
    data = gzip.compress(b"x" * 50) if headers.get("Content-Encoding") else b"body"
    body = b"".join(_wire.iter_body(response(data, length, stream, headers, version)))
    assert body == (b"x" * 50 if headers.get("Content-Encoding") else b"body")
    assert stream.reads == []


def test_without_a_network_stream_the_body_comes_through_httpx() -> None:
    """A transport that publishes no network stream (MockTransport) is read as usual."""
    payload = b"z" * BIG

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=payload)

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
        client.stream("GET", URL) as r,
    ):
        assert b"".join(_wire.iter_body(r)) == payload


def test_async_large_body_is_read_from_the_network_stream() -> None:
    """iter_body_async reads the same bytes the same way on an async network stream."""
    first = b"f" * 500
    rest = b"".join(chunks(BIG - len(first)))
    stream = AsyncRecording([rest])

    async def main() -> bytes:
        r = response(first, BIG, stream)
        return b"".join([c async for c in _wire.iter_body_async(r)])

    assert asyncio.run(main()) == first + rest
    assert stream.reads and max(stream.reads) == _wire.READ_BYTES


def test_a_sync_stream_is_not_read_from_async_code() -> None:
    """iter_body_async falls back to httpx when the published stream is not an async one."""
    stream = Recording([b"NOT THE BODY"])

    async def main() -> bytes:
        r = response(b"body", BIG, stream)
        return b"".join([c async for c in _wire.iter_body_async(r)])

    assert asyncio.run(main()) == b"body"
    assert stream.reads == []
