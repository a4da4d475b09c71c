"""Many small files: ``make bench`` sections ``files`` (time) and ``members`` (memory).

``files``: a 20,000-file, 82 MB OpenFOAM-like case (see
``inductiva_mock.runners._case``) uploaded by the client (zip built while sent)
against ``zip -qr`` + ``curl -F``; the same case as a task's output, downloaded
and extracted by the CLI against ``curl`` + ``unzip``. Whole processes, in
alternating pairs, on tmpfs.

``members``: peak RSS (GNU time) of the CLI with an output archive of
:data:`MEMBERS` members, in every mode: full download extracted and kept
zipped, a directory of it by name with byte ranges, the same through the real
API's ``?filename=`` subset archive (the legacy mock), and an upload of a
directory of as many files.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import bench  # scripts/ is sys.path[0]
from bench import KEY, PY, QUICK, RSS_LIMIT_MB, UPLOAD_CHILD, Run, Table

__all__ = ["bench_files", "bench_members"]

CASE_FILES = int(os.environ.get("BENCH_CASE_FILES", "20000"))
CASE_BYTES = int(os.environ.get("BENCH_CASE_MB", "82")) * 1_000_000
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "300000"))
MEMBERS_BYTES = MEMBERS * 1000  # headers alone are about 1 KB: small files
SELECTED = "case/processor1"
"""The directory the partial-download rows ask for (one processor's files)."""


def _case_task(server: Any, tmp: Path, files: int, size: int) -> str:
    from inductiva import _simulation

    input_dir = tmp / "case-input"
    input_dir.mkdir(exist_ok=True)
    (input_dir / "params.txt").write_text("bench\n")
    params = {"duration": 0.0, "case": {"files": files, "bytes": size}}
    task = _simulation.submit(bench.SYNTHETIC, params, input_dir, run_async=True)
    status = task.wait(timeout=3600)
    if status != "success":
        raise RuntimeError(f"the bench task ended {status}")
    return task.id


def _shm(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir=bench.SHM if bench.SHM.is_dir() else None))


def bench_files(server: Any, table: Table, tmp: Path) -> None:
    """Upload and download + extract of a 20,000-file case vs zip/unzip + curl."""
    sys.path.insert(0, str(bench.ROOT / "mock_server"))
    from inductiva_mock.runners._case import write_case

    url = server.url
    shm = _shm("inductiva-files-")
    try:
        case = shm / "case"
        written = write_case(case, CASE_FILES, CASE_BYTES)
        label = f"{CASE_FILES} files, {written / 1e6:.0f} MB"
        ready = shm / "ready.zip"

        def client() -> Run:
            result = bench.run([PY, "-c", UPLOAD_CHILD, str(case)], env=bench.client_env(url))
            bench._settle(url, result.out.split()[0])
            return result

        def zip_curl() -> Run:
            ready.unlink(missing_ok=True)
            task_id = bench._register(url)
            script = (
                f"cd {shm} && zip -qr {ready} case && "
                f"curl -sS --fail -H 'X-API-Key: {KEY}' -o /dev/null "
                f"-F 'file=@{ready};type=application/zip' {url}/tasks/{task_id}/input"
            )
            result = bench.run(["sh", "-c", script])
            bench._settle(url, task_id)
            return result

        cs, bs = bench.pairs(client, zip_curl)
        r = bench.ratios(cs, bs)
        table.add(
            f"upload of an OpenFOAM-like case ({label}), tmpfs",
            bench.spread([c.seconds for c in cs]),
            "zip -qr + curl -F " + bench.spread([b.seconds for b in bs]),
            bench.spread(r, unit="x"),
            "<= 1.0x",
            statistics.median(r) <= 1.0,
        )
        from inductiva._transfers import _upload

        ours = _upload.input_zip(case, {"duration": 0.0}).size
        table.add(
            "that upload: bytes sent",
            f"{ours / 1e6:.1f} MB",
            f"zip -qr {ready.stat().st_size / 1e6:.1f} MB",
            f"{ours / ready.stat().st_size:.2f}",
            "(diagnostic)",
            True,
        )
        shutil.rmtree(case)
        ready.unlink()

        print(f"creating a task whose output is a {CASE_FILES}-file case...", flush=True)
        task = _case_task(server, tmp, CASE_FILES, CASE_BYTES)
        size = bench.archive_size(task)
        dest = shm / "x"

        def download() -> Run:
            bench.fresh(dest)
            return bench.cli(url, "tasks", "download", task, "--dir", str(dest))()

        def curl_unzip() -> Run:
            bench.fresh(dest).mkdir()
            script = (
                f"curl -sS --fail -H 'X-API-Key: {KEY}' -o {dest}/o.zip {url}/tasks/{task}/output"
                f" && unzip -q -o {dest}/o.zip -d {dest} && rm {dest}/o.zip"
            )
            return bench.run(["sh", "-c", script])

        cs, bs = bench.pairs(download, curl_unzip)
        r = bench.ratios(cs, bs)
        table.add(
            f"download + extract of {CASE_FILES} members ({size / 1e6:.0f} MB zip), tmpfs",
            bench.spread([c.seconds for c in cs]),
            "curl + unzip " + bench.spread([b.seconds for b in bs]),
            bench.spread(r, unit="x"),
            "<= 1.0x",
            statistics.median(r) <= 1.0,
        )
    finally:
        shutil.rmtree(shm, ignore_errors=True)


def _rss_row(table: Table, what: str, runs: list[Run]) -> None:
    rss = max(r.rss_mb for r in runs)
    table.add(
        f"peak RSS, {MEMBERS} members: {what}",
        f"{rss:.0f} MB ({statistics.median(r.seconds for r in runs):.1f} s)",
        "-",
        "-",
        f"< {RSS_LIMIT_MB} MB",
        rss < RSS_LIMIT_MB,
    )


def bench_members(server: Any, legacy: Any, table: Table, tmp: Path) -> None:
    """Peak memory with an archive (and an input directory) of 300,000 members."""
    sys.path.insert(0, str(bench.ROOT / "mock_server"))
    from inductiva_mock.runners._case import write_case

    import inductiva

    n = 1 if QUICK else 2
    print(f"creating tasks whose output has {MEMBERS} members...", flush=True)
    task = _case_task(server, tmp, MEMBERS, MEMBERS_BYTES)
    shm = _shm("inductiva-members-")
    try:
        dest = shm / "x"
        modes: list[tuple[str, tuple[str, ...]]] = [
            ("full download, extracted", ()),
            ("full download, kept zipped (uncompress=False)", ("--no-uncompress",)),
            (f"partial download of {SELECTED}/ (byte ranges)", ("--filenames", SELECTED)),
        ]
        for what, extra in modes:
            runs = []
            for _ in range(n):
                bench.fresh(dest)
                runs.append(
                    bench.cli(server.url, "tasks", "download", task, "--dir", str(dest), *extra)()
                )
            _rss_row(table, what, runs)
        bench.fresh(dest)
        inductiva.api_url = legacy.url
        try:
            old = _case_task(legacy, tmp, MEMBERS, MEMBERS_BYTES)
        finally:
            inductiva.api_url = server.url
        runs = []
        for _ in range(n):
            bench.fresh(dest)
            args = ("tasks", "download", old, "--dir", str(dest), "--filenames", SELECTED)
            runs.append(bench.cli(legacy.url, *args)())
        _rss_row(table, f"partial download of {SELECTED}/ (?filename= subset, real API)", runs)
        bench.fresh(dest)
        src = shm / "in"
        write_case(src, MEMBERS, MEMBERS_BYTES)
        url = server.url

        def upload() -> Run:
            result = bench.run([PY, "-c", UPLOAD_CHILD, str(src)], env=bench.client_env(url))
            bench._settle(url, result.out.split()[0])
            return result

        _rss_row(table, "upload of a directory of as many files", [upload() for _ in range(n)])
    finally:
        shutil.rmtree(shm, ignore_errors=True)
