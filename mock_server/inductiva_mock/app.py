"""The Starlette application: spec-validated operations of openapi.yaml."""

from __future__ import annotations

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
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from . import __version__
from .admin import admin_routes
from .archive import etag_of, is_valid_zip, list_archive
from .config import Config
from .db import TaskRow, TaskStore, utc_now
from .download import RangeNotSatisfiable, archive_response, parse_range
from .errors import conflict, error_response, invalid, json_response, not_found, unauthorized
from .events import StatusHub
from .faults import FaultMiddleware, FaultState
from .spec import ErrorItem, SpecRequest, SpecResponse, SpecValidator
from .supervisor import FINAL_STATUSES, KillConflict, Supervisor

__all__ = ["Ctx", "MockBackend", "build_routes", "create_app"]

log = logging.getLogger("inductiva_mock")
Handler = Callable[[Request, "Ctx"], Awaitable[Response]]


@dataclass
class Ctx:
    """Per-request context handed to operation handlers."""

    api_key: str
    body: bytes | None


class MockBackend:
    """State shared by the handlers: config, store, supervisor, validator, faults."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = TaskStore(cfg.data_dir / "mock.sqlite3")
        self.hub = StatusHub()
        self.supervisor = Supervisor(cfg, self.store, self.hub)
        self.validator = SpecValidator(cfg.spec_path)
        self.faults = FaultState(cfg.faults)
        self.api_version = str(self.validator.raw["info"]["version"])

    # -- the validation wrapper -------------------------------------------
    def operation(self, handler: Handler, *, auth: bool = True, json_body: bool = False) -> Any:
        """Wrap *handler* with auth, request validation and response validation."""

        async def endpoint(request: Request) -> Response:
            body = await request.body() if json_body else None
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
        key = request.headers.get("x-api-key", "")
        if auth and key not in self.cfg.api_keys:
            return unauthorized()
        if body is not None:
            try:
                json.loads(body)
            except ValueError:
                return invalid([ErrorItem("body", "The body is not valid JSON.")])
        try:
            problems = self.validator.request_errors(spec_req, check_body=body is not None)
        except (PathNotFound, OperationNotFound):
            return error_response(404, "not_found", f"No operation {request.url.path}.")
        except Exception as exc:  # openapi-core choking on odd input is still a bad request
            return invalid([ErrorItem("request", f"Could not validate the request: {exc}")])
        if problems:
            return invalid(problems)
        try:
            return await handler(request, Ctx(api_key=key, body=body))
        except Exception:
            log.exception("handler %s failed", handler.__name__)
            return error_response(500, "internal_error", "The mock server hit a bug.")

    def _check_response(self, spec_req: SpecRequest, response: Response) -> Response:
        if not self.cfg.validate_responses or response.status_code >= 500:
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
            "response_validation_failed",
            f"The mock produced a response that violates openapi.yaml: {message}",
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
            return conflict(
                f"Task {task.id} is {task.status}; its outputs are not ready yet.",
                "outputs_not_ready",
            )
        if not task.output_path or not Path(task.output_path).is_file():
            return conflict(f"Task {task.id} has no outputs.", "no_outputs")
        return task, Path(task.output_path)


def build_routes(b: MockBackend) -> list[Route]:
    """The routes of every operation of openapi.yaml."""

    async def get_version(request: Request, ctx: Ctx) -> Response:
        return json_response(
            {"version": f"inductiva-mock {__version__}", "api_version": b.api_version}
        )

    async def submit_task(request: Request, ctx: Ctx) -> Response:
        payload = json.loads(ctx.body or b"{}")
        idem = request.headers.get("idempotency-key")
        if idem:
            existing = b.store.idempotent_task(ctx.api_key, idem)
            task = b.store.get(existing) if existing else None
            if task is not None:
                return json_response({"id": task.id, "status": task.status}, 202)
        task = b.store.create(
            ctx.api_key, payload["method"], payload["params"], payload.get("resource_pool")
        )
        if idem:
            b.store.remember_idempotency(ctx.api_key, idem, task.id)
        return json_response({"id": task.id, "status": task.status}, 202)

    async def upload_task_input(request: Request, ctx: Ctx) -> Response:
        task = b.owned(request, ctx)
        if task is None:
            return not_found(request.path_params["task_id"])
        if task.status != "pending-input":
            return conflict(f"Task {task.id} is {task.status}, not pending-input.")
        limit = b.cfg.max_upload_bytes
        too_large = error_response(
            413, "payload_too_large", f"The input archive exceeds {limit} bytes."
        )
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return too_large
        tdir = b.supervisor.task_dir(task.id)
        tdir.mkdir(parents=True, exist_ok=True)
        tmp = tdir / f"input.{uuid.uuid4().hex}.part"
        total = 0
        try:
            with tmp.open("wb") as fh:
                async for chunk in request.stream():
                    total += len(chunk)
                    if total > limit:
                        return too_large
                    fh.write(chunk)
            if not is_valid_zip(tmp):
                return invalid([ErrorItem("body", "The body is not a valid zip archive.")])
            current = b.store.get(task.id)
            if current is None or current.status != "pending-input":
                status = current.status if current else "gone"
                return conflict(f"Task {task.id} is {status}, not pending-input.")
            os.replace(tmp, tdir / "input.zip")
        finally:
            tmp.unlink(missing_ok=True)
        b.supervisor.set_status(
            task.id, "submitted", input_submit_time=utc_now(), input_size_bytes=total
        )
        b.supervisor.enqueue(task.id)
        return json_response({"id": task.id, "status": "submitted"})

    async def list_tasks(request: Request, ctx: Ctx) -> Response:
        q = request.query_params
        page, per_page = int(q.get("page", 1)), int(q.get("per_page", 50))
        tasks, total = b.store.list_page(ctx.api_key, page, per_page, q.get("status"))
        return json_response(
            {
                "tasks": [t.to_api() for t in tasks],
                "total": total,
                "page": page,
                "per_page": per_page,
            }
        )

    async def get_task(request: Request, ctx: Ctx) -> Response:
        task = b.owned(request, ctx)
        if task is None:
            return not_found(request.path_params["task_id"])
        return json_response(task.to_api())

    async def get_task_status(request: Request, ctx: Ctx) -> Response:
        task = b.owned(request, ctx)
        if task is None:
            return not_found(request.path_params["task_id"])
        wait = float(request.query_params.get("wait_seconds", 0) or 0)
        target = request.query_params.get("last_status") or task.status
        deadline = time.monotonic() + wait
        while task.status == target and (left := deadline - time.monotonic()) > 0:
            await b.hub.wait(task.id, left)
            refreshed = b.store.get(task.id)
            if refreshed is None:
                break
            task = refreshed
        return json_response({"id": task.id, "status": task.status})

    async def kill_task(request: Request, ctx: Ctx) -> Response:
        task = b.owned(request, ctx)
        if task is None:
            return not_found(request.path_params["task_id"])
        try:
            status = b.supervisor.kill(task.id)
        except KillConflict as exc:
            return conflict(f"Task {task.id} already finished ({exc}); it cannot be killed.")
        return json_response({"id": task.id, "status": status}, 202)

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
                "range_not_satisfiable",
                f"Range {range_header!r} lies outside the archive of {size} bytes.",
                headers={"Content-Range": f"bytes */{size}"},
            )
        length = size if byte_range is None else byte_range.length
        faults = b.faults.faults
        drop_after = None
        if faults.drop_download_times > 0 and faults.drop_download_after_bytes < length:
            drop_after = faults.take_download_drop()
        return archive_response(
            path, etag, byte_range, b.faults.stats, drop_after, f"{task.id}.zip"
        )

    op = b.operation
    return [
        Route("/version", op(get_version, auth=False), methods=["GET"]),
        Route("/tasks/submit", op(submit_task, json_body=True), methods=["POST"]),
        Route("/tasks", op(list_tasks), methods=["GET"]),
        Route("/tasks/{task_id}/input", op(upload_task_input), methods=["POST"]),
        Route("/tasks/{task_id}/status", op(get_task_status), methods=["GET"]),
        Route("/tasks/{task_id}/kill", op(kill_task), methods=["POST"]),
        Route("/tasks/{task_id}/output/list", op(list_task_outputs), methods=["GET"]),
        Route("/tasks/{task_id}/output", op(download_task_output), methods=["GET"]),
        Route("/tasks/{task_id}", op(get_task), methods=["GET"]),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


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
            backend.store.close()

    routes = build_routes(backend)
    if cfg.admin:
        routes = admin_routes(backend) + routes
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error}
    )
    app.state.backend = backend
    return FaultMiddleware(app, backend.faults)
