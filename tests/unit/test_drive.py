"""The flow drivers (_http._drive): cancellation reaches every sub-flow, blocking or asyncio."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from inductiva._http import HttpCore, Settings
from inductiva._http._drive import in_thread
from inductiva._http._flow import Flow, Stream, gather, open_stream, read


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


def test_in_thread_waits_for_the_thread_when_cancelled() -> None:
    """A cancelled in_thread() returns only after its blocking work ended (the lock stays held)."""
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.2)
        finished.set()

    async def main() -> None:
        job = asyncio.create_task(in_thread(slow))
        await asyncio.sleep(0.05)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        assert finished.is_set()

    asyncio.run(main())


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
        stream = yield from open_stream("GET", "/slow")
        assert (yield from read(stream))
        return list((yield from gather([reader(stream), failing()])))

    core = HttpCore(Settings(api_key="key", api_url=stalling_server, timeout=30.0))
    start = time.monotonic()
    outcomes = core.run(parent())
    assert time.monotonic() - start < 3.0  # not the 30 s read timeout
    assert isinstance(outcomes[1], ValueError)
    assert isinstance(outcomes[0], BaseException)
    core.close()
