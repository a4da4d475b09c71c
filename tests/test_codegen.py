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
from inductiva_api import contract
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
    spec["components"]["schemas"]["TaskStatusCode"]["enum"].append("zombie")
    spec["components"]["schemas"]["Task"]["properties"]["priority"] = {"type": "integer"}
    return spec


def test_spec_is_valid_openapi() -> None:
    """openapi.yaml passes openapi-spec-validator."""
    validate(_spec())


def test_spec_declares_api_key_auth_everywhere() -> None:
    """Every operation needs X-API-Key (none overrides the global security)."""
    spec = _spec()
    scheme = spec["components"]["securitySchemes"]["APIKeyHeader"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")
    assert spec["security"] == [{"APIKeyHeader": []}]
    for path, ops in _operations(spec):
        assert "security" not in ops, path


def _operations(spec: dict) -> list[tuple[str, dict]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if not method.startswith("x-")
    ]


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = spec["components"][section][name]
    return node


def test_error_responses_have_fastapi_shapes() -> None:
    """422 is HTTPValidationError; every other 4xx/5xx is HTTPError {detail}."""
    spec = _spec()
    for where, op in _operations(spec):
        assert "422" in op["responses"], where
        for code, resp in op["responses"].items():
            if int(code) < 400:
                continue
            schema = _resolve(spec, resp)["content"]["application/json"]["schema"]
            wanted = "HTTPValidationError" if code == "422" else "HTTPError"
            assert schema == {"$ref": f"#/components/schemas/{wanted}"}, (where, code)


REAL = json.loads((ROOT / "spec" / "reference" / "real-api-v035.json").read_text())
EXTENSIONS = contract.EXTENSIONS


def _is_extension(node: dict) -> bool:
    return node.get("x-inductiva-extension") in EXTENSIONS


@pytest.mark.parametrize("where", sorted(REAL))
def test_operation_is_the_real_apis(where: str) -> None:
    """Each real operation has exactly the real parameters, body type and success code."""
    spec = _spec()
    real = REAL[where]
    method, path = where.split(" ", 1)
    op = spec["paths"][path][method.lower()]
    params = [_resolve(spec, p) for p in op.get("parameters", [])]
    ours = {(p["in"], p["name"], p.get("required", False)) for p in params if not _is_extension(p)}
    assert ours == {(p["in"], p["name"], p["required"]) for p in real["params"]}
    assert not [p for p in params if _is_extension(p) and p.get("required")]
    real_body = real.get("request_body", {}).get("content", {})
    assert set(op.get("requestBody", {}).get("content", {})) == set(real_body)
    real_ok = {c for c in real["responses"] if c.startswith("2")}
    ours_ok = {c for c, r in op["responses"].items() if c.startswith("2") and not _is_extension(r)}
    assert ours_ok == real_ok
    for code, resp in op["responses"].items():
        if code not in real["responses"] and code != "default":
            assert _is_extension(resp) or _is_extension(_resolve(spec, resp)), (where, code)


def test_real_operations_are_all_and_only_non_extension_paths() -> None:
    """Every path not marked as an extension is one of the real API's operations."""
    spec = _spec()
    ours = {w for w, _ in _operations(spec) if not _is_extension(spec["paths"][w.split(" ")[1]])}
    assert ours == set(REAL)


@pytest.mark.parametrize(
    ("schema", "required"),
    [
        ("TaskRequest", ["method", "params"]),
        ("TaskStatus", ["id", "status"]),
        ("Task", ["task_id", "status", "method_name"]),
        ("OutputArchiveInfo", ["size", "contents"]),
        ("FileInfo", ["name", "size", "compressed_size"]),
        ("ValidationError", ["loc", "msg", "type"]),
        ("Body_upload_task_input", ["file"]),
    ],
)
def test_schema_required_fields_are_the_real_apis(schema: str, required: list[str]) -> None:
    """The real schemas keep their required fields (e.g. Task.task_id, not id)."""
    assert sorted(_spec()["components"]["schemas"][schema]["required"]) == sorted(required)


def test_task_times_are_nullable_and_executer_has_both_variants() -> None:
    """Task times may be null; executer is GCloudExecuter, InductivaExecuter or null."""
    task = _spec()["components"]["schemas"]["Task"]["properties"]
    for name in ("create_time", "input_submit_time", "start_time", "end_time"):
        assert task[name]["nullable"] is True and task[name]["format"] == "date-time"
    refs = [v.get("$ref", "null") for v in task["executer"]["anyOf"]]
    assert refs == [
        "#/components/schemas/GCloudExecuter",
        "#/components/schemas/InductivaExecuter",
        "null",
    ]


def test_list_tasks_answers_a_plain_array() -> None:
    """GET /tasks returns a JSON array of Task (no envelope)."""
    op = _spec()["paths"]["/tasks"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"type": "array", "items": {"$ref": "#/components/schemas/Task"}}


def test_every_extension_is_declared_in_the_description() -> None:
    """Each x-inductiva-extension name used in the spec is explained in info.description."""
    text = SPEC.read_text(encoding="utf-8")
    used = {
        line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if line.strip().startswith("x-inductiva-extension:")
    }
    assert used == EXTENSIONS
    description = _spec()["info"]["description"]
    assert all(f"`{name}`" in description for name in used)


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
    "task_id": "1691150776862178362",
    "status": "zombie",
    "method_name": "fvm.openfoam.run_simulation",
    "create_time": "2023-08-04T12:06:17+00:00",
    "start_time": "2023-08-04T12:06:18+00:00",
    "end_time": None,
    "executer": {
        "uuid": "5f0e8f3c-0000-4000-8000-000000000000",
        "cpu_count_logical": 8,
        "cpu_count_physical": 4,
        "memory": 32_000_000_000,
        "host_type": "gcloud",
        "vm_type": "c2-standard-8",
        "gpu": "none",
    },
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
        from inductiva import _http
        from inductiva_api.models import Task, TaskStatusCode
        assert inductiva_api.__file__.startswith({str(target)!r}), inductiva_api.__file__
        assert TaskStatusCode("zombie").value == "zombie"
        body = json.loads({json.dumps(json.dumps(NEW_BACKEND_TASK))})
        task = Task.from_dict(body)
        assert task.priority == 3 and task.status == TaskStatusCode.ZOMBIE
        def handler(request):
            if request.url.path.endswith("/status"):
                return httpx.Response(200, json={{"id": body["task_id"], "status": "zombie"}})
            return httpx.Response(200, json=body)
        _http.set_transport(httpx.MockTransport(handler))
        inductiva.api_key, inductiva.api_url = "k", "http://mock.invalid"
        t = inductiva.Task(body["task_id"])
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
