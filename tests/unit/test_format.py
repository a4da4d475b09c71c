"""Rendering of sizes, dates, durations and the task table (no I/O)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator

import pytest
from task_fakes import executer_json, info_from

from inductiva._format import format_bytes, format_datetime, format_duration, render_task_table
from inductiva._task_info import TaskInfo

UTC = datetime.UTC


@pytest.fixture
def utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC for the duration of the test."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (191, "191 B"),
        (1023, "1023 B"),
        (1024, "1.00 KiB"),
        (141557, "138.24 KiB"),
        (17132, "16.73 KiB"),
        (3984589, "3.80 MiB"),
        (1760936591, "1.64 GiB"),
        (1024**2 - 1, "1.00 MiB"),
        (1024**5, "1.00 PiB"),
        (3 * 1024**6, "3.00 EiB"),
        (1024**8, "1.00 YiB"),
        (5000 * 1024**8, "5000.00 YiB"),
    ],
)
def test_format_bytes(size: int, text: str) -> None:
    """Binary units with two decimals, whole bytes as 'N B', no crash at PiB and beyond."""
    assert format_bytes(size) == text


def test_format_bytes_rejects_negative() -> None:
    """A negative size is a ValueError."""
    with pytest.raises(ValueError, match=">= 0"):
        format_bytes(-1)


def test_format_datetime_local_time(utc_local_time: None) -> None:
    """Dates render as '04 Aug, 12:06:17' in local time; None is 'n/a'."""
    moment = datetime.datetime(2023, 8, 4, 12, 6, 17, tzinfo=UTC)
    assert format_datetime(moment) == "04 Aug, 12:06:17"
    assert format_datetime(None) == "n/a"


def test_format_datetime_converts_timezones(utc_local_time: None) -> None:
    """An aware time in another zone is shown in local time."""
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    assert format_datetime(datetime.datetime(2023, 8, 4, 14, 6, 17, tzinfo=plus_two)) == (
        "04 Aug, 12:06:17"
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (113, "0h 1m 53s"),
        (113.4, "0h 1m 53s"),
        (0, "0h 0m 0s"),
        (3 * 3600 + 61, "3h 1m 1s"),
        (None, "n/a"),
    ],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    """Durations render as 'Hh Mm Ss', 'n/a' while unknown."""
    assert format_duration(seconds) == text


def _info(task_id: str, submitted: str, started: str, seconds: int, vm: str) -> TaskInfo:
    start = datetime.datetime.fromisoformat(f"2023-08-{started}+00:00")
    return info_from(
        task_id,
        "success",
        method_name="fvm.openfoam.run_simulation",
        create_time=f"2023-08-{submitted}+00:00",
        input_submit_time=f"2023-08-{submitted}+00:00",
        start_time=start.isoformat(),
        end_time=(start + datetime.timedelta(seconds=seconds)).isoformat(),
        executer=executer_json(vm),
    )


# The seed's rows, verbatim.
SEED_ROWS = (
    "  1691150776862178362        openfoam              success     04 Aug, 12:06:17"
    "     04 Aug, 12:06:18       0h 1m 53s      c2-standard-8\n"
    "  1691081881158823776        openfoam              success     03 Aug, 16:58:02"
    "     03 Aug, 16:58:02       0h 1m 20s     n2-standard-32"
)


def test_task_table_matches_the_seed(utc_local_time: None) -> None:
    """Rows render exactly like the seed's table, under a header aligned with them."""
    rows = [
        _info("1691150776862178362", "04T12:06:17", "04T12:06:18", 113, "c2-standard-8"),
        _info("1691081881158823776", "03T16:58:02", "03T16:58:02", 80, "n2-standard-32"),
    ]
    header, *lines = render_task_table(rows).splitlines()
    assert "\n".join(lines) == SEED_ROWS
    assert header == (
        "                   ID       Simulator               Status            Submitted"
        "              Started        Duration            VM Type"
    )


def test_task_table_unknowns_and_wide_cells(utc_local_time: None) -> None:
    """Missing values show 'n/a'; long cells widen their column instead of merging."""
    info = info_from(
        "7",
        "spot-instance-preempted-and-more",
        method_name="synthetic.run",
        create_time="2023-08-04T12:00:00+00:00",
        input_submit_time=None,
    )
    header, row = render_task_table([info]).splitlines()
    cells = row.split()
    assert cells[0:3] == ["7", "synthetic", "spot-instance-preempted-and-more"]
    assert cells[-3:] == ["n/a", "n/a", "n/a"]
    assert len(header) == len(row) and row.index("spot") > row.index("synthetic") + len("synthetic")


def test_task_table_without_any_times_shows_n_a(utc_local_time: None) -> None:
    """A task whose create_time (and every other time) is null shows 'n/a' as Submitted."""
    info = info_from(
        "8",
        "pending-input",
        method_name="fvm.openfoam.run_simulation",
        create_time=None,
        input_submit_time=None,
    )
    _, row = render_task_table([info]).splitlines()
    assert row.split()[3:] == ["n/a", "n/a", "n/a", "n/a"]
