from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_status_code import TaskStatusCode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.g_cloud_executer import GCloudExecuter
    from ..models.inductiva_executer import InductivaExecuter


T = TypeVar("T", bound="Task")


@_attrs_define
class Task:
    """
    Attributes:
        task_id (str):  Example: 1691150776862178362.
        status (str | TaskStatusCode): A TaskStatusCode, or a status this contract does not know yet (read
            tolerantly: on the wire it is the same string).
        method_name (str):  Example: fvm.openfoam.run_simulation.
        create_time (datetime.datetime | None | Unset):
        input_submit_time (datetime.datetime | None | Unset):
        start_time (datetime.datetime | None | Unset):
        end_time (datetime.datetime | None | Unset):
        executer (GCloudExecuter | InductivaExecuter | None | Unset): Where the task runs or ran; null (or absent) until
            it starts.
    """

    task_id: str
    status: str | TaskStatusCode
    method_name: str
    create_time: datetime.datetime | None | Unset = UNSET
    input_submit_time: datetime.datetime | None | Unset = UNSET
    start_time: datetime.datetime | None | Unset = UNSET
    end_time: datetime.datetime | None | Unset = UNSET
    executer: GCloudExecuter | InductivaExecuter | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.g_cloud_executer import GCloudExecuter
        from ..models.inductiva_executer import InductivaExecuter

        task_id = self.task_id

        status: str
        if isinstance(self.status, TaskStatusCode):
            status = self.status.value
        else:
            status = self.status

        method_name = self.method_name

        create_time: None | str | Unset
        if isinstance(self.create_time, Unset):
            create_time = UNSET
        elif isinstance(self.create_time, datetime.datetime):
            create_time = self.create_time.isoformat()
        else:
            create_time = self.create_time

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
        elif isinstance(self.executer, GCloudExecuter) or isinstance(
            self.executer, InductivaExecuter
        ):
            executer = self.executer.to_dict()
        else:
            executer = self.executer

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "task_id": task_id,
                "status": status,
                "method_name": method_name,
            }
        )
        if create_time is not UNSET:
            field_dict["create_time"] = create_time
        if input_submit_time is not UNSET:
            field_dict["input_submit_time"] = input_submit_time
        if start_time is not UNSET:
            field_dict["start_time"] = start_time
        if end_time is not UNSET:
            field_dict["end_time"] = end_time
        if executer is not UNSET:
            field_dict["executer"] = executer

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.g_cloud_executer import GCloudExecuter
        from ..models.inductiva_executer import InductivaExecuter

        d = dict(src_dict)
        task_id = d.pop("task_id")

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

        method_name = d.pop("method_name")

        def _parse_create_time(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                create_time_type_0 = datetime.datetime.fromisoformat(data)

                return create_time_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        create_time = _parse_create_time(d.pop("create_time", UNSET))

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

        def _parse_executer(
            data: object,
        ) -> GCloudExecuter | InductivaExecuter | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                executer_type_0 = GCloudExecuter.from_dict(data)

                return executer_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                executer_type_1 = InductivaExecuter.from_dict(data)

                return executer_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GCloudExecuter | InductivaExecuter | None | Unset, data)

        executer = _parse_executer(d.pop("executer", UNSET))

        task = cls(
            task_id=task_id,
            status=status,
            method_name=method_name,
            create_time=create_time,
            input_submit_time=input_submit_time,
            start_time=start_time,
            end_time=end_time,
            executer=executer,
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
