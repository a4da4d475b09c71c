"""Server configuration: command-line options and INDUCTIVA_MOCK_* environment variables."""

from __future__ import annotations

import argparse
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .faults import Faults

__all__ = ["Config", "parse_args"]

DEFAULT_MAX_UPLOAD = 4 * 1024**3
DEFAULT_MAX_EXTRACT = 16 * 1024**3
DEFAULT_MAX_RATIO = 200.0


@dataclass
class Config:
    """Everything the server needs to know at startup."""

    host: str = "127.0.0.1"
    port: int = 8000
    # None: a private directory made with mkdtemp at startup and removed at exit.
    data_dir: Path | None = None
    api_keys: list[str] = field(default_factory=list)
    generated_key: bool = False
    admin: bool = False
    admin_token: str | None = None
    generated_admin_token: bool = False
    faults: dict[str, Any] = field(default_factory=dict)
    vm_type: str = "c2-standard-8"
    n_vcpus: int = 8
    max_concurrent: int = 4
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    max_extract_bytes: int = DEFAULT_MAX_EXTRACT
    max_compression_ratio: float = DEFAULT_MAX_RATIO
    kill_grace_seconds: float = 2.0
    validate_responses: bool = True
    strict_responses: bool = False
    baseline_stack: bool = False
    legacy: bool = False
    spec_path: Path | None = None
    log_level: str = "warning"


LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m inductiva_mock",
        description="Stateful, spec-validated local mock of the Inductiva API.",
        epilog="Options win over the INDUCTIVA_MOCK_* environment variables.",
    )
    p.add_argument("--host", default="127.0.0.1", help="Bind address (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="Port, 0-65535 (default: %(default)s)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="State directory: SQLite, inputs, outputs; refused while another instance uses it "
        "(env INDUCTIVA_MOCK_DATA_DIR; default: a new private temp directory, removed at exit)",
    )
    p.add_argument(
        "--api-key",
        action="append",
        default=None,
        help="Accepted X-API-Key, repeatable "
        "(env INDUCTIVA_MOCK_API_KEYS, comma-separated; default: one generated key)",
    )
    p.add_argument(
        "--admin",
        action="store_true",
        help="Expose the /__mock__/ admin endpoints, guarded by the admin token",
    )
    p.add_argument(
        "--admin-token",
        default=None,
        help="Bearer token of the admin endpoints (env INDUCTIVA_MOCK_ADMIN_TOKEN; "
        "default: generated and printed at start)",
    )
    p.add_argument(
        "--faults",
        default=None,
        help="Initial fault settings, a JSON object (env INDUCTIVA_MOCK_FAULTS)",
    )
    p.add_argument(
        "--vm-type",
        default="c2-standard-8",
        help="Reported executer.vm_type (default: %(default)s)",
    )
    p.add_argument(
        "--n-vcpus",
        type=int,
        default=None,
        help="Reported executer.n_vcpus (default: the --vm-type suffix, else 1)",
    )
    p.add_argument(
        "--max-concurrent", type=int, default=4, help="Tasks running at once (default: %(default)s)"
    )
    p.add_argument(
        "--max-upload-bytes",
        type=int,
        default=DEFAULT_MAX_UPLOAD,
        help="Largest accepted input archive; larger ones get 413 (default: 4 GiB)",
    )
    p.add_argument(
        "--max-extract-bytes",
        type=int,
        default=DEFAULT_MAX_EXTRACT,
        help="Largest total size an input archive may extract to; beyond it the task ends "
        "executer-failed (default: 16 GiB)",
    )
    p.add_argument(
        "--max-compression-ratio",
        type=float,
        default=DEFAULT_MAX_RATIO,
        help="Largest extracted/compressed size ratio of an input archive (zip bombs); "
        "checked past 1 MiB extracted (default: %(default)s)",
    )
    p.add_argument(
        "--kill-grace-seconds",
        type=float,
        default=2.0,
        help="SIGTERM to SIGKILL delay when killing (default: %(default)s)",
    )
    p.add_argument(
        "--no-validate-responses",
        action="store_true",
        help="Skip response validation against openapi.yaml (faster, for benchmarks)",
    )
    p.add_argument(
        "--baseline-stack",
        action="store_true",
        help="Serve as the mock of 0.5.0 did (pure-Python h11, asyncio loop, no "
        "validation cache): the baseline of the capacity benchmark",
    )
    p.add_argument(
        "--strict-responses",
        action="store_true",
        help="Validate responses with unknown properties rejected (for test runs)",
    )
    p.add_argument(
        "--legacy",
        action="store_true",
        help="Turn every extension off, as a server speaking only the real API "
        "(env INDUCTIVA_MOCK_LEGACY=1)",
    )
    p.add_argument("--spec", type=Path, default=None, help="OpenAPI file (default: openapi.yaml)")
    p.add_argument(
        "--log-level",
        default="warning",
        choices=LOG_LEVELS,
        help="Server log level (default: %(default)s)",
    )
    return p


def _check_numbers(p: argparse.ArgumentParser, ns: argparse.Namespace) -> None:
    """Reject option values outside their allowed ranges, saying what is allowed."""
    if not 0 <= ns.port <= 65535:
        p.error(f"--port must be 0-65535, got {ns.port}")
    if ns.n_vcpus is not None and ns.n_vcpus < 1:
        p.error(f"--n-vcpus must be >= 1, got {ns.n_vcpus}")
    if ns.max_concurrent < 1:
        p.error(f"--max-concurrent must be >= 1, got {ns.max_concurrent}")
    if ns.max_upload_bytes < 0:
        p.error(f"--max-upload-bytes must be >= 0, got {ns.max_upload_bytes}")
    if ns.max_extract_bytes < 0:
        p.error(f"--max-extract-bytes must be >= 0, got {ns.max_extract_bytes}")
    if ns.max_compression_ratio < 1:
        p.error(f"--max-compression-ratio must be >= 1, got {ns.max_compression_ratio}")
    if ns.kill_grace_seconds < 0:
        p.error(f"--kill-grace-seconds must be >= 0, got {ns.kill_grace_seconds}")


def _parse_faults(p: argparse.ArgumentParser, text: str | None) -> dict[str, Any]:
    """The initial fault settings, validated like `PUT /__mock__/faults`."""
    if not text:
        return {}
    try:
        faults = json.loads(text)
        if not isinstance(faults, dict):
            raise ValueError('expected a JSON object such as {"fail_next": 3}')
        Faults.from_dict(faults)
    except (TypeError, ValueError) as exc:
        p.error(f"--faults / INDUCTIVA_MOCK_FAULTS: {exc}")
    return faults


def parse_args(argv: Sequence[str] | None = None) -> Config:
    """Build a Config from *argv* and the environment (options win over variables)."""
    parser = _parser()
    ns = parser.parse_args(argv)
    _check_numbers(parser, ns)
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
    token = ns.admin_token or env.get("INDUCTIVA_MOCK_ADMIN_TOKEN") or None
    generated_token = False
    if ns.admin and token is None:
        token = secrets.token_urlsafe(24)
        generated_token = True
    if token is not None and token in keys:
        parser.error("--admin-token / INDUCTIVA_MOCK_ADMIN_TOKEN must differ from every API key")
    faults_text = ns.faults if ns.faults is not None else env.get("INDUCTIVA_MOCK_FAULTS")
    cfg = Config(
        host=ns.host,
        port=ns.port,
        api_keys=keys,
        generated_key=generated,
        admin=ns.admin,
        admin_token=token if ns.admin else None,
        generated_admin_token=generated_token,
        faults=_parse_faults(parser, faults_text),
        vm_type=ns.vm_type,
        n_vcpus=ns.n_vcpus or _vcpus_of(ns.vm_type),
        max_concurrent=ns.max_concurrent,
        max_upload_bytes=ns.max_upload_bytes,
        max_extract_bytes=ns.max_extract_bytes,
        max_compression_ratio=ns.max_compression_ratio,
        kill_grace_seconds=ns.kill_grace_seconds,
        validate_responses=not ns.no_validate_responses,
        strict_responses=ns.strict_responses,
        baseline_stack=ns.baseline_stack,
        legacy=ns.legacy or env.get("INDUCTIVA_MOCK_LEGACY", "") in ("1", "true", "yes"),
        spec_path=ns.spec,
        log_level=ns.log_level,
        data_dir=data_dir,
    )
    return cfg


def _vcpus_of(vm_type: str) -> int:
    """The vCPU count encoded in a GCP machine type name (`c2-standard-8` → 8)."""
    tail = vm_type.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() and int(tail) > 0 else 1
