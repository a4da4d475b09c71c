"""Hostile archives built cheaply: zip bombs, lying sizes, bad names."""

from __future__ import annotations

import struct
import zlib

MIB = 1024 * 1024


def zero_deflate(mib: int) -> bytes:
    """A raw deflate stream of ``mib`` MiB of zeros, about 1 KiB per MiB, built in milliseconds."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(b"\0" * MIB) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(b"\0" * MIB) + c.flush(zlib.Z_FULL_FLUSH)
    return first + block * (mib - 1) + c.flush()


def zeros_crc(mib: int) -> int:
    """CRC-32 of ``mib`` MiB of zeros."""
    crc, chunk = 0, b"\0" * MIB
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return crc


def build_zip(members: list[tuple[bytes, bytes, int, int, int, int]]) -> bytes:
    """A zip of ``(raw_name, data, method, declared_size, crc, flags)`` members, by hand."""
    out, central = bytearray(), bytearray()
    for name, data, method, size, crc, flags in members:
        offset = len(out)
        out += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 0, crc, len(data), size, len(name), 0
        )
        out += name + data
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            flags,
            method,
            0,
            0,
            crc,
            len(data),
            size,
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += name
    cd_offset = len(out)
    out += central
    out += struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), cd_offset, 0
    )
    return bytes(out)


def bomb(mib: int, name: bytes = b"artifacts/zeros.bin") -> bytes:
    """An output archive whose one member inflates ``mib`` MiB of zeros (honestly declared)."""
    return build_zip([(name, zero_deflate(mib), 8, mib * MIB, zeros_crc(mib), 0)])


def liar(declared: int, mib: int, name: bytes = b"artifacts/small.txt") -> bytes:
    """An archive whose member declares ``declared`` bytes but inflates to ``mib`` MiB."""
    return build_zip([(name, zero_deflate(mib), 8, declared, 0, 0)])


def plain(members: dict[bytes, bytes], flags: int = 0) -> bytes:
    """Stored members with raw (possibly invalid) names."""
    return build_zip([(n, d, 0, len(d), zlib.crc32(d), flags) for n, d in members.items()])
