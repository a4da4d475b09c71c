"""Zipping a task's input directory and uploading it, streamed from disk.

The directory is deflated into a temporary zip file (never held in memory),
then sent as the body of the generated ``upload_task_input`` endpoint: httpx
reads the file object in chunks, and every read advances a tqdm bar. Uploads
the server did not take (refused with 429/503, or a connection that could not
be made) are sent again from the start, honouring ``Retry-After``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import zipfile
from pathlib import Path
from typing import BinaryIO, cast

from inductiva_api.api.tasks import upload_task_input
from inductiva_api.types import File

from . import _client, errors
from ._progress import ProgressReader, byte_bar
from ._retry import RetryPolicy

__all__ = ["upload_input", "zip_directory"]

logger = logging.getLogger("inductiva")


def _require_dir(path: Path) -> Path:
    if not path.exists():
        raise errors.InvalidArgumentError(
            f"Input directory {str(path)!r} does not exist; pass an existing directory."
        )
    if not path.is_dir():
        raise errors.InvalidArgumentError(
            f"Input {str(path)!r} is not a directory; pass the directory holding the input files."
        )
    return path


def zip_directory(src: Path, dest: Path) -> int:
    """Deflate every file and directory under ``src`` into the zip ``dest``; return its size.

    Member names are relative POSIX paths in sorted order (reproducible); ``dest``
    itself is skipped if it lies inside ``src``. Files are streamed from disk.
    """
    src = _require_dir(Path(src))
    dest = Path(dest)
    dest_resolved = dest.resolve()
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for root, dirs, files in os.walk(src):
            dirs.sort()
            root_path = Path(root)
            rel_root = root_path.relative_to(src)
            if rel_root != Path(".") and not files and not dirs:
                zf.write(root_path, rel_root.as_posix() + "/")
            for name in sorted(files):
                path = root_path / name
                if path.resolve() == dest_resolved:
                    continue
                zf.write(path, (rel_root / name).as_posix())
    return dest.stat().st_size


def _retry_wait(exc: errors.InductivaError, attempt: int, policy: RetryPolicy) -> float | None:
    """Seconds to wait before re-sending after ``exc``, or None when it must not be re-sent.

    Only failures that guarantee the body was not taken are re-sent: refusals
    (429, 503) and connections that failed before sending (connect errors, pool
    timeouts). The wait follows the shared policy, honouring ``Retry-After``.
    """
    if isinstance(exc, errors.ApiError):
        if exc.status_code not in (429, 503):
            return None
        return policy.delay(attempt, exc.retry_after)
    if isinstance(exc, errors.ApiConnectionError) and policy.never_sent(exc.__cause__):
        return policy.delay(attempt)
    return None


def upload_input(task_id: str, input_dir: Path) -> None:
    """Zip ``input_dir`` to a temporary file and upload it as the input of ``task_id``."""
    input_dir = _require_dir(Path(input_dir))
    policy = _client.resolve_settings().retry_policy
    attempts = policy.max_attempts
    with tempfile.TemporaryDirectory(prefix="inductiva-upload-") as tmp:
        archive = Path(tmp) / "input.zip"
        size = zip_directory(input_dir, archive)
        logger.info("Uploading %s (%d bytes zipped) for task %s", input_dir, size, task_id)
        for attempt in range(1, attempts + 1):
            try:
                _send(task_id, archive, size)
                return
            except (errors.ApiError, errors.ApiConnectionError) as exc:
                wait = _retry_wait(exc, attempt, policy)
                if wait is None or attempt == attempts:
                    raise
                logger.info("Upload for task %s refused (%s); retry in %.1fs", task_id, exc, wait)
                time.sleep(wait)


def _send(task_id: str, archive: Path, size: int) -> None:
    with archive.open("rb") as fh, byte_bar(size, desc="Uploading input") as bar:
        reader = ProgressReader(fh, bar)
        body = File(
            payload=cast(BinaryIO, reader), file_name="input.zip", mime_type="application/zip"
        )
        _client.call(upload_task_input.sync_detailed, task_id=task_id, body=body)
