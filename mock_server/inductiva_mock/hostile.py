"""Hostile answers (fault injection): endless bodies, trickled bytes, garbage 200s, echoed keys.

What a broken or hostile server, a proxy or a captive portal may send, so that tests
can check the client bounds its memory and time and keeps secrets out of its messages:

* :func:`endless`: a 200 whose body never ends, JSON that never closes or (on an
  archive route) ``application/octet-stream`` without ``Content-Length``;
* :func:`trickling`: the answer's bytes at a slow rate;
* :func:`garbage`: a 200 of HTML, of text that is not JSON, of the real answer
  with every value of the wrong JSON type, or of deeply nested JSON;
* :func:`echoing`: error answers quoting the request's ``X-API-Key`` (and the
  credentials of its ``Authorization: Basic`` header) in the body and a header.

The server stays bounded too: a stream holds one chunk at a time, is paced by the
connection's flow control, and ends when the client disconnects (or after
:data:`MAX_SECONDS`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .spec import json_bytes

__all__ = [
    "ECHO_HEADER",
    "GARBAGE_KINDS",
    "MAX_SECONDS",
    "Disconnect",
    "echo_headers",
    "echo_text",
    "echoing",
    "endless",
    "garbage",
    "trickling",
]

GARBAGE_KINDS = ("html", "not_json", "wrong_types", "deep_nesting")
MAX_SECONDS = 600.0
"""A hostile stream ends after this long even if its client never leaves."""
CHUNK = 64 * 1024
NESTING = 100_000
"""Depth of the `deep_nesting` answer: past any recursive parser's limit."""
ECHO_HEADER = "x-echo-api-key"
CAPTIVE_PORTAL = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head>"
    b'<body><h1>Welcome!</h1><form method="post" action="/login">'
    b'<input name="email"><button>Connect</button></form></body></html>\n'
)


class Disconnect:
    """Watches ``receive`` in the background: :attr:`gone` once the client disconnected.

    Started once the application has read the request (its answer is being sent).
    """

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass

    def start(self) -> None:
        """Begin watching (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())

    @property
    def gone(self) -> bool:
        """Whether the client has disconnected."""
        return self._task is not None and self._task.done()

    def stop(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()


def _start(status: int, content_type: bytes, length: int | None = None) -> Message:
    headers = [(b"content-type", content_type)]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http.response.start", "status": status, "headers": headers}


async def endless(receive: Receive, send: Send, *, archive: bool) -> int:
    """A 200 whose body never ends (until the client leaves); returns the bytes sent.

    ``archive``: ``application/octet-stream`` without ``Content-Length`` (zeros);
    otherwise a JSON object whose string never closes.
    """
    watch = Disconnect(receive)
    watch.start()
    if archive:
        await send(_start(200, b"application/octet-stream"))
        first, chunk = b"", bytes(CHUNK)
    else:
        await send(_start(200, b"application/json"))
        first, chunk = b'{"id":"1","status":"success","padding":"', b"a" * CHUNK
    sent = 0
    ends = time.monotonic() + MAX_SECONDS
    try:
        body = first + chunk
        while not watch.gone and time.monotonic() < ends:
            await send({"type": "http.response.body", "body": body, "more_body": True})
            sent += len(body)
            body = chunk
            await asyncio.sleep(0)  # let the watcher and other connections run
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        watch.stop()
    return sent


def trickling(send: Send, receive: Receive, rate: int) -> Send:
    """``send`` whose body bytes go out at most ``rate`` bytes a second, in tenths of a second.

    Headers go at once; pacing stops when the client disconnects.
    """
    watch = Disconnect(receive)
    piece = max(1, rate // 10)

    async def paced(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        watch.start()
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        try:
            for at in range(0, len(body), piece):
                if watch.gone:
                    return
                last = at + piece >= len(body)
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[at : at + piece],
                        "more_body": more or not last,
                    }
                )
                await asyncio.sleep(piece / rate)
            if not body:
                await send(message)
        finally:
            if not more:
                watch.stop()

    return paced


def _wrong_types(value: Any) -> Any:
    """``value`` with containers kept and every other value of another JSON type."""
    if isinstance(value, dict):
        return {key: _wrong_types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wrong_types(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return 12345
    if isinstance(value, int | float):
        return str(value)
    return value


def _json(kind: str) -> bytes:
    if kind == "not_json":
        return b'{"id": "1", "status": success, <not json> '
    if kind == "deep_nesting":
        return b"[" * NESTING + b"]" * NESTING
    raise ValueError(kind)


async def garbage(kind: str, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a 200 of the garbage ``kind`` (one of :data:`GARBAGE_KINDS`).

    ``wrong_types`` runs ``app`` and answers its JSON with the values' types changed (an
    answer that is not JSON, an archive, goes out unchanged).
    """
    if kind == "html":
        await send(_start(200, b"text/html; charset=utf-8", len(CAPTIVE_PORTAL)))
        await send({"type": "http.response.body", "body": CAPTIVE_PORTAL})
        return
    if kind != "wrong_types":
        body = _json(kind)
        await send(_start(200, b"application/json", len(body)))
        await send({"type": "http.response.body", "body": body})
        return

    def wrong(start: Message, body: bytes) -> list[Message]:
        with contextlib.suppress(ValueError):
            body = json_bytes(_wrong_types(json.loads(body)))
        return [_start(200, b"application/json", len(body)), _body(body)]

    def is_json(start: Message) -> bool:
        media: bytes = dict(start.get("headers", [])).get(b"content-type", b"")
        return media.startswith(b"application/json")

    capture = _rewriting(send, is_json, wrong)
    await app(scope, receive, capture)


def _body(data: bytes) -> Message:
    return {"type": "http.response.body", "body": data}


def _rewriting(
    send: Send,
    holds: Callable[[Message], bool],
    rewrite: Callable[[Message, bytes], list[Message]],
) -> Send:
    """``send`` that holds an answer ``holds`` picks (its start and whole body) and sends what
    ``rewrite(start, body)`` makes of it instead; any other answer passes as it is."""
    held: list[Message] = []

    async def rewriting(message: Message) -> None:
        if message["type"] == "http.response.start" and holds(message):
            held.append(message)
            return
        if not held:
            await send(message)
            return
        held.append(message)
        if message.get("more_body", False):
            return
        body = b"".join(m.get("body", b"") for m in held[1:])
        for out in rewrite(held[0], body):
            await send(out)

    return rewriting


def _credentials(scope: Scope) -> list[str]:
    """The secrets a request carries: its X-API-Key and its Basic credentials, decoded."""
    found = []
    for name, value in scope.get("headers", []):
        text = value.decode("latin-1")
        if name == b"x-api-key" and text:
            found.append(text)
        elif name == b"authorization" and text.lower().startswith("basic "):
            with contextlib.suppress(binascii.Error, ValueError):
                found.append(base64.b64decode(text[6:].strip(), validate=True).decode("latin-1"))
    return found


def echo_text(scope: Scope) -> str:
    """What an echoing server adds to an error message: the request's secrets, quoted."""
    secrets = _credentials(scope)
    if not secrets:
        return ""
    return " (you sent: " + ", ".join(repr(s) for s in secrets) + ")"


def echo_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The echo header of an error answer (the request's secrets, as sent)."""
    secrets = _credentials(scope)
    return [(ECHO_HEADER.encode(), ", ".join(secrets).encode("latin-1"))] if secrets else []


def _echoed(body: bytes, scope: Scope) -> bytes:
    extra = echo_text(scope)
    try:
        payload = json.loads(body)
    except ValueError:
        return body + extra.encode("latin-1", "replace")
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if isinstance(detail, str):
        payload["detail"] = detail + extra
    elif isinstance(detail, list):
        detail.append({"loc": ["header", "X-API-Key"], "msg": extra.strip(), "type": "echo"})
    else:
        payload = {"detail": f"Error{extra}"}
    return json_bytes(payload)


def echoing(send: Send, scope: Scope) -> Send:
    """``send`` whose error answers (status >= 400) quote the request's secrets."""

    def echo(start: Message, body: bytes) -> list[Message]:
        body = _echoed(body, scope)
        headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
        headers += [(b"content-length", str(len(body)).encode()), *echo_headers(scope)]
        return [{**start, "headers": headers}, _body(body)]

    return _rewriting(send, lambda start: int(start["status"]) >= 400, echo)
