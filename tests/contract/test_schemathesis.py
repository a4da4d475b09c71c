"""Schemathesis property tests of the mock server against openapi.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from inductiva_mock.launcher import MockServer
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

try:
    from schemathesis.checks import not_a_server_error
except ImportError:  # pragma: no cover - location differs between releases
    from schemathesis.specs.openapi.checks import not_a_server_error  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
schema = schemathesis.openapi.from_path(REPO / "openapi.yaml")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

pytestmark = pytest.mark.contract


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_mock_conforms_to_spec(case: schemathesis.Case, mock_server: MockServer) -> None:
    """Every operation answers spec-conformant responses and never a 5xx."""
    wait = (case.query or {}).get("wait_seconds")
    if isinstance(wait, int | float) and not isinstance(wait, bool):
        case.query["wait_seconds"] = min(wait, 0.2)  # keep long-polls short
    case.call_and_validate(
        base_url=mock_server.url,
        headers={"X-API-Key": "test-key"},
        checks=CHECKS,
        timeout=10,
    )
