from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.file_info import FileInfo


T = TypeVar("T", bound="OutputArchiveInfo")


@_attrs_define
class OutputArchiveInfo:
    """
    Attributes:
        size (int): Size in bytes of the full archive.
        contents (list[FileInfo]):
    """

    size: int
    contents: list[FileInfo]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        size = self.size

        contents = []
        for contents_item_data in self.contents:
            contents_item = contents_item_data.to_dict()
            contents.append(contents_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "size": size,
                "contents": contents,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.file_info import FileInfo

        d = dict(src_dict)
        size = d.pop("size")

        contents = []
        _contents = d.pop("contents")
        for contents_item_data in _contents:
            contents_item = FileInfo.from_dict(contents_item_data)

            contents.append(contents_item)

        output_archive_info = cls(
            size=size,
            contents=contents,
        )

        output_archive_info.additional_properties = d
        return output_archive_info

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
