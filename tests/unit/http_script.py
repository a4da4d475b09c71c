"""A scripted httpx.MockTransport handler for tests of the shared client and its retries."""

from __future__ import annotations

from collections.abc import Callable

import httpx

TASK = "1234567890123456789"
STATUS_BODY = {"id": TASK, "status": "success"}

Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler answering from a list of responses/exceptions, then 200."""

    def __init__(self, *steps: httpx.Response | Exception) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.steps:
            step = self.steps.pop(0)
            if isinstance(step, Exception):
                raise step
            return step
        return httpx.Response(200, json=STATUS_BODY)


def status_response(code: int, retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(code, headers=headers, json={"detail": f"HTTP {code}"})
