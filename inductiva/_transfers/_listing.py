"""What the API declares about a task's output archive: ``GET /tasks/{id}/output/list``.

The real API's table of contents: the archive's ``size`` and its files
(relative to ``artifacts/``) with their sizes. Partial downloads without byte
ranges resolve names against it (:mod:`._select`, in one pass: a 300,000-file
listing keeps no object per file), and it bounds an archive body whose answer
declares no length. The raw body is read (bounded by ``max_response_bytes``)
and parsed off the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .._http._flow import Flow, close, offload, open_stream, read, request_of, session
from . import _select

__all__ = ["Listing", "list_outputs"]


@attrs.frozen
class Listing:
    """The archive's declared size and the selected files' ``(size, compressed size)``."""

    size: int
    files: dict[str, tuple[int, int]]

    @property
    def names(self) -> list[str]:
        """The selected files, relative to ``artifacts/``."""
        return list(self.files)


def list_outputs(task_id: str, filenames: Sequence[str] | None = None) -> Flow[Listing]:
    """The task's :class:`Listing`: its size, and the files ``filenames`` select (if given).

    UnknownFilesError if ``filenames`` names files the task does not have.
    """
    from inductiva_api.api.tasks import list_task_outputs

    settings = (yield from session()).settings
    request = request_of(list_task_outputs.sync_detailed, task_id=task_id)
    stream = yield from open_stream(request, max_bytes=settings.max_response_bytes)
    body = bytearray()
    try:
        while chunk := (yield from read(stream)):
            body += chunk
    finally:
        yield from close(stream)
    size, files = yield from offload(lambda: _select.listing_of(task_id, body, filenames))
    return Listing(size, files)
