"""What a task's output archive holds, as frozen value objects.

``print(task.get_output_files_info())`` renders::

    Archive size: 1.64 GiB
    Contents:
     Size         Compressed   Name
     191 B        96 B         stderr.txt
     138.24 KiB   16.73 KiB    stdout.txt
"""

from __future__ import annotations

import attrs
from inductiva_api.models import OutputArchiveInfo

from ._format import format_bytes
from ._validate import printable

__all__ = ["OutputFile", "OutputInfo"]

_COLUMN = 13


@attrs.frozen
class OutputFile:
    """One member of the output archive: its name and sizes in bytes."""

    name: str
    size: int
    compressed_size: int


@attrs.frozen
class OutputInfo:
    """The output archive: ``size`` (bytes of the whole zip) and its ``contents``."""

    size: int
    contents: tuple[OutputFile, ...] = ()

    @classmethod
    def from_model(cls, model: OutputArchiveInfo) -> OutputInfo:
        """Build from the API's ``OutputArchiveInfo``."""
        return cls(
            size=model.size,
            contents=tuple(
                OutputFile(name=m.name, size=m.size, compressed_size=m.compressed_size)
                for m in model.contents
            ),
        )

    @property
    def total_size(self) -> int:
        """Uncompressed bytes of all files together."""
        return sum(f.size for f in self.contents)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the files in the archive."""
        return tuple(f.name for f in self.contents)

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
