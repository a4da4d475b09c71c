from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_status_code import TaskStatusCode

T = TypeVar("T", bound="TaskStatus")


@_attrs_define
class TaskStatus:
    """
    Attributes:
        id (str):
        status (str | TaskStatusCode): A TaskStatusCode, or a status this contract does not know yet (read
            tolerantly: on the wire it is the same string).
    """

    id: str
    status: str | TaskStatusCode
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status: str
        if isinstance(self.status, TaskStatusCode):
            status = self.status.value
        else:
            status = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        def _parse_status(data: object) -> str | TaskStatusCode:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_any_task_status_type_0 = TaskStatusCode(data)

                return componentsschemas_any_task_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(str | TaskStatusCode, data)

        status = _parse_status(d.pop("status"))

        task_status = cls(
            id=id,
            status=status,
        )

        task_status.additional_properties = d
        return task_status

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
