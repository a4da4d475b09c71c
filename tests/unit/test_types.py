"""inductiva._types: TaskStatus from the contract, and Task generic over its output class."""

from __future__ import annotations

from typing import get_args

from inductiva_api.models import TaskStatusCode
from task_fakes import info_from

import inductiva
from inductiva._types import KNOWN_STATUSES
from inductiva.task import OutputT


def test_task_status_literal_is_the_generated_enum() -> None:
    """TaskStatus lists exactly the generated TaskStatusCode values (new ones flow from codegen)."""
    assert set(get_args(inductiva.TaskStatus)) == {s.value for s in TaskStatusCode}
    assert set(KNOWN_STATUSES) == {s.value for s in TaskStatusCode}


def test_unknown_status_passes_at_run_time() -> None:
    """A status the contract does not know yet is returned as the plain string."""
    info = info_from("1", "brand-new-status", method_name="a.b.c")
    assert info.status == "brand-new-status"


def test_task_output_type_defaults_to_task_output() -> None:
    """Task[OutputT] defaults to TaskOutput (get_output's class: see test_task)."""
    assert OutputT.__default__ is inductiva.task.TaskOutput  # type: ignore[attr-defined]
