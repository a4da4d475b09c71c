"""inductiva._http._own: Client(http_client=...) sends through the user's own httpx client,
with the library's URL, key, timeouts, retries and errors around it, and never closes it."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from http_script import STATUS_BODY

import inductiva
from inductiva import errors


class Seen:
    """A MockTransport handler that records requests and answers from a script of statuses."""

    def __init__(self, *codes: int) -> None:
        self.requests: list[httpx.Request] = []
        self.codes = list(codes)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        code = self.codes.pop(0) if self.codes else 200
        if code != 200:
            return httpx.Response(code, json={"detail": "busy"})
        return httpx.Response(200, json=STATUS_BODY)


def test_requests_go_through_the_users_client() -> None:
    """The user's client carries the request: its transport, hooks and extra headers apply."""
    seen, hooked = Seen(), []
    own = httpx.Client(
        transport=httpx.MockTransport(seen),
        headers={"X-Corporate-Proxy": "yes"},
        event_hooks={"request": [hooked.append]},
        base_url="http://ignored.test",
    )
    with inductiva.Client(api_key="k-123456", api_url="http://api.test", http_client=own) as c:
        assert c.task("1").get_status() == "success"
    [request] = seen.requests
    assert hooked == [request]
    assert (request.url.host, request.url.path) == ("api.test", "/tasks/1/status")
    assert request.headers["X-API-Key"] == "k-123456"
    assert request.headers["User-Agent"].startswith("inductiva-python/")
    assert request.headers["X-Corporate-Proxy"] == "yes"
    assert request.extensions["timeout"]["read"] == 60.0


def test_the_users_client_is_never_closed() -> None:
    """Closing the library's client (or its copies) leaves the user's client open."""
    own = httpx.Client(transport=httpx.MockTransport(Seen()))
    client = inductiva.Client(api_key="k", api_url="http://api.test", http_client=own)
    client.task("1").get_status()
    client.with_options(timeout=3).close()
    client.close()
    assert not own.is_closed
    assert own.get("http://api.test/x").status_code == 200


def test_retries_and_errors_wrap_the_users_client() -> None:
    """A 503 through the user's client is retried, a 404 is the library's NotFoundError."""
    seen = Seen(503)
    own = httpx.Client(transport=httpx.MockTransport(seen))
    client = inductiva.Client(api_key="k", api_url="http://api.test", http_client=own)
    assert client.task("1").get_status() == "success" and len(seen.requests) == 2
    seen.codes = [404]
    with pytest.raises(errors.NotFoundError):
        client.task("1").get_status()


def test_async_requests_go_through_the_users_async_client() -> None:
    """async_http_client carries the asyncio requests and stays open afterwards."""
    seen = Seen(503)
    own = httpx.AsyncClient(transport=httpx.MockTransport(seen))

    async def main() -> str:
        async with inductiva.AsyncClient(
            api_key="k", api_url="http://api.test", async_http_client=own
        ) as client:
            status: str = await client.task("1").get_status_async()
        assert not own.is_closed
        await own.aclose()
        return status

    assert asyncio.run(main()) == "success" and len(seen.requests) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"http_client": httpx.AsyncClient()}, "http_client must be an httpx.Client"),
        ({"async_http_client": httpx.Client()}, "async_http_client must be an httpx.AsyncClient"),
        (
            {"http_client": httpx.Client(), "transport": httpx.MockTransport(Seen())},
            "not both",
        ),
    ],
)
def test_wrong_or_doubled_clients_are_refused(kwargs: dict[str, object], message: str) -> None:
    """An httpx client of the wrong kind, or one given with a transport, is refused at once."""
    with pytest.raises(errors.InvalidArgumentError, match=message):
        inductiva.Client(api_key="k", api_url="http://api.test", **kwargs)  # type: ignore[arg-type]
