"""State survives a restart; running tasks become executer-terminated."""

from __future__ import annotations

from inductiva_mock.launcher import MockServer
from mock_helpers import client_for, submit, wait_final, wait_status


def test_restart_keeps_tasks_statuses_and_outputs() -> None:
    """After .restart() tasks, statuses and outputs are still there."""
    with (
        MockServer(api_keys=["k"], extra_args=["--max-concurrent", "1"]) as s,
        client_for(s, "k") as c,
    ):
        done = submit(c, "synthetic.run", {"stdout": "persisted"})
        assert wait_final(c, done) == "success"
        body = c.get(f"/tasks/{done}/output").content
        running = submit(c, "synthetic.run", {"duration": 60})
        wait_status(c, running, "started")
        queued = submit(c, "synthetic.run", {"stdout": "later"})
        pending = submit(c, "synthetic.run", {}, upload=False)
        s.restart()
        assert c.get(f"/tasks/{done}").json()["status"] == "success"
        assert c.get(f"/tasks/{done}/output").content == body
        assert c.get(f"/tasks/{running}").json()["status"] == "executer-terminated"
        assert c.get(f"/tasks/{pending}").json()["status"] == "pending-input"
        assert wait_final(c, queued) == "success"
        ids = [t["id"] for t in c.get("/tasks").json()["tasks"]]
        assert ids == [pending, queued, running, done]
