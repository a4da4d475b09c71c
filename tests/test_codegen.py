"""The API contract and the generated client: validity, drift detection, forward compatibility."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
GENERATE = [sys.executable, str(ROOT / "scripts" / "generate.py")]


def _spec() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def _write_spec(path: Path, spec: dict) -> Path:
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _variant(spec: dict) -> dict:
    """A later backend: one more status value and one more optional Task field."""
    spec["components"]["schemas"]["TaskStatus"]["enum"].append("zombie")
    spec["components"]["schemas"]["Task"]["properties"]["priority"] = {"type": "integer"}
    return spec


def test_spec_is_valid_openapi() -> None:
    """openapi.yaml passes openapi-spec-validator."""
    validate(_spec())


def test_spec_declares_api_key_auth_everywhere_but_version() -> None:
    """Every operation needs X-API-Key except GET /version."""
    spec = _spec()
    scheme = spec["components"]["securitySchemes"]["APIKeyHeader"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")
    assert spec["security"] == [{"APIKeyHeader": []}]
    for path, ops in spec["paths"].items():
        for op in ops.values():
            assert ("security" in op) == (path == "/version"), path


def test_every_error_response_uses_the_error_model() -> None:
    """All 4xx/5xx responses carry the one documented Error model."""
    spec = _spec()
    responses = spec["components"]["responses"]
    for ops in spec["paths"].values():
        for op in ops.values():
            for code, resp in op["responses"].items():
                if int(code) < 400:
                    continue
                resolved = responses[resp["$ref"].rsplit("/", 1)[1]]
                schema = resolved["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}


def test_check_generated_passes_on_the_checked_in_tree() -> None:
    """`generate.py --check` accepts generated/ as committed."""
    proc = subprocess.run([*GENERATE, "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_generated_fails_when_spec_edited_without_regenerating(tmp_path: Path) -> None:
    """An edit of the spec not followed by `make generate` is caught, with a diff."""
    spec = _spec()
    spec["components"]["schemas"]["Task"]["properties"]["priority"] = {"type": "integer"}
    edited = _write_spec(tmp_path / "openapi.yaml", spec)
    proc = subprocess.run(
        [*GENERATE, "--check", "--spec", str(edited)], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "priority" in proc.stdout
    assert "make generate" in proc.stdout


def test_generation_is_reproducible(tmp_path: Path) -> None:
    """Generating twice into fresh directories gives identical trees."""
    for name in ("a", "b"):
        target = tmp_path / name
        subprocess.run([*GENERATE, "--target", str(target)], check=True, capture_output=True)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.py"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.py"))
    assert files_a == files_b and files_a
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


NEW_BACKEND_TASK = {
    "id": "1691150776862178362",
    "status": "zombie",
    "method_name": "fvm.openfoam.run_simulation",
    "create_time": "2023-08-04T12:06:17+00:00",
    "start_time": "2023-08-04T12:06:18+00:00",
    "end_time": None,
    "executer": {"host_type": "gcp", "vm_type": "c2-standard-8", "gpu": "none"},
    "priority": 3,
}


def test_current_client_decodes_unknown_status_and_fields() -> None:
    """The checked-in client keeps an unknown status as a string and extra fields aside."""
    from inductiva_api.models import Task

    task = Task.from_dict(NEW_BACKEND_TASK)
    assert task.status == "zombie"
    assert task.additional_properties == {"priority": 3}
    assert task.executer.vm_type == "c2-standard-8"  # type: ignore[union-attr]
    assert task.to_dict()["priority"] == 3


def test_regenerated_variant_and_layer_decode_new_status_and_field(tmp_path: Path) -> None:
    """A client regenerated with a new status and field decodes them; so does inductiva."""
    variant = _write_spec(tmp_path / "openapi.yaml", _variant(_spec()))
    target = tmp_path / "gen"
    subprocess.run(
        [*GENERATE, "--spec", str(variant), "--target", str(target)],
        check=True,
        capture_output=True,
    )
    script = textwrap.dedent(
        f"""
        import json, httpx, inductiva_api, inductiva
        from inductiva import _client
        from inductiva_api.models import Task, TaskStatus
        assert inductiva_api.__file__.startswith({str(target)!r}), inductiva_api.__file__
        assert TaskStatus("zombie").value == "zombie"
        body = json.loads({json.dumps(json.dumps(NEW_BACKEND_TASK))})
        task = Task.from_dict(body)
        assert task.priority == 3 and task.status == TaskStatus.ZOMBIE
        def handler(request):
            if request.url.path.endswith("/status"):
                return httpx.Response(200, json={{"id": body["id"], "status": "zombie"}})
            return httpx.Response(200, json=body)
        _client.set_transport(httpx.MockTransport(handler))
        inductiva.api_key, inductiva.api_url = "k", "http://mock.invalid"
        t = inductiva.Task(body["id"])
        assert t.get_status() == "zombie", t.get_status()
        assert t.get_info().vm_type == "c2-standard-8"
        print("ok")
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)])}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["Makefile", "README.md", ".ci/run", "pyproject.toml"])
def test_project_files_exist(name: str) -> None:
    """The files the README and CI rely on are present."""
    assert (ROOT / name).is_file()
