"""The asyncio driver of flows (:func:`run_async`); see :mod:`._drive` for the model.

Kept apart from the blocking driver so that a program that never awaits the
library never imports asyncio (a twentieth of a second of its start).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import httpx

from . import _drive, _skew, _wire
from ._drive import Body, Session, parsed
from ._errors import connection_error
from ._flow import (
    Budgeted,
    Call,
    Cancelled,
    Close,
    Effect,
    Flow,
    Gather,
    GetSession,
    Offload,
    Open,
    Park,
    Read,
    Sleep,
)
from ._retry import declared_idempotent, retry_budget

__all__ = ["in_thread_async", "run_async"]

T = TypeVar("T")


async def in_thread_async(fn: Callable[[], T]) -> T:
    """Run blocking ``fn`` in a worker thread; if cancelled, wait for it to end, then re-raise.

    A thread cannot be stopped: waiting for it keeps the files it holds (and the
    directory lock of a download) until its own ``finally`` has run.
    """
    future = asyncio.ensure_future(asyncio.to_thread(fn))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        while not future.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({future})
        if not future.cancelled():
            future.exception()  # retrieved: the cancellation is what the caller sees
        raise


class _AsyncStream:
    """A streamed response of the asyncio driver."""

    def __init__(self, cm: contextlib.AbstractAsyncContextManager[httpx.Response]) -> None:
        self._cm = cm
        self.response: httpx.Response
        self._body: AsyncIterator[bytes]
        self._count: Body
        self.closed = False

    @classmethod
    async def open_async(cls, http: httpx.AsyncClient, effect: Open) -> _AsyncStream:
        stream = cls(
            http.stream(effect.method, effect.url, params=effect.params, headers=effect.headers)
        )
        stream.response = await stream._cm.__aenter__()
        stream._body = _wire.iter_body_async(stream.response)
        stream._count = Body(effect.max_bytes, stream.response.request)
        return stream

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    async def read_async(self) -> bytes:
        return self._count.count(await anext(self._body, b""))

    async def close_async(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(httpx.TransportError):
                await self._cm.__aexit__(None, None, None)


class _AsyncRunner:
    """Drives one flow as (part of) an asyncio task."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.http = session.api.get_async_httpx_client()
        self.streams: list[_AsyncStream] = []

    async def drive_async(self, flow: Flow[T]) -> T:
        value: Any = None
        error: BaseException | None = None
        mark = len(self.streams)  # a nested (budgeted) flow closes only its own streams
        try:
            while True:
                try:
                    effect = flow.send(value) if error is None else flow.throw(error)
                except StopIteration as stop:
                    result: T = stop.value
                    return result
                value, error = None, None
                try:
                    value = await self._carry_out_async(effect)
                except BaseException as exc:  # thrown into the flow, which decides
                    error = exc
        finally:
            for stream in self.streams[mark:]:
                await asyncio.shield(stream.close_async())
            del self.streams[mark:]

    async def _carry_out_async(self, effect: Effect) -> Any:
        try:
            return await self._handle_async(effect)
        except httpx.TransportError as exc:
            raise connection_error(exc) from exc

    async def _handle_async(self, effect: Effect) -> Any:
        if isinstance(effect, Read):
            assert isinstance(effect.stream, _AsyncStream)
            return await effect.stream.read_async()
        if isinstance(effect, Call):
            module = _skew.endpoint_module(effect.endpoint)
            request = _skew.request_of(module, effect.args, dict(effect.kwargs))
            with declared_idempotent(effect.idempotent):
                response = await self.http.request(**request)
            return parsed(_skew.build(module, self.session.api, response))
        if isinstance(effect, Open):
            stream = await _AsyncStream.open_async(self.http, effect)
            self.streams.append(stream)
            return stream
        if isinstance(effect, Close):
            assert isinstance(effect.stream, _AsyncStream)
            await effect.stream.close_async()
            return None
        if isinstance(effect, Sleep):
            await _drive.sleep_async(max(0.0, effect.seconds))
            return None
        if isinstance(effect, Offload):
            return await in_thread_async(effect.fn)
        if isinstance(effect, Park):
            assert isinstance(effect.signal, asyncio.Event)
            try:
                await asyncio.wait_for(effect.signal.wait(), effect.timeout)
            except TimeoutError:
                return False
            return True
        if isinstance(effect, GetSession):
            return self.session
        if isinstance(effect, Gather):
            return await self._gather_async(effect)
        if isinstance(effect, Budgeted):
            with retry_budget(self.session.settings.max_retries):
                return await self.drive_async(effect.flow)
        raise TypeError(f"not an effect: {effect!r}")

    async def _gather_async(self, effect: Gather) -> list[Any]:
        tasks = [
            asyncio.ensure_future(_AsyncRunner(self.session).drive_async(f)) for f in effect.flows
        ]
        try:
            pending = set(tasks)
            while pending:
                _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
                if any(t.done() and not t.cancelled() and t.exception() for t in tasks):
                    for task in pending:
                        task.cancel()
        except BaseException:
            for task in tasks:
                task.cancel()
            await _settle_async(tasks)
            for task in tasks:  # retrieved: the interruption is what the caller sees
                if not task.cancelled():
                    task.exception()
            raise
        return [Cancelled() if t.cancelled() else (t.exception() or t.result()) for t in tasks]


async def _settle_async(tasks: list[asyncio.Task[Any]]) -> None:
    """Wait until every task has ended, even if this wait is cancelled meanwhile."""
    while not all(task.done() for task in tasks):
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait(tasks)


async def run_async(flow: Flow[T], session: Session) -> T:
    """The asyncio twin of :func:`run`: cancelling the awaiting task cancels the flow."""
    return await _AsyncRunner(session).drive_async(flow)
