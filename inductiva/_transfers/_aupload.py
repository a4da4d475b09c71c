"""The asyncio twin of :mod:`inductiva._transfers._upload`, on the active client's async pool.

The input zip is the same file in the same layout, built by
:func:`~inductiva._transfers._upload.build_input_zip` in a worker thread (zipping
is blocking disk and CPU work), then sent as the multipart part ``file``
through the generated endpoint's ``asyncio_detailed`` with a progress bar.
Uploads the server did not take (429/503, or connections never made) are
sent again from the start after the shared policy's wait, honouring
``Retry-After``, exactly as the sync path decides.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, cast

from inductiva_api.models import BodyUploadTaskInput
from inductiva_api.types import File

from .. import _client, errors
from . import _upload
from ._adownload import in_thread
from ._progress import ProgressReader, byte_bar

__all__ = ["upload_input_async"]

logger = logging.getLogger("inductiva")


async def _asend(task_id: str, archive: Path, size: int) -> None:
    """POST the zip as the multipart part ``file``, read from disk in chunks."""
    from inductiva_api.api.tasks import upload_task_input

    with archive.open("rb") as fh, byte_bar(size, desc="Uploading input") as bar:
        reader = ProgressReader(fh, bar)
        file = File(
            payload=cast(BinaryIO, reader), file_name="input.zip", mime_type="application/zip"
        )
        body = BodyUploadTaskInput(file=file)
        await _client.acall(upload_task_input.asyncio_detailed, task_id=task_id, body=body)


async def upload_input_async(task_id: str, input_dir: Path, params: Mapping[str, Any]) -> None:
    """Zip ``input_dir`` with ``params`` (the era's layout) and upload it for ``task_id``."""
    input_dir = _upload._require_dir(Path(input_dir))
    policy = _client.resolve_settings().retry_policy
    attempts = policy.max_attempts
    with tempfile.TemporaryDirectory(prefix="inductiva-upload-") as tmp:
        archive = Path(tmp) / "input.zip"
        size = await in_thread(_upload.build_input_zip, input_dir, params, archive)
        logger.info("Uploading %s (%d bytes zipped) for task %s", input_dir, size, task_id)
        for attempt in range(1, attempts + 1):
            try:
                await _asend(task_id, archive, size)
                return
            except (errors.ApiError, errors.ApiConnectionError) as exc:
                wait = _upload._retry_wait(exc, attempt, policy)
                if wait is None or attempt == attempts:
                    raise
                logger.info("Upload for task %s refused (%s); retry in %.1fs", task_id, exc, wait)
                await asyncio.sleep(wait)
