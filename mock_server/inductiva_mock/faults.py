"""Fault injection (error bursts, delays, dropped downloads, hostile answers) and request
statistics. The hostile answers themselves are in :mod:`.hostile`."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from . import hostile
from .spec import json_bytes

__all__ = ["DownloadDropped", "FaultMiddleware", "FaultState", "Faults", "Stats"]

ADMIN_PREFIX = "/__mock__"
PROBE_HEADER = b"x-mock-probe"
FAULT_KEYS = frozenset(
    {
        "fail_next",
        "fail_status",
        "retry_after",
        "path_regex",
        "drop_download_after_bytes",
        "drop_download_times",
        "delay_seconds",
        "bandwidth_per_connection",
        "endless_body",
        "trickle_bytes_per_second",
        "garbage",
        "echo_key",
    }
)


SCOPE_KEY = "inductiva_mock.faults"
"""The ASGI scope key holding the fault settings a request arrived under."""


def faults_of(scope: Scope, current: Faults) -> Faults:
    """The fault settings ``scope``'s request arrived under (``current`` if none were noted).

    A request still in progress when the settings are replaced (one held by
    ``delay_seconds`` whose client gave up) fires only the faults it arrived under:
    it never consumes a drop meant for a later test.
    """
    noted = scope.get(SCOPE_KEY)
    return noted if isinstance(noted, Faults) else current


class DownloadDropped(Exception):
    """Raised inside an output stream to cut the connection (fault injection)."""


@dataclass
class Faults:
    """The current fault settings; counters decrease as faults fire."""

    fail_next: int = 0
    fail_status: int = 503
    retry_after: int = 1
    path_regex: str | None = None
    drop_download_after_bytes: int = 0
    drop_download_times: int = 0
    delay_seconds: float = 0.0
    bandwidth_per_connection: int = 0
    endless_body: bool = False
    trickle_bytes_per_second: int = 0
    garbage: str | None = None
    echo_key: bool = False
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        """Validate and build settings from JSON (raises ValueError)."""
        unknown = set(data) - FAULT_KEYS
        if unknown:
            raise ValueError(
                f"unknown fault settings {sorted(unknown)}; allowed: {sorted(FAULT_KEYS)}"
            )
        f = cls(
            fail_next=int(data.get("fail_next", 0)),
            fail_status=int(data.get("fail_status", 503)),
            retry_after=int(data.get("retry_after", 1)),
            path_regex=data.get("path_regex"),
            drop_download_after_bytes=int(data.get("drop_download_after_bytes", 0)),
            drop_download_times=int(data.get("drop_download_times", 0)),
            delay_seconds=float(data.get("delay_seconds", 0.0)),
            bandwidth_per_connection=int(data.get("bandwidth_per_connection", 0)),
            endless_body=_flag(data, "endless_body"),
            trickle_bytes_per_second=int(data.get("trickle_bytes_per_second", 0)),
            garbage=data.get("garbage"),
            echo_key=_flag(data, "echo_key"),
        )
        if f.fail_status not in (429, 503):
            raise ValueError(f"fail_status must be 429 or 503, got {f.fail_status}")
        counts = (f.fail_next, f.retry_after, f.drop_download_after_bytes, f.drop_download_times)
        if f.garbage is not None and f.garbage not in hostile.GARBAGE_KINDS:
            raise ValueError(f"garbage must be one of {list(hostile.GARBAGE_KINDS)} or null")
        if min(*counts, f.bandwidth_per_connection, f.trickle_bytes_per_second) < 0:
            raise ValueError("counts and sizes must be >= 0")
        if f.delay_seconds < 0:
            raise ValueError("delay_seconds must be >= 0")
        f._pattern = re.compile(f.path_regex) if f.path_regex else None
        return f

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON (every public field)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    def matches(self, path: str) -> bool:
        """Whether the faults apply to a request for *path*."""
        return self._pattern is None or self._pattern.search(path) is not None

    def take_download_drop(self) -> int | None:
        """Byte count after which to drop the next download, consuming one; None for no drop."""
        if self.drop_download_times > 0:
            self.drop_download_times -= 1
            return self.drop_download_after_bytes
        return None


@dataclass
class Stats:
    """Request counters exposed at GET /__mock__/stats."""

    requests: int = 0
    requests_by_path: Counter[str] = field(default_factory=Counter)
    requests_by_route: Counter[str] = field(default_factory=Counter)
    bytes_sent_output: int = 0
    bytes_received_input: int = 0
    response_validation_errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The counters as JSON."""
        return {
            "requests": self.requests,
            "requests_by_path": dict(self.requests_by_path),
            "requests_by_route": dict(self.requests_by_route),
            "bytes_sent_output": self.bytes_sent_output,
            "bytes_received_input": self.bytes_received_input,
            "response_validation_errors": list(self.response_validation_errors),
        }


class FaultState:
    """Holder of the mutable settings and counters shared by the app."""

    def __init__(self, initial: dict[str, Any] | None = None) -> None:
        self.faults = Faults.from_dict(initial or {})
        self.stats = Stats()


class FaultMiddleware:
    """Counts requests and injects error bursts, delays and hostile answers.

    *archive_routes*: the operations (``GET /tasks/{task_id}/output``) whose endless body
    is an archive without a length rather than JSON.
    """

    def __init__(
        self,
        app: ASGIApp,
        state: FaultState,
        routes: Sequence[str] = (),
        archive_routes: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.state = state
        self._routes = [(_template_regex(t), t) for t in routes]
        self._archive_routes = frozenset(archive_routes)

    def route_of(self, method: str, path: str) -> str:
        """The operation label, e.g. `GET /tasks/{task_id}/status` (the path when unknown)."""
        for regex, template in self._routes:
            if regex.fullmatch(path):
                return f"{method} {template}"
        return f"{method} {path}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        probe = any(k == PROBE_HEADER for k, _ in scope.get("headers", []))
        if path.startswith(ADMIN_PREFIX) or probe:
            await self.app(scope, receive, send)
            return
        stats = self.state.stats
        stats.requests += 1
        stats.requests_by_path[path] += 1
        route = self.route_of(str(scope.get("method", "GET")), path)
        stats.requests_by_route[route] += 1
        f = self.state.faults
        scope[SCOPE_KEY] = f  # what this request's handler may fire (see faults_of)
        if not f.matches(path):
            await self.app(scope, receive, send)
            return
        if f.delay_seconds > 0:
            await asyncio.sleep(f.delay_seconds)
        if f.fail_next > 0:
            f.fail_next -= 1
            await _send_fault(send, f.fail_status, f.retry_after, scope if f.echo_key else None)
            return
        if f.endless_body:
            archive = route in self._archive_routes
            sent = await hostile.endless(receive, send, archive=archive)
            if archive:
                stats.bytes_sent_output += sent
            return
        if f.echo_key:
            send = hostile.echoing(send, scope)
        if f.trickle_bytes_per_second > 0:
            send = hostile.trickling(send, receive, f.trickle_bytes_per_second)
        if f.garbage is not None:
            await hostile.garbage(f.garbage, self.app, scope, receive, send)
            return
        await self.app(scope, receive, send)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def _flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


async def _send_fault(send: Send, status: int, retry_after: int, echo: Scope | None) -> None:
    """The injected 429/503; *echo*: the request whose secrets the body and a header quote."""
    detail = f"Injected fault: retry after {retry_after} s."
    if echo is not None:
        detail += hostile.echo_text(echo)
    body = json_bytes({"detail": detail})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
                *(hostile.echo_headers(echo) if echo is not None else []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
