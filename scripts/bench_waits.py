"""Waiting at scale, measured as a whole process (a child of ``scripts/bench.py``).

``python scripts/bench_waits.py MODE IDS_FILE END_AFTER`` waits on every task id of
IDS_FILE through the shared client (``INDUCTIVA_API_URL``/``INDUCTIVA_API_KEY``),
with MODE ``async`` (``asyncio.gather`` of ``wait_async``), ``threads`` (one thread
per ``wait``) or ``poll5`` (the vendor client's loop: a status request every 5 s,
one task). END_AFTER seconds after the waits start it ends every task in one admin
request (``INDUCTIVA_MOCK_ADMIN_TOKEN``, sent with urllib so its connection is not
counted), and prints one JSON line: the wall time from the start of the waits to
the last return, how late each wait returned after the tasks ended (p50/p99/max),
the process's CPU seconds, the TCP connections its HTTP client opened, and the
rate of status requests per task from 30 s after the start until the tasks end,
taken from the send times of its own requests (so requests still in flight when a
server-side counter is read cannot skew it).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import resource
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpcore

_connections = 0
_conn_lock = threading.Lock()


def _count_connections() -> None:
    """Count every TCP connection httpcore opens (sync and async backends)."""
    from httpcore._backends.anyio import AnyIOBackend
    from httpcore._backends.sync import SyncBackend

    def wrap(cls: Any) -> None:
        original = cls.connect_tcp

        def sync_connect(self: Any, *args: Any, **kwargs: Any) -> Any:
            global _connections
            with _conn_lock:
                _connections += 1
            return original(self, *args, **kwargs)

        async def async_connect(self: Any, *args: Any, **kwargs: Any) -> Any:
            global _connections
            with _conn_lock:
                _connections += 1
            return await original(self, *args, **kwargs)

        cls.connect_tcp = async_connect if asyncio.iscoroutinefunction(original) else sync_connect

    wrap(SyncBackend)
    wrap(AnyIOBackend)
    assert httpcore  # imported for its backends


_status_sends: dict[str, list[float]] = {}


def _record_status_sends() -> None:
    """Note the send time of every ``GET /tasks/{id}/status``, per task (both transports)."""
    import httpx

    def note(request: httpx.Request) -> None:
        path = request.url.path
        if request.method == "GET" and path.endswith("/status"):
            _status_sends.setdefault(path, []).append(time.monotonic())

    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self: Any, request: httpx.Request) -> Any:
        note(request)
        return sync_send(self, request)

    async def handle_async_request(self: Any, request: httpx.Request) -> Any:
        note(request)
        return await async_send(self, request)

    httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
    httpx.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign]


def _status_rate(after: float, before: float) -> tuple[float, float, int]:
    """Status requests per task-minute between ``after`` and ``before``, the shortest gap, n."""
    gaps: list[float] = []
    for times in _status_sends.values():
        kept = [t for t in times if after <= t <= before]
        gaps.extend(b - a for a, b in itertools.pairwise(kept))
    if not gaps:
        return 0.0, 0.0, 0
    return 60.0 * len(gaps) / sum(gaps), min(gaps), len(gaps)


def _end_tasks(ids: list[str], end_after: float, ended: list[float]) -> None:
    time.sleep(end_after)
    url = os.environ["INDUCTIVA_API_URL"] + "/__mock__/tasks/end"
    body = json.dumps({"ids": ids, "status": "killed"}).encode()
    token = os.environ["INDUCTIVA_MOCK_ADMIN_TOKEN"]
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    before = time.monotonic()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    ended.extend([before, time.monotonic()])


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def _poll5(task_id: str) -> str:
    """The vendor client's wait: a plain status request every 5 s."""
    import httpx

    headers = {"X-API-Key": os.environ["INDUCTIVA_API_KEY"]}
    with httpx.Client(base_url=os.environ["INDUCTIVA_API_URL"], headers=headers) as client:
        while True:
            status = str(client.get(f"/tasks/{task_id}/status").json()["status"])
            if status in ("success", "failed", "killed"):
                return status
            time.sleep(5)


def main() -> None:
    mode, ids_file, end_after = sys.argv[1], sys.argv[2], float(sys.argv[3])
    _count_connections()
    _record_status_sends()
    import inductiva

    ids = Path(ids_file).read_text().split()
    tasks = [inductiva.Task(i) for i in ids]
    returned: list[float] = [0.0] * len(tasks)
    ended: list[float] = []
    ender = threading.Thread(target=_end_tasks, args=(ids, end_after, ended))
    cpu0 = time.process_time()
    start = time.monotonic()
    ender.start()
    if mode == "async":

        async def one(i: int) -> None:
            await tasks[i].wait_async(timeout=300)
            returned[i] = time.monotonic()

        async def every() -> None:
            await asyncio.gather(*(one(i) for i in range(len(tasks))))

        asyncio.run(every())
    elif mode in ("threads", "poll5"):

        def run(i: int) -> None:
            if mode == "poll5":
                _poll5(ids[i])
            else:
                tasks[i].wait(timeout=300)
            returned[i] = time.monotonic()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tasks))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    wall = max(returned) - start
    ender.join()
    cpu = time.process_time() - cpu0
    end_time = ended[1]  # the admin request came back: every task has ended
    late = [max(0.0, r - end_time) for r in returned]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rate, shortest, gaps = _status_rate(start + 30.0, ended[0])
    print(
        json.dumps(
            {
                "mode": mode,
                "waits": len(tasks),
                "wall_s": wall,
                "late_p50_s": _pct(late, 0.5),
                "late_p99_s": _pct(late, 0.99),
                "late_max_s": max(late),
                "cpu_s": cpu,
                "connections": _connections,
                "peak_rss_kib": usage.ru_maxrss,
                "status_per_min_after_30s": rate,
                "status_shortest_gap_s": shortest,
                "status_gaps": gaps,
            }
        )
    )


if __name__ == "__main__":
    main()
