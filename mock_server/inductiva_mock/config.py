"""Server configuration: command-line options and INDUCTIVA_MOCK_* environment variables."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_MAX_UPLOAD = 4 * 1024**3


@dataclass
class Config:
    """Everything the server needs to know at startup."""

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "inductiva-mock")
    api_keys: list[str] = field(default_factory=list)
    generated_key: bool = False
    admin: bool = False
    faults: dict[str, Any] = field(default_factory=dict)
    vm_type: str = "c2-standard-8"
    n_vcpus: int = 8
    max_concurrent: int = 4
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    kill_grace_seconds: float = 2.0
    validate_responses: bool = True
    spec_path: Path | None = None
    log_level: str = "warning"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m inductiva_mock",
        description="Stateful, spec-validated local mock of the Inductiva API.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", type=Path, default=None, help="State directory (SQLite, outputs)")
    p.add_argument(
        "--api-key", action="append", default=None, help="Accepted X-API-Key (repeatable)"
    )
    p.add_argument("--admin", action="store_true", help="Expose the /__mock__/ admin endpoints")
    p.add_argument("--faults", default=None, help="Initial fault injection settings (JSON)")
    p.add_argument("--vm-type", default="c2-standard-8")
    p.add_argument("--n-vcpus", type=int, default=None)
    p.add_argument("--max-concurrent", type=int, default=4)
    p.add_argument("--max-upload-bytes", type=int, default=DEFAULT_MAX_UPLOAD)
    p.add_argument("--kill-grace-seconds", type=float, default=2.0)
    p.add_argument(
        "--no-validate-responses",
        action="store_true",
        help="Skip response validation against openapi.yaml (faster, for benchmarks)",
    )
    p.add_argument("--spec", type=Path, default=None, help="OpenAPI file (default: openapi.yaml)")
    p.add_argument("--log-level", default="warning")
    return p


def parse_args(argv: Sequence[str] | None = None) -> Config:
    """Build a Config from *argv* and the environment (options win over variables)."""
    ns = _parser().parse_args(argv)
    env = os.environ
    keys: list[str] = list(ns.api_key or [])
    if not keys and env.get("INDUCTIVA_MOCK_API_KEYS"):
        keys = [k.strip() for k in env["INDUCTIVA_MOCK_API_KEYS"].split(",") if k.strip()]
    generated = False
    if not keys:
        keys = [secrets.token_urlsafe(24)]
        generated = True
    data_dir = ns.data_dir or (
        Path(env["INDUCTIVA_MOCK_DATA_DIR"]) if env.get("INDUCTIVA_MOCK_DATA_DIR") else None
    )
    faults_text = ns.faults if ns.faults is not None else env.get("INDUCTIVA_MOCK_FAULTS")
    faults: dict[str, Any] = json.loads(faults_text) if faults_text else {}
    if not isinstance(faults, dict):
        raise SystemExit("--faults must be a JSON object")
    cfg = Config(
        host=ns.host,
        port=ns.port,
        api_keys=keys,
        generated_key=generated,
        admin=ns.admin,
        faults=faults,
        vm_type=ns.vm_type,
        n_vcpus=ns.n_vcpus or _vcpus_of(ns.vm_type),
        max_concurrent=max(1, ns.max_concurrent),
        max_upload_bytes=ns.max_upload_bytes,
        kill_grace_seconds=ns.kill_grace_seconds,
        validate_responses=not ns.no_validate_responses,
        spec_path=ns.spec,
        log_level=ns.log_level,
    )
    if data_dir is not None:
        cfg.data_dir = data_dir
    return cfg


def _vcpus_of(vm_type: str) -> int:
    """The vCPU count encoded in a GCP machine type name (`c2-standard-8` → 8)."""
    tail = vm_type.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() and int(tail) > 0 else 1
