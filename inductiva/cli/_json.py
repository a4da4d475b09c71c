"""The ``--json`` output of the ``tasks`` commands: stable field names for scripts.

Times are ISO 8601 with a UTC offset (or null), sizes in bytes, durations in
seconds. New fields may be added; existing ones keep their names and meaning.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from inductiva._task_info import TaskInfo
from inductiva.output_info import OutputInfo

__all__ = ["dumps", "output_info_json", "task_json"]


def _time(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def task_json(info: TaskInfo) -> dict[str, Any]:
    """A task: ``id``, ``status``, ``method_name``, ``simulator``, the four times,
    ``execution_time``, ``vm_type``, ``host_type``, ``cpu_count_logical``,
    ``cpu_count_physical``, ``memory``."""
    return {
        "id": info.id,
        "status": info.status,
        "method_name": info.method_name,
        "simulator": info.simulator,
        "create_time": _time(info.create_time),
        "input_submit_time": _time(info.input_submit_time),
        "start_time": _time(info.start_time),
        "end_time": _time(info.end_time),
        "execution_time": info.execution_time,
        "vm_type": info.vm_type,
        "host_type": info.host_type,
        "cpu_count_logical": info.cpu_count_logical,
        "cpu_count_physical": info.cpu_count_physical,
        "memory": info.memory,
    }


def output_info_json(task_id: str, info: OutputInfo) -> dict[str, Any]:
    """The output archive: ``id``, ``size``, ``total_size`` and ``files`` (``name``,
    ``size``, ``compressed_size``)."""
    return {
        "id": task_id,
        "size": info.size,
        "total_size": info.total_size,
        "files": [
            {"name": f.name, "size": f.size, "compressed_size": f.compressed_size}
            for f in info.contents
        ],
    }


def dumps(document: dict[str, Any]) -> str:
    """One line of JSON; characters a terminal could act on (DEL, C1 controls...) as ``\\uXXXX``.

    ``json.dumps`` escapes the C0 controls; the rest of the unprintable characters
    (only ever inside strings) are escaped here, so server text cannot drive the terminal.
    """
    text = json.dumps(document, ensure_ascii=False, default=str)
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    return json.dumps(ch, ensure_ascii=True)[1:-1]  # a surrogate pair
