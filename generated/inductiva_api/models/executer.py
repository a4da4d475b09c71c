from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Executer")


@_attrs_define
class Executer:
    """Where a task ran.

    Attributes:
        host_type (str): Kind of host, e.g. `gcp` or `local`.
        vm_type (None | str | Unset): Machine type, e.g. `c2-standard-8`.
        vm_name (None | str | Unset):
        n_vcpus (int | None | Unset):
    """

    host_type: str
    vm_type: None | str | Unset = UNSET
    vm_name: None | str | Unset = UNSET
    n_vcpus: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        host_type = self.host_type

        vm_type: None | str | Unset
        if isinstance(self.vm_type, Unset):
            vm_type = UNSET
        else:
            vm_type = self.vm_type

        vm_name: None | str | Unset
        if isinstance(self.vm_name, Unset):
            vm_name = UNSET
        else:
            vm_name = self.vm_name

        n_vcpus: int | None | Unset
        if isinstance(self.n_vcpus, Unset):
            n_vcpus = UNSET
        else:
            n_vcpus = self.n_vcpus

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "host_type": host_type,
            }
        )
        if vm_type is not UNSET:
            field_dict["vm_type"] = vm_type
        if vm_name is not UNSET:
            field_dict["vm_name"] = vm_name
        if n_vcpus is not UNSET:
            field_dict["n_vcpus"] = n_vcpus

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        host_type = d.pop("host_type")

        def _parse_vm_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        vm_type = _parse_vm_type(d.pop("vm_type", UNSET))

        def _parse_vm_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        vm_name = _parse_vm_name(d.pop("vm_name", UNSET))

        def _parse_n_vcpus(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        n_vcpus = _parse_n_vcpus(d.pop("n_vcpus", UNSET))

        executer = cls(
            host_type=host_type,
            vm_type=vm_type,
            vm_name=vm_name,
            n_vcpus=n_vcpus,
        )

        executer.additional_properties = d
        return executer

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
