"""Sending through the user's own ``httpx.Client``/``httpx.AsyncClient``.

``inductiva.Client(http_client=httpx.Client(proxy=..., verify=...))`` keeps
everything the user configured on their client: its proxies (and those of the
environment it trusts), certificates, mounts, auth, cookies and event hooks.
The library still builds its own client around it, so what it adds is the same
as with its own transport: the base URL, the ``X-API-Key`` and ``User-Agent``
headers, timeouts, retries, response bounds and the error mapping. The user's
client is wrapped as the innermost transport (:class:`OwnClientTransport`): it
only carries requests, its own ``base_url`` and ``timeout`` are not used, its
default headers are added to each request unless the library set the same one,
and closing the library's client never closes it (it is the user's to close).
"""

from __future__ import annotations

import httpx

__all__ = ["AsyncOwnClientTransport", "OwnClientTransport"]


def _merge_headers(request: httpx.Request, headers: httpx.Headers) -> None:
    """Add the user's client's default headers the request does not carry already."""
    for name, value in headers.multi_items():
        if name not in request.headers:
            request.headers[name] = value


def _plain(response: httpx.Response) -> httpx.Response:
    """A fresh transport-level response over ``response``'s undecoded body stream."""
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=response.stream,
        extensions=response.extensions,
    )


class OwnClientTransport(httpx.BaseTransport):
    """A transport that sends each request through the user's ``httpx.Client``."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the user's client, streamed, following no redirect."""
        _merge_headers(request, self.client.headers)
        return _plain(self.client.send(request, stream=True, follow_redirects=False))

    def close(self) -> None:
        """Nothing: the user's client stays open (closing it is up to its owner)."""


class AsyncOwnClientTransport(httpx.AsyncBaseTransport):
    """The asyncio twin of :class:`OwnClientTransport`, over an ``httpx.AsyncClient``."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the user's async client, streamed, following no redirect."""
        _merge_headers(request, self.client.headers)
        return _plain(await self.client.send(request, stream=True, follow_redirects=False))

    async def aclose(self) -> None:
        """Nothing: the user's client stays open (closing it is up to its owner)."""
