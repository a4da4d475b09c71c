"""Admin endpoints under /__mock__/ (only with --admin, behind the admin token; outside
openapi.yaml)."""

from __future__ import annotations

import hmac
import json
import time
import uuid
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inductiva_api.contract import Status
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .archive import ARTIFACTS, OUTPUT_JSON, OUTPUT_JSON_BODY
from .db import iso_from_ns, key_hash
from .errors import error_response, json_response
from .faults import Faults, Stats
from .supervisor import FINAL_STATUSES, gcloud_executer, message_archive

__all__ = ["admin_routes", "seed_archive"]

if TYPE_CHECKING:
    from .app import MockBackend

MAX_SEED = 1_000_000
AdminHandler = Callable[[Request], Awaitable[Response]]
ADMIN_AUTH_MESSAGE = (
    "The admin endpoints need `Authorization: Bearer <admin token>` (the token printed at "
    "start, or given with --admin-token / INDUCTIVA_MOCK_ADMIN_TOKEN); API keys are not "
    "accepted."
)


def guarded(token: str, handler: AdminHandler) -> AdminHandler:
    """*handler* answering 401 unless the request carries the admin bearer token."""
    expected = f"Bearer {token}".encode()

    async def endpoint(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return error_response(401, ADMIN_AUTH_MESSAGE, headers={"WWW-Authenticate": "Bearer"})
        return await handler(request)

    return endpoint


async def _read_json(request: Request) -> dict[str, Any] | Response:
    raw = await request.body()
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return error_response(422, "The body is not valid JSON.")
    if not isinstance(data, dict):
        return error_response(422, "The body must be a JSON object.")
    return data


def seed_archive(data_dir: Path) -> Path:
    """A small shared output archive for seeded finished tasks."""
    path = data_dir / "outputs" / "_seed-artifacts.zip"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(OUTPUT_JSON, OUTPUT_JSON_BODY)
            zf.writestr(ARTIFACTS + "stdout.txt", "seeded task (inductiva mock)\n")
            zf.writestr(ARTIFACTS + "stderr.txt", "")
        tmp.replace(path)
    return path


def admin_routes(b: MockBackend, token: str) -> list[Route]:
    """Routes for faults, stats, seeding, reset, legacy mode and forcing task outcomes."""
    statuses = set(b.validator.raw["components"]["schemas"]["TaskStatusCode"]["enum"])

    async def faults(request: Request) -> Response:
        if request.method == "GET":
            return json_response(b.faults.faults.to_dict())
        if request.method == "DELETE":
            b.faults.faults = Faults()
            return json_response(b.faults.faults.to_dict())
        data = await _read_json(request)
        if isinstance(data, Response):
            return data
        try:
            b.faults.faults = Faults.from_dict(data)
        except (ValueError, TypeError) as exc:
            return error_response(422, str(exc))
        return json_response(b.faults.faults.to_dict())

    async def stats(request: Request) -> Response:
        return json_response(b.faults.stats.to_dict())

    async def stats_reset(request: Request) -> Response:
        b.faults.stats = Stats()
        return json_response(b.faults.stats.to_dict())

    async def seed(request: Request) -> Response:
        data = await _read_json(request)
        if isinstance(data, Response):
            return data
        try:
            count = int(data.get("count", 0))
        except (TypeError, ValueError):
            count = -1
        status = str(data.get("status", Status.SUCCESS))
        method = str(data.get("method", "fvm.openfoam.run_simulation"))
        api_key = key_hash(str(data.get("api_key") or b.cfg.api_keys[0]))
        if not 0 <= count <= MAX_SEED or status not in statuses:
            return error_response(
                422,
                f"count must be 0..{MAX_SEED} (got {data.get('count')!r}) and status one of "
                f"{sorted(statuses)} (got {status!r}).",
            )
        final = status in FINAL_STATUSES
        archive = seed_archive(b.data_dir) if status in (Status.SUCCESS, Status.FAILED) else None
        size = archive.stat().st_size if archive else None
        now = time.time_ns()
        rows = []
        for i in range(count):
            created = now - (count - i) * 1_000_000_000
            started = status not in (Status.PENDING_INPUT, Status.SUBMITTED)
            rows.append(
                {
                    "id": b.store.new_id(),
                    "api_key": api_key,
                    "method": method,
                    "params": "{}",
                    "resource_pool": None,
                    "status": status,
                    "create_ns": created,
                    "create_time": iso_from_ns(created),
                    "input_submit_time": None
                    if status == Status.PENDING_INPUT
                    else iso_from_ns(created),
                    "start_time": iso_from_ns(created + 10**8) if started else None,
                    "end_time": iso_from_ns(created + 9 * 10**8) if final else None,
                    "executer": json.dumps(gcloud_executer(b.cfg, "mock-seed"))
                    if started
                    else None,
                    "input_size_bytes": None if status == Status.PENDING_INPUT else 1024,
                    "output_size_bytes": size,
                    "output_path": str(archive) if archive else None,
                    "pid": None,
                }
            )
        b.store.bulk_insert(rows)
        return json_response(
            {
                "count": count,
                "first_id": rows[0]["id"] if rows else None,
                "last_id": rows[-1]["id"] if rows else None,
            }
        )

    async def reset(request: Request) -> Response:
        await b.supervisor.reset()
        b.faults.faults = Faults.from_dict(b.cfg.faults)
        b.faults.stats = Stats()
        b.legacy = b.cfg.legacy
        return json_response({"reset": True, "legacy": b.legacy})

    async def legacy(request: Request) -> Response:
        if request.method == "PUT":
            data = await _read_json(request)
            if isinstance(data, Response):
                return data
            if not isinstance(data.get("legacy"), bool):
                return error_response(422, 'The body must be {"legacy": true|false}.')
            b.legacy = data["legacy"]
            b.validator  # noqa: B018  # build the mode's validator now, not on a user request
        return json_response({"legacy": b.legacy})

    async def force(request: Request) -> Response:
        task_id = request.path_params["task_id"]
        data = await _read_json(request)
        if isinstance(data, Response):
            return data
        status = str(data.get("status", Status.SUCCESS))
        if status not in FINAL_STATUSES and status != Status.STARTED:
            return error_response(
                422, f"status must be 'started' (hang) or one of {sorted(FINAL_STATUSES)}."
            )
        files = data.get("files") or {}
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            return error_response(422, "files must be an object of name -> text content.")
        if b.store.get(task_id) is None:
            return error_response(404, f"Task {task_id} not found.")
        archive = None
        if status in (Status.SUCCESS, Status.FAILED):
            archive = b.supervisor.output_archive(task_id).with_suffix(
                f".forced-{uuid.uuid4().hex[:12]}.zip"
            )
            message_archive(
                archive, str(data.get("stdout", "")), str(data.get("stderr", "")), files
            )
        b.supervisor.force(task_id, status, archive)
        task = b.store.get(task_id)
        assert task is not None
        return json_response(task.to_api())

    async def end_many(request: Request) -> Response:
        data = await _read_json(request)
        if isinstance(data, Response):
            return data
        ids, status = data.get("ids"), str(data.get("status", Status.KILLED))
        if not isinstance(ids, list) or status not in FINAL_STATUSES or status == Status.SUCCESS:
            return error_response(
                422, 'The body must be {"ids": [...], "status": <a final status but success>}.'
            )
        ended = 0
        for task_id in map(str, ids):
            if b.store.get(task_id) is not None:
                b.supervisor.force(task_id, status, None)
                ended += 1
        return json_response({"ended": ended})

    routes = [
        Route("/__mock__/faults", faults, methods=["GET", "PUT", "DELETE"]),
        Route("/__mock__/stats", stats, methods=["GET"]),
        Route("/__mock__/stats/reset", stats_reset, methods=["POST"]),
        Route("/__mock__/seed", seed, methods=["POST"]),
        Route("/__mock__/reset", reset, methods=["POST"]),
        Route("/__mock__/legacy", legacy, methods=["GET", "PUT"]),
        Route("/__mock__/tasks/{task_id}/force", force, methods=["POST"]),
        Route("/__mock__/tasks/end", end_many, methods=["POST"]),
    ]
    return [
        Route(r.path, guarded(token, r.endpoint), methods=sorted(r.methods or ())) for r in routes
    ]
