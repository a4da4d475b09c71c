"""Spec variants for the drill: real changes applied to a copy of openapi.yaml, then checked.

``build_variant`` writes a variant's spec (version bumped as the change needs)
and regenerates the client from it with ``scripts/generate.py --spec ...
--target ...``; ``describe`` imports every module of a regenerated client and
reports its endpoints and models; ``run_check`` runs
``scripts/check_contract.py`` on a spec against the current ``openapi.yaml``
as the released contract.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .real_changes import BREAKING, CHANGES, RealChange, changelog_section

__all__ = [
    "VARIANTS",
    "Variant",
    "apply",
    "build_variant",
    "bumped",
    "current_spec",
    "describe",
    "run_check",
]

ROOT = Path(__file__).resolve().parents[2]
Spec = dict[str, Any]
# The changes each variant carries: one regeneration per group keeps the drill quick.
VARIANTS: dict[str, tuple[RealChange, ...]] = {
    "additive": tuple(c for c in CHANGES if not c.breaking),
    "breaking": BREAKING,
}


@dataclass(frozen=True)
class Variant:
    """A regenerated variant: its spec file, and ``target``, the folder holding inductiva_api."""

    name: str
    version: str
    changes: tuple[RealChange, ...]
    spec_path: Path
    target: Path

    @property
    def changelog(self) -> str:
        """A CHANGELOG section announcing the variant (naming every breaking subject)."""
        return changelog_section(self.version, self.changes)

    def env(self) -> dict[str, str]:
        """The environment of a subprocess importing this variant's inductiva_api first."""
        path = os.pathsep.join([str(self.target), str(ROOT)])
        return {**os.environ, "PYTHONPATH": path}


@cache
def _current_text() -> str:
    return (ROOT / "openapi.yaml").read_text(encoding="utf-8")


def current_spec() -> Spec:
    """A fresh copy of openapi.yaml as a dict."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: Spec = yaml.load(_current_text(), Loader=loader)
    return copy.deepcopy(spec)


def _dump(spec: Spec) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(spec, Dumper=dumper, sort_keys=False))


def bumped(version: str, breaking: bool) -> str:
    """The next version: a patch bump, or the breaking one (0.x: minor; else major)."""
    major, minor, patch = (int(p) for p in version.split("-")[0].split(".")[:3])
    if not breaking:
        return f"{major}.{minor}.{patch + 1}"
    return f"0.{minor + 1}.0" if major == 0 else f"{major + 1}.0.0"


def apply(changes: tuple[RealChange, ...] | list[RealChange], version: str | None = None) -> Spec:
    """openapi.yaml with ``changes`` applied and ``info.version`` set (default: bumped)."""
    spec = current_spec()
    for change in changes:
        change.apply(spec)
    old = str(spec["info"]["version"])
    spec["info"]["version"] = version or bumped(old, any(c.breaking for c in changes))
    return spec


def run_check(spec: Spec, folder: Path, changelog: str) -> subprocess.CompletedProcess[str]:
    """``scripts/check_contract.py`` on ``spec``, the current openapi.yaml as the release."""
    released = folder / "released"
    released.mkdir(parents=True, exist_ok=True)
    for old in released.glob("*.yaml"):
        old.unlink()
    version = current_spec()["info"]["version"]
    (released / f"openapi-{version}.yaml").write_text(_current_text(), encoding="utf-8")
    (folder / "openapi.yaml").write_text(_dump(spec), encoding="utf-8")
    (folder / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    args = ["--spec", "openapi.yaml", "--released", "released", "--changelog", "CHANGELOG.md"]
    script = ROOT / "scripts" / "check_contract.py"
    return subprocess.run(
        [sys.executable, str(script), *args], cwd=folder, capture_output=True, text=True
    )


def build_variant(name: str, folder: Path) -> Variant:
    """Apply ``VARIANTS[name]``, write the spec in ``folder``, regenerate into ``folder/gen``."""
    changes = VARIANTS[name]
    spec = apply(changes)
    spec_path = folder / "openapi.yaml"
    spec_path.write_text(_dump(spec), encoding="utf-8")
    target = folder / "gen"
    generate = [sys.executable, str(ROOT / "scripts" / "generate.py")]
    proc = subprocess.run(
        [*generate, "--spec", str(spec_path), "--target", str(target)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise AssertionError(f"regenerating variant {name} failed:\n{proc.stdout}{proc.stderr}")
    return Variant(name, str(spec["info"]["version"]), changes, spec_path, target)


DESCRIBE = """
import enum, importlib, inspect, json, pkgutil
import attrs
import inductiva_api
from inductiva_api import contract, models

facts = {"file": inductiva_api.__file__, "version": contract.__version__,
         "final_statuses": sorted(contract.FINAL_STATUSES), "endpoints": {}, "models": {}}
for info in pkgutil.walk_packages(inductiva_api.__path__, "inductiva_api."):
    module = importlib.import_module(info.name)  # every module imports
    call = getattr(module, "sync_detailed", None)
    if call is not None:
        signature = inspect.signature(call)
        facts["endpoints"][info.name.rsplit(".", 1)[1]] = {
            "parameters": {n: str(p.annotation) for n, p in signature.parameters.items()},
            "returns": str(signature.return_annotation),
        }
for name in models.__all__:
    model = getattr(models, name)
    if attrs.has(model):
        facts["models"][name] = sorted(attrs.fields_dict(model))
    elif issubclass(model, enum.Enum):
        facts["models"][name] = [member.value for member in model]
print(json.dumps(facts))
"""


def describe(variant: Variant) -> dict[str, Any]:
    """What a variant's regenerated client offers, after importing every module of it.

    ``{"file", "version", "final_statuses", "endpoints": {module: {"parameters":
    {name: annotation}, "returns": annotation}}, "models": {name: fields or enum values}}``.
    """
    proc = subprocess.run(
        [sys.executable, "-c", DESCRIBE], env=variant.env(), capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise AssertionError(f"variant {variant.name} does not import:\n{proc.stderr}")
    facts: dict[str, Any] = json.loads(proc.stdout)
    return facts
