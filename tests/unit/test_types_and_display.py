"""TaskStatus from the contract, typed outputs, and notebook display (_repr_html_)."""

from __future__ import annotations

from typing import get_args

from inductiva_api.models import TaskStatusCode
from task_fakes import info_from

import inductiva
from inductiva import OutputFile, OutputInfo, Task, TaskInfo, TaskList
from inductiva._types import KNOWN_STATUSES
from inductiva.molecules import ProteinSolvationOutput
from inductiva.task import OutputT


def test_task_status_literal_is_the_generated_enum() -> None:
    """TaskStatus lists exactly the generated TaskStatusCode values (new ones flow from codegen)."""
    assert set(get_args(inductiva.TaskStatus)) == {s.value for s in TaskStatusCode}
    assert set(KNOWN_STATUSES) == {s.value for s in TaskStatusCode}


def test_unknown_status_passes_at_run_time() -> None:
    """A status the contract does not know yet is returned as the plain string."""
    info = info_from("1", "brand-new-status", method_name="a.b.c")
    assert info.status == "brand-new-status"


def test_task_is_generic_over_its_output() -> None:
    """Task[OutputT] defaults to TaskOutput; an explicit output class is what get_output builds."""
    assert OutputT.__default__ is inductiva.task.TaskOutput  # type: ignore[attr-defined]
    task = Task("1", output=ProteinSolvationOutput)
    output = task._output_object(__import__("pathlib").Path("."))
    assert isinstance(output, ProteinSolvationOutput)


def _info() -> TaskInfo:
    return info_from("42", "success", method_name="fvm.openfoam.run_simulation")


def test_output_info_html_and_text() -> None:
    """OutputInfo has an HTML table for notebooks; its text form is unchanged."""
    info = OutputInfo(size=2048, contents=(OutputFile("a<b>.txt", 1024, 512),))
    html = info._repr_html_()
    assert "<table" in html and "a&lt;b&gt;.txt" in html and "2.00 KiB" in html
    assert str(info).startswith("Archive size: 2.00 KiB\nContents:")


def test_task_info_and_task_html() -> None:
    """TaskInfo and Task render as HTML tables; the plain repr is unchanged."""
    assert "fvm.openfoam.run_simulation" in _info()._repr_html_()
    task = Task.from_info(_info())
    assert "success" in task._repr_html_() and "<table" in task._repr_html_()
    assert repr(task) == "Task(id='42', status='success')"
    assert "42" in Task("43")._repr_html_().replace("43", "42")


def test_task_list_is_a_list_with_html() -> None:
    """tasks.get() returns a TaskList: still a list, displayed as the task table."""
    tasks = TaskList([Task.from_info(_info()), Task("7")])
    assert isinstance(tasks, list) and len(tasks) == 2
    html = tasks._repr_html_()
    assert html.count("<tr>") == 3 and "openfoam" in html and "<td>7</td>" in html
