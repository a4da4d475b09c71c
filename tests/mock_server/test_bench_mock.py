"""scripts/bench_mock.py: the mock's capacity figure for status reads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_mock_capacity_reports_throughput_and_latency() -> None:
    """mock_capacity() measures req/s and p50/p99 of concurrent status reads, without errors."""
    spec = importlib.util.spec_from_file_location("bench_mock", REPO / "scripts" / "bench_mock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.mock_capacity(clients=10, duration=1.0, warmup=0.2)
    assert result["clients"] == 10 and result["errors"] == 0
    assert result["requests"] > 0 and result["throughput_rps"] > 0
    assert 0 < result["p50_ms"] <= result["p99_ms"]
