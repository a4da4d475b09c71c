"""Admin endpoints under /__mock__/ (only with --admin; outside openapi.yaml)."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .archive import ARTIFACTS, OUTPUT_JSON, OUTPUT_JSON_BODY
from .db import iso_from_ns
from .errors import error_response, json_response
from .faults import Faults, Stats
from .supervisor import FINAL_STATUSES, gcloud_executer

__all__ = ["admin_routes", "seed_archive"]

if TYPE_CHECKING:
    from .app import MockBackend

MAX_SEED = 1_000_000


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


def admin_routes(b: MockBackend) -> list[Route]:
    """Routes for faults, stats and seeding."""
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
        status = str(data.get("status", "success"))
        method = str(data.get("method", "fvm.openfoam.run_simulation"))
        api_key = str(data.get("api_key") or b.cfg.api_keys[0])
        if not 0 <= count <= MAX_SEED or status not in statuses:
            return error_response(
                422,
                f"count must be 0..{MAX_SEED} (got {data.get('count')!r}) and status one of "
                f"{sorted(statuses)} (got {status!r}).",
            )
        final = status in FINAL_STATUSES
        archive = seed_archive(b.cfg.data_dir) if status in ("success", "failed") else None
        size = archive.stat().st_size if archive else None
        now = time.time_ns()
        rows = []
        for i in range(count):
            created = now - (count - i) * 1_000_000_000
            started = status not in ("pending-input", "submitted")
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
                    if status == "pending-input"
                    else iso_from_ns(created),
                    "start_time": iso_from_ns(created + 10**8) if started else None,
                    "end_time": iso_from_ns(created + 9 * 10**8) if final else None,
                    "executer": json.dumps(gcloud_executer(b.cfg, "mock-seed"))
                    if started
                    else None,
                    "input_size_bytes": None if status == "pending-input" else 1024,
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

    return [
        Route("/__mock__/faults", faults, methods=["GET", "PUT", "DELETE"]),
        Route("/__mock__/stats", stats, methods=["GET"]),
        Route("/__mock__/stats/reset", stats_reset, methods=["POST"]),
        Route("/__mock__/seed", seed, methods=["POST"]),
    ]
