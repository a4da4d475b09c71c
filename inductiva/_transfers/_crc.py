"""CRC-32 for verifying and writing archives: ISA-L's when installed, else zlib's.

Every downloaded byte is checked against its member's CRC-32. zlib's CRC
(1.2.x) runs at about 4 GB/s here, which costs a 1 GiB download a quarter of a
second; ISA-L's (the ``isal`` package, a dependency on the platforms it has
wheels for) runs at over 40 GB/s. Both compute the same standard CRC-32 and
release the GIL on large buffers.
"""

from __future__ import annotations

import zlib
from typing import Protocol

__all__ = ["IMPLEMENTATION", "crc32"]


class _Crc(Protocol):
    def __call__(self, data: bytes | bytearray | memoryview, value: int = 0, /) -> int: ...


try:
    from isal.isal_zlib import crc32 as _isal_crc32
except ImportError:  # no wheel for this platform: the standard library's
    crc32: _Crc = zlib.crc32
    IMPLEMENTATION = "zlib"
else:
    crc32 = _isal_crc32
    IMPLEMENTATION = "isal"
