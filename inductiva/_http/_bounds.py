"""Bounds on what a server may send in answer to an API call: size and time.

A broken or hostile server (a proxy, a captive portal, a buggy backend, an
attacker) must not make a call use unbounded memory or time. Every answer that
is not an archive (anything but ``application/octet-stream``/``application/zip``:
JSON, an HTML error page...) is read through :class:`BoundedTransport`:

* at most ``max_response_bytes`` bytes (declared by ``Content-Length`` or
  received): beyond, :class:`~inductiva.errors.ResponseTooLargeError`, and the
  connection is closed unread;
* within ``deadline`` seconds from the moment the request was sent to the last
  byte of the answer (not only between reads): a server trickling bytes gets
  ``httpx.ReadTimeout`` (an :class:`~inductiva.errors.ApiTimeoutError` for the
  caller) once the deadline passes.

Archives are bounded by the transfer engine instead (never longer than the size
the API declared, each read within ``timeout``), since a large one may rightly
take longer than any fixed deadline.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx

from .. import errors

__all__ = ["AsyncBoundedTransport", "BoundedTransport", "is_archive"]

_ARCHIVE_TYPES = ("application/octet-stream", "application/zip")


def is_archive(response: httpx.Response) -> bool:
    """Whether ``response`` carries an archive (bounded by the transfer engine, not here)."""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return kind in _ARCHIVE_TYPES


def _too_large(request: httpx.Request, limit: int) -> errors.ResponseTooLargeError:
    problem = (
        f"The answer to {request.method} {request.url.path} is larger than {limit} bytes "
        "(max_response_bytes); it was not read. Is the API URL the API's address, or is a "
        "proxy answering instead? Raise max_response_bytes if the API's answers are really "
        "this large."
    )
    return errors.ResponseTooLargeError(
        problem.replace("the API URL", "api_url (INDUCTIVA_API_URL or `inductiva.api_url`)"),
        setting="api_url",
        problem=problem,
    )


class _Guard:
    """Counts the bytes of one answer and watches its deadline."""

    def __init__(self, request: httpx.Request, limit: int, deadline: float) -> None:
        self.request, self.limit, self.deadline, self.got = request, limit, deadline, 0

    def check(self, chunk: bytes) -> bytes:
        self.got += len(chunk)
        if self.got > self.limit:
            raise _too_large(self.request, self.limit)
        if time.monotonic() > self.deadline:
            raise httpx.ReadTimeout(
                f"the answer to {self.request.method} {self.request.url.path} took longer "
                "than the call's deadline (timeout) to arrive",
                request=self.request,
            )
        return chunk


def _declared_too_large(response: httpx.Response, limit: int) -> bool:
    length = response.headers.get("Content-Length", "")
    return length.isdigit() and (len(length) > 18 or int(length) > limit)


class _BoundedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, guard: _Guard) -> None:
        self._inner, self._guard = inner, guard

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            yield self._guard.check(chunk)

    def close(self) -> None:
        self._inner.close()


class _AsyncBoundedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, guard: _Guard) -> None:
        self._inner, self._guard = inner, guard

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield self._guard.check(chunk)

    async def aclose(self) -> None:
        await self._inner.aclose()


class BoundedTransport(httpx.BaseTransport):
    """Wraps a transport: non-archive answers bounded in size and total time."""

    def __init__(self, wrapped: httpx.BaseTransport, max_bytes: int, deadline: float) -> None:
        self._wrapped, self._max, self._deadline = wrapped, max_bytes, deadline

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; its answer, bounded unless it is an archive."""
        deadline = time.monotonic() + self._deadline
        response = self._wrapped.handle_request(request)
        if is_archive(response):
            return response
        if _declared_too_large(response, self._max):
            response.close()
            raise _too_large(request, self._max)
        if isinstance(response.stream, httpx.SyncByteStream):
            guard = _Guard(request, self._max, deadline)
            response.stream = _BoundedStream(response.stream, guard)
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self._wrapped.close()


class AsyncBoundedTransport(httpx.AsyncBaseTransport):
    """The asyncio twin of :class:`BoundedTransport`."""

    def __init__(self, wrapped: httpx.AsyncBaseTransport, max_bytes: int, deadline: float) -> None:
        self._wrapped, self._max, self._deadline = wrapped, max_bytes, deadline

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; its answer, bounded unless it is an archive."""
        deadline = time.monotonic() + self._deadline
        response = await self._wrapped.handle_async_request(request)
        if is_archive(response):
            return response
        if _declared_too_large(response, self._max):
            await response.aclose()
            raise _too_large(request, self._max)
        if isinstance(response.stream, httpx.AsyncByteStream):
            guard = _Guard(request, self._max, deadline)
            response.stream = _AsyncBoundedStream(response.stream, guard)
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._wrapped.aclose()
