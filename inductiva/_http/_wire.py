"""Reading a large response body straight from its connection's network stream.

httpx hands a body over through h11, which copies every chunk three times in
Python (into its receive buffer, out of it, into ``bytes``): for a 1 GiB
archive those copies cost more CPU than the socket reads themselves, and keep
a download from reaching the wire's speed. When the answer is a plain HTTP/1.x
body of known length (``Content-Length`` of at least :data:`DIRECT_MIN`, no
``Content-Encoding``, no ``Transfer-Encoding``), :func:`iter_body` reads its
first chunk through httpx (which empties h11's buffer), then the rest from the
network stream httpcore publishes as the ``network_stream`` response
extension, with the same public ``read(max_bytes, timeout)`` call h11's own
loop makes: exactly ``Content-Length`` bytes and no more.

h11 never sees the end of such a body, so httpcore closes the connection when
the response closes instead of returning it to the pool: it is never reused
in an unknown state (one new connection per large download). Read errors
surface as the same ``httpx`` exceptions the pool would raise, so callers
handle them alike. Any other answer (HTTP/2, chunked or compressed bodies,
``httpx.MockTransport``, a stream of an unknown kind) is read through httpx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpcore
import httpx

__all__ = ["DIRECT_MIN", "READ_BYTES", "iter_body", "iter_body_async"]

READ_BYTES = 1024 * 1024
"""Most bytes one read from the network stream asks for."""
DIRECT_MIN = 4 * 1024 * 1024
"""Smaller bodies go through httpx: their copies are cheap, and their connection is reused."""
_PLAIN = ("", "identity")


def _direct_length(response: httpx.Response, kind: type[object]) -> int | None:
    """The body's length if it can be read from the network stream (of class ``kind``)."""
    headers = response.headers
    if headers.get("Content-Encoding", "").strip().lower() not in _PLAIN:
        return None
    if "Transfer-Encoding" in headers:
        return None
    if response.extensions.get("http_version") not in (b"HTTP/1.1", b"HTTP/1.0"):
        return None
    if not isinstance(response.extensions.get("network_stream"), kind):
        return None
    length = headers.get("Content-Length", "")
    size = int(length) if length.isdigit() and len(length) < 17 else 0
    return size if size >= DIRECT_MIN else None


def _read_timeout(response: httpx.Response) -> float | None:
    timeouts = response.request.extensions.get("timeout", {})
    value = timeouts.get("read") if isinstance(timeouts, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _read_error(exc: Exception, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception the pool raises for ``exc`` (an httpcore or socket error)."""
    if isinstance(exc, httpcore.TimeoutException | TimeoutError):
        return httpx.ReadTimeout(str(exc) or "timed out reading the response", request=request)
    return httpx.ReadError(str(exc) or type(exc).__name__, request=request)


def _short(remaining: int, request: httpx.Request) -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError(
        f"peer closed connection without sending complete message body ({remaining} bytes missing)",
        request=request,
    )


def iter_body(response: httpx.Response) -> Iterator[bytes]:
    """The body of a streamed ``response``, from its network stream when possible."""
    remaining = _direct_length(response, httpcore.NetworkStream)
    if remaining is None:
        yield from response.iter_bytes()
        return
    stream: httpcore.NetworkStream = response.extensions["network_stream"]
    # Whatever h11 already holds, and no more. ``raw`` stays referenced until the
    # body is read: a dropped httpx iterator would close the response under us.
    raw = response.iter_raw()
    first = next(raw, b"")
    remaining -= len(first)
    if first:
        yield first
    timeout = _read_timeout(response)
    while remaining > 0:
        try:
            data = stream.read(min(READ_BYTES, remaining), timeout=timeout)
        except (httpcore.TimeoutException, httpcore.NetworkError, OSError) as exc:
            raise _read_error(exc, response.request) from exc
        if not data:
            raise _short(remaining, response.request)
        remaining -= len(data)
        yield data


async def iter_body_async(response: httpx.Response) -> AsyncIterator[bytes]:
    """The asyncio twin of :func:`iter_body`."""
    remaining = _direct_length(response, httpcore.AsyncNetworkStream)
    if remaining is None:
        async for chunk in response.aiter_bytes():
            yield chunk
        return
    stream: httpcore.AsyncNetworkStream = response.extensions["network_stream"]
    raw = response.aiter_raw()  # referenced until the body is read, as in iter_body
    first = await anext(raw, b"")
    remaining -= len(first)
    if first:
        yield first
    timeout = _read_timeout(response)
    while remaining > 0:
        try:
            data = await stream.read(min(READ_BYTES, remaining), timeout=timeout)
        except (httpcore.TimeoutException, httpcore.NetworkError, OSError) as exc:
            raise _read_error(exc, response.request) from exc
        if not data:
            raise _short(remaining, response.request)
        remaining -= len(data)
        yield data
