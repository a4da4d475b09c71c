"""inductiva._html: notebook display (_repr_html_) of outputs, task information, tasks and lists."""

from __future__ import annotations

from task_fakes import info_from

from inductiva import OutputFile, OutputInfo, Task, TaskInfo, TaskList


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
