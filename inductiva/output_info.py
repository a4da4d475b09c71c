"""What a task's output archive holds, as frozen value objects.

``print(task.get_output_files_info())`` renders::

    Archive size: 1.64 GiB
    Contents:
     Size         Compressed   Name
     191 B        96 B         stderr.txt
     138.24 KiB   16.73 KiB    stdout.txt
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ._format import format_bytes
from ._task_info import model_fields
from ._validate import printable

if TYPE_CHECKING:  # generated models are imported where used (see _task_info)
    from inductiva_api.models import FileInfo, OutputArchiveInfo

__all__ = ["OutputFile", "OutputInfo"]

_COLUMN = 13


class _ModelView:
    """Attribute access to every field of the wrapped generated model, and its extras."""

    model: Any

    def __getattr__(self, name: str) -> Any:
        """Any other field of the model, or an extra property the server sent (plain data)."""
        if name.startswith("__") or name == "model":
            raise AttributeError(name)
        fields = model_fields(self.model)
        if name in fields:
            return fields[name]
        raise AttributeError(f"{type(self).__name__!r} has no field {name!r}")

    def fields(self) -> dict[str, Any]:
        """Every field the API sent (declared or extra), as plain data."""
        return model_fields(self.model)


@attrs.frozen(init=False)
class OutputFile(_ModelView):
    """One member of the output archive: the generated ``FileInfo``, name and sizes in bytes.

    ``OutputFile(model)`` wraps a ``FileInfo``; ``OutputFile(name, size,
    compressed_size)`` builds one from values. Fields added to the contract
    later, and extra properties, are attributes too (see :meth:`fields`).
    """

    model: FileInfo

    def __init__(
        self, name: str | FileInfo, size: int | None = None, compressed_size: int | None = None
    ) -> None:
        from inductiva_api.models import FileInfo

        if isinstance(name, FileInfo):
            model = name
        else:
            model = FileInfo(
                name=name, size=int(size or 0), compressed_size=int(compressed_size or 0)
            )
        self.__attrs_init__(model)

    @property
    def name(self) -> str:
        """The member's name, relative to ``artifacts/``."""
        return str(self.model.name)

    @property
    def size(self) -> int:
        """Uncompressed bytes."""
        return int(self.model.size)

    @property
    def compressed_size(self) -> int:
        """Bytes in the archive."""
        return int(self.model.compressed_size)


@attrs.frozen(init=False)
class OutputInfo(_ModelView):
    """The output archive (the generated ``OutputArchiveInfo``): ``size`` and its ``contents``.

    ``OutputInfo(model)`` wraps an ``OutputArchiveInfo``; ``OutputInfo(size=...,
    contents=(OutputFile, ...))`` builds one from values.
    """

    model: OutputArchiveInfo

    def __init__(
        self,
        model: OutputArchiveInfo | None = None,
        /,
        *,
        size: int = 0,
        contents: tuple[OutputFile, ...] = (),
    ) -> None:
        if model is None:
            from inductiva_api.models import OutputArchiveInfo

            model = OutputArchiveInfo(size=size, contents=[f.model for f in contents])
        self.__attrs_init__(model)

    @classmethod
    def from_model(cls, model: OutputArchiveInfo) -> OutputInfo:
        """Wrap the API's ``OutputArchiveInfo``."""
        return cls(model)

    @property
    def size(self) -> int:
        """Bytes of the whole archive."""
        return int(self.model.size)

    @property
    def contents(self) -> tuple[OutputFile, ...]:
        """The archive's files."""
        return tuple(OutputFile(m) for m in self.model.contents)

    @property
    def total_size(self) -> int:
        """Uncompressed bytes of all files together."""
        return sum(f.size for f in self.contents)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the files in the archive."""
        return tuple(f.name for f in self.contents)

    def _repr_html_(self) -> str:
        """Notebook display: the archive size and a table of its files."""
        from ._html import output_info_html

        files = ((f.size, f.compressed_size, f.name) for f in self.contents)
        return output_info_html(self.size, files)

    def __str__(self) -> str:
        rows = [("Size", "Compressed", "Name")] + [
            (format_bytes(f.size), format_bytes(f.compressed_size), printable(f.name))
            for f in self.contents
        ]
        size_w = max(_COLUMN, *(len(r[0]) + 3 for r in rows))
        comp_w = max(_COLUMN, *(len(r[1]) + 3 for r in rows))
        lines = [f"Archive size: {format_bytes(self.size)}", "Contents:"]
        lines += [f" {s.ljust(size_w)}{c.ljust(comp_w)}{n}" for s, c, n in rows]
        return "\n".join(lines)
