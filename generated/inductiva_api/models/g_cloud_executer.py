from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.g_cloud_executer_host_type import GCloudExecuterHostType
from ..types import UNSET, Unset

T = TypeVar("T", bound="GCloudExecuter")


@_attrs_define
class GCloudExecuter:
    """
    Attributes:
        uuid (str):
        cpu_count_logical (int):
        cpu_count_physical (int):
        memory (int):
        host_type (GCloudExecuterHostType):
        vm_type (str): Machine type, e.g. `c2-standard-8`.
        vm_name (str | Unset):
    """

    uuid: str
    cpu_count_logical: int
    cpu_count_physical: int
    memory: int
    host_type: GCloudExecuterHostType
    vm_type: str
    vm_name: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        uuid = self.uuid

        cpu_count_logical = self.cpu_count_logical

        cpu_count_physical = self.cpu_count_physical

        memory = self.memory

        host_type = self.host_type.value

        vm_type = self.vm_type

        vm_name = self.vm_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "uuid": uuid,
                "cpu_count_logical": cpu_count_logical,
                "cpu_count_physical": cpu_count_physical,
                "memory": memory,
                "host_type": host_type,
                "vm_type": vm_type,
            }
        )
        if vm_name is not UNSET:
            field_dict["vm_name"] = vm_name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        uuid = d.pop("uuid")

        cpu_count_logical = d.pop("cpu_count_logical")

        cpu_count_physical = d.pop("cpu_count_physical")

        memory = d.pop("memory")

        host_type = GCloudExecuterHostType(d.pop("host_type"))

        vm_type = d.pop("vm_type")

        vm_name = d.pop("vm_name", UNSET)

        g_cloud_executer = cls(
            uuid=uuid,
            cpu_count_logical=cpu_count_logical,
            cpu_count_physical=cpu_count_physical,
            memory=memory,
            host_type=host_type,
            vm_type=vm_type,
            vm_name=vm_name,
        )

        g_cloud_executer.additional_properties = d
        return g_cloud_executer

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
