"""The CRC-32 used to verify archives: the standard one, from ISA-L or zlib."""

from __future__ import annotations

import importlib
import sys
import zlib
from collections.abc import Iterator

import pytest

from inductiva._transfers import _crc

DATA = bytes(range(256)) * 12_289 + b"tail"


@pytest.fixture
def without_isal(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """``_crc`` reloaded as if the isal package were not installed; restored after."""
    monkeypatch.setitem(sys.modules, "isal.isal_zlib", None)  # import raises ImportError
    yield importlib.reload(_crc)
    monkeypatch.undo()
    importlib.reload(_crc)


def test_crc32_is_the_standard_crc32() -> None:
    """Whatever implementation is in use, it matches zlib's, whole or chained, on any buffer."""
    assert _crc.crc32(DATA) == zlib.crc32(DATA)
    assert _crc.crc32(DATA[1000:], _crc.crc32(DATA[:1000])) == zlib.crc32(DATA)
    assert _crc.crc32(memoryview(DATA)[5:]) == zlib.crc32(DATA[5:])
    assert _crc.crc32(b"") == 0


def test_isal_is_used_when_installed() -> None:
    """With the isal package importable (a dependency on this platform), its CRC is used."""
    pytest.importorskip("isal.isal_zlib")
    assert _crc.IMPLEMENTATION == "isal"


def test_without_isal_zlib_is_used(without_isal: object) -> None:
    """Without isal the module falls back to zlib's CRC-32, with the same results."""
    assert _crc.IMPLEMENTATION == "zlib"
    assert _crc.crc32 is zlib.crc32
    assert _crc.crc32(DATA) == zlib.crc32(DATA)
