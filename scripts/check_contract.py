"""Compare ``openapi.yaml`` with the last released contract; fail on an unannounced change.

``python scripts/check_contract.py`` (``make check-contract``) loads the newest
``spec/released/openapi-<version>.yaml`` and lists the breaking changes of
``openapi.yaml`` against it:

* an operation removed, or renamed (path, method or ``operationId``);
* a parameter removed or renamed, made required, or added as required;
* a property removed or renamed (request or response schema);
* a property made required (or added as required) in a request schema;
* a property no longer required in a response schema;
* an enum value removed;
* a type changed (``type``, ``format``, ``$ref``, ``items``, ``anyOf`` members).

Rules (semantic versioning, with the 0.x convention that the *minor* number
plays the part of the major one): any change of the contract needs a higher
``info.version`` and a ``## <version>`` section in ``CHANGELOG.md``; a breaking
change needs a major bump (0.x: minor bump) and the section must name each
breaking change's subject in backticks: the ``operationId``, the parameter
name, ``Schema.property``, or ``Schema.value`` for an enum value (the message
says which).
No maintained tool that runs here catches all of these (see README), so the
checks are ours; ``tests/test_check_contract.py`` covers each kind.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

Spec = dict[str, Any]


def version_tuple(version: str) -> tuple[int, ...]:
    """``"0.5.0"`` -> ``(0, 5, 0)`` (a pre-release suffix is ignored)."""
    return tuple(int(p) for p in re.split(r"[-+]", version)[0].split("."))


def breaking_key(version: str) -> tuple[int, ...]:
    """The part that a breaking change must raise: (major,), or (0, minor) for 0.x."""
    v = version_tuple(version)
    return (0, v[1]) if v[0] == 0 else (v[0],)


def latest_released(folder: Path) -> Path:
    """The newest ``openapi-<version>.yaml`` in ``folder``."""
    found = sorted(
        folder.glob("openapi-*.yaml"),
        key=lambda p: version_tuple(p.stem.removeprefix("openapi-")),
    )
    if not found:
        raise SystemExit(f"no released contract in {folder}")
    return found[-1]


class Diff:
    """Walks two specs and collects the breaking changes as (subject, message)."""

    def __init__(self, old: Spec, new: Spec) -> None:
        self.old, self.new = old, new
        self.changes: list[tuple[str, str]] = []

    def add(self, subject: str, message: str) -> None:
        if (subject, message) not in self.changes:
            self.changes.append((subject, message))

    def _resolve(self, spec: Spec, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 50:
            *_, section, name = node["$ref"].split("/")
            node = spec["components"][section][name]
            seen += 1
        return node

    @staticmethod
    def _shape(schema: Any) -> Any:
        """What a client's types depend on: type, format, $ref, items and anyOf/oneOf members."""
        if not isinstance(schema, dict):
            return None
        shape: dict[str, Any] = {}
        for key in ("$ref", "type", "format"):
            if key in schema:
                shape[key] = schema[key]
        if "items" in schema:
            shape["items"] = Diff._shape(schema["items"])
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                shape[key] = sorted(repr(Diff._shape(s)) for s in schema[key])
        return shape

    def schema(self, where: str, old: Any, new: Any, role: str, depth: int = 0) -> None:
        """Compare two schemas used in ``role`` ("request" or "response")."""
        if depth > 20 or not isinstance(old, dict) or not isinstance(new, dict):
            return
        if self._shape(old) != self._shape(new):
            self.add(where, f"{where}: type changed from {self._shape(old)} to {self._shape(new)}")
            return
        removed = [v for v in old.get("enum", []) if v not in new.get("enum", [v])]
        for value in removed:
            self.add(f"{where}.{value}", f"{where}: enum value {value!r} removed")
        old_r, new_r = self._resolve(self.old, old), self._resolve(self.new, new)
        if "$ref" in old:
            where = old["$ref"].split("/")[-1]
            if (where, role) in self._visited:
                return
            self._visited.add((where, role))
            if old_r is not old:
                self.schema(where, old_r, new_r, role, depth + 1)
            return
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
        for name, prop in old_props.items():
            if name not in new_props:
                self.add(f"{where}.{name}", f"{where}.{name}: property removed (or renamed)")
                continue
            self.schema(f"{where}.{name}", prop, new_props[name], role, depth + 1)
        if role == "request":
            for name in sorted(new_req - old_req):
                self.add(f"{where}.{name}", f"{where}.{name}: property made required in a request")
        else:
            for name in sorted(old_req - new_req):
                if name in new_props:
                    self.add(f"{where}.{name}", f"{where}.{name}: response property made optional")
        if "items" in old and "items" in new:
            self.schema(f"{where}[]", old["items"], new["items"], role, depth + 1)
        for key in ("anyOf", "oneOf", "allOf"):
            for a, b in zip(old.get(key, []), new.get(key, []), strict=False):
                self.schema(where, a, b, role, depth + 1)

    def _operations(self, spec: Spec) -> dict[str, dict[str, Any]]:
        return {
            f"{method.upper()} {path}": op
            for path, item in spec.get("paths", {}).items()
            for method, op in item.items()
            if method in METHODS
        }

    def _params(self, spec: Spec, op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        params = [self._resolve(spec, p) for p in op.get("parameters", [])]
        return {(p["in"], p["name"]): p for p in params}

    def run(self) -> list[tuple[str, str]]:
        self._visited: set[tuple[str, str]] = set()
        old_ops, new_ops = self._operations(self.old), self._operations(self.new)
        for where, old in old_ops.items():
            new = new_ops.get(where)
            op_id = str(old.get("operationId", where))
            if new is None:
                self.add(op_id, f"{where} ({op_id}): operation removed (or renamed)")
                continue
            if new.get("operationId") != old.get("operationId"):
                self.add(op_id, f"{where}: operationId {op_id} renamed to {new.get('operationId')}")
            self._operation(where, old, new)
        return self.changes

    def _operation(self, where: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        old_p, new_p = self._params(self.old, old), self._params(self.new, new)
        for key, param in old_p.items():
            name = key[1]
            if key not in new_p:
                self.add(name, f"{where}: {key[0]} parameter {name!r} removed (or renamed)")
                continue
            if new_p[key].get("required") and not param.get("required"):
                self.add(name, f"{where}: parameter {name!r} made required")
            self.schema(f"{where} {name}", param.get("schema"), new_p[key].get("schema"), "request")
        for key, param in new_p.items():
            if key not in old_p and param.get("required"):
                self.add(key[1], f"{where}: required parameter {key[1]!r} added")
        old_body = old.get("requestBody", {}).get("content", {})
        new_body = new.get("requestBody", {}).get("content", {})
        for media, content in old_body.items():
            if media not in new_body:
                self.add(media, f"{where}: request body {media} removed")
                continue
            self.schema(where, content.get("schema"), new_body[media].get("schema"), "request")
        for code, resp in old.get("responses", {}).items():
            if code not in new.get("responses", {}):
                if str(code).startswith("2"):
                    self.add(str(code), f"{where}: success response {code} removed")
                continue
            old_c = self._resolve(self.old, resp).get("content", {})
            new_c = self._resolve(self.new, new["responses"][code]).get("content", {})
            for media, content in old_c.items():
                if media in new_c:
                    new_schema = new_c[media].get("schema")
                    self.schema(where, content.get("schema"), new_schema, "response")


def changelog_section(changelog: Path, version: str) -> str | None:
    """The text of ``## <version>`` in CHANGELOG.md (up to the next ``## ``), or None."""
    if not changelog.is_file():
        return None
    text = changelog.read_text(encoding="utf-8")
    match = re.search(rf"^## \[?{re.escape(version)}\]?\b.*?(?=^## |\Z)", text, re.M | re.S)
    return match.group(0) if match else None


def check(spec_path: Path, released_dir: Path, changelog: Path) -> list[str]:
    """The problems that make the check fail (empty when the contract change is announced)."""
    released_path = latest_released(released_dir)
    old = yaml.safe_load(released_path.read_text(encoding="utf-8"))
    new = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    old_v, new_v = str(old["info"]["version"]), str(new["info"]["version"])
    breaking = Diff(old, new).run()
    changed = {**old, "info": None} != {**new, "info": None}
    problems: list[str] = []
    if not changed and not breaking:
        return problems
    if version_tuple(new_v) <= version_tuple(old_v):
        problems.append(
            f"the contract changed since {released_path.name}, but info.version is {new_v}: "
            f"raise it (a breaking change needs {'.'.join(map(str, bump(old_v)))})"
        )
    elif breaking and breaking_key(new_v) <= breaking_key(old_v):
        problems.append(
            f"breaking changes need a major version (0.x: minor), "
            f"{'.'.join(map(str, bump(old_v)))} or higher, not {new_v}"
        )
    section = changelog_section(changelog, new_v)
    if section is None:
        problems.append(f"{changelog.name} has no '## {new_v}' section describing the change")
    for subject, message in breaking:
        if section is None or f"`{subject}`" not in section:
            problems.append(f"breaking: {message}; name `{subject}` in {changelog.name} {new_v}")
    return problems


def bump(version: str) -> tuple[int, ...]:
    """The smallest version allowed to break ``version``."""
    v = version_tuple(version)
    return (0, v[1] + 1, 0) if v[0] == 0 else (v[0] + 1, 0, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi.yaml")
    parser.add_argument("--released", type=Path, default=ROOT / "spec" / "released")
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    args = parser.parse_args(argv)
    released = latest_released(args.released)
    problems = check(args.spec, args.released, args.changelog)
    for problem in problems:
        print(f"check-contract: {problem}")
    if problems:
        print(f"{args.spec.name} vs {released.name}: {len(problems)} problem(s)")
        return 1
    print(f"{args.spec.name} vs {released.name}: no unannounced change")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
