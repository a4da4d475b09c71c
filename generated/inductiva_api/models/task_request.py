from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.task_request_params import TaskRequestParams


T = TypeVar("T", bound="TaskRequest")


@_attrs_define
class TaskRequest:
    """
    Attributes:
        method (str): Dotted simulator method, e.g. `fvm.openfoam.run_simulation`.
        params (TaskRequestParams): The method's parameters (JSON); a directory parameter's value is its folder name in
            the input zip.
        resource_pool (None | str | Unset): Id of a resource pool of the caller's, or null for the shared pool.
    """

    method: str
    params: TaskRequestParams
    resource_pool: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        method = self.method

        params = self.params.to_dict()

        resource_pool: None | str | Unset
        if isinstance(self.resource_pool, Unset):
            resource_pool = UNSET
        else:
            resource_pool = self.resource_pool

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "method": method,
                "params": params,
            }
        )
        if resource_pool is not UNSET:
            field_dict["resource_pool"] = resource_pool

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.task_request_params import TaskRequestParams

        d = dict(src_dict)
        method = d.pop("method")

        params = TaskRequestParams.from_dict(d.pop("params"))

        def _parse_resource_pool(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        resource_pool = _parse_resource_pool(d.pop("resource_pool", UNSET))

        task_request = cls(
            method=method,
            params=params,
            resource_pool=resource_pool,
        )

        task_request.additional_properties = d
        return task_request

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
