"""Whole-process benchmarks against baselines measured in the same run (``make bench``).

Every figure is the wall time (or peak memory, CPU, requests, bytes) of a whole
process: the client as a user runs it (the ``inductiva`` CLI, or a small Python
program importing it) next to a baseline process doing the same job (``curl``,
``curl`` + ``unzip``, the vendor client's 1000-byte download loop, a 5 s polling
loop, the mock as 0.5.0 served). Client and baseline run as alternating pairs
(AB, BA, AB, ...) so load on a shared machine hits both alike; each row shows
the median and the min-max of its runs, and the ratio is the median of the
per-pair ratios. Each row prints its target and PASS/FAIL; the exit status is 1
when one is missed. A benchmark that crashes is a FAIL row; the rest still run.

Environment:

* ``BENCH_QUICK=1``: small sizes and fewer waits (a run of a few minutes).
* ``BENCH_PAIRS`` (default 3, quick 3): pairs per comparison.
* ``BENCH_SIZE_MIB`` (1024, quick 256): the full-download archive.
* ``BENCH_RANGES_MIB`` (256, quick 192) and ``BENCH_CAP_MIBS`` (8): the archive and the
  per-connection bandwidth cap of the parallel-ranges row.
* ``BENCH_UPLOAD_MIB`` (256, quick 64): the incompressible upload.
* ``BENCH_WAITS`` (1000, quick 300): concurrent waits.
* ``BENCH_CASE_FILES`` (20000) and ``BENCH_CASE_MB`` (82): the many-files case.
* ``BENCH_MEMBERS`` (300000): members of the archive (and files of the input) whose
  peak memory is measured.
* ``BENCH_ONLY``: comma-separated sections (capacity, waits, download, ranges, upload,
  files, members, cold, list) to run only those.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent
KEY = "bench-key"
MIB = 1024 * 1024
SYNTHETIC = "test.synthetic.run_simulation"
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
PAIRS = int(os.environ.get("BENCH_PAIRS", "3"))
SIZE = int(os.environ.get("BENCH_SIZE_MIB", "256" if QUICK else "1024")) * MIB
RANGES_SIZE = int(os.environ.get("BENCH_RANGES_MIB", "192" if QUICK else "256")) * MIB
CAP = int(float(os.environ.get("BENCH_CAP_MIBS", "8")) * MIB)
UPLOAD_SIZE = int(os.environ.get("BENCH_UPLOAD_MIB", "64" if QUICK else "256")) * MIB
WAITS = int(os.environ.get("BENCH_WAITS", "300" if QUICK else "1000"))
ONLY = {s for s in os.environ.get("BENCH_ONLY", "").split(",") if s}
SMALL = [("small/one.txt", 4096), ("small/two.txt", 16384)]
RSS_LIMIT_MB = 100
SHM = Path("/dev/shm")
PY = sys.executable
VENV_BIN = Path(sys.executable).parent


# -- measuring whole processes ---------------------------------------------------
class Run:
    """One finished process: wall seconds, peak RSS (MB), CPU seconds, stdout."""

    def __init__(self, seconds: float, rss_mb: float, cpu: float, out: str) -> None:
        self.seconds, self.rss_mb, self.cpu, self.out = seconds, rss_mb, cpu, out


GNU_TIME = Path("/usr/bin/time")


def run(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run ``cmd`` to completion; its own wall time, peak RSS and CPU.

    CPU comes from ``os.wait4``. Peak RSS comes from GNU time's ``%M`` when it is
    installed: a child forked straight from this (large) Python process would
    report this process's resident pages as its own high-water mark until exec.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as rss_file,
    ):
        argv = list(cmd)
        if GNU_TIME.exists():
            argv = [str(GNU_TIME), "-f", "%M", "-o", rss_file.name, *argv]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode(errors="replace")
        if proc.returncode != 0:
            message = err.read().decode(errors="replace")[-1500:]
            raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {message}")
        lines = rss_file.read().split()
        rss_kib = int(lines[-1]) if lines and lines[-1].isdigit() else usage.ru_maxrss
    return Run(seconds, rss_kib / 1024, usage.ru_utime + usage.ru_stime, text)


def pairs(
    client: Callable[[], Run], baseline: Callable[[], Run], n: int = PAIRS
) -> tuple[list[Run], list[Run]]:
    """``n`` alternating pairs (client first, then baseline first, ...).

    Dirty pages are flushed (``os.sync``) before every run, so no run pays for
    the disk writeback of the one before it (1 GiB downloads leave that much).
    """
    cs: list[Run] = []
    bs: list[Run] = []
    for i in range(n):
        order = [(client, cs), (baseline, bs)]
        for side, bucket in order if i % 2 == 0 else order[::-1]:
            os.sync()
            bucket.append(side())
    return cs, bs


def spread(values: Sequence[float], fmt: str = "{:.2f}", unit: str = " s") -> str:
    """``median [min-max]`` of ``values``."""
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med) + unit
    return f"{fmt.format(med)}{unit} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def ratios(cs: Sequence[Run], bs: Sequence[Run]) -> list[float]:
    """Per-pair client/baseline time ratios."""
    return [c.seconds / b.seconds for c, b in zip(cs, bs, strict=True)]


class Table:
    """Rows of metric, measured, baseline, ratio, target and verdict."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str, bool]] = []

    def add(
        self, metric: str, measured: str, baseline: str, ratio: str, target: str, ok: bool
    ) -> None:
        """Add a row and echo it at once (progress for a long run)."""
        self.rows.append((metric, measured, baseline, ratio, target, ok))
        verdict = "PASS" if ok else "FAIL"
        print(f"  {metric}: {measured} | {baseline} | {ratio} | {target} | {verdict}", flush=True)

    def render(self) -> str:
        """The table as aligned text."""
        head = ("metric", "measured", "baseline", "ratio", "target", "result")
        body = [(*r[:5], "PASS" if r[5] else "FAIL") for r in self.rows]
        widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(6)]

        def line(row: Sequence[str]) -> str:
            return "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

        return "\n".join([line(head), "  ".join("-" * w for w in widths), *map(line, body)])


def client_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of a client process pointed at the mock."""
    env = dict(os.environ)
    env.update(INDUCTIVA_API_URL=url, INDUCTIVA_API_KEY=KEY, INDUCTIVA_PROGRESS="0", **extra)
    paths = [str(ROOT), str(ROOT / "generated"), str(ROOT / "mock_server")]
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
    return env


# -- tasks on the mock -----------------------------------------------------------
def make_task(server: Any, tmp: Path, files: list[dict[str, Any]]) -> str:
    """A finished synthetic task whose outputs are ``files`` (plus the two small ones)."""
    from inductiva import _simulation

    files = files + [{"name": n, "size": s, "compressible": True} for n, s in SMALL]
    input_dir = tmp / "task-input"
    input_dir.mkdir(exist_ok=True)
    (input_dir / "params.txt").write_text("bench\n")
    task = _simulation.submit(
        SYNTHETIC, {"duration": 0.0, "files": files}, input_dir, run_async=True
    )
    status = task.wait(timeout=3600)
    if status != "success":
        raise RuntimeError(f"the bench task ended {status}")
    return task.id


def archive_size(task_id: str) -> int:
    from inductiva_api.api.tasks import list_task_outputs

    import inductiva

    return int(inductiva.api.call(list_task_outputs.sync_detailed, task_id=task_id).size)


CURL = ["curl", "-sS", "--fail", "-H", f"X-API-Key: {KEY}"]

VENDOR_LOOP = """
import sys, httpx
url, key, dest = sys.argv[1:4]
with httpx.stream("GET", url, headers={"X-API-Key": key}, timeout=600) as r, open(dest, "wb") as f:
    r.raise_for_status()
    for chunk in r.iter_bytes(chunk_size=1000):   # the vendor client's iter_content(1000)
        f.write(chunk)
"""


def cli(url: str, *args: str, extra_env: dict[str, str] | None = None) -> Callable[[], Run]:
    def go() -> Run:
        return run([str(VENV_BIN / "inductiva"), *args], env=client_env(url, **(extra_env or {})))

    return go


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def bench_download(server: Any, table: Table, tmp: Path) -> None:
    """Full downloads vs curl (tmpfs and disk), the vendor loop, extraction, memory."""
    url = server.url
    print(f"creating tasks with {SIZE // MIB} MiB outputs...", flush=True)
    binary = make_task(server, tmp, [{"name": "big.bin", "size": SIZE, "compressible": False}])
    text = make_task(server, tmp, [{"name": "big.txt", "size": SIZE, "compressible": True}])
    out_url = f"{url}/tasks/{binary}/output"
    size = archive_size(binary)
    shm = Path(tempfile.mkdtemp(prefix="inductiva-bench-", dir=SHM if SHM.is_dir() else None))
    try:
        for where, base, target in (("tmpfs", shm, 1.5), ("disk", tmp, 1.1)):
            dest = base / "dl"

            def client(dest: Path = dest) -> Run:
                fresh(dest)
                return cli(
                    url, "tasks", "download", binary, "--no-uncompress", "--dir", str(dest)
                )()

            def curl(dest: Path = dest) -> Run:
                fresh(dest).mkdir()
                return run([*CURL, "-o", str(dest / "output.zip"), out_url])

            cs, bs = pairs(client, curl)
            r = ratios(cs, bs)
            table.add(
                f"full download {size / MIB:.0f} MiB incompressible, {where} (whole process)",
                spread([c.seconds for c in cs]),
                "curl -o " + spread([b.seconds for b in bs]),
                spread(r, unit="x"),
                f"<= {target}x curl",
                statistics.median(r) <= target,
            )
            if where == "tmpfs":
                rss = max(c.rss_mb for c in cs)
                table.add(
                    "peak RSS, that download (incompressible)",
                    f"{rss:.0f} MB",
                    "curl " + spread([b.rss_mb for b in bs], "{:.0f}", " MB"),
                    "-",
                    f"< {RSS_LIMIT_MB} MB",
                    rss < RSS_LIMIT_MB,
                )

                def vendor(dest: Path = dest) -> Run:
                    fresh(dest).mkdir()
                    return run([PY, "-c", VENDOR_LOOP, out_url, KEY, str(dest / "output.zip")])

                cs2, vs = pairs(client, vendor, max(1, PAIRS - 1))
                r2 = ratios(cs2, vs)
                table.add(
                    "full download vs the vendor's 1000-byte-chunk loop, tmpfs",
                    spread([c.seconds for c in cs2]),
                    "vendor loop " + spread([v.seconds for v in vs]),
                    spread(r2, unit="x"),
                    "<= 1.0x (faster)",
                    statistics.median(r2) <= 1.0,
                )
            fresh(dest)

        # Compressible archive, extracted: client (download + extract) vs curl + unzip.
        text_size = archive_size(text)
        text_url = f"{url}/tasks/{text}/output"
        dest = shm / "x"

        def client_x() -> Run:
            fresh(dest)
            return cli(url, "tasks", "download", text, "--dir", str(dest))()

        def curl_unzip() -> Run:
            fresh(dest).mkdir()
            script = (
                f"curl -sS --fail -H 'X-API-Key: {KEY}' -o {dest}/o.zip {text_url} && "
                f"unzip -q -o {dest}/o.zip -d {dest} && rm {dest}/o.zip"
            )
            return run(["sh", "-c", script])

        cs, bs = pairs(client_x, curl_unzip)
        r = ratios(cs, bs)
        table.add(
            f"download + extract, compressible ({text_size / MIB:.0f} MiB zip of "
            f"{SIZE / MIB:.0f} MiB), tmpfs",
            spread([c.seconds for c in cs]),
            "curl + unzip " + spread([b.seconds for b in bs]),
            spread(r, unit="x"),
            "<= 1.5x",
            statistics.median(r) <= 1.5,
        )
        rss = max(c.rss_mb for c in cs)
        table.add(
            "peak RSS, that download (compressible, extracting)",
            f"{rss:.0f} MB",
            "-",
            "-",
            f"< {RSS_LIMIT_MB} MB",
            rss < RSS_LIMIT_MB,
        )
        fresh(dest)
        _partial_rows(server, table, tmp, binary)
    finally:
        shutil.rmtree(shm, ignore_errors=True)


def _partial_rows(server: Any, table: Table, tmp: Path, task_id: str) -> None:
    """Bytes and requests for 2 small files of the big archive (Range requests)."""
    from inductiva_api.api.tasks import list_task_outputs

    import inductiva

    listing = inductiva.api.call(list_task_outputs.sync_detailed, task_id=task_id)
    members = {c.name: c for c in listing.contents}
    wanted = [n for n, _ in SMALL]
    compressed = sum(int(members[n].compressed_size) for n in wanted)
    server.reset_stats()
    dest = fresh(tmp / "partial")
    run(
        [
            str(VENV_BIN / "inductiva"),
            "tasks",
            "download",
            task_id,
            "--dir",
            str(dest),
            "--filenames",
            *wanted,
        ],
        env=client_env(server.url),
    )
    stats = server.stats()
    moved = int(stats["bytes_sent_output"])
    requests = int(stats["requests_by_route"].get("GET /tasks/{task_id}/output", 0))
    limit = compressed + 256 * 1024
    table.add(
        "partial download: 2 small files at the archive's tail",
        f"{moved / 1024:.1f} KiB in {requests} request(s)",
        f"archive {int(listing.size) / MIB:.0f} MiB",
        "-",
        f"< {limit / 1024:.0f} KiB, 1 request",
        moved < limit and requests == 1,
    )
    fresh(dest)


def bench_ranges(server: Any, table: Table, tmp: Path) -> None:
    """Parallel range requests under a per-connection bandwidth cap vs one connection."""
    url = server.url
    print(f"creating a task with a {RANGES_SIZE // MIB} MiB output...", flush=True)
    task = make_task(server, tmp, [{"name": "r.bin", "size": RANGES_SIZE, "compressible": False}])
    size = archive_size(task)
    dest = tmp / "ranges"
    server.set_faults(bandwidth_per_connection=CAP)
    try:

        def client() -> Run:
            fresh(dest)
            args = ("tasks", "download", task, "--no-uncompress", "--dir", str(dest))
            return cli(url, *args, extra_env={"INDUCTIVA_DOWNLOAD_CONNECTIONS": "4"})()

        def curl() -> Run:
            fresh(dest).mkdir()
            return run([*CURL, "-o", str(dest / "o.zip"), f"{url}/tasks/{task}/output"])

        cs, bs = pairs(client, curl, max(1, PAIRS - 1))
    finally:
        server.clear_faults()
    speedup = [b.seconds / c.seconds for c, b in zip(cs, bs, strict=True)]
    cap = CAP / MIB
    table.add(
        f"parallel ranges, 4 connections, cap C={cap:.0f} MiB/s each ({size / MIB:.0f} MiB)",
        spread([size / MIB / c.seconds for c in cs], "{:.1f}", " MiB/s"),
        "curl, 1 connection " + spread([size / MIB / b.seconds for b in bs], "{:.1f}", " MiB/s"),
        spread(speedup, unit="x C"),
        ">= 3.5x C",
        statistics.median(speedup) >= 3.5,
    )
    fresh(dest)


UPLOAD_CHILD = """
import sys, json, time
from pathlib import Path
from inductiva import _http, _submit
from inductiva._transfers import _upload
core = _http.default_core()
params = {"sim_dir": "sim_dir", "duration": 0.0}
task_id = core.run(_submit.register_flow("test.synthetic.run_simulation", params, None))
began = time.perf_counter()
core.run(_upload.upload_flow(task_id, Path(sys.argv[1]), params))
print(task_id, time.perf_counter() - began)
"""


def _register(url: str) -> str:
    import httpx

    r = httpx.post(
        f"{url}/tasks/submit",
        headers={"X-API-Key": KEY},
        json={"method": SYNTHETIC, "params": {"sim_dir": "sim_dir", "duration": 0.0}},
    )
    r.raise_for_status()
    return str(r.json()["id"])


def _settle(url: str, task_id: str) -> None:
    """Wait until the mock has run ``task_id`` to its end, then flush dirty pages.

    Each upload makes the mock unpack and run a task with 256 MiB of input; the
    next timed upload must not share the cores and the disk with that work.
    """
    import httpx
    from inductiva_api.contract import FINAL_STATUSES

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        r = httpx.get(f"{url}/tasks/{task_id}/status", headers={"X-API-Key": KEY})
        r.raise_for_status()
        if r.json()["status"] in FINAL_STATUSES:
            break
        time.sleep(0.05)
    os.sync()


def bench_upload(server: Any, table: Table, tmp: Path) -> None:
    """A directory of incompressible files vs curl sending a ready zip; compressible shrink."""
    url = server.url
    src = tmp / "upload" / "in"
    src.mkdir(parents=True)
    print(f"writing {UPLOAD_SIZE // MIB} MiB of incompressible input files...", flush=True)
    n = 8
    for i in range(n):
        with (src / f"part{i}.bin").open("wb") as fh:
            for _ in range(UPLOAD_SIZE // MIB // n):
                fh.write(os.urandom(MIB))
    ready = tmp / "upload" / "ready.zip"
    with zipfile.ZipFile(ready, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("input.json", json.dumps({"sim_dir": "sim_dir"}))
        for f in sorted(src.iterdir()):
            zf.write(f, f"sim_dir/{f.name}")

    def client() -> Run:
        result = run([PY, "-c", UPLOAD_CHILD, str(src)], env=client_env(url))
        task_id, sending = result.out.split()
        transfers.append(float(sending))
        _settle(url, task_id)
        return result

    def curl() -> Run:
        task_id = _register(url)
        result = run(
            [
                *CURL,
                "-o",
                "/dev/null",
                "-w",
                "%{time_total}",
                "-F",
                f"file=@{ready};type=application/zip",
                f"{url}/tasks/{task_id}/input",
            ]
        )
        curl_transfers.append(float(result.out.strip()))
        _settle(url, task_id)
        return result

    transfers: list[float] = []
    curl_transfers: list[float] = []
    cs, bs = pairs(client, curl)
    r = ratios(cs, bs)
    table.add(
        f"upload {UPLOAD_SIZE / MIB:.0f} MiB of incompressible files (zip streamed as built)",
        spread([c.seconds for c in cs]),
        "curl -F ready zip " + spread([b.seconds for b in bs]),
        spread(r, unit="x"),
        "<= 1.5x curl",
        statistics.median(r) <= 1.5,
    )
    sent = [t / c for t, c in zip(transfers, curl_transfers, strict=True)]
    table.add(
        "that upload, sending only (timed inside each process: start-up left out)",
        spread(transfers),
        "curl time_total " + spread(curl_transfers),
        spread(sent, unit="x"),
        "(diagnostic)",
        True,
    )
    rss = max(c.rss_mb for c in cs)
    table.add(
        "peak RSS, that upload",
        f"{rss:.0f} MB",
        "curl " + spread([b.rss_mb for b in bs], "{:.0f}", " MB"),
        "-",
        f"< {RSS_LIMIT_MB} MB",
        rss < RSS_LIMIT_MB,
    )
    shutil.rmtree(src)
    text = tmp / "upload" / "text"
    text.mkdir()
    line = b"time,value,pressure,velocity 0.001 1.25e-3 101325.0 12.5\n"
    with (text / "log.csv").open("wb") as fh:
        for _ in range(32 * MIB // len(line)):
            fh.write(line)
    server.reset_stats()
    client_text = run([PY, "-c", UPLOAD_CHILD, str(text)], env=client_env(url))
    sent = int(server.stats()["bytes_received_input"])
    table.add(
        "upload of 32 MiB of compressible text: bytes sent",
        f"{sent / MIB:.2f} MiB ({client_text.seconds:.2f} s)",
        "32 MiB on disk",
        f"{sent / (32 * MIB):.3f}",
        "< 0.25 (deflated)",
        sent < 8 * MIB,
    )


def _waits_run(server: Any, tmp: Path, mode: str, n: int, end_after: float) -> dict[str, Any]:
    ids = [t for t in _started(server, n)]
    ids_file = tmp / f"ids-{mode}-{n}"
    ids_file.write_text("\n".join(ids))
    env = client_env(server.url, INDUCTIVA_MOCK_ADMIN_TOKEN=server.admin_token)
    proc = run([PY, str(SCRIPTS / "bench_waits.py"), mode, str(ids_file), str(end_after)], env)
    result: dict[str, Any] = json.loads(proc.out.strip().splitlines()[-1])
    result["process_cpu_s"] = proc.cpu
    return result


def _started(server: Any, n: int) -> list[str]:
    import httpx

    server.seed(n, status="started", api_key=KEY)
    rows = httpx.get(
        f"{server.url}/tasks",
        headers={"X-API-Key": KEY},
        params={"per_page": n, "status": "started"},
        timeout=60,
    ).json()
    ids = [row["task_id"] for row in rows]
    if len(ids) != n:
        raise RuntimeError(f"seeded {n} started tasks, found {len(ids)}")
    return ids


def bench_waits(server: Any, legacy: Any, table: Table, tmp: Path) -> None:
    """N concurrent waits (async, threads) vs one wait, a 5 s polling loop; legacy budget."""
    end_after = 3.0
    for mode in ("async", "threads"):
        sets: list[dict[str, Any]] = []
        singles: list[dict[str, Any]] = []
        for i in range(PAIRS):
            order = [(sets, WAITS), (singles, 1)]
            for bucket, n in order if i % 2 == 0 else order[::-1]:
                bucket.append(_waits_run(server, tmp, mode, n, end_after))
        walls = [s["wall_s"] for s in sets]
        r = [s["wall_s"] / o["wall_s"] for s, o in zip(sets, singles, strict=True)]
        p99 = [s["late_p99_s"] for s in sets]
        cpu = [s["process_cpu_s"] for s in sets]
        conns = max(s["connections"] for s in sets)
        table.add(
            f"{WAITS} concurrent waits ({mode}), wall time",
            spread(walls),
            "one wait " + spread([o["wall_s"] for o in singles]),
            spread(r, unit="x"),
            "<= 1.5x one wait",
            statistics.median(r) <= 1.5,
        )
        table.add(
            f"{WAITS} concurrent waits ({mode}), return after task end, p99",
            spread(p99, "{:.3f}"),
            "one wait " + spread([o["late_p99_s"] for o in singles], "{:.3f}"),
            "-",
            "<= 1 s",
            statistics.median(p99) <= 1.0,
        )
        table.add(
            f"{WAITS} concurrent waits ({mode}), CPU and connections",
            f"{spread(cpu)} CPU, {conns} connections",
            "one wait " + spread([o["process_cpu_s"] for o in singles]),
            "-",
            "<= 10 s CPU, <= 100 connections",
            statistics.median(cpu) <= 10 and conns <= 100,
        )
    polls = [_waits_run(server, tmp, "poll5", 1, end_after) for _ in range(PAIRS)]
    table.add(
        "one wait vs a 5 s polling loop (the vendor client): return after task end",
        "see the rows above",
        "5 s loop " + spread([p["late_p99_s"] for p in polls], "{:.3f}"),
        "-",
        "(baseline)",
        True,
    )
    # Against the real API (legacy mock): the request budget of one wait.
    n = max(50, WAITS // 4)
    ids = _started(legacy, n)
    ids_file = tmp / "ids-legacy"
    ids_file.write_text("\n".join(ids))
    env = client_env(legacy.url, INDUCTIVA_MOCK_ADMIN_TOKEN=legacy.admin_token)
    legacy.reset_stats()
    span, window = 60.0, (31.0, 56.0)  # counted only while every wait is still waiting
    box: dict[str, Any] = {}

    def go() -> None:
        proc = run([PY, str(SCRIPTS / "bench_waits.py"), "async", str(ids_file), str(span)], env)
        box["result"] = json.loads(proc.out.strip().splitlines()[-1])

    def status_requests() -> int:
        return int(legacy.stats()["requests_by_route"].get("GET /tasks/{task_id}/status", 0))

    worker = threading.Thread(target=go)
    began = time.monotonic()
    worker.start()
    time.sleep(window[0])
    at_start = status_requests()
    time.sleep(window[1] - (time.monotonic() - began))
    at_end = status_requests()
    worker.join()
    result = box["result"]
    # The rate is taken from the client's own send times (gaps between consecutive status
    # requests of each task); the mock's counter over the window is shown beside it, but
    # requests in flight when it is read make it noisy by a few requests either way.
    counted = (at_end - at_start) / n / (window[1] - window[0]) * 60.0
    per_minute = result["status_per_min_after_30s"]
    table.add(
        f"{n} waits against the real API (legacy mock): status requests per wait-minute after 30 s",
        f"{per_minute:.2f}/min (shortest gap {result['status_shortest_gap_s']:.2f} s; "
        f"mock counted {counted:.1f}), p99 {result['late_p99_s']:.2f} s late, "
        f"{result['connections']} connections",
        "budget 12/min",
        "-",
        "<= 12/min, <= 100 connections",
        round(per_minute, 2) <= 12 and result["status_gaps"] > 0 and result["connections"] <= 100,
    )


def bench_capacity(table: Table) -> None:
    """The mock's status reads with 50 clients vs the mock as it served in 0.5.0."""
    from bench_mock import mock_capacity  # scripts/ is sys.path[0]

    duration = 3.0 if QUICK else 6.0
    news: list[dict[str, Any]] = []
    olds: list[dict[str, Any]] = []
    for i in range(PAIRS):
        steps = [(news, False), (olds, True)]
        for bucket, baseline in steps if i % 2 == 0 else steps[::-1]:
            bucket.append(mock_capacity(duration=duration, baseline=baseline))
    r = [n["throughput_rps"] / o["throughput_rps"] for n, o in zip(news, olds, strict=True)]
    table.add(
        "mock: GET status, 50 clients (validation on)",
        spread([n["throughput_rps"] for n in news], "{:.0f}", " req/s")
        + f", p50 {statistics.median(n['p50_ms'] for n in news):.1f} ms"
        + f", p99 {statistics.median(n['p99_ms'] for n in news):.1f} ms",
        "0.5.0 stack "
        + spread([o["throughput_rps"] for o in olds], "{:.0f}", " req/s")
        + f", p99 {statistics.median(o['p99_ms'] for o in olds):.0f} ms",
        spread(r, unit="x"),
        ">= 2x, no errors",
        statistics.median(r) >= 2 and all(x["errors"] == 0 for x in news),
    )


def bench_cold(table: Table) -> None:
    """Cold start: `import inductiva` and the CLI vs a bare interpreter."""
    bare = lambda: run([PY, "-c", "pass"])  # noqa: E731
    imp = lambda: run([PY, "-c", "import inductiva"])  # noqa: E731
    cs, bs = pairs(imp, bare, PAIRS + 4)
    extra = [c.seconds - b.seconds for c, b in zip(cs, bs, strict=True)]
    table.add(
        "import inductiva (over a bare interpreter)",
        spread(extra, "{:+.3f}"),
        "python -c pass " + spread([b.seconds for b in bs]),
        "-",
        "<= 0.1 s",
        statistics.median(extra) <= 0.1,
    )
    version = lambda: run([str(VENV_BIN / "inductiva"), "--version"])  # noqa: E731
    cs, bs = pairs(version, bare, PAIRS + 2)
    table.add(
        "cold start: inductiva --version",
        spread([c.seconds for c in cs]),
        "python -c pass " + spread([b.seconds for b in bs]),
        "-",
        "<= 0.5 s",
        statistics.median(c.seconds for c in cs) <= 0.5,
    )


def bench_list(server: Any, table: Table) -> None:
    """Requests used by tasks.get(last_n=10000) over 10,000 seeded tasks."""
    import inductiva

    server.seed(10000, status="success", api_key=KEY)
    server.reset_stats()
    tasks = inductiva.tasks.get(last_n=10000)
    requests = int(server.stats()["requests"])
    table.add(
        "requests for tasks.get(last_n=10000)",
        str(requests),
        "one per task: 10000",
        f"{requests / 10000:.4f}",
        "<= 10",
        requests <= 10 and len(tasks) == 10000,
    )


def _section(table: Table, name: str, bench: Callable[..., object], *args: Any) -> None:
    """Run one benchmark (unless BENCH_ONLY leaves it out); a crash is a FAIL row."""
    if ONLY and name not in ONLY:
        return
    print(f"[{name}]", flush=True)
    try:
        bench(*args)
    except Exception as exc:  # every figure that can be measured is still printed
        traceback.print_exc()
        table.add(f"{name} (crashed)", type(exc).__name__, "-", "-", "runs to the end", False)


def main() -> int:
    """Run every benchmark and print the table; exit 1 if a target is missed."""
    for path in (ROOT / "generated", ROOT / "mock_server", ROOT):
        sys.path.insert(0, str(path))
    import bench_files  # scripts/ is sys.path[0]
    from inductiva_mock.launcher import MockServer

    import inductiva

    base = ROOT / ".bench"
    base.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="run-", dir=base))
    table = Table()
    os.environ["INDUCTIVA_PROGRESS"] = "0"
    mode = "quick" if QUICK else "full"
    from inductiva._transfers import _crc

    print(f"make bench ({mode}): {PAIRS} alternating pairs per comparison", flush=True)
    print(
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"CRC-32 from {_crc.IMPLEMENTATION}",
        flush=True,
    )
    try:
        _section(table, "capacity", bench_capacity, table)
        with (
            MockServer(data_dir=tmp / "mock", api_keys=(KEY,)) as server,
            MockServer(data_dir=tmp / "legacy", api_keys=(KEY,), legacy=True) as legacy,
        ):
            inductiva.api_url, inductiva.api_key = server.url, KEY
            _section(table, "cold", bench_cold, table)
            _section(table, "waits", bench_waits, server, legacy, table, tmp)
            _section(table, "download", bench_download, server, table, tmp)
            _section(table, "ranges", bench_ranges, server, table, tmp)
            _section(table, "upload", bench_upload, server, table, tmp)
            _section(table, "files", bench_files.bench_files, server, table, tmp)
            _section(table, "members", bench_files.bench_members, server, legacy, table, tmp)
            _section(table, "list", bench_list, server, table)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, CRC-32 from "
        f"{_crc.IMPLEMENTATION}"
    )
    print(table.render())
    return 0 if all(row[5] for row in table.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
