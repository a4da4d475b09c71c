"""Zipping a task's input and uploading it as multipart/form-data, streamed from disk.

The input zip has the era's layout: the user's input directory under
``sim_dir/`` and the task's parameters as ``input.json`` at the root (with
``"sim_dir": "sim_dir"``). It is built while it is sent
(:class:`~inductiva._transfers._zipwrite.InputZip`: no temporary archive, files
that do not compress stored, the others deflated), through the generated
``upload_task_input`` endpoint as the multipart part ``file``: httpx reads the
stream in 64 KiB chunks (its exact length is planned ahead, so
``Content-Length`` is known before the first byte), and every read advances a
tqdm bar. Uploads the server did not take (refused with 429/503, or a
connection that could not be made) are sent again from the start, honouring
``Retry-After``.

The asyncio twin (:mod:`inductiva._transfers._aupload`) sends the same stream
with the same pieces: :func:`input_zip` (the plan), :func:`multipart_body` (the
part and its bar) and :func:`resend_wait` (the retry decision).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast

from inductiva_api.types import File

from .. import errors
from .._http._flow import Flow, call, offload, session, sleep
from .._http._retry import RetryPolicy
from . import _zipwrite
from ._ahead import AheadReader
from ._progress import ProgressReader, byte_bar

if TYPE_CHECKING:  # generated models are imported where used (see _task_info)
    from inductiva_api.models import BodyUploadTaskInput

__all__ = [
    "INPUT_JSON",
    "SIM_DIR",
    "build_input_zip",
    "check_input",
    "input_zip",
    "log_plan",
    "multipart_body",
    "resend_wait",
    "upload_flow",
    "zip_directory",
]

logger = logging.getLogger("inductiva")

SIM_DIR = "sim_dir"
INPUT_JSON = "input.json"


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


def _add_tree(zf: zipfile.ZipFile, src: Path, prefix: str, skip: Path) -> None:
    """Deflate everything under ``src`` into ``zf`` as ``prefix/<relative path>``."""
    for root, dirs, files in os.walk(src):
        dirs.sort()
        root_path = Path(root)
        rel_root = Path(prefix, root_path.relative_to(src))
        if root_path != src and not files and not dirs:
            zf.write(root_path, rel_root.as_posix() + "/")
        for name in sorted(files):
            path = root_path / name
            if path.resolve() == skip:
                continue
            zf.write(path, (rel_root / name).as_posix())


def zip_directory(src: Path, dest: Path, prefix: str = "") -> int:
    """Deflate every file and directory under ``src`` into the zip ``dest``; return its size.

    Member names are relative POSIX paths (under ``prefix/`` if given) in sorted
    order (reproducible); ``dest`` itself is skipped if it lies inside ``src``.
    Files are streamed from disk.
    """
    src = _require_dir(Path(src))
    dest = Path(dest)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        if prefix:
            zf.writestr(prefix.rstrip("/") + "/", b"")
        _add_tree(zf, src, prefix, dest.resolve())
    return dest.stat().st_size


def _document(params: Mapping[str, Any]) -> bytes:
    try:
        text = json.dumps({**params, SIM_DIR: SIM_DIR}, indent=2, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise errors.InvalidArgumentError(f"Task parameters are not JSON: {exc}") from exc
    return (text + "\n").encode()


def check_input(input_dir: Path, params: Mapping[str, Any]) -> None:
    """InvalidArgumentError unless ``input_dir`` is a directory and ``params`` are JSON.

    Checked before a task is registered, so a bad argument leaves no task behind.
    """
    _require_dir(Path(input_dir))
    _document(params)


def _unreadable(exc: OSError, input_dir: Path) -> errors.LocalFileError:
    """A LocalFileError for an input file or directory that could not be read."""
    where = exc.filename or input_dir
    return errors.LocalFileError(
        f"Could not read the input {str(where)!r}: {exc.strerror or exc}; check its "
        "permissions, or leave it out of the input directory, then submit again."
    )


def input_zip(input_dir: Path, params: Mapping[str, Any]) -> _zipwrite.InputZip:
    """The era's input zip of ``input_dir`` as a stream built while it is read."""
    input_dir = _require_dir(Path(input_dir))
    return _zipwrite.InputZip(input_dir, _document(params), SIM_DIR)


def build_input_zip(input_dir: Path, params: Mapping[str, Any], dest: Path) -> int:
    """The era's input zip at ``dest``: ``sim_dir/...`` plus ``input.json``; return its size.

    ``input.json`` holds ``params`` with ``"sim_dir"`` set to the folder name. The
    bytes are those :func:`upload_input` sends.
    """
    stream = input_zip(input_dir, params)
    with Path(dest).open("wb") as fh:
        shutil.copyfileobj(stream, fh, 1024 * 1024)
    return stream.size


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


def resend_wait(
    task_id: str, exc: errors.InductivaError, attempt: int, policy: RetryPolicy
) -> float:
    """Seconds to wait before sending attempt ``attempt + 1`` after ``exc``; else raise ``exc``.

    ``exc`` is raised again when it must not be re-sent (see :func:`_retry_wait`)
    or when ``attempt`` was the policy's last.
    """
    wait = _retry_wait(exc, attempt, policy)
    if wait is None or attempt >= policy.max_attempts:
        raise exc
    logger.info("Upload for task %s refused (%s); retry in %.1fs", task_id, exc, wait)
    return wait


def log_plan(task_id: str, input_dir: Path, stream: _zipwrite.InputZip) -> None:
    """Log what is about to be uploaded (zip size, files stored and deflated)."""
    logger.info(
        "Uploading %s (%d bytes zipped: %d files stored, %d deflated) for task %s",
        input_dir,
        stream.size,
        stream.stored,
        stream.deflated,
        task_id,
    )


@contextlib.contextmanager
def multipart_body(
    stream: IO[bytes], size: int, progress: bool | None = None
) -> Iterator[BodyUploadTaskInput]:
    """The upload's body: ``stream`` as the part ``file`` (input.zip), read through a bar.

    The bar (``size`` bytes) is closed on exit.
    """
    from inductiva_api.models import BodyUploadTaskInput

    with byte_bar(size, desc="Uploading input", progress=progress) as bar:
        reader = ProgressReader(stream, bar)
        file = File(
            payload=cast(BinaryIO, reader), file_name="input.zip", mime_type="application/zip"
        )
        yield BodyUploadTaskInput(file=file)


def upload_flow(task_id: str, input_dir: Path, params: Mapping[str, Any]) -> Flow[None]:
    """Zip ``input_dir`` with ``params`` (the era's layout) while uploading it for ``task_id``.

    Under asyncio the zip's bytes are made ahead in a thread (:class:`AheadReader`),
    so deflating never blocks the event loop; the bytes sent are the same.
    """
    from inductiva_api.api.tasks import upload_task_input

    current = yield from session()
    try:
        stream = yield from offload(lambda: input_zip(input_dir, params))
    except OSError as exc:
        raise _unreadable(exc, input_dir) from exc
    body: IO[bytes] = (
        cast(IO[bytes], AheadReader(cast(IO[bytes], stream), stream.size))
        if current.is_async
        else cast(IO[bytes], stream)
    )
    try:
        policy = current.settings.retry_policy
        log_plan(task_id, input_dir, stream)
        for attempt in range(1, policy.max_attempts + 1):
            try:
                body.seek(0)
                with multipart_body(body, stream.size, current.settings.progress) as part:
                    yield from call(upload_task_input.sync_detailed, task_id=task_id, body=part)
                return
            except (errors.ApiError, errors.ApiConnectionError) as exc:
                yield from sleep(resend_wait(task_id, exc, attempt, policy))
    except OSError as exc:  # a file the plan listed could not be read while sending
        raise _unreadable(exc, input_dir) from exc
    finally:
        yield from offload(body.close)  # an AheadReader joins its thread (off the loop)
        stream.close()
