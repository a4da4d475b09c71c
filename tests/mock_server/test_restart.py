"""State survives a restart; running tasks become executer-terminated."""

from __future__ import annotations

import os
import signal
import time

from inductiva_mock.launcher import MockServer
from mock_helpers import SYNTHETIC, client_for, process_alive, submit, wait_final, wait_status


def test_restart_keeps_tasks_statuses_and_outputs() -> None:
    """After .restart() tasks, statuses and outputs are still there."""
    with (
        MockServer(api_keys=["k"], extra_args=["--max-concurrent", "1"]) as s,
        client_for(s, "k") as c,
    ):
        done = submit(c, SYNTHETIC, {"stdout": "persisted"})
        assert wait_final(c, done) == "success"
        body = c.get(f"/tasks/{done}/output").content
        running = submit(c, SYNTHETIC, {"duration": 60})
        wait_status(c, running, "started")
        queued = submit(c, SYNTHETIC, {"stdout": "later"})
        pending = submit(c, SYNTHETIC, {}, upload=False)
        s.restart()
        assert c.get(f"/tasks/{done}").json()["status"] == "success"
        assert c.get(f"/tasks/{done}/output").content == body
        assert c.get(f"/tasks/{running}").json()["status"] == "executer-terminated"
        assert c.get(f"/tasks/{pending}").json()["status"] == "pending-input"
        assert wait_final(c, queued) == "success"
        ids = [t["task_id"] for t in c.get("/tasks").json()]
        assert ids == [pending, queued, running, done]


def test_crash_recovery_terminates_orphaned_runner() -> None:
    """After a SIGKILLed server restarts: orphaned runner killed, task ended, partials gone."""
    with (
        MockServer(api_keys=["k"]) as s,
        client_for(s, "k") as c,
    ):
        running = submit(c, SYNTHETIC, {"duration": 60})
        wait_status(c, running, "started")
        runner = int((s.data_dir / "tasks" / running / "runner.pid").read_text())
        assert s.pid is not None
        os.kill(s.pid, signal.SIGKILL)
        assert process_alive(runner)  # its own session: the runner outlives the server
        partial = [
            s.data_dir / "outputs" / f"{running}.zip.tmp",
            s.data_dir / "tasks" / running / "input.0123abcd.part",
        ]
        for path in partial:  # as if the crash interrupted an archive and an upload
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"half")
        s.restart()
        assert not any(path.exists() for path in partial)
        task = c.get(f"/tasks/{running}").json()
        assert task["status"] == "executer-terminated" and task["end_time"] is not None
        deadline = time.monotonic() + 10
        while process_alive(runner):
            assert time.monotonic() < deadline, f"orphaned runner {runner} still alive"
            time.sleep(0.05)
        assert c.get(f"/tasks/{running}/output").status_code == 409
