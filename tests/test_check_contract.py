"""`make check-contract`: each kind of breaking change is caught unless versioned and announced."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_contract.py"
RELEASED = yaml.safe_load(next((ROOT / "spec" / "released").glob("openapi-0.5.0.yaml")).read_text())
Spec = dict


def _schemas(s: Spec) -> dict:
    return s["components"]["schemas"]


def _status_params(s: Spec) -> list:
    return s["paths"]["/tasks/{task_id}/status"]["get"]["parameters"]


def _rename_param(s: Spec) -> None:
    _status_params(s)[1]["name"] = "wait"


def _rename_operation(s: Spec) -> None:
    s["paths"]["/tasks/{task_id}/kill"]["post"]["operationId"] = "cancel_task"


def _move_operation(s: Spec) -> None:
    s["paths"]["/tasks/{task_id}/cancel"] = s["paths"].pop("/tasks/{task_id}/kill")


def _param_required(s: Spec) -> None:
    _status_params(s)[2]["required"] = True


def _param_type(s: Spec) -> None:
    _status_params(s)[1]["schema"] = {"type": "integer"}


def _required_request_property(s: Spec) -> None:
    _schemas(s)["TaskRequest"]["required"].append("resource_pool")


def _remove_response_property(s: Spec) -> None:
    del _schemas(s)["Task"]["properties"]["end_time"]


def _rename_response_property(s: Spec) -> None:
    props = _schemas(s)["FileInfo"]["properties"]
    props["compressed"] = props.pop("compressed_size")
    _schemas(s)["FileInfo"]["required"] = ["name", "size", "compressed"]


def _response_property_optional(s: Spec) -> None:
    _schemas(s)["FileInfo"]["required"].remove("compressed_size")


def _remove_enum_value(s: Spec) -> None:
    _schemas(s)["TaskStatusCode"]["enum"].remove("pending-kill")


def _property_type(s: Spec) -> None:
    _schemas(s)["OutputArchiveInfo"]["properties"]["size"] = {"type": "string"}


def _remove_operation(s: Spec) -> None:
    del s["paths"]["/tasks/{task_id}/kill"]


BREAKING: dict[str, tuple[Callable[[Spec], None], str]] = {
    "operation removed": (_remove_operation, "kill_task"),
    "operation renamed (operationId)": (_rename_operation, "kill_task"),
    "operation renamed (path)": (_move_operation, "kill_task"),
    "parameter renamed": (_rename_param, "wait_seconds"),
    "parameter made required": (_param_required, "last_status"),
    "parameter type changed": (_param_type, "GET /tasks/{task_id}/status wait_seconds"),
    "request property made required": (_required_request_property, "TaskRequest.resource_pool"),
    "response property removed": (_remove_response_property, "Task.end_time"),
    "response property renamed": (_rename_response_property, "FileInfo.compressed_size"),
    "response property made optional": (_response_property_optional, "FileInfo.compressed_size"),
    "enum value removed": (_remove_enum_value, "TaskStatusCode.pending-kill"),
    "property type changed": (_property_type, "OutputArchiveInfo.size"),
}


def _run(
    tmp_path: Path, spec: Spec, changelog: str, released: Spec | None = None
) -> subprocess.CompletedProcess[str]:
    released = released or RELEASED
    (tmp_path / "released").mkdir(exist_ok=True)
    name = f"openapi-{released['info']['version']}.yaml"
    (tmp_path / "released" / name).write_text(yaml.safe_dump(released))
    (tmp_path / "openapi.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (tmp_path / "CHANGELOG.md").write_text(changelog)
    args = ["--spec", "openapi.yaml", "--released", "released", "--changelog", "CHANGELOG.md"]
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=tmp_path, capture_output=True, text=True
    )


def _changed(change: Callable[[Spec], None], version: str, base: Spec | None = None) -> Spec:
    spec = copy.deepcopy(base or RELEASED)
    change(spec)
    spec["info"]["version"] = version
    return spec


def test_the_checked_in_contract_passes() -> None:
    """openapi.yaml passes against spec/released (what `make check-contract` runs in CI)."""
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("kind", sorted(BREAKING))
def test_breaking_change_fails_without_major_bump(tmp_path: Path, kind: str) -> None:
    """Each kind of breaking change fails when only the patch version is bumped."""
    change, subject = BREAKING[kind]
    proc = _run(tmp_path, _changed(change, "0.5.1"), f"## 0.5.1\n\n- `{subject}` changed\n")
    assert proc.returncode == 1, proc.stdout
    assert "breaking changes need a major version" in proc.stdout


@pytest.mark.parametrize("kind", sorted(BREAKING))
def test_breaking_change_must_be_named_in_the_changelog(tmp_path: Path, kind: str) -> None:
    """A major (0.x: minor) bump passes only once CHANGELOG names the change's subject."""
    change, subject = BREAKING[kind]
    proc = _run(tmp_path, _changed(change, "0.6.0"), "## 0.6.0\n\n- something else\n")
    assert proc.returncode == 1 and f"`{subject}`" in proc.stdout, proc.stdout
    proc = _run(tmp_path, _changed(change, "0.6.0"), f"## 0.6.0\n\n- `{subject}`: see docs\n")
    assert proc.returncode == 0, proc.stdout


def _add_field(s: Spec) -> None:
    _schemas(s)["Task"]["properties"]["cost_usd"] = {"type": "number"}


def test_additive_change_needs_a_version_bump_and_changelog_section(tmp_path: Path) -> None:
    """A compatible change passes with a minor or patch bump and a CHANGELOG section only."""
    assert _run(tmp_path, _changed(_add_field, "0.5.0"), "").returncode == 1
    assert _run(tmp_path, _changed(_add_field, "0.5.1"), "# Changelog\n").returncode == 1
    assert _run(tmp_path, _changed(_add_field, "0.5.1"), "## 0.5.1\n- cost\n").returncode == 0


def test_major_bump_rule_outside_0x(tmp_path: Path) -> None:
    """From 1.x on, a breaking change needs 2.0.0: a minor bump is refused."""
    base = copy.deepcopy(RELEASED)
    base["info"]["version"] = "1.2.0"
    note = "## {v}\n- `kill_task` removed\n"
    bad_spec = _changed(_remove_operation, "1.3.0", base)
    bad = _run(tmp_path, bad_spec, note.format(v="1.3.0"), released=base)
    good_spec = _changed(_remove_operation, "2.0.0", base)
    good = _run(tmp_path, good_spec, note.format(v="2.0.0"), released=base)
    assert bad.returncode == 1 and "2.0.0" in bad.stdout
    assert good.returncode == 0, good.stdout
