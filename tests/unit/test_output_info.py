"""OutputInfo / OutputFile value objects and their printed table."""

from __future__ import annotations

import attrs
import pytest
from inductiva_api.models import OutputArchiveInfo

from inductiva import OutputFile, OutputInfo

SEED = """\
Archive size: 1.64 GiB
Contents:
 Size         Compressed   Name
 191 B        96 B         stderr.txt
 138.24 KiB   16.73 KiB    stdout.txt
 3.80 MiB     3.61 MiB     important_file1.txt
 1.27 MiB     1.21 MiB     important_file2.txt"""


def _seed_info() -> OutputInfo:
    return OutputInfo(
        size=1760936591,
        contents=(
            OutputFile("stderr.txt", 191, 96),
            OutputFile("stdout.txt", 141557, 17132),
            OutputFile("important_file1.txt", 3984589, 3785359),
            OutputFile("important_file2.txt", 1331692, 1268777),
        ),
    )


def test_str_renders_the_seed_table() -> None:
    """print(outputs_info) shows exactly the seed's table."""
    assert str(_seed_info()) == SEED


def test_from_model_and_sizes() -> None:
    """from_model reads the API's OutputArchiveInfo; total_size sums uncompressed sizes."""
    model = OutputArchiveInfo.from_dict(
        {
            "size": 300,
            "contents": [
                {"name": "a", "size": 10, "compressed_size": 4},
                {"name": "b/c", "size": 5, "compressed_size": 5},
            ],
        }
    )
    info = OutputInfo.from_model(model)
    assert info.size == 300 and info.total_size == 15 and info.names == ("a", "b/c")
    assert info.contents == (OutputFile("a", 10, 4), OutputFile("b/c", 5, 5))


def test_value_objects_are_frozen() -> None:
    """OutputInfo and OutputFile cannot be modified."""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        _seed_info().size = 1  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        OutputFile("a", 1, 1).name = "b"  # type: ignore[misc]


def test_huge_sizes_keep_columns_apart() -> None:
    """Sizes of PiB and beyond render without crashing and columns stay separated."""
    info = OutputInfo(size=2**70, contents=(OutputFile("big.bin", 1500 * 1024**8, 2**62),))
    lines = str(info).splitlines()
    assert lines[0] == "Archive size: 1.00 ZiB"
    assert lines[3].split() == ["1500.00", "YiB", "4.00", "EiB", "big.bin"]


def test_empty_archive() -> None:
    """An archive with no files still prints its header."""
    assert (
        str(OutputInfo(size=22)) == "Archive size: 22 B\nContents:\n Size         Compressed   Name"
    )
