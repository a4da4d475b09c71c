"""The Starlette application: spec-validated operations of openapi.yaml."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from . import __version__
from .admin import admin_routes
from .archive import MissingFiles, build_subset_archive, etag_of, is_valid_zip, list_archive
from .config import Config
from .datadir import open_data_dir
from .db import TaskRow, TaskStore, key_hash, utc_now
from .download import RangeNotSatisfiable, archive_response, parse_range
from .errors import conflict, error_response, invalid, json_response, not_found, unauthorized
from .events import StatusHub
from .faults import FaultMiddleware, FaultState
from .spec import ErrorItem, SpecRequest, SpecResponse, SpecValidator
from .supervisor import FINAL_STATUSES, Supervisor
from .upload import MultipartError, TooLarge, boundary_of, save_file_part

__all__ = ["EXTENSIONS", "Ctx", "MockBackend", "build_routes", "create_app"]

log = logging.getLogger("inductiva_mock")
Handler = Callable[[Request, "Ctx"], Awaitable[Response]]
# Every extension of openapi.yaml, all on in default mode and all off in legacy mode.
EXTENSIONS = (
    "long-poll",
    "byte-ranges",
    "idempotency-key",
    "version",
    "error-codes",
    "batch-status",
)
FILE_MISSING = ErrorItem(("body", "file"), "field required", "value_error.missing")


class ClientGone(Response):
    """The answer to a client that disconnected mid-request: never sent, never validated."""


def client_gone(request: Request) -> Response:
    """Log a client's disconnect at INFO (no traceback) and answer nobody."""
    log.info("client disconnected during %s %s", request.method, request.url.path)
    return ClientGone(status_code=499)


@dataclass
class Ctx:
    """Per-request context handed to operation handlers."""

    api_key: str  # the caller's key hash: what the store knows keys by
    body: bytes | None


class MockBackend:
    """State shared by the handlers: config, store, supervisor, validator, faults.

    Opening it takes the data directory's lock (DataDirInUse when another instance
    holds it); `close()` releases it and removes a private directory.
    """

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.data = open_data_dir(cfg.data_dir)
        self.data_dir = self.data.path
        try:
            self.store = TaskStore(self.data_dir / "mock.sqlite3")
        except BaseException:
            self.data.release()
            raise
        self.key_hashes = frozenset(key_hash(k) for k in cfg.api_keys)
        self.hub = StatusHub()
        self.supervisor = Supervisor(cfg, self.store, self.hub, self.data_dir)
        self._validators: dict[bool, SpecValidator] = {}
        self.legacy = cfg.legacy
        self.faults = FaultState(cfg.faults)
        self.api_version = str(self.validator.raw["info"]["version"])

    @property
    def validator(self) -> SpecValidator:
        """The validator of the current mode (legacy: the spec without extensions)."""
        found = self._validators.get(self.legacy)
        if found is None:
            found = SpecValidator(
                self.cfg.spec_path,
                strict=self.cfg.strict_responses,
                legacy=self.legacy,
                cache=not self.cfg.baseline_stack,
            )
            self._validators[self.legacy] = found
        return found

    def close(self) -> None:
        """Close the database and release the data directory (idempotent)."""
        self.store.close()
        self.data.release()

    # -- the validation wrapper -------------------------------------------
    def operation(
        self,
        handler: Handler,
        *,
        auth: bool = True,
        json_body: bool = False,
        extension: bool = False,
    ) -> Any:
        """Wrap *handler* with auth, request validation and response validation.

        An *extension* operation does not exist in legacy mode (404 as on the real API).
        """

        async def endpoint(request: Request) -> Response:
            if extension and self.legacy:
                return error_response(404, "Not Found")
            try:
                body = await request.body() if json_body else None
            except ClientDisconnect:
                return client_gone(request)
            spec_req = SpecRequest(
                request.method, request.url.path, request.query_params, request.headers, body
            )
            response = await self._handle(request, spec_req, handler, auth=auth, body=body)
            return self._check_response(spec_req, response)

        return endpoint

    async def _handle(
        self,
        request: Request,
        spec_req: SpecRequest,
        handler: Handler,
        *,
        auth: bool,
        body: bytes | None,
    ) -> Response:
        key = key_hash(request.headers.get("x-api-key", ""))
        if auth and key not in self.key_hashes:
            return unauthorized()
        if body is not None:
            try:
                json.loads(body)
            except ValueError as exc:
                return invalid([ErrorItem(("body", 0), str(exc), "value_error.jsondecode")])
        try:
            problems = self.validator.request_errors(spec_req, check_body=body is not None)
        except (PathNotFound, OperationNotFound):
            return error_response(404, "Not Found")
        except Exception as exc:  # openapi-core choking on odd input is still a bad request
            return invalid([ErrorItem(("request",), f"Could not validate the request: {exc}")])
        if problems:
            return invalid(problems)
        try:
            return await handler(request, Ctx(api_key=key, body=body))
        except ClientDisconnect:
            return client_gone(request)
        except Exception:
            log.exception("handler %s failed", handler.__name__)
            return error_response(500, "The mock server hit a bug.")

    def _check_response(self, spec_req: SpecRequest, response: Response) -> Response:
        if (
            not self.cfg.validate_responses
            or response.status_code >= 500
            or isinstance(response, ClientGone)
        ):
            return response
        streaming = isinstance(response, StreamingResponse)
        data = None if streaming else bytes(response.body)
        errors = self.validator.response_errors(
            spec_req,
            SpecResponse(response.status_code, response.headers, data),
            check_body=not streaming,
        )
        if not errors:
            return response
        message = f"{spec_req.method.upper()} {spec_req.path} -> {response.status_code}: " + (
            "; ".join(errors)
        )
        log.error("response violates openapi.yaml: %s", message)
        self.faults.stats.response_validation_errors.append(message)
        return error_response(
            500,
            f"response_validation_failed: the mock produced a response that violates "
            f"openapi.yaml: {message}",
        )

    # -- helpers -----------------------------------------------------------
    def owned(self, request: Request, ctx: Ctx) -> TaskRow | None:
        """The task of the path, if the caller's key owns it."""
        return self.store.get(request.path_params["task_id"], ctx.api_key)

    def output_archive(self, request: Request, ctx: Ctx) -> tuple[TaskRow, Path] | Response:
        """The caller's task and its output zip, or the 404/409 saying why there is none."""
        task = self.owned(request, ctx)
        if task is None:
            return not_found(request.path_params["task_id"])
        if task.status not in FINAL_STATUSES:
            return conflict(f"Task {task.id} is {task.status}; its outputs are not ready yet.")
        if not task.output_path or not Path(task.output_path).is_file():
            return conflict(f"Task {task.id} has no outputs.")
        return task, Path(task.output_path)


def build_routes(b: MockBackend) -> list[Route]:
    """The routes of every operation of openapi.yaml (legacy mode: without `/version`)."""

    async def get_version(request: Request, ctx: Ctx) -> Response:
        return json_response(
            {
                "version": f"inductiva-mock {__version__}",
                "api_version": b.api_version,
                "extensions": list(EXTENSIONS),
            }
        )

    async def submit_task(request: Request, ctx: Ctx) -> Response:
        payload = json.loads(ctx.body or b"{}")
        idem = None if b.legacy else request.headers.get("idempotency-key")
        if idem:
            existing = b.store.idempotent_task(ctx.api_key, idem)
            task = b.store.get(existing) if existing else None
            if task is not None:
                return json_response(task.status_api(), 202)
        task = b.store.create(
            ctx.api_key, payload["method"], payload["params"], payload.get("resource_pool")
        )
        if idem:
            b.store.remember_idempotency(ctx.api_key, idem, task.id)
        return json_response(task.status_api(), 202)

    async def upload_task_input(request: Request, ctx: Ctx) -> Response:
        boundary = boundary_of(request.headers.get("content-type"))
        if boundary is None:  # FastAPI finds no form, so no `file` field
            return invalid([FILE_MISSING])
        task = b.owned(request, ctx)
        if task is None:
            return not_found(request.path_params["task_id"])
        if task.status != "pending-input":
            return conflict(f"Task {task.id} is {task.status}, not pending-input.")
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
                    [ErrorItem(("body", "file"), "The file is not a valid zip archive.")]
                )
            current = b.store.get(task.id)
            if current is None or current.status != "pending-input":
                status = current.status if current else "gone"
                return conflict(f"Task {task.id} is {status}, not pending-input.")
            os.replace(tmp, tdir / "input.zip")
        finally:
            tmp.unlink(missing_ok=True)
        b.supervisor.set_status(
            task.id, "submitted", input_submit_time=utc_now(), input_size_bytes=part.size
        )
        b.supervisor.enqueue(task.id)
        return json_response({"id": task.id, "status": "submitted"})

    async def list_tasks(request: Request, ctx: Ctx) -> Response:
        q = request.query_params
        page, per_page = int(q.get("page") or 1), int(q.get("per_page") or 10)
        tasks = b.store.list_page(ctx.api_key, page, per_page, q.get("status"))
        return json_response([t.to_api() for t in tasks])

    async def get_task(request: Request, ctx: Ctx) -> Response:
        task = b.owned(request, ctx)
        if task is None:
            return not_found(request.path_params["task_id"])
        return json_response(task.to_api())

    async def get_task_status(request: Request, ctx: Ctx) -> Response:
        task = b.owned(request, ctx)
        if task is None:
            return not_found(request.path_params["task_id"])
        if b.legacy:  # no long-poll: answered at once
            return json_response(task.status_api())
        wait = float(request.query_params.get("wait_seconds", 0) or 0)
        target = request.query_params.get("last_status") or task.status
        deadline = time.monotonic() + wait
        while task.status == target and (left := deadline - time.monotonic()) > 0:
            await b.hub.wait(task.id, left)
            refreshed = b.store.get(task.id)
            if refreshed is None:
                break
            task = refreshed
        return json_response(task.status_api())

    async def get_task_statuses(request: Request, ctx: Ctx) -> Response:
        payload = json.loads(ctx.body or b"{}")
        known = {str(t["id"]): t.get("last_status") for t in payload["tasks"]}
        deadline = time.monotonic() + float(payload.get("wait_seconds", 0) or 0)
        while True:
            rows = [row for tid in known if (row := b.store.get(tid, ctx.api_key)) is not None]
            changed = any(known[row.id] != row.status for row in rows)
            left = deadline - time.monotonic()
            if changed or left <= 0 or not rows:
                return json_response({"tasks": [row.status_api() for row in rows]})
            await b.hub.wait_any([row.id for row in rows], left)

    async def kill_task(request: Request, ctx: Ctx) -> Response:
        task = b.owned(request, ctx)
        if task is None:
            return not_found(request.path_params["task_id"])
        return json_response({"id": task.id, "status": b.supervisor.kill(task.id)})

    async def list_task_outputs(request: Request, ctx: Ctx) -> Response:
        found = b.output_archive(request, ctx)
        if isinstance(found, Response):
            return found
        return json_response(list_archive(found[1]))

    async def download_task_output(request: Request, ctx: Ctx) -> Response:
        found = b.output_archive(request, ctx)
        if isinstance(found, Response):
            return found
        task, path = found
        names = request.query_params.getlist("filename")
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
                path, None, None, b.faults.stats, _drop(b), download_name, _cap(b)
            )
        size = path.stat().st_size
        etag = etag_of(path, task.id)
        range_header = request.headers.get("range")
        if_range = request.headers.get("if-range")
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
            path, etag, byte_range, b.faults.stats, _drop(b, length), download_name, _cap(b)
        )

    op = b.operation
    routes = [
        Route("/tasks/submit", op(submit_task, json_body=True), methods=["POST"]),
        Route("/tasks", op(list_tasks), methods=["GET"]),
        Route("/tasks/{task_id}/input", op(upload_task_input), methods=["POST"]),
        Route("/tasks/{task_id}/status", op(get_task_status), methods=["GET"]),
        Route("/tasks/{task_id}/kill", op(kill_task), methods=["POST"]),
        Route("/tasks/{task_id}/output/list", op(list_task_outputs), methods=["GET"]),
        Route("/tasks/{task_id}/output", op(download_task_output), methods=["GET"]),
        Route("/tasks/{task_id}", op(get_task), methods=["GET"]),
    ]
    routes.insert(0, Route("/version", op(get_version, extension=True), methods=["GET"]))
    # No 405 guard for it: `GET /tasks/status` stays `GET /tasks/{task_id}` (a 404).
    batch = Route(
        "/tasks/status", op(get_task_statuses, json_body=True, extension=True), methods=["POST"]
    )
    return [*_method_guards(routes), batch, *routes]


ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _method_guards(routes: list[Route]) -> list[Route]:
    """405 routes for the other methods of each literal path.

    Without them `GET /tasks/submit` would fall through to `GET /tasks/{task_id}`
    and answer 422 for the task id `submit`.
    """
    guards = []
    for route in routes:
        if "{" in route.path:
            continue
        allowed = sorted(route.methods or ())
        others = [m for m in ALL_METHODS if m not in allowed]
        guards.append(Route(route.path, _not_allowed(allowed), methods=others))
    return guards


def _not_allowed(allowed: list[str]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return error_response(405, "Method Not Allowed", headers={"Allow": ", ".join(allowed)})

    return endpoint


def _drop(b: MockBackend, length: int | None = None) -> int | None:
    """Bytes after which to cut this download (fault injection), None for no cut."""
    faults = b.faults.faults
    if faults.drop_download_times > 0 and (
        length is None or faults.drop_download_after_bytes < length
    ):
        return faults.take_download_drop()
    return None


def _cap(b: MockBackend) -> int:
    """Bytes a second one download response may carry (fault injection), 0 for no cap."""
    return b.faults.faults.bandwidth_per_connection


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), headers=exc.headers)


def create_app(cfg: Config) -> Any:
    """The ASGI application for *cfg* (fault middleware around the Starlette app)."""
    backend = MockBackend(cfg)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        backend.supervisor.recover()
        try:
            yield
        finally:
            await backend.supervisor.shutdown()
            backend.close()

    routes = build_routes(backend)
    if cfg.admin:
        if not cfg.admin_token:
            backend.close()
            raise ValueError("the admin endpoints need an admin token")
        routes = admin_routes(backend, cfg.admin_token) + routes
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error}
    )
    app.state.backend = backend
    templates = sorted(backend.validator.raw["paths"], key=lambda t: (t.count("{"), t))
    return FaultMiddleware(app, backend.faults, templates)
