"""What the API declares about a task's output archive: ``GET /tasks/{id}/output/list``.

The real API's table of contents: the archive's ``size`` and its files
(relative to ``artifacts/``) with their sizes. Partial downloads without byte
ranges resolve names against it, and it bounds an archive body whose answer
declares no length (see :func:`declared_size`).
"""

from __future__ import annotations

import attrs

from .._http._flow import Flow, call

__all__ = ["Listing", "list_outputs"]


@attrs.frozen
class Listing:
    """The archive's declared size and each file's ``(size, compressed size)``."""

    size: int
    files: dict[str, tuple[int, int]]

    @property
    def names(self) -> list[str]:
        """The files, relative to ``artifacts/``, as the API lists them."""
        return list(self.files)


def list_outputs(task_id: str) -> Flow[Listing]:
    """The task's :class:`Listing` (``GET .../output/list``)."""
    from inductiva_api.api.tasks import list_task_outputs

    info = yield from call(list_task_outputs.sync_detailed, task_id=task_id)
    files = {str(f.name): (int(f.size), int(f.compressed_size)) for f in info.contents}
    return Listing(int(info.size), files)
