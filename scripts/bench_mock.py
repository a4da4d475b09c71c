"""Capacity of the mock server: status reads with 50 concurrent clients.

`mock_capacity()` starts a mock (MockServer, default settings: responses validated, as
contract suites run it) on loopback, creates one task, then lets *clients* concurrent
keep-alive clients read `GET /tasks/{id}/status` for *duration* seconds (after a short
warm-up) and returns throughput and latency percentiles. `python scripts/bench_mock.py`
prints them.
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


async def _load(url: str, task_id: str, clients: int, warmup: float, duration: float) -> Any:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"X-API-Key": KEY}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=30.0
    ) as client:
        start = time.perf_counter()
        measure_from = start + warmup
        stop = measure_from + duration

        async def worker() -> None:
            nonlocal errors
            while (t0 := time.perf_counter()) < stop:
                try:
                    r = await client.get(f"/tasks/{task_id}/status")
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    if ok:
                        latencies.append(t1 - t0)
                    else:
                        errors += 1

        await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, errors


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def mock_capacity(clients: int = 50, duration: float = 8.0, warmup: float = 1.0) -> dict[str, Any]:
    """Throughput (req/s) and p50/p99 latency (ms) of status reads by *clients* concurrent
    clients against a fresh mock; bounded to about *duration* + *warmup* + startup seconds."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-mock-") as tmp,
        MockServer(data_dir=Path(tmp) / "mock", api_keys=(KEY,)) as server,
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
    }


if __name__ == "__main__":
    result = mock_capacity()
    print(
        f"mock capacity, GET /tasks/{{id}}/status with {result['clients']} concurrent clients: "
        f"{result['throughput_rps']} req/s, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms ({result['requests']} requests, {result['errors']} errors)"
    )
    print(json.dumps(result))
