"""Capacity of the mock server: status reads with 50 concurrent clients.

`mock_capacity()` starts a mock (MockServer, default settings: responses validated, as
contract suites run it) on loopback, creates one task, then lets *clients* concurrent
keep-alive clients read `GET /tasks/{id}/status` for *duration* seconds (after a short
warm-up) and returns throughput and latency percentiles. `python scripts/bench_mock.py`
prints them (`--baseline`: the mock served as in 0.5.0, `--baseline-stack`).

The clients are a minimal HTTP/1.1 loop on asyncio streams, not httpx: with httpx the
load generator itself saturated a core long before the server did, so the figure
measured the client.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mock_server"))
from inductiva_mock.launcher import MockServer

__all__ = ["mock_capacity"]

KEY = "bench-mock-key"


async def _worker(
    host: str, port: int, request: bytes, measure_from: float, stop: float, out: list[float]
) -> int:
    """One keep-alive connection sending *request* until *stop*; returns its error count.

    A minimal HTTP/1.1 client (pre-built request, Content-Length framing), so the load
    generator costs far less per request than the server it measures.
    """
    errors = 0
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (t0 := time.perf_counter()) < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            ok = head.startswith(b"HTTP/1.1 200")
            t1 = time.perf_counter()
            if t0 >= measure_from:
                if ok:
                    out.append(t1 - t0)
                else:
                    errors += 1
    finally:
        writer.close()
    return errors


async def _load(url: str, task_id: str, clients: int, warmup: float, duration: float) -> Any:
    latencies: list[float] = []
    parts = httpx.URL(url)
    host, port = parts.host, parts.port or 80
    request = (
        f"GET /tasks/{task_id}/status HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"X-API-Key: {KEY}\r\nUser-Agent: bench-mock\r\n\r\n"
    ).encode()
    start = time.perf_counter()
    measure_from = start + warmup
    stop = measure_from + duration
    counts = await asyncio.gather(
        *(_worker(host, port, request, measure_from, stop, latencies) for _ in range(clients))
    )
    return latencies, sum(counts)


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def mock_capacity(
    clients: int = 50, duration: float = 8.0, warmup: float = 1.0, baseline: bool = False
) -> dict[str, Any]:
    """Throughput (req/s) and p50/p99 latency (ms) of status reads by *clients* concurrent
    clients against a fresh mock; bounded to about *duration* + *warmup* + startup seconds.

    *baseline*: the mock as 0.5.0 served (``--baseline-stack``: h11, no validation cache).
    """
    extra = ("--baseline-stack",) if baseline else ()
    with (
        tempfile.TemporaryDirectory(prefix="bench-mock-") as tmp,
        MockServer(data_dir=Path(tmp) / "mock", api_keys=(KEY,), extra_args=extra) as server,
    ):
        r = httpx.post(
            f"{server.url}/tasks/submit",
            headers={"X-API-Key": KEY},
            json={"method": "test.synthetic.run_simulation", "params": {}},
        )
        r.raise_for_status()
        task_id = r.json()["id"]
        latencies, errors = asyncio.run(_load(server.url, task_id, clients, warmup, duration))
    latencies.sort()
    return {
        "clients": clients,
        "duration_s": duration,
        "requests": len(latencies),
        "errors": errors,
        "throughput_rps": round(len(latencies) / duration, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
        "validate_responses": True,
        "baseline": baseline,
    }


if __name__ == "__main__":
    result = mock_capacity(baseline="--baseline" in sys.argv)
    print(
        f"mock capacity, GET /tasks/{{id}}/status with {result['clients']} concurrent clients: "
        f"{result['throughput_rps']} req/s, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms ({result['requests']} requests, {result['errors']} errors)"
    )
    print(json.dumps(result))
