"""The hand-written operation handlers, by operationId: where the mock's behaviour lives.

An operation of the spec without a handler here is still served (see
:mod:`.routing`): with its sample body, after a warning naming it. To give one real
behaviour, add a handler to :func:`handlers` under its generated class's
``OPERATION_ID``. Every parameter and body field a handler reads is named through the
generated ``inductiva_api.contract``, so a rename in the spec fails ``make typecheck``
here. What a handler answers is shaped by the spec afterwards (:mod:`.shaping`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inductiva_api.contract import (
    DownloadTaskOutput,
    GetTask,
    GetTaskStatus,
    GetTaskStatuses,
    GetVersion,
    KillTask,
    ListTaskOutputs,
    ListTasks,
    Schemas,
    Status,
    SubmitTask,
    UploadTaskInput,
    __version__,
)
from starlette.requests import Request
from starlette.responses import Response

from .archive import MissingFiles, build_subset_archive, etag_of, is_valid_zip, list_archive
from .db import utc_now
from .download import RangeNotSatisfiable, archive_response, parse_range
from .errors import conflict, error_response, invalid, json_response, not_found
from .spec import ErrorItem
from .upload import MultipartError, TooLarge, boundary_of, save_file_part

if TYPE_CHECKING:
    from .app import MockBackend

__all__ = ["Ctx", "Handler", "handlers"]

log = logging.getLogger("inductiva_mock")
FILE_MISSING = ErrorItem(
    ("body", Schemas.BodyUploadTaskInput.FILE.name), "field required", "value_error.missing"
)


@dataclass
class Ctx:
    """Per-request context handed to operation handlers."""

    api_key: str  # the caller's key hash: what the store knows keys by
    body: bytes | None


Handler = Callable[[Request, Ctx], Awaitable[Response]]


def handlers(b: MockBackend) -> dict[str, Handler]:
    """The handler of each operation the mock implements, by operationId."""

    async def get_version(request: Request, ctx: Ctx) -> Response:
        return json_response(
            {
                Schemas.Version.VERSION.name: f"inductiva-mock {__version__}",
                Schemas.Version.API_VERSION.name: b.api_version,
                Schemas.Version.EXTENSIONS.name: sorted(b.extensions),
            }
        )

    async def submit_task(request: Request, ctx: Ctx) -> Response:
        fields = Schemas.TaskRequest
        payload = json.loads(ctx.body or b"{}")
        header = SubmitTask.Header.IDEMPOTENCY_KEY.name
        idem = None if b.legacy else request.headers.get(header)
        if idem:
            existing = b.store.idempotent_task(ctx.api_key, idem)
            task = b.store.get(existing) if existing else None
            if task is not None:
                return json_response(task.status_api(), 202)
        task = b.store.create(
            ctx.api_key,
            payload[fields.METHOD.name],
            payload[fields.PARAMS.name],
            payload.get(fields.RESOURCE_POOL.name),
        )
        if idem:
            b.store.remember_idempotency(ctx.api_key, idem, task.id)
        return json_response(task.status_api(), 202)

    async def upload_task_input(request: Request, ctx: Ctx) -> Response:
        boundary = boundary_of(request.headers.get("content-type"))
        if boundary is None:  # FastAPI finds no form, so no `file` field
            return invalid([FILE_MISSING])
        task = b.store.get(request.path_params[UploadTaskInput.Path.TASK_ID.name], ctx.api_key)
        if task is None:
            return not_found(request.path_params[UploadTaskInput.Path.TASK_ID.name])
        if task.status != Status.PENDING_INPUT:
            return conflict(f"Task {task.id} is {task.status}, not {Status.PENDING_INPUT}.")
        limit = b.cfg.max_upload_bytes
        too_large = error_response(413, f"The input archive exceeds {limit} bytes.")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit + 64 * 1024:
            return too_large
        tdir = b.supervisor.task_dir(task.id)
        tdir.mkdir(parents=True, exist_ok=True)
        tmp = tdir / f"input.{uuid.uuid4().hex}.part"
        try:
            try:
                part = await save_file_part(request.stream(), boundary, tmp, limit + 64 * 1024)
            except TooLarge:
                return too_large
            except OSError as exc:  # disk full: the task stays pending-input, retry later
                log.warning("could not store the input of task %s: %s", task.id, exc)
                return error_response(500, f"The mock server could not store the input: {exc}")
            except MultipartError as exc:
                return invalid([ErrorItem(("body",), f"Invalid multipart body: {exc}")])
            b.faults.stats.bytes_received_input += part.body_bytes
            if not part.found:
                return invalid([FILE_MISSING])
            if part.size > limit:
                return too_large
            if not is_valid_zip(tmp):
                return invalid(
                    [ErrorItem(FILE_MISSING.loc, "The file is not a valid zip archive.")]
                )
            current = b.store.get(task.id)
            if current is None or current.status != Status.PENDING_INPUT:
                status = current.status if current else "gone"
                return conflict(f"Task {task.id} is {status}, not {Status.PENDING_INPUT}.")
            os.replace(tmp, tdir / "input.zip")
        finally:
            tmp.unlink(missing_ok=True)
        b.supervisor.set_status(
            task.id, Status.SUBMITTED, input_submit_time=utc_now(), input_size_bytes=part.size
        )
        b.supervisor.enqueue(task.id)
        return json_response({"id": task.id, "status": Status.SUBMITTED})

    async def list_tasks(request: Request, ctx: Ctx) -> Response:
        q, params = request.query_params, ListTasks.Query
        page = int(q.get(params.PAGE.name) or 1)
        per_page = int(q.get(params.PER_PAGE.name) or 10)
        tasks = b.store.list_page(ctx.api_key, page, per_page, q.get(params.STATUS.name))
        return json_response([t.to_api() for t in tasks])

    async def get_task(request: Request, ctx: Ctx) -> Response:
        task_id = request.path_params[GetTask.Path.TASK_ID.name]
        task = b.store.get(task_id, ctx.api_key)
        if task is None:
            return not_found(task_id)
        return json_response(task.to_api())

    async def get_task_status(request: Request, ctx: Ctx) -> Response:
        task_id = request.path_params[GetTaskStatus.Path.TASK_ID.name]
        task = b.store.get(task_id, ctx.api_key)
        if task is None:
            return not_found(task_id)
        if b.legacy:  # no long-poll: answered at once
            return json_response(task.status_api())
        q, params = request.query_params, GetTaskStatus.Query
        wait = float(q.get(params.WAIT_SECONDS.name) or params.WAIT_SECONDS.default or 0)
        target = q.get(params.LAST_STATUS.name) or task.status
        deadline = time.monotonic() + wait
        while task.status == target and (left := deadline - time.monotonic()) > 0:
            await b.hub.wait(task.id, left)
            refreshed = b.store.get(task.id)
            if refreshed is None:
                break
            task = refreshed
        return json_response(task.status_api())

    async def get_task_statuses(request: Request, ctx: Ctx) -> Response:
        body, known_task = Schemas.TaskStatusesRequest, Schemas.KnownTaskStatus
        payload = json.loads(ctx.body or b"{}")
        known = {
            str(t[known_task.ID.name]): t.get(known_task.LAST_STATUS.name)
            for t in payload[body.TASKS.name]
        }
        wait = payload.get(body.WAIT_SECONDS.name) or body.WAIT_SECONDS.default or 0
        deadline = time.monotonic() + float(wait)
        while True:
            rows = [row for tid in known if (row := b.store.get(tid, ctx.api_key)) is not None]
            changed = any(known[row.id] != row.status for row in rows)
            left = deadline - time.monotonic()
            if changed or left <= 0 or not rows:
                return json_response({"tasks": [row.status_api() for row in rows]})
            await b.hub.wait_any([row.id for row in rows], left)

    async def kill_task(request: Request, ctx: Ctx) -> Response:
        task_id = request.path_params[KillTask.Path.TASK_ID.name]
        task = b.store.get(task_id, ctx.api_key)
        if task is None:
            return not_found(task_id)
        return json_response({"id": task.id, "status": b.supervisor.kill(task.id)})

    async def list_task_outputs(request: Request, ctx: Ctx) -> Response:
        found = b.output_archive(request.path_params[ListTaskOutputs.Path.TASK_ID.name], ctx)
        if isinstance(found, Response):
            return found
        return json_response(list_archive(found[1]))

    async def download_task_output(request: Request, ctx: Ctx) -> Response:
        op = DownloadTaskOutput
        found = b.output_archive(request.path_params[op.Path.TASK_ID.name], ctx)
        if isinstance(found, Response):
            return found
        task, path = found
        names = request.query_params.getlist(op.Query.FILENAME.name)
        download_name = f"{task.id}.zip"
        if names:
            key = hashlib.sha256("\0".join(dict.fromkeys(names)).encode()).hexdigest()[:24]
            dest = path.with_name(f"{task.id}.subset-{key}.zip")
            try:
                path = await asyncio.to_thread(build_subset_archive, path, names, dest)
            except MissingFiles as exc:
                return error_response(
                    404, f"Task {task.id} has no output files named: {', '.join(exc.names)}."
                )
            download_name = f"{task.id}-subset.zip"
        if b.legacy:  # no byte-ranges: Range/If-Range ignored, no ETag
            return archive_response(
                path,
                None,
                None,
                b.faults.stats,
                b.drop(request.scope),
                download_name,
                b.cap(request.scope),
            )
        size = path.stat().st_size
        etag = etag_of(path, task.id)
        range_header = request.headers.get(op.Header.RANGE.name)
        if_range = request.headers.get(op.Header.IF_RANGE.name)
        if if_range is not None and if_range.strip() != etag:
            range_header = None
        try:
            byte_range = parse_range(range_header, size)
        except RangeNotSatisfiable:
            return error_response(
                416,
                f"Range {range_header!r} lies outside the archive of {size} bytes.",
                headers={"Content-Range": f"bytes */{size}"},
            )
        length = size if byte_range is None else byte_range.length
        return archive_response(
            path,
            etag,
            byte_range,
            b.faults.stats,
            b.drop(request.scope, length),
            download_name,
            b.cap(request.scope),
        )

    return {
        GetVersion.OPERATION_ID: get_version,
        SubmitTask.OPERATION_ID: submit_task,
        UploadTaskInput.OPERATION_ID: upload_task_input,
        ListTasks.OPERATION_ID: list_tasks,
        GetTask.OPERATION_ID: get_task,
        GetTaskStatus.OPERATION_ID: get_task_status,
        GetTaskStatuses.OPERATION_ID: get_task_statuses,
        KillTask.OPERATION_ID: kill_task,
        ListTaskOutputs.OPERATION_ID: list_task_outputs,
        DownloadTaskOutput.OPERATION_ID: download_task_output,
    }
