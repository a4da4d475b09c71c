"""The asyncio twin of :mod:`inductiva._transfers._upload`, on the active client's async pool.

The input zip is the same stream in the same layout, built while it is sent
(no temporary archive, flat memory): :func:`~inductiva._transfers._upload.input_zip`
plans it in a worker thread (planning deflates compressible files to learn
their sizes), then it goes out as the multipart part ``file`` through the
generated endpoint's ``asyncio_detailed`` with the same progress bar
(:func:`~inductiva._transfers._upload.multipart_body`). httpx reads the part
on the event loop, so the stream is wrapped in an
:class:`~inductiva._transfers._ahead.AheadReader`: a worker thread produces its
bytes (deflating what the plan did not keep) a few MiB ahead, and the loop only
takes them. Uploads the server did not take (429/503, or connections never
made) are sent again from the start after the shared policy's wait, honouring
``Retry-After``, as the sync path decides
(:func:`~inductiva._transfers._upload.resend_wait`). When the upload ends,
fails or is cancelled, the thread is stopped and the stream closed (waited for
in a worker thread, so the loop never waits on it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, cast

from .. import _client, errors
from . import _upload
from ._adownload import in_thread
from ._ahead import AheadReader

__all__ = ["upload_input_async"]


async def _asend(task_id: str, reader: AheadReader) -> None:
    """POST the zip as the multipart part ``file``, its bytes made ahead in a thread."""
    from inductiva_api.api.tasks import upload_task_input

    reader.seek(0)
    with _upload.multipart_body(cast(IO[bytes], reader), reader.size) as body:
        await _client.acall(upload_task_input.asyncio_detailed, task_id=task_id, body=body)


async def upload_input_async(task_id: str, input_dir: Path, params: Mapping[str, Any]) -> None:
    """Zip ``input_dir`` with ``params`` (the era's layout) while uploading it for ``task_id``."""
    stream = await in_thread(_upload.input_zip, input_dir, params)
    reader = AheadReader(cast(IO[bytes], stream), stream.size)
    try:
        policy = _client.resolve_settings().retry_policy
        _upload.log_plan(task_id, input_dir, stream)
        for attempt in range(1, policy.max_attempts + 1):
            try:
                await _asend(task_id, reader)
                return
            except (errors.ApiError, errors.ApiConnectionError) as exc:
                await asyncio.sleep(_upload.resend_wait(task_id, exc, attempt, policy))
    finally:
        await in_thread(reader.close)  # waits for the thread off the loop, even if cancelled
