from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.known_task_status import KnownTaskStatus


T = TypeVar("T", bound="TaskStatusesRequest")


@_attrs_define
class TaskStatusesRequest:
    """
    Attributes:
        tasks (list[KnownTaskStatus]):
        wait_seconds (float | Unset): Longest time to hold the response. Default: 0.0.
    """

    tasks: list[KnownTaskStatus]
    wait_seconds: float | Unset = 0.0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        tasks = []
        for tasks_item_data in self.tasks:
            tasks_item = tasks_item_data.to_dict()
            tasks.append(tasks_item)

        wait_seconds = self.wait_seconds

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "tasks": tasks,
            }
        )
        if wait_seconds is not UNSET:
            field_dict["wait_seconds"] = wait_seconds

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.known_task_status import KnownTaskStatus

        d = dict(src_dict)
        tasks = []
        _tasks = d.pop("tasks")
        for tasks_item_data in _tasks:
            tasks_item = KnownTaskStatus.from_dict(tasks_item_data)

            tasks.append(tasks_item)

        wait_seconds = d.pop("wait_seconds", UNSET)

        task_statuses_request = cls(
            tasks=tasks,
            wait_seconds=wait_seconds,
        )

        task_statuses_request.additional_properties = d
        return task_statuses_request

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
