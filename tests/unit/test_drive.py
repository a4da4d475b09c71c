"""inductiva._http._drive: the blocking and asyncio drivers, on small synthetic flows and
httpx.MockTransport. What a flow yields is carried out, its result or failure sent back in at
the same yield; cleanup runs however a flow ends; cancellation reaches every sub-flow."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from http_script import STATUS_BODY, TASK
from inductiva_api.api.tasks import get_task_status

from inductiva import _signals, errors
from inductiva._http import HttpCore, Settings
from inductiva._http._drive_async import in_thread_async
from inductiva._http._flow import (
    Cancelled,
    Flow,
    Request,
    Stream,
    budgeted,
    call,
    gather,
    offload,
    open_stream,
    park,
    read,
    session,
    sleep,
)

Handler = Callable[[httpx.Request], httpx.Response]


class Api:
    """A MockTransport handler: GET .../status answers ``statuses`` in turn (then success);
    GET .../output streams ``body``. Every request is kept."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[httpx.Response] = []
        self.body = b"x" * 100_000

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/output"):
            return httpx.Response(200, content=self.body)
        if self.answers:
            return self.answers.pop(0)
        return httpx.Response(200, json=STATUS_BODY)

    def paths(self) -> list[str]:
        """The paths requested, in order."""
        return [r.url.path for r in self.requests]


@pytest.fixture
def api() -> Api:
    """The handler behind the core."""
    return Api()


@pytest.fixture
def core(api: Api) -> Iterator[HttpCore]:
    """A core (max_retries=2) whose blocking and asyncio requests reach ``api``."""
    transport = httpx.MockTransport(api)
    core = HttpCore(
        Settings(api_key="k", api_url="http://127.0.0.1:9", max_retries=2),
        transport=transport,
        async_transport=transport,
    )
    yield core
    core.close()


Drive = Callable[[Flow[Any]], Any]


@pytest.fixture
def drive(core: HttpCore, driver: str) -> Drive:
    """``drive(flow)``: run the flow on ``core`` with the test's driver."""

    def go(flow: Flow[Any]) -> Any:
        if driver == "sync":
            return core.run(flow)
        return asyncio.run(core.run_async(flow))

    return go


def _status() -> Flow[Any]:
    return call(get_task_status.sync_detailed, task_id=TASK)


def _busy(status: int = 503) -> httpx.Response:
    return httpx.Response(status, headers={"Retry-After": "0"}, json={"detail": "busy"})


# -- results and failures --------------------------------------------------------------------------


def test_results_are_sent_into_the_flow(drive: Drive, driver: str) -> None:
    """A call's parsed model, an offloaded function's result and the session come back."""

    def flow() -> Flow[tuple[str, int, bool, float]]:
        model = yield from _status()
        doubled = yield from offload(lambda: 21 * 2)
        current = yield from session()
        return str(model.status), doubled, current.is_async, current.settings.timeout

    assert drive(flow()) == ("success", 42, driver == "async", 60.0)


def test_failures_are_thrown_into_the_flow_at_their_yield(api: Api, drive: Drive) -> None:
    """A failed call raises at its yield: the flow may catch it and go on, or let it out."""
    api.answers = [httpx.Response(404, json={"detail": "gone"}), httpx.Response(404, json={})]

    def flow() -> Flow[str]:
        try:
            yield from _status()
        except errors.NotFoundError as exc:
            handled = exc.message
        yield from _status()  # not caught: ends the flow
        return handled

    with pytest.raises(errors.NotFoundError):
        drive(flow())
    assert len(api.requests) == 2


def test_a_flows_finally_may_yield_effects_after_an_exception(api: Api, drive: Drive) -> None:
    """After a failure, a flow's finally still makes requests; then the failure goes on."""
    api.answers = [httpx.Response(409, json={"detail": "no"})]
    cleaned: list[str] = []

    def flow() -> Flow[None]:
        try:
            yield from _status()
        finally:
            model = yield from _status()  # e.g. kill the remote task
            cleaned.append(str(model.status))

    with pytest.raises(errors.ConflictError):
        drive(flow())
    assert cleaned == ["success"] and len(api.requests) == 2


def test_an_exception_raised_by_the_flow_itself_ends_the_run(drive: Drive) -> None:
    """A flow's own exception comes out of the run unchanged."""

    def flow() -> Flow[None]:
        yield from sleep(0)
        raise ZeroDivisionError("mine")

    with pytest.raises(ZeroDivisionError, match="mine"):
        drive(flow())


def test_streams_are_closed_when_the_flow_ends(drive: Drive) -> None:
    """A stream the flow left open is closed when it returns, and when it raises."""
    opened: list[Stream] = []

    def flow(fail: bool) -> Flow[bytes]:
        stream = yield from open_stream(Request("GET", f"/tasks/{TASK}/output"))
        opened.append(stream)
        chunk = yield from read(stream)
        if fail:
            raise RuntimeError("after one chunk")
        return chunk

    assert drive(flow(False))
    with pytest.raises(RuntimeError):
        drive(flow(True))
    assert len(opened) == 2 and all(s.response.is_closed for s in opened)


# -- offloading ------------------------------------------------------------------------------------


def test_offload_runs_inline_when_blocking_and_in_a_thread_under_asyncio(
    drive: Drive, driver: str
) -> None:
    """Blocking work runs in the driving thread (blocking) or a worker thread (asyncio)."""
    here = threading.get_ident()

    def flow() -> Flow[int]:
        ident: int = yield from offload(threading.get_ident)
        return ident

    assert (drive(flow()) == here) is (driver == "sync")


def test_a_cancelled_asyncio_run_waits_for_its_offloaded_work(core: HttpCore) -> None:
    """Cancelled while a thread works, the run ends only after the thread did; the flow sees it."""
    finished = threading.Event()
    seen: list[str] = []

    def slow() -> None:
        time.sleep(0.3)
        finished.set()

    def flow() -> Flow[None]:
        try:
            yield from offload(slow)
        except asyncio.CancelledError:
            seen.append(f"cancelled, work finished: {finished.is_set()}")
            raise

    async def main() -> None:
        job = asyncio.ensure_future(core.run_async(flow()))
        await asyncio.sleep(0.05)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        assert finished.is_set()

    asyncio.run(main())
    assert seen == ["cancelled, work finished: True"]


def test_in_thread_waits_for_the_thread_when_cancelled() -> None:
    """A cancelled in_thread_async() returns only after its blocking work ended."""
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.2)
        finished.set()

    async def main() -> None:
        job = asyncio.create_task(in_thread_async(slow))
        await asyncio.sleep(0.05)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        assert finished.is_set()

    asyncio.run(main())


# -- gathering -------------------------------------------------------------------------------------


def test_gather_returns_outcomes_in_order(drive: Drive) -> None:
    """Sub-flows finishing in any order give their results (or exceptions) in input order."""

    def after(seconds: float, value: str) -> Flow[str]:
        yield from sleep(seconds)
        if value == "bad":
            raise LookupError(value)
        return value

    def flow() -> Flow[list[object]]:
        return (yield from gather([after(0.2, "a"), after(0.0, "b"), after(0.1, "c")]))

    assert drive(flow()) == ["a", "b", "c"]


def test_gather_cancels_siblings_when_one_fails(drive: Drive) -> None:
    """One failure cancels the others at their next effect; their finally runs; order is kept."""
    cleaned: list[str] = []

    def failing() -> Flow[None]:
        yield from sleep(0.05)
        raise LookupError("first")

    def looping(name: str) -> Flow[None]:
        try:
            while True:
                yield from sleep(0.02)
        finally:
            cleaned.append(name)

    def flow() -> Flow[list[object]]:
        return (yield from gather([looping("a"), failing(), looping("b")]))

    started = time.monotonic()
    outcomes = drive(flow())
    assert time.monotonic() - started < 2.0
    assert isinstance(outcomes[1], LookupError)
    assert isinstance(outcomes[0], Cancelled) and isinstance(outcomes[2], Cancelled)
    assert sorted(cleaned) == ["a", "b"]


def test_a_blocked_gather_sub_flow_is_abandoned_after_grace(core: HttpCore) -> None:
    """A sub-flow stuck in blocking work when a sibling fails is left behind after ``grace``."""
    release = threading.Event()

    def stuck() -> Flow[None]:
        yield from offload(lambda: release.wait(30))

    def failing() -> Flow[None]:
        yield from sleep(0.05)
        raise LookupError("first")

    def flow() -> Flow[list[object]]:
        return (yield from gather([stuck(), failing()], grace=0.3))

    started = time.monotonic()
    try:
        outcomes = core.run(flow())
        took = time.monotonic() - started
    finally:
        release.set()
    assert took < 5.0
    assert isinstance(outcomes[0], Cancelled) and isinstance(outcomes[1], LookupError)


def test_park_wakes_when_another_flow_sets_the_signal(drive: Drive) -> None:
    """A parked flow wakes (True) when a sibling sets its signal; a timeout gives False."""

    def flow() -> Flow[tuple[bool, list[object]]]:
        current = yield from session()
        signal_ = current.new_signal()
        timed_out = yield from park(signal_, 0.01)

        def waiter() -> Flow[bool]:
            woken: bool = yield from park(signal_, 10.0)
            return woken

        def setter() -> Flow[None]:
            yield from sleep(0.05)
            signal_.set()

        return timed_out, (yield from gather([waiter(), setter()]))

    assert drive(flow()) == (False, [True, None])


# -- interruption ----------------------------------------------------------------------------------


def test_an_asyncio_cancel_reaches_the_flow_whose_finally_still_runs(
    api: Api, core: HttpCore
) -> None:
    """A cancel reaches the awaited effect; the flow's finally still makes its requests."""

    def flow() -> Flow[None]:
        try:
            yield from sleep(30)
        finally:
            yield from _status()

    async def main() -> None:
        job = asyncio.ensure_future(core.run_async(flow()))
        await asyncio.sleep(0.05)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(main())
    assert api.paths() == [f"/tasks/{TASK}/status"]


def test_ctrl_c_reaches_a_blocking_flow_whose_finally_still_runs(api: Api, core: HttpCore) -> None:
    """Ctrl-C while a blocking flow sleeps is thrown in there; its finally makes its request."""

    def flow() -> Flow[None]:
        try:
            yield from sleep(30)
        finally:
            yield from _status()

    timer = threading.Timer(0.1, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        core.run(flow())
    timer.join()
    assert time.monotonic() - started < 10 and api.paths() == [f"/tasks/{TASK}/status"]


def test_a_swallowed_sigterm_is_raised_at_the_next_effect(core: HttpCore) -> None:
    """A SIGTERM swallowed by code the flow runs is raised at the flow's next effect."""
    seen: list[str] = []

    def swallowing() -> str:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises Terminated here
        except BaseException:
            return "swallowed"
        return "not interrupted"

    def flow() -> Flow[None]:
        seen.append((yield from offload(swallowing)))
        yield from sleep(0)
        seen.append("after the next effect")

    with pytest.raises(_signals.Terminated):
        core.run(flow(), interruptible=True)
    assert seen == ["swallowed"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_sigterm_the_flow_has_seen_is_not_raised_again(api: Api, core: HttpCore) -> None:
    """Once thrown into the flow, SIGTERM is not raised again at its cleanup effects."""

    def terminated() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)

    def flow() -> Flow[None]:
        try:
            yield from offload(terminated)
        except _signals.Terminated:
            yield from sleep(0)
            yield from _status()  # e.g. kill the remote task
            raise

    with pytest.raises(_signals.Terminated):
        core.run(flow(), interruptible=True)
    assert api.paths() == [f"/tasks/{TASK}/status"]


# -- retry budgets ---------------------------------------------------------------------------------


def _three_calls() -> Flow[list[str]]:
    """Three status calls, each failure kept by name."""
    failures = []
    for _ in range(3):
        try:
            yield from _status()
        except errors.InductivaError as exc:
            failures.append(type(exc).__name__)
    return failures


def test_budgeted_calls_share_one_retry_budget(api: Api, drive: Drive) -> None:
    """max_retries=2: three calls share 3 failed attempts in a Budgeted flow, not 3 each."""
    api.answers = [_busy() for _ in range(20)]
    assert drive(_three_calls()) == ["ServerError"] * 3
    assert len(api.requests) == 9  # on their own: 3 attempts each
    api.requests.clear()
    failures = drive(budgeted(_three_calls()))
    assert failures == ["ServerError", "ApiConnectionError", "ApiConnectionError"]
    assert len(api.requests) == 3


def test_gathered_sub_flows_share_their_parents_budget(api: Api, drive: Drive) -> None:
    """Sub-flows gathered inside a Budgeted flow draw on the same budget."""
    api.answers = [_busy() for _ in range(20)]

    def flow() -> Flow[list[object]]:
        return (yield from gather([_three_calls(), _three_calls()]))

    outcomes = drive(budgeted(flow()))
    assert len(api.requests) == 3
    assert sum(len(o) for o in outcomes if isinstance(o, list)) == 6


# -- the same flow, both drivers -------------------------------------------------------------------


def test_the_same_flow_gives_the_same_result_under_both_drivers(core: HttpCore) -> None:
    """A flow using every kind of effect returns the same value blocking and under asyncio."""

    def part(n: int) -> Flow[int]:
        yield from sleep(0.01 * n)
        model = yield from _status()
        return n * len(str(model.status))

    def flow() -> Flow[tuple[object, ...]]:
        parts = yield from gather([part(3), part(1), part(2)])
        stream = yield from open_stream(Request("GET", f"/tasks/{TASK}/output"))
        size = 0
        while chunk := (yield from read(stream)):
            size += len(chunk)
        total = yield from offload(lambda: sum(p for p in parts if isinstance(p, int)))
        current = yield from session()
        return tuple(parts), size, total, current.settings.max_retries

    blocking = core.run(flow())
    assert blocking == asyncio.run(core.run_async(flow()))
    assert blocking == ((21, 7, 14), 100_000, 42, 2)


@pytest.fixture
def stalling_server() -> Iterator[str]:
    """A local HTTP server that sends the start of a long body, then nothing."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    done = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 10)
        done.wait(30)
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    done.set()
    thread.join(5)
    listener.close()


def test_gather_wakes_a_sub_flow_reading_a_stream_its_parent_opened(
    stalling_server: str,
) -> None:
    """A sibling's failure wakes a blocked read of a stream handed down by the parent, at once."""

    def reader(stream: Stream) -> Flow[None]:
        while (yield from read(stream)):
            pass

    def failing() -> Flow[None]:
        time.sleep(0.2)  # the reader is blocked by now
        raise ValueError("boom")
        yield  # a generator

    def parent() -> Flow[list[object]]:
        stream = yield from open_stream(Request("GET", "/slow"))
        assert (yield from read(stream))
        return list((yield from gather([reader(stream), failing()])))

    core = HttpCore(Settings(api_key="key", api_url=stalling_server, timeout=30.0))
    start = time.monotonic()
    outcomes = core.run(parent())
    assert time.monotonic() - start < 3.0  # not the 30 s read timeout
    assert isinstance(outcomes[1], ValueError)
    assert isinstance(outcomes[0], BaseException)
    core.close()
