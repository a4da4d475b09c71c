from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_status_code import TaskStatusCode
from ..types import UNSET, Unset

T = TypeVar("T", bound="KnownTaskStatus")


@_attrs_define
class KnownTaskStatus:
    """
    Attributes:
        id (str):
        last_status (TaskStatusCode | Unset): `pending-input`, `submitted`, `started` and `pending-kill` are not
            final; the others are (`x-final-statuses`). Clients must accept values
            added later, and treat a value they do not know as not final.
    """

    id: str
    last_status: TaskStatusCode | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        last_status: str | Unset = UNSET
        if not isinstance(self.last_status, Unset):
            last_status = self.last_status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
            }
        )
        if last_status is not UNSET:
            field_dict["last_status"] = last_status

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        _last_status = d.pop("last_status", UNSET)
        last_status: TaskStatusCode | Unset
        if isinstance(_last_status, Unset):
            last_status = UNSET
        else:
            last_status = TaskStatusCode(_last_status)

        known_task_status = cls(
            id=id,
            last_status=last_status,
        )

        known_task_status.additional_properties = d
        return known_task_status

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
