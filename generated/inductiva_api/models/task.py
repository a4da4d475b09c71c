from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_status import TaskStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.executer import Executer


T = TypeVar("T", bound="Task")


@_attrs_define
class Task:
    """
    Attributes:
        id (str):  Example: 1691150776862178362.
        status (str | TaskStatus): A TaskStatus, or a status this contract does not know yet.
        method_name (str):  Example: fvm.openfoam.run_simulation.
        create_time (datetime.datetime):
        resource_pool (None | str | Unset):
        input_submit_time (datetime.datetime | None | Unset):
        start_time (datetime.datetime | None | Unset):
        end_time (datetime.datetime | None | Unset):
        executer (Executer | None | Unset): Null (or absent) until the task starts.
        input_size_bytes (int | None | Unset):
        output_size_bytes (int | None | Unset):
    """

    id: str
    status: str | TaskStatus
    method_name: str
    create_time: datetime.datetime
    resource_pool: None | str | Unset = UNSET
    input_submit_time: datetime.datetime | None | Unset = UNSET
    start_time: datetime.datetime | None | Unset = UNSET
    end_time: datetime.datetime | None | Unset = UNSET
    executer: Executer | None | Unset = UNSET
    input_size_bytes: int | None | Unset = UNSET
    output_size_bytes: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.executer import Executer

        id = self.id

        status: str
        if isinstance(self.status, TaskStatus):
            status = self.status.value
        else:
            status = self.status

        method_name = self.method_name

        create_time = self.create_time.isoformat()

        resource_pool: None | str | Unset
        if isinstance(self.resource_pool, Unset):
            resource_pool = UNSET
        else:
            resource_pool = self.resource_pool

        input_submit_time: None | str | Unset
        if isinstance(self.input_submit_time, Unset):
            input_submit_time = UNSET
        elif isinstance(self.input_submit_time, datetime.datetime):
            input_submit_time = self.input_submit_time.isoformat()
        else:
            input_submit_time = self.input_submit_time

        start_time: None | str | Unset
        if isinstance(self.start_time, Unset):
            start_time = UNSET
        elif isinstance(self.start_time, datetime.datetime):
            start_time = self.start_time.isoformat()
        else:
            start_time = self.start_time

        end_time: None | str | Unset
        if isinstance(self.end_time, Unset):
            end_time = UNSET
        elif isinstance(self.end_time, datetime.datetime):
            end_time = self.end_time.isoformat()
        else:
            end_time = self.end_time

        executer: dict[str, Any] | None | Unset
        if isinstance(self.executer, Unset):
            executer = UNSET
        elif isinstance(self.executer, Executer):
            executer = self.executer.to_dict()
        else:
            executer = self.executer

        input_size_bytes: int | None | Unset
        if isinstance(self.input_size_bytes, Unset):
            input_size_bytes = UNSET
        else:
            input_size_bytes = self.input_size_bytes

        output_size_bytes: int | None | Unset
        if isinstance(self.output_size_bytes, Unset):
            output_size_bytes = UNSET
        else:
            output_size_bytes = self.output_size_bytes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
                "method_name": method_name,
                "create_time": create_time,
            }
        )
        if resource_pool is not UNSET:
            field_dict["resource_pool"] = resource_pool
        if input_submit_time is not UNSET:
            field_dict["input_submit_time"] = input_submit_time
        if start_time is not UNSET:
            field_dict["start_time"] = start_time
        if end_time is not UNSET:
            field_dict["end_time"] = end_time
        if executer is not UNSET:
            field_dict["executer"] = executer
        if input_size_bytes is not UNSET:
            field_dict["input_size_bytes"] = input_size_bytes
        if output_size_bytes is not UNSET:
            field_dict["output_size_bytes"] = output_size_bytes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.executer import Executer

        d = dict(src_dict)
        id = d.pop("id")

        def _parse_status(data: object) -> str | TaskStatus:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_any_task_status_type_0 = TaskStatus(data)

                return componentsschemas_any_task_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(str | TaskStatus, data)

        status = _parse_status(d.pop("status"))

        method_name = d.pop("method_name")

        create_time = datetime.datetime.fromisoformat(d.pop("create_time"))

        def _parse_resource_pool(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        resource_pool = _parse_resource_pool(d.pop("resource_pool", UNSET))

        def _parse_input_submit_time(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                input_submit_time_type_0 = datetime.datetime.fromisoformat(data)

                return input_submit_time_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        input_submit_time = _parse_input_submit_time(d.pop("input_submit_time", UNSET))

        def _parse_start_time(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                start_time_type_0 = datetime.datetime.fromisoformat(data)

                return start_time_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        start_time = _parse_start_time(d.pop("start_time", UNSET))

        def _parse_end_time(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                end_time_type_0 = datetime.datetime.fromisoformat(data)

                return end_time_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        end_time = _parse_end_time(d.pop("end_time", UNSET))

        def _parse_executer(data: object) -> Executer | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                executer_type_0 = Executer.from_dict(data)

                return executer_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Executer | None | Unset, data)

        executer = _parse_executer(d.pop("executer", UNSET))

        def _parse_input_size_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        input_size_bytes = _parse_input_size_bytes(d.pop("input_size_bytes", UNSET))

        def _parse_output_size_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        output_size_bytes = _parse_output_size_bytes(d.pop("output_size_bytes", UNSET))

        task = cls(
            id=id,
            status=status,
            method_name=method_name,
            create_time=create_time,
            resource_pool=resource_pool,
            input_submit_time=input_submit_time,
            start_time=start_time,
            end_time=end_time,
            executer=executer,
            input_size_bytes=input_size_bytes,
            output_size_bytes=output_size_bytes,
        )

        task.additional_properties = d
        return task

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
