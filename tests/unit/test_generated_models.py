"""The generated models are the single source of truth of TaskInfo, OutputInfo and OutputFile."""

from __future__ import annotations

import datetime

from inductiva_api.models import FileInfo, OutputArchiveInfo
from inductiva_api.models import Task as TaskModel

from inductiva import OutputFile, OutputInfo, TaskInfo
from inductiva._render import render_task_info

WIRE = {
    "task_id": "1691150776862178362",
    "status": "success",
    "method_name": "fvm.openfoam.run_simulation",
    "create_time": "2023-08-04T12:06:17",
    "start_time": "2023-08-04T12:06:18+00:00",
    "end_time": "2023-08-04T12:08:11+00:00",
    "executer": {
        "uuid": "5f0e8f3c",
        "cpu_count_logical": 8,
        "cpu_count_physical": 4,
        "memory": 32 * 1024**3,
        "host_type": "gcloud",
        "vm_type": "c2-standard-8",
        "vm_name": "vm-1",
    },
    "cost_usd": 1.25,
}


def test_task_info_exposes_every_model_field_and_extras() -> None:
    """TaskInfo reads declared fields and unknown extra properties from the model, no list."""
    info = TaskInfo.from_model(TaskModel.from_dict(WIRE))
    assert info.cost_usd == 1.25  # an extra property, not in the contract
    fields = info.fields()
    assert list(fields)[:3] == ["task_id", "status", "method_name"]
    assert fields["cost_usd"] == 1.25 and fields["executer"]["vm_name"] == "vm-1"
    assert "input_submit_time" not in fields  # left out by the API
    assert info.as_dict() == WIRE


def test_task_info_friendly_views_come_from_the_model() -> None:
    """id, status text, simulator, machine, CPUs, memory, aware times and duration are derived."""
    info = TaskInfo(TaskModel.from_dict(WIRE))
    assert (info.id, info.status, info.simulator) == (WIRE["task_id"], "success", "openfoam")
    assert (info.vm_type, info.host_type, info.memory) == ("c2-standard-8", "gcloud", 32 * 1024**3)
    assert (info.cpu_count_logical, info.cpu_count_physical) == (8, 4)
    assert info.create_time == datetime.datetime(2023, 8, 4, 12, 6, 17, tzinfo=datetime.UTC)
    assert info.input_submit_time is None and info.execution_time == 113.0


def test_task_info_datetimes_are_parsed_by_the_generated_model() -> None:
    """The times TaskInfo shows are the generated model's datetime objects, made aware."""
    model = TaskModel.from_dict(WIRE)
    assert isinstance(model.start_time, datetime.datetime)
    assert TaskInfo(model).start_time == model.start_time


def test_tasks_info_shows_new_and_extra_fields() -> None:
    """`tasks info` prints every field the friendly rows do not cover, by its API name."""
    text = render_task_info(TaskInfo(TaskModel.from_dict(WIRE)))
    rows = {k: v.strip() for k, v in (line.split(":", 1) for line in text.splitlines())}
    assert rows["cost_usd"] == "1.25"
    assert rows["executer.uuid"] == "5f0e8f3c" and rows["executer.vm_name"] == "vm-1"
    assert rows["Machine type"] == "c2-standard-8 (host: gcloud)"


def test_output_info_and_files_expose_model_fields_and_extras() -> None:
    """OutputInfo/OutputFile wrap the generated models: extra properties are attributes too."""
    model = OutputArchiveInfo.from_dict(
        {"size": 9, "contents": [{"name": "a", "size": 3, "compressed_size": 2, "crc": 7}]}
    )
    model.additional_properties["etag"] = "x"
    info = OutputInfo.from_model(model)
    assert info.etag == "x" and info.contents[0].crc == 7
    assert info.contents[0] == OutputFile(FileInfo.from_dict(model.contents[0].to_dict()))
    assert info.fields()["contents"][0] == {"name": "a", "size": 3, "compressed_size": 2, "crc": 7}
