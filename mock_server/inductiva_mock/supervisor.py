"""Running tasks as local subprocesses: queueing, concurrency, kill and restart recovery."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import sqlite3
import sys
import uuid
import zipfile
from collections import deque
from pathlib import Path
from typing import Any

# The spec's statuses and x-final-statuses, through codegen.
from inductiva_api.contract import FINAL_STATUSES, Status

from .archive import (
    ARTIFACTS,
    OUTPUT_JSON,
    OUTPUT_JSON_BODY,
    ExtractionRefused,
    build_output_archive,
    safe_extract,
)
from .config import Config
from .db import TaskStore, utc_now
from .events import StatusHub
from .runners import METHOD_RUNNERS  # the era's method names the mock simulates

__all__ = ["FINAL_STATUSES", "METHOD_RUNNERS", "Supervisor", "gcloud_executer", "runner_of"]

log = logging.getLogger("inductiva_mock")

INPUT_JSON = "input.json"
GIB = 1024**3
STATUS_WRITE_ATTEMPTS = 6


def runner_of(method: str) -> str:
    """The runner module simulating *method* (`unknown_method` for any other)."""
    return METHOD_RUNNERS.get(method, "unknown_method")


class Supervisor:
    """Owns the run queue and the runner subprocesses."""

    def __init__(self, cfg: Config, store: TaskStore, hub: StatusHub, data_dir: Path) -> None:
        self.cfg = cfg
        self.store = store
        self.hub = hub
        self.data_dir = data_dir
        self._queue: deque[str] = deque()
        self._running: dict[str, asyncio.subprocess.Process | None] = {}
        self._jobs: set[asyncio.Task[None]] = set()
        self._kill_requested: set[str] = set()
        # Tasks whose status an admin forced: their runner's outcome is ignored.
        self._forced: set[str] = set()
        # Tasks an admin made hang: `started` with no process, until killed.
        self._hung: set[str] = set()
        self._host = socket.gethostname()

    # -- paths -------------------------------------------------------------
    def task_dir(self, task_id: str) -> Path:
        """Directory holding a task's input, params, logs and working files."""
        return self.data_dir / "tasks" / task_id

    def output_archive(self, task_id: str) -> Path:
        """Where a task's output zip lives once complete."""
        return self.data_dir / "outputs" / f"{task_id}.zip"

    # -- status ------------------------------------------------------------
    def set_status(self, task_id: str, status: str, **fields: Any) -> None:
        """Persist a status change and wake long-polls."""
        self.store.update(task_id, status=status, **fields)
        self.hub.notify(task_id)

    # -- lifecycle ---------------------------------------------------------
    def recover(self) -> None:
        """After a restart: partial files removed, orphaned runs terminated, submitted re-queued."""
        _remove_partial_files(self.data_dir)
        for task in self.store.with_status([Status.STARTED, Status.PENDING_KILL]):
            if task.pid:
                _kill_stale_group(task.pid)
            final = (
                Status.KILLED if task.status == Status.PENDING_KILL else Status.EXECUTER_TERMINATED
            )
            self.set_status(task.id, final, end_time=utc_now(), pid=None)
        for task in self.store.with_status([Status.SUBMITTED]):
            self._queue.append(task.id)
        self._pump()

    async def shutdown(self) -> None:
        """Stop every runner (SIGKILL) and mark its task executer-terminated."""
        for task_id, proc in list(self._running.items()):
            if proc is not None and proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            task = self.store.get(task_id)
            if task is not None and task.status in (Status.STARTED, Status.PENDING_KILL):
                final = (
                    Status.KILLED
                    if task.status == Status.PENDING_KILL
                    else Status.EXECUTER_TERMINATED
                )
                self.set_status(task_id, final, end_time=utc_now(), pid=None)
        for job in list(self._jobs):
            job.cancel()
        self._queue.clear()

    def enqueue(self, task_id: str) -> None:
        """Queue a submitted task; it starts when a slot is free."""
        self._queue.append(task_id)
        self._pump()

    def _pump(self) -> None:
        while self._queue and len(self._running) < self.cfg.max_concurrent:
            task_id = self._queue.popleft()
            task = self.store.get(task_id)
            if task is None or task.status != Status.SUBMITTED:
                continue
            self._running[task_id] = None
            job = asyncio.get_running_loop().create_task(self._run(task_id))
            self._jobs.add(job)
            job.add_done_callback(self._jobs.discard)

    # -- kill --------------------------------------------------------------
    def kill(self, task_id: str) -> str:
        """Ask for a task to be killed; returns its status after the request.

        A task already in a final status keeps it (the real API answers it unchanged).
        """
        task = self.store.get(task_id)
        assert task is not None
        if task.status == Status.PENDING_KILL or task.status in FINAL_STATUSES:
            return task.status
        if task.status in (Status.PENDING_INPUT, Status.SUBMITTED):
            with contextlib.suppress(ValueError):
                self._queue.remove(task_id)
            self.set_status(task_id, Status.KILLED, end_time=utc_now())
            return Status.KILLED
        if task_id in self._hung:  # no process to stop: killed shortly after the request
            self._hung.discard(task_id)
            self.set_status(task_id, Status.PENDING_KILL)
            delay = min(self.cfg.kill_grace_seconds, 0.2)
            asyncio.get_running_loop().call_later(delay, self._killed_if_pending, task_id)
            return Status.PENDING_KILL
        # started (or any unknown non-final status): stop the process group.
        self._kill_requested.add(task_id)
        self.set_status(task_id, Status.PENDING_KILL)
        proc = self._running.get(task_id)
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            asyncio.get_running_loop().call_later(self.cfg.kill_grace_seconds, _force_kill, proc)
        return Status.PENDING_KILL

    def _killed_if_pending(self, task_id: str) -> None:
        task = self.store.get(task_id)
        if task is not None and task.status == Status.PENDING_KILL:
            self.set_status(task_id, Status.KILLED, end_time=utc_now(), pid=None)

    # -- admin: forcing outcomes and wiping state ----------------------------
    def force(self, task_id: str, status: str, archive: Path | None = None) -> None:
        """Give a task *status* now, whatever it was doing; `started` makes it hang.

        Its runner, if any, is killed and its outcome ignored; a queued task leaves the
        queue. A final *status* records *archive* (already at its place) as the outputs.
        """
        task = self.store.get(task_id)
        if task is None:
            raise KeyError(task_id)
        self._forced.add(task_id)
        with contextlib.suppress(ValueError):
            self._queue.remove(task_id)
        proc = self._running.get(task_id)
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        fields: dict[str, Any] = {"pid": None}
        now = utc_now()
        if task.input_submit_time is None:
            fields["input_submit_time"] = now
        if task.start_time is None:
            fields["start_time"] = now
            fields["executer"] = gcloud_executer(self.cfg, f"mock-{self._host}-forced")
        if status == Status.STARTED:
            self._hung.add(task_id)
            fields["end_time"] = None
        else:
            self._hung.discard(task_id)
            fields["end_time"] = now
            if archive is not None:
                fields.update(output_path=str(archive), output_size_bytes=archive.stat().st_size)
        self.set_status(task_id, status, **fields)

    async def reset(self) -> None:
        """Stop every runner, forget every task and delete their files (admin reset)."""
        for proc in list(self._running.values()):
            if proc is not None and proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        self._queue.clear()
        jobs = list(self._jobs)
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        for state in (self._running, self._kill_requested, self._forced, self._hung):
            state.clear()
        self.store.delete_all()
        for name in ("tasks", "outputs"):
            await asyncio.to_thread(shutil.rmtree, self.data_dir / name, True)

    # -- one run -----------------------------------------------------------
    async def _run(self, task_id: str) -> None:
        tdir = self.task_dir(task_id)
        work, out = tdir / "work", tdir / "output"
        stdout_path, stderr_path = tdir / "stdout.txt", tdir / "stderr.txt"
        try:
            task = self.store.get(task_id)
            assert task is not None
            try:
                sim_dir = await asyncio.to_thread(_prepare, tdir, work, out, task.params, self.cfg)
            except (ExtractionRefused, zipfile.BadZipFile) as exc:
                await self._fail(task_id, f"The input archive was refused: {exc}.")
                return
            task = self.store.get(task_id)
            if task is None or task.status != Status.SUBMITTED:
                shutil.rmtree(work, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
                return
            with stdout_path.open("wb") as so, stderr_path.open("wb") as se:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    f"inductiva_mock.runners.{runner_of(task.method)}",
                    "--input-dir",
                    str(sim_dir),
                    "--output-dir",
                    str(out),
                    "--params",
                    str(tdir / "params.json"),
                    "--method",
                    task.method,
                    cwd=sim_dir,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=so,
                    stderr=se,
                    start_new_session=True,
                    env=_child_env(),
                )
            self._running[task_id] = proc
            (tdir / "runner.pid").write_text(str(proc.pid))
            current = self.store.get(task_id)
            if current is None or current.status != Status.SUBMITTED:
                # Killed while the process was being spawned: it never counts as started.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
                return
            self.set_status(
                task_id,
                Status.STARTED,
                start_time=utc_now(),
                pid=proc.pid,
                executer=gcloud_executer(self.cfg, f"mock-{self._host}-{proc.pid}"),
            )
            code = await proc.wait()
            if task_id in self._forced:
                return
            killed = task_id in self._kill_requested
            dest = self.output_archive(task_id)
            size, produced = await asyncio.to_thread(
                build_output_archive, stdout_path, stderr_path, out, dest
            )
            if task_id in self._forced:
                return
            fields: dict[str, Any] = {"end_time": utc_now(), "pid": None}
            if killed and not produced:
                dest.unlink(missing_ok=True)
            else:
                fields.update(output_path=str(dest), output_size_bytes=size)
            status = Status.KILLED if killed else (Status.SUCCESS if code == 0 else Status.FAILED)
            self.set_status(task_id, status, **fields)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # disk full, database error, ...: the task fails, never sticks
            if task_id not in self._forced:
                log.warning("task %s failed in the mock: %r", task_id, exc)
                await self._fail(task_id, f"The mock server could not run the task: {exc}")
        finally:
            self._running.pop(task_id, None)
            self._kill_requested.discard(task_id)
            self._forced.discard(task_id)
            await asyncio.to_thread(_cleanup, tdir)
            self._pump()

    async def _fail(self, task_id: str, message: str) -> None:
        """End a task `executer-failed`, *message* in its stderr.txt, whatever else fails.

        Its process is stopped and its working files deleted first (freeing the disk a
        full disk needs for the status write); the status write is retried with backoff.
        """
        proc = self._running.get(task_id)
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        tdir = self.task_dir(task_id)
        await asyncio.to_thread(_cleanup, tdir)
        (tdir / "input.zip").unlink(missing_ok=True)
        fields: dict[str, Any] = {"end_time": utc_now(), "pid": None}
        dest = self.output_archive(task_id)
        try:
            size = await asyncio.to_thread(message_archive, dest, "", message + "\n")
            fields.update(output_path=str(dest), output_size_bytes=size)
        except OSError as exc:
            log.warning("task %s: no output archive for its failure: %s", task_id, exc)
        for attempt in range(STATUS_WRITE_ATTEMPTS):
            try:
                self.set_status(task_id, Status.EXECUTER_FAILED, **fields)
                return
            except sqlite3.Error as exc:
                log.warning("task %s: status write failed (%s), retrying", task_id, exc)
                await asyncio.sleep(0.1 * 2**attempt)
        log.error(
            "task %s could not be marked executer-failed: the database is unwritable", task_id
        )


def gcloud_executer(cfg: Config, vm_name: str) -> dict[str, Any]:
    """The `GCloudExecuter` a started task reports."""
    return {
        "uuid": str(uuid.uuid4()),
        "cpu_count_logical": cfg.n_vcpus,
        "cpu_count_physical": max(1, cfg.n_vcpus // 2),
        "memory": cfg.n_vcpus * 4 * GIB,
        "host_type": "gcloud",
        "vm_type": cfg.vm_type,
        "vm_name": vm_name,
    }


def message_archive(
    dest: Path, stdout: str, stderr: str, files: dict[str, str] | None = None
) -> int:
    """Write an output archive of the real layout holding *stdout*, *stderr* and *files*.

    Written under a temporary name and renamed into place; returns its size.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{dest.name}.{uuid.uuid4().hex}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(OUTPUT_JSON, OUTPUT_JSON_BODY)
            zf.writestr(ARTIFACTS + "stdout.txt", stdout)
            zf.writestr(ARTIFACTS + "stderr.txt", stderr)
            for name, body in (files or {}).items():
                zf.writestr(ARTIFACTS + name, body)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest.stat().st_size


def _prepare(tdir: Path, work: Path, out: Path, params: dict[str, Any], cfg: Config) -> Path:
    """Extract the input zip; write the params the runner gets; return its sim_dir.

    The params come from the zip's `input.json` (falling back to the submit
    request's); the sim_dir is the folder its `sim_dir` parameter names in the
    zip (the zip's root when there is none).
    """
    for d in (work, out):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    archive = tdir / "input.zip"
    if archive.exists():
        safe_extract(archive, work, cfg.max_extract_bytes, cfg.max_compression_ratio)
    input_json = work / INPUT_JSON
    if input_json.is_file():
        try:
            loaded = json.loads(input_json.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            loaded = None
        if isinstance(loaded, dict):
            params = loaded
        input_json.unlink()
    sim_dir = work
    name = params.get("sim_dir")
    if isinstance(name, str) and name:
        candidate = (work / name).resolve()
        if candidate.is_relative_to(work.resolve()) and candidate.is_dir():
            sim_dir = candidate
    (tdir / "params.json").write_text(json.dumps(params))
    return sim_dir


def _cleanup(tdir: Path) -> None:
    for name in ("work", "output"):
        shutil.rmtree(tdir / name, ignore_errors=True)
    for name in ("stdout.txt", "stderr.txt"):
        (tdir / name).unlink(missing_ok=True)


def _remove_partial_files(data_dir: Path) -> None:
    """Delete uploads and archives a crashed server left half-written."""
    for pattern in ("outputs/*.tmp", "tasks/*/input.*.part"):
        for path in data_dir.glob(pattern):
            path.unlink(missing_ok=True)


def _force_kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    pkg_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_root, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _kill_stale_group(pid: int) -> None:
    """SIGKILL a runner left over by a crashed server, if that pid is still one of ours."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    if b"inductiva_mock.runners" in cmdline:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
