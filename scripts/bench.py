"""Transfer and API-efficiency benchmarks against a local mock server (``make bench``).

One run starts a MockServer on loopback, then measures and prints, each with
its target:

* full download of a 1 GiB archive: client throughput vs ``curl`` (>= 0.9x;
  best of 3 to 6 interleaved rounds: extra rounds only while under target);
* peak RSS of the process doing that download (< 100 MB);
* bytes sent for 2 small files out of the 1 GiB archive (< their size + 256 KiB),
  by Range requests (default mock) and by a ``?filename=`` subset (legacy mock,
  no byte ranges: the same files from an archive of ``BENCH_LEGACY_MIB``, 256 by
  default);
* peak RSS of a process uploading a 1 GiB input (multipart, streamed from
  disk; < 100 MB, ``BENCH_UPLOAD_MIB`` to change the size);
* ``Task.wait()`` latency after the task ends (long-poll; < 0.2 s);
* requests used by ``inductiva.tasks.get(last_n=10000)`` (<= 10).

Set ``BENCH_SIZE_MIB`` for a smaller archive (e.g. a quick check with 64).
The full download and the upload run in subprocesses (``--child-download``,
``--child-upload``) so their peak RSS is their own. A benchmark that crashes
is a FAIL row; the others still run, and the table is printed in every case.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"
MIB = 1024 * 1024
SMALL = [("small/one.txt", 4096), ("small/two.txt", 16384)]
DOWNLOAD_TARGET = 0.9
MIN_ROUNDS, MAX_ROUNDS = 3, 6
SYNTHETIC = "test.synthetic.run_simulation"
RSS_LIMIT_MB = 100


def _peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM), in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def child_download(task_id: str, output_dir: str) -> None:
    """Download the whole archive (kept as a zip) and print seconds and peak RSS as JSON."""
    from inductiva._transfers._download import download_outputs

    start = time.perf_counter()
    download_outputs(task_id, output_dir=output_dir, uncompress=False)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_rss_kib": _peak_rss_kib()}))


def child_upload(input_dir: str) -> None:
    """Register a task, upload ``input_dir`` as its input; print peak RSS before/after as JSON."""
    from inductiva import _submit
    from inductiva._transfers import _upload

    params = {"sim_dir": "sim_dir", "duration": 0.0}
    task_id = _submit.register(SYNTHETIC, params, None)
    before = _peak_rss_kib()
    start = time.perf_counter()
    _upload.upload_input(task_id, Path(input_dir), params)
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "peak_before_kib": before, "peak_rss_kib": _peak_rss_kib()}
    print(json.dumps(result))


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(INDUCTIVA_API_URL=url, INDUCTIVA_API_KEY=KEY, INDUCTIVA_PROGRESS="0")
    paths = [str(ROOT), str(ROOT / "generated"), str(ROOT / "mock_server")]
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
    return env


def _curl_seconds(url: str, task_id: str, dest: Path) -> float:
    cmd = ["curl", "-sS", "--fail", "-o", str(dest), "-H", f"X-API-Key: {KEY}"]
    start = time.perf_counter()
    subprocess.run([*cmd, f"{url}/tasks/{task_id}/output"], check=True)
    seconds = time.perf_counter() - start
    dest.unlink()
    return seconds


def _client_run(url: str, task_id: str, dest: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child-download", task_id, str(dest)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=_env(url))
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    shutil.rmtree(dest)
    return result


class Table:
    """Rows of metric, measured, baseline, ratio, target and verdict."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str, bool]] = []

    def add(
        self, metric: str, measured: str, baseline: str, ratio: str, target: str, ok: bool
    ) -> None:
        """Add a row and echo it at once (progress for a long run)."""
        self.rows.append((metric, measured, baseline, ratio, target, ok))
        print(f"  measured {metric}: {measured} ({'PASS' if ok else 'FAIL'})", flush=True)

    def render(self) -> str:
        """The table as aligned text."""
        head = ("metric", "measured", "baseline", "ratio", "target", "result")
        body = [(*r[:5], "PASS" if r[5] else "FAIL") for r in self.rows]
        widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(6)]
        line = lambda row: "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))  # noqa: E731
        return "\n".join([line(head), "  ".join("-" * w for w in widths), *map(line, body)])


def _make_task(size: int, tmp: Path, duration: float = 0.0) -> str:
    from inductiva import _simulation

    files = [{"name": "big.bin", "size": size, "compressible": False}]
    files += [{"name": n, "size": s, "compressible": True} for n, s in SMALL]
    input_dir = tmp / "input"
    input_dir.mkdir(exist_ok=True)
    (input_dir / "params.txt").write_text("bench\n")
    task = _simulation.submit(
        SYNTHETIC, {"duration": duration, "files": files}, input_dir, run_async=True
    )
    task.wait(timeout=1800)
    return task.id


def bench_download(server: Any, table: Table, tmp: Path, size: int) -> str:
    """Throughput vs curl, peak RSS, partial bytes; returns the task id."""
    from inductiva_api.api.tasks import list_task_outputs

    from inductiva import _client

    print(f"creating a task with a {size // MIB} MiB incompressible output...", flush=True)
    task_id = _make_task(size, tmp)
    listing = _client.call(list_task_outputs.sync_detailed, task_id=task_id)
    archive = int(listing.size)
    curls: list[float] = []
    runs: list[dict[str, Any]] = []
    # Interleaved pairs, best of each: page-cache, writeback and other load on a
    # small VM hit both alike. A best ratio under target after MIN_ROUNDS gets
    # more rounds (noise only ever slows a run down), never a lower target.
    for round_ in range(1, MAX_ROUNDS + 1):
        curls.append(_curl_seconds(server.url, task_id, tmp / "curl.zip"))
        runs.append(_client_run(server.url, task_id, tmp / "client"))
        best = min(curls) / min(r["seconds"] for r in runs)
        if round_ >= MIN_ROUNDS and best >= DOWNLOAD_TARGET:
            break
    curl = min(curls)
    client = min(r["seconds"] for r in runs)
    print("  curl runs (s):", " ".join(f"{x:.2f}" for x in curls), flush=True)
    print("  client runs (s):", " ".join(f"{r['seconds']:.2f}" for r in runs), flush=True)
    peak_mb = max(r["peak_rss_kib"] for r in runs) / 1024
    mibs = lambda s: f"{archive / MIB / s:.0f} MiB/s"  # noqa: E731
    ratio = curl / client
    table.add(
        f"full download {archive / MIB:.0f} MiB (throughput)",
        mibs(client),
        f"curl {mibs(curl)}",
        f"{ratio:.2f}",
        f">= {DOWNLOAD_TARGET:.2f}",
        ratio >= DOWNLOAD_TARGET,
    )
    table.add(
        "peak RSS of the downloading process",
        f"{peak_mb:.0f} MB",
        "-",
        "-",
        f"< {RSS_LIMIT_MB} MB",
        peak_mb < RSS_LIMIT_MB,
    )

    _partial_row(server, table, tmp, task_id, "Range requests")
    return task_id


def _partial_row(server: Any, table: Table, tmp: Path, task_id: str, how: str) -> None:
    """Bytes the mock sent for the 2 small files of ``task_id``, as a table row."""
    from inductiva_api.api.tasks import list_task_outputs

    from inductiva import _client
    from inductiva._transfers._download import download_outputs

    listing = _client.call(list_task_outputs.sync_detailed, task_id=task_id)
    archive = int(listing.size)
    members = {c.name: c for c in listing.contents}
    wanted = [n for n, _ in SMALL]
    compressed = sum(int(members[n].compressed_size) for n in wanted)
    server.reset_stats()
    download_outputs(task_id, filenames=wanted, output_dir=tmp / "partial")
    moved = int(server.stats()["bytes_sent_output"])
    limit = compressed + 256 * 1024
    table.add(
        f"bytes moved for 2 small files ({how})",
        f"{moved / 1024:.1f} KiB",
        f"full archive {archive / MIB:.0f} MiB",
        f"{moved / archive:.6f}",
        f"< {limit / 1024:.1f} KiB",
        moved < limit,
    )
    shutil.rmtree(tmp / "partial")


def bench_legacy_partial(table: Table, tmp: Path, size: int) -> None:
    """The same partial download against a legacy mock (no byte ranges: ?filename= subset)."""
    from inductiva_mock.launcher import MockServer

    import inductiva
    from inductiva import _client

    saved = inductiva.api_url
    with MockServer(data_dir=tmp / "legacy-mock", api_keys=(KEY,), legacy=True) as legacy:
        inductiva.api_url = legacy.url
        _client.reset()
        try:
            print(f"creating a {size // MIB} MiB task on the legacy mock...", flush=True)
            task_id = _make_task(size, tmp)
            _partial_row(legacy, table, tmp, task_id, "legacy: ?filename= subset")
        finally:
            inductiva.api_url = saved
            _client.reset()


def bench_upload(server: Any, table: Table, tmp: Path, size: int) -> None:
    """Peak RSS of a process uploading a ``size``-byte incompressible input."""
    input_dir = tmp / "upload-input"
    input_dir.mkdir()
    print(f"writing a {size // MIB} MiB input file...", flush=True)
    with (input_dir / "mesh.bin").open("wb") as fh:
        for _ in range(size // MIB):
            fh.write(os.urandom(MIB))
    cmd = [sys.executable, __file__, "--child-upload", str(input_dir)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=_env(server.url))
    result = json.loads(out.stdout.strip().splitlines()[-1])
    shutil.rmtree(input_dir)
    peak_mb = result["peak_rss_kib"] / 1024
    before_mb = result["peak_before_kib"] / 1024
    table.add(
        f"peak RSS uploading {size / MIB:.0f} MiB (multipart, streamed)",
        f"{peak_mb:.0f} MB",
        f"{before_mb:.0f} MB before the upload",
        f"{peak_mb / before_mb:.2f}",
        f"< {RSS_LIMIT_MB} MB",
        peak_mb < RSS_LIMIT_MB,
    )
    print(f"  upload took {result['seconds']:.1f} s (zip + send)", flush=True)


def bench_wait(table: Table, tmp: Path) -> None:
    """Seconds from a task's end_time to wait() returning."""
    from inductiva import _simulation

    input_dir = tmp / "wait-input"
    input_dir.mkdir()
    (input_dir / "x.txt").write_text("x")
    lags = []
    for _ in range(3):
        task = _simulation.submit(SYNTHETIC, {"duration": 1.5}, input_dir, run_async=True)
        task.wait(timeout=60)
        returned = time.time()
        end = task.get_info().end_time
        assert isinstance(end, datetime), end
        lags.append(returned - end.timestamp())
    lag = max(lags)
    table.add(
        "wait() latency after completion",
        f"{lag:.3f} s",
        "old client 5 s poll",
        f"{lag / 5:.3f}",
        "< 0.2 s",
        lag < 0.2,
    )


def bench_list(server: Any, table: Table) -> None:
    """Requests used by tasks.get(last_n=10000) over 10,000 seeded tasks."""
    import inductiva

    print("seeding 10,000 tasks...", flush=True)
    server.seed(10000, status="success", api_key=KEY)
    server.reset_stats()
    tasks = inductiva.tasks.get(last_n=10000)
    requests = int(server.stats()["requests"])
    assert len(tasks) == 10000, len(tasks)
    table.add(
        "requests for tasks.get(last_n=10000)",
        str(requests),
        "old client ~4/row = 40000",
        f"{requests / 40000:.5f}",
        "<= 10",
        requests <= 10,
    )


def _section(table: Table, name: str, bench: Callable[..., object], *args: Any) -> None:
    """Run one benchmark; if it crashes, record a FAIL row and go on with the others."""
    try:
        bench(*args)
    except Exception as exc:  # every figure that can be measured is still printed
        traceback.print_exc()
        table.add(f"{name} (crashed)", type(exc).__name__, "-", "-", "runs to the end", False)


def bench_capacity(table: Table) -> None:
    """The mock's status-read throughput and latency with 50 concurrent clients."""
    from bench_mock import mock_capacity  # scripts/ is sys.path[0]

    cap = mock_capacity()
    table.add(
        f"mock: GET status, {cap['clients']} concurrent clients",
        f"{cap['throughput_rps']:.0f} req/s, "
        f"p50 {cap['p50_ms']:.0f} ms, p99 {cap['p99_ms']:.0f} ms",
        "-",
        "-",
        "no errors (capacity figure)",
        cap["errors"] == 0,
    )


def main() -> int:
    """Run every benchmark and print the table; exit 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child-download", nargs=2, metavar=("TASK_ID", "DIR"))
    parser.add_argument("--child-upload", metavar="DIR")
    args = parser.parse_args()
    if args.child_download:
        child_download(*args.child_download)
        return 0
    if args.child_upload:
        child_upload(args.child_upload)
        return 0
    for path in (ROOT / "generated", ROOT / "mock_server", ROOT):
        sys.path.insert(0, str(path))
    from inductiva_mock.launcher import MockServer

    import inductiva

    size = int(os.environ.get("BENCH_SIZE_MIB", "1024")) * MIB
    legacy_size = int(os.environ.get("BENCH_LEGACY_MIB", "256")) * MIB
    upload_size = int(os.environ.get("BENCH_UPLOAD_MIB", "1024")) * MIB
    base = ROOT / ".bench"
    base.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="run-", dir=base))
    table = Table()
    try:
        with MockServer(data_dir=tmp / "mock", api_keys=(KEY,)) as server:
            inductiva.api_url, inductiva.api_key = server.url, KEY
            os.environ["INDUCTIVA_PROGRESS"] = "0"
            _section(table, "full and partial download", bench_download, server, table, tmp, size)
            _section(
                table, "legacy partial download", bench_legacy_partial, table, tmp, legacy_size
            )
            _section(table, "upload", bench_upload, server, table, tmp, upload_size)
            _section(table, "wait() latency", bench_wait, table, tmp)
            _section(table, "tasks.get(last_n=10000)", bench_list, server, table)
        _section(table, "mock capacity", bench_capacity, table)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(table.render())
    return 0 if all(row[5] for row in table.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
