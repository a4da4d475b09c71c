"""inductiva._indicator: a blocking wait shows one line on a terminal's stderr (the status the
wait flow reports and the time waited), erased at the end; nothing when not on a terminal,
with progress off, or off the main thread."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from task_fakes import FakeApi, installed

import inductiva
from inductiva._indicator import WaitIndicator, elapsed_text


class Terminal(io.StringIO):
    """A stderr that is (or is not) a terminal."""

    def __init__(self, terminal: bool = True) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        """Whether this pretends to be a terminal."""
        return self.terminal


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """The in-memory API behind the default client, on simulated time."""
    yield from installed(monkeypatch)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (45.9, "45s"), (65, "1m 05s"), (7389, "2h 03m 09s")]
)
def test_elapsed_time_reads_like_a_clock(seconds: float, text: str) -> None:
    """Elapsed seconds read 45s, 1m 05s, 2h 03m 09s."""
    assert elapsed_text(seconds) == text


def test_the_line_is_redrawn_in_place_and_erased() -> None:
    """Each update redraws the line after a carriage return; stop() erases it."""
    stream, now = Terminal(), [100.0]
    indicator = WaitIndicator(stream, interval=3600, clock=lambda: now[0])
    indicator.update("7", "submitted")
    now[0] = 165.0
    indicator.update("7", "started")
    indicator.stop()
    assert stream.getvalue() == (
        "\rWaiting for task 7: submitted (0s)\x1b[K"
        "\rWaiting for task 7: started (1m 05s)\x1b[K"
        "\r\x1b[K"
    )


def test_wait_shows_each_status_on_a_terminal(
    fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """task.wait() on a terminal shows the statuses the wait saw, then erases the line."""
    stderr = Terminal()
    monkeypatch.setattr("sys.stderr", stderr)
    fake_api.add("5", "submitted", then=("started", "success"))
    assert inductiva.Task("5").wait() == "success"
    shown = stderr.getvalue()
    for status in ("submitted", "started", "success"):
        assert f"\rWaiting for task 5: {status} (" in shown
    assert shown.endswith("\r\x1b[K")


@pytest.mark.parametrize("why", ["not a terminal", "progress off", "worker thread"])
def test_nothing_is_printed_otherwise(
    fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    """Piped stderr, progress=False or a wait on another thread print nothing at all."""
    stderr = Terminal(terminal=why != "not a terminal")
    monkeypatch.setattr("sys.stderr", stderr)
    if why == "progress off":
        monkeypatch.setattr(inductiva, "progress", False)
    fake_api.add("5", "submitted", then=("started", "success"))
    results: list[str] = []
    if why == "worker thread":
        worker = threading.Thread(target=lambda: results.append(inductiva.Task("5").wait()))
        worker.start()
        worker.join()
    else:
        results.append(inductiva.Task("5").wait())
    assert results == ["success"] and stderr.getvalue() == ""


def test_blocking_run_shows_the_wait_too(
    fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blocking Synthetic().run() shows the wait's line; run_async=True shows none."""
    stderr = Terminal()
    monkeypatch.setattr("sys.stderr", stderr)
    monkeypatch.setattr(inductiva, "progress", None)
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "")
    register = fake_api._submit

    def finishing(request: object) -> object:
        answer = register(request)  # type: ignore[arg-type]
        fake_api.at(answer.json()["id"], fake_api.clock.now + 5, "success")
        return answer

    monkeypatch.setattr(fake_api, "_submit", finishing)
    task = inductiva.simulators.Synthetic().run(duration=1)
    assert f"Waiting for task {task.id}: success" in stderr.getvalue()
    stderr.seek(0)
    stderr.truncate()
    inductiva.simulators.Synthetic().run(duration=1, run_async=True)
    assert "Waiting" not in stderr.getvalue()
