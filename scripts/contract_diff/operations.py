"""Breaking changes between two specs at the level of operations, parameters and security.

``breaking_changes(old, new)`` pairs the operations of two specs (by method and
path, or by ``operationId`` when an operation moved), compares parameters,
request bodies, success responses and security requirements, hands every
schema to ``SchemaDiff`` and returns the breaking changes as ``(subject,
message)`` pairs. The rules are in ``check_contract.py``'s docstring.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .schemas import SchemaDiff, resolve

__all__ = ["Change", "breaking_changes"]

Spec = dict[str, Any]
Op = dict[str, Any]
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SCHEME_KEYS = ("type", "in", "name", "scheme", "bearerFormat", "openIdConnectUrl", "flows")


class Change(NamedTuple):
    """A breaking change: the name the CHANGELOG must quote, and what happened."""

    subject: str
    message: str


def _style(param: dict[str, Any]) -> tuple[str, bool]:
    """The parameter's effective (style, explode), defaults filled in as OpenAPI 3 says."""
    style = param.get("style") or ("form" if param.get("in") in ("query", "cookie") else "simple")
    return style, bool(param.get("explode", style == "form"))


class _Diff:
    def __init__(self, old: Spec, new: Spec) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self.schemas = SchemaDiff(old, new, self.add)

    def add(self, subject: str, message: str) -> None:
        change = Change(subject, message)
        if change not in self.changes:
            self.changes.append(change)

    def run(self) -> list[Change]:
        self._components()
        old_ops, new_ops = _operations(self.old), _operations(self.new)
        by_id = {str(op.get("operationId")): key for key, op in new_ops.items()}
        for key, old in old_ops.items():
            op_id = str(old.get("operationId", key))
            new = new_ops.get(key)
            moved = by_id.get(op_id) if "operationId" in old else None
            if new is None and moved is not None and moved not in old_ops:
                self.add(op_id, f"{key} ({op_id}): moved to {moved}")
                new = new_ops[moved]
            elif new is None:
                self.add(op_id, f"{key} ({op_id}): operation removed (or renamed)")
                continue
            elif new.get("operationId") != old.get("operationId"):
                self.add(op_id, f"{key}: operationId {op_id} renamed to {new.get('operationId')}")
            self._operation(key, op_id, old, new)
        return self.changes

    def _components(self) -> None:
        """Every component schema is a generated model: removing one breaks its importers."""
        old_c, new_c = self.old.get("components", {}), self.new.get("components", {})
        for name in old_c.get("schemas", {}):
            if name not in new_c.get("schemas", {}):
                self.add(name, f"schema {name} removed (or renamed): its generated model is gone")
        new_schemes = new_c.get("securitySchemes", {})
        for name, scheme in old_c.get("securitySchemes", {}).items():
            if name not in new_schemes:
                self.add(name, f"security scheme {name} removed")
                continue
            for key in SCHEME_KEYS:
                if scheme.get(key) != new_schemes[name].get(key):
                    was, now = scheme.get(key), new_schemes[name].get(key)
                    self.add(name, f"security scheme {name}: {key} changed from {was!r} to {now!r}")

    def _operation(self, where: str, op_id: str, old: Op, new: Op) -> None:
        self._parameters(where, old, new)
        self._request_body(where, op_id, old, new)
        self._security(where, op_id, old, new)
        self._responses(where, op_id, old, new)

    def _parameters(self, where: str, old: Op, new: Op) -> None:
        old_p, new_p = self._params(self.old, old), self._params(self.new, new)
        for (place, name), param in old_p.items():
            now = new_p.get((place, name))
            if now is None:
                moved = [k[0] for k in new_p if k[1] == name]
                if moved:
                    self.add(name, f"{where}: parameter {name!r} moved from {place} to {moved[0]}")
                else:
                    self.add(name, f"{where}: {place} parameter {name!r} removed (or renamed)")
                continue
            if now.get("required") and not param.get("required"):
                self.add(name, f"{where}: parameter {name!r} made required")
            if _style(param) != _style(now):
                was, is_ = _style(param), _style(now)
                self.add(name, f"{where}: parameter {name!r} serialization changed {was} -> {is_}")
            self.schemas.compare(name, param.get("schema"), now.get("schema"), "request", where)
        for (_, name), param in new_p.items():
            if param.get("required") and not any(k[1] == name for k in old_p):
                self.add(name, f"{where}: required parameter {name!r} added")

    def _request_body(self, where: str, op_id: str, old: Op, new: Op) -> None:
        old_b = resolve(self.old, old.get("requestBody")) or {}
        new_b = resolve(self.new, new.get("requestBody")) or {}
        old_c, new_c = old_b.get("content", {}), new_b.get("content", {})
        if new_b.get("required") and not old_b.get("required"):
            what = "made required" if old_b else "added, required"
            self.add(op_id, f"{where}: request body {what}")
        for media, content in old_c.items():
            if media not in new_c:
                now = ", ".join(new_c) or "no body"
                self.add(op_id, f"{where}: request body {media} no longer accepted (now {now})")
                continue
            new_schema = new_c[media].get("schema")
            self.schemas.compare(op_id, content.get("schema"), new_schema, "request", where)

    def _security(self, where: str, op_id: str, old: Op, new: Op) -> None:
        """Each way a client could authenticate before must still be accepted."""
        before = _requirements(old.get("security", self.old.get("security", [])))
        after = _requirements(new.get("security", self.new.get("security", [])))
        if not after or frozenset() in after:
            return  # no authentication needed: credentials a client sends are ignored
        for option in before - after:
            names = " + ".join(sorted(option)) or "no authentication"
            self.add(op_id, f"{where}: security requirement {names} no longer accepted")

    def _responses(self, where: str, op_id: str, old: Op, new: Op) -> None:
        old_r, new_r = old.get("responses", {}), new.get("responses", {})
        added = [str(c) for c in new_r if str(c).startswith("2") and c not in old_r]
        for code, response in old_r.items():
            success = str(code).startswith("2")
            if code not in new_r:
                if success:
                    now = f" (now {', '.join(added)})" if added else ""
                    self.add(op_id, f"{where}: success response {code} removed{now}")
                continue
            was, now_r = resolve(self.old, response), resolve(self.new, new_r[code])
            old_c, new_c = was.get("content", {}), now_r.get("content", {})
            for media, content in old_c.items():
                if media not in new_c:
                    if success:
                        self.add(op_id, f"{where}: {code} response no longer {media}")
                    continue
                schema = new_c[media].get("schema")
                self.schemas.compare(op_id, content.get("schema"), schema, "response", where)
            if success:
                self._headers(where, op_id, code, was, now_r)

    def _headers(self, where: str, op_id: str, code: str, old: Op, new: Op) -> None:
        new_h = new.get("headers", {})
        for name, header in old.get("headers", {}).items():
            if name not in new_h:
                self.add(op_id, f"{where}: {code} response header {name} removed")
                continue
            was, now = resolve(self.old, header), resolve(self.new, new_h[name])
            self.schemas.compare(name, was.get("schema"), now.get("schema"), "response", where)

    @staticmethod
    def _params(spec: Spec, op: Op) -> dict[tuple[str, str], dict[str, Any]]:
        found = {}
        for p in [*op.get("x-path-parameters", []), *op.get("parameters", [])]:
            param = resolve(spec, p)
            found[(param["in"], param["name"])] = param
        return found


def _operations(spec: Spec) -> dict[str, Op]:
    """Operations by "METHOD path", with the path item's parameters attached."""
    found = {}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method in METHODS:
                found[f"{method.upper()} {path}"] = {
                    **op,
                    "x-path-parameters": item.get("parameters", []),
                }
    return found


def _requirements(security: Any) -> set[frozenset[str]]:
    return {
        frozenset(f"{name}{sorted(scopes) or ''}" for name, scopes in r.items()) for r in security
    }


def breaking_changes(old: Spec, new: Spec) -> list[Change]:
    """The breaking changes of ``new`` against ``old``, in the order found."""
    return _Diff(old, new).run()
