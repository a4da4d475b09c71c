from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.output_member import OutputMember


T = TypeVar("T", bound="OutputList")


@_attrs_define
class OutputList:
    """
    Attributes:
        size (int): Size in bytes of the whole archive.
        contents (list[OutputMember]):
    """

    size: int
    contents: list[OutputMember]
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
        from ..models.output_member import OutputMember

        d = dict(src_dict)
        size = d.pop("size")

        contents = []
        _contents = d.pop("contents")
        for contents_item_data in _contents:
            contents_item = OutputMember.from_dict(contents_item_data)

            contents.append(contents_item)

        output_list = cls(
            size=size,
            contents=contents,
        )

        output_list.additional_properties = d
        return output_list

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
