"""The Starlette application: the operations of the served spec, validated and shaped.

Routes come from the spec (:mod:`.routing`), behaviour from the handlers
(:mod:`.handlers`). Every operation is wrapped alike: auth, request validation, the
handler, then the response shaped by the spec (:mod:`.shaping`) and validated.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from inductiva_api.contract import API_KEY_HEADER
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Scope

from .admin import admin_routes
from .config import Config
from .datadir import open_data_dir
from .db import TaskRow, TaskStore, key_hash
from .errors import PayloadResponse, conflict, error_response, invalid, not_found, unauthorized
from .events import StatusHub
from .faults import FaultMiddleware, FaultState, faults_of
from .handlers import Ctx, Handler
from .operations import OperationFacts, extensions, is_json, operations
from .routing import HANDLERS_MODULE, build_routes
from .shaping import Plan, Shaper
from .spec import (
    KEPT_EXTENSIONS,
    ErrorItem,
    SpecRequest,
    SpecResponse,
    SpecValidator,
    json_bytes,
    load_spec_dict,
)
from .supervisor import FINAL_STATUSES, Supervisor

__all__ = ["Ctx", "MockBackend", "create_app", "literal_path"]

log = logging.getLogger("inductiva_mock")


def literal_path(path: str) -> str:
    """*path* with its dot segments encoded (`/tasks/..` → `/tasks/%2E%2E`).

    `GET /tasks/%2e%2e` is routed with the task id `..` (as FastAPI routes it); the
    validator would resolve the decoded dot segment (`/tasks/..` → `/`) and find no path.
    """
    return "/".join(
        part.replace(".", "%2E") if part in (".", "..") else part for part in path.split("/")
    )


class ClientGone(Response):
    """The answer to a client that disconnected mid-request: never sent, never validated."""


def client_gone(request: Request) -> Response:
    """Log a client's disconnect at INFO (no traceback) and answer nobody."""
    log.info("client disconnected during %s %s", request.method, request.url.path)
    return ClientGone(status_code=499)


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
        # The served spec's facts: routes, sample answers and response shaping follow it.
        spec = load_spec_dict(cfg.spec_path)
        self.api_version = str(spec["info"]["version"])
        self.operations: list[OperationFacts] = operations(spec)
        self.extensions: list[str] = extensions(spec)
        self.shaper = Shaper(spec)
        self._noted: set[str] = set()

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
    def operation(self, handler: Handler, facts: OperationFacts, *, auth: bool = True) -> Any:
        """Wrap *handler* of the operation *facts* with auth, request validation, response
        shaping and response validation.

        An extension operation does not exist in legacy mode (404 as on the real API).
        """
        extension = facts.extension not in (None, *KEPT_EXTENSIONS)
        json_body = any(is_json(c.media_type) for c in facts.request)
        plans = {
            r.status: plan
            for r in facts.responses
            for c in r.content
            if is_json(c.media_type) and (plan := self.shaper.plan(c.schema)) is not None
        }
        where = f"{facts.method} {facts.path}"

        async def endpoint(request: Request) -> Response:
            if extension and self.legacy:
                return error_response(404, "Not Found")
            try:
                body = await request.body() if json_body else None
            except ClientDisconnect:
                return client_gone(request)
            spec_req = SpecRequest(
                request.method,
                literal_path(request.url.path),
                request.query_params,
                request.headers,
                body,
            )
            response = await self._handle(request, spec_req, handler, auth=auth, body=body)
            if isinstance(response, PayloadResponse):
                plan = plans.get(response.status_code)
                if plan is not None:
                    self._shape(response, plan, where)
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
        key = key_hash(request.headers.get(API_KEY_HEADER, ""))
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

    def _shape(self, response: PayloadResponse, plan: Plan, where: str) -> None:
        """Fill and drop what the spec asks of *response*'s payload (re-encoded if changed)."""
        notes: list[str] = []
        if not plan(response.payload, notes):
            return
        response.body = json_bytes(response.payload)
        response.headers["content-length"] = str(len(response.body))
        for note in notes:
            key = f"{where} -> {response.status_code}: {note}"
            if key in self._noted:
                continue
            self._noted.add(key)
            field, action = note.rsplit(" ", 1)
            why = (
                "required by the spec but not given by the handler, answered with the "
                "spec's sample value"
                if action == "filled"
                else "not declared by the spec, left out of the answer"
            )
            log.warning(
                "%s -> %d: %s %s; update the handler in %s",
                where,
                response.status_code,
                field,
                why,
                HANDLERS_MODULE,
            )

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
    def output_archive(self, task_id: str, ctx: Ctx) -> tuple[TaskRow, Path] | Response:
        """The caller's task and its output zip, or the 404/409 saying why there is none."""
        task = self.store.get(task_id, ctx.api_key)
        if task is None:
            return not_found(task_id)
        if task.status not in FINAL_STATUSES:
            return conflict(f"Task {task.id} is {task.status}; its outputs are not ready yet.")
        if not task.output_path or not Path(task.output_path).is_file():
            return conflict(f"Task {task.id} has no outputs.")
        return task, Path(task.output_path)

    def drop(self, scope: Scope, length: int | None = None) -> int | None:
        """Bytes after which to cut this download (fault injection), None for no cut."""
        faults = faults_of(scope, self.faults.faults)
        if faults.drop_download_times > 0 and (
            length is None or faults.drop_download_after_bytes < length
        ):
            return faults.take_download_drop()
        return None

    def cap(self, scope: Scope) -> int:
        """Bytes a second one download response may carry (fault injection), 0 for no cap."""
        return faults_of(scope, self.faults.faults).bandwidth_per_connection


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
    archives = [
        f"{op.method} {op.path}"
        for op in backend.operations
        if any(c.media_type == "application/octet-stream" for r in op.responses for c in r.content)
    ]
    return FaultMiddleware(app, backend.faults, templates, archives)
