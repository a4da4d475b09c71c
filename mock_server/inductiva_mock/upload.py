"""Streaming the multipart part `file` of an input upload to disk (python-multipart)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

__all__ = ["FilePart", "MultipartError", "TooLarge", "boundary_of", "save_file_part"]

FIELD = "file"


class MultipartError(Exception):
    """The body is not a well-formed multipart/form-data body."""


class TooLarge(Exception):
    """The body exceeds the size limit."""


@dataclass
class FilePart:
    """What was found in the body: whether a `file` part came, and its size."""

    found: bool = False
    size: int = 0
    body_bytes: int = 0


def boundary_of(content_type: str | None) -> bytes | None:
    """The boundary of a multipart/form-data Content-Type, None for anything else."""
    if not content_type:
        return None
    media, options = parse_options_header(content_type)
    if media.lower() != b"multipart/form-data":
        return None
    return options.get(b"boundary") or None


@dataclass
class _State:
    out: BinaryIO
    headers: dict[bytes, bytes] = field(default_factory=dict)
    field_name: bytes = b""
    value: bytes = b""
    in_file: bool = False
    result: FilePart = field(default_factory=FilePart)


async def save_file_part(
    stream: AsyncIterator[bytes], boundary: bytes, dest: Path, limit: int
) -> FilePart:
    """Write the first `file` part of the multipart *stream* to *dest* as it arrives.

    Other parts are skipped. Raises TooLarge past *limit* body bytes and
    MultipartError for a malformed body.
    """
    with dest.open("wb") as out:
        st = _State(out)

        def on_part_begin() -> None:
            st.headers = {}
            st.in_file = False

        def on_header_field(data: bytes, start: int, end: int) -> None:
            st.field_name += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            st.value += data[start:end]

        def on_header_end() -> None:
            st.headers[st.field_name.lower()] = st.value
            st.field_name, st.value = b"", b""

        def on_headers_finished() -> None:
            _, options = parse_options_header(st.headers.get(b"content-disposition", b""))
            st.in_file = options.get(b"name") == FIELD.encode() and not st.result.found

        def on_part_data(data: bytes, start: int, end: int) -> None:
            if st.in_file:
                st.out.write(data[start:end])
                st.result.size += end - start

        def on_part_end() -> None:
            if st.in_file:
                st.result.found = True
                st.in_file = False

        try:
            parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": on_part_begin,
                    "on_header_field": on_header_field,
                    "on_header_value": on_header_value,
                    "on_header_end": on_header_end,
                    "on_headers_finished": on_headers_finished,
                    "on_part_data": on_part_data,
                    "on_part_end": on_part_end,
                },
                max_header_count=32,
            )  # FormParserError already for a boundary over 256 bytes
            async for chunk in stream:
                st.result.body_bytes += len(chunk)
                if st.result.body_bytes > limit:
                    raise TooLarge
                parser.write(chunk)
            parser.finalize()
        except FormParserError as exc:
            raise MultipartError(str(exc)) from exc
    return st.result
