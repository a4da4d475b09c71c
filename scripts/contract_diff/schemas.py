"""Breaking changes between two versions of one schema, read in a request or a response.

``SchemaDiff.compare`` walks an old and a new schema side by side (through
``$ref``, properties, ``items`` and ``anyOf``/``oneOf``/``allOf`` members) and
reports each breaking change as ``(subject, message)``; see ``check_contract.py``
for the rules. The role (``"request"`` or ``"response"``) says who writes the
values: a request is written by clients, a response read by them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .constraints import moved_constraints

__all__ = ["SchemaDiff", "resolve"]

Spec = dict[str, Any]
COMPOSITES = ("anyOf", "oneOf", "allOf")
# Keys a catch-all member of a union may have (`anyOf: [Enum, {type: string}]`).
PLAIN_KEYS = {"type", "title", "description"}


def resolve(spec: Spec, node: Any) -> Any:
    """``node`` with its ``$ref`` chain followed (to a component of ``spec``)."""
    for _ in range(50):
        if not (isinstance(node, dict) and "$ref" in node):
            break
        *_, section, name = node["$ref"].split("/")
        node = spec["components"][section][name]
    return node


def shape(schema: Any) -> Any:
    """What generated types depend on: type, format, $ref, items and union members."""
    if not isinstance(schema, dict):
        return None
    found: dict[str, Any] = {k: schema[k] for k in ("$ref", "type", "format") if k in schema}
    if "items" in schema:
        found["items"] = shape(schema["items"])
    for key in COMPOSITES:
        if key in schema:
            found[key] = sorted(repr(shape(s)) for s in schema[key])
    return found


def _plain_types(members: list[Any]) -> frozenset[str]:
    """Types that a union also admits with no constraint: its enums are read tolerantly."""
    return frozenset(
        m["type"] for m in members if isinstance(m, dict) and "type" in m and set(m) <= PLAIN_KEYS
    )


def label(schema: Any) -> str:
    """A short name for a schema's shape: ``Task``, ``string(date-time)``, ``array of Task``."""
    if not isinstance(schema, dict):
        return "any"
    if "$ref" in schema:
        return str(schema["$ref"]).split("/")[-1]
    for key in COMPOSITES:
        if key in schema:
            return f"{key}[{', '.join(label(m) for m in schema[key])}]"
    if "items" in schema:
        return f"array of {label(schema['items'])}"
    kind = str(schema.get("type", "any"))
    return f"{kind}({schema['format']})" if "format" in schema else kind


def _type_change(old: Any, new: Any) -> str:
    """What differs between two shapes, in words."""
    for key in COMPOSITES:
        if key in old and key in new:
            was, now = [label(m) for m in old[key]], [label(m) for m in new[key]]
            gone = [m for m in was if m not in now]
            came = [m for m in now if m not in was]
            parts = [
                f"{verb} {', '.join(items)}"
                for verb, items in (("removed", gone), ("added", came))
                if items
            ]
            if parts:
                return f"{key} members changed: {'; '.join(parts)}"
    return f"type changed from {label(old)} to {label(new)}"


class SchemaDiff:
    """Compares schemas of ``old`` and ``new`` specs; ``add(subject, message)`` collects."""

    def __init__(self, old: Spec, new: Spec, add: Callable[[str, str], None]) -> None:
        self.old, self.new, self.add = old, new, add
        self._visited: set[tuple[str, str, frozenset[str]]] = set()

    def compare(
        self,
        subject: str,
        old: Any,
        new: Any,
        role: str,
        context: str = "",
        tolerant: frozenset[str] = frozenset(),
        depth: int = 0,
    ) -> None:
        """Report what breaks between ``old`` and ``new``, used in ``role``.

        ``subject`` is what the CHANGELOG must name; ``context`` (an operation)
        prefixes messages; ``tolerant`` holds the types whose enum values a
        union around this schema also accepts as plain values.
        """
        if depth > 30 or not isinstance(old, dict) or not isinstance(new, dict):
            return
        where = f"{context} {subject}" if context else subject
        if shape(old) != shape(new):
            self.add(subject, f"{where}: {_type_change(old, new)}")
            return
        if "$ref" in old:
            name = str(old["$ref"]).split("/")[-1]
            if (name, role, tolerant) not in self._visited:
                self._visited.add((name, role, tolerant))
                old_r, new_r = resolve(self.old, old), resolve(self.new, new)
                self.compare(name, old_r, new_r, role, "", tolerant, depth + 1)
            return
        self._enum(subject, where, old, new, role, tolerant)
        for moved in moved_constraints(old, new):
            if moved.tightened if role == "request" else moved.loosened:
                how = "tightened" if moved.tightened else "loosened"
                self.add(subject, f"{where}: {role} constraint {how}: {moved}")
        self._properties(subject, old, new, role, depth)
        if "items" in old and "items" in new:
            self.compare(f"{subject}[]", old["items"], new["items"], role, context, depth=depth + 1)
        for key in COMPOSITES:
            self._members(subject, old.get(key, []), new.get(key, []), role, context, depth)

    def _enum(
        self, subject: str, where: str, old: Any, new: Any, role: str, tolerant: frozenset[str]
    ) -> None:
        before, after = old.get("enum"), new.get("enum")
        if before is None and after is None:
            return
        if before is None:
            if role == "request":
                self.add(subject, f"{where}: enum {after} now restricts a request value")
            return
        if after is None:
            if role == "response":
                self.add(subject, f"{where}: enum dropped: a response may hold any value")
            return
        for value in before:
            if value not in after:
                self.add(f"{subject}.{value}", f"{where}: enum value {value!r} removed")
        if role == "response" and new.get("type") not in tolerant:
            for value in after:
                if value not in before:
                    message = f"{where}: enum value {value!r} added to a response"
                    self.add(f"{subject}.{value}", message + " (clients reading it do not know it)")

    def _properties(self, subject: str, old: Any, new: Any, role: str, depth: int) -> None:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        # a request never carries readOnly properties; a response never carries writeOnly ones
        hidden = "readOnly" if role == "request" else "writeOnly"
        for name, prop in old_props.items():
            if isinstance(prop, dict) and prop.get(hidden):
                continue
            at = f"{subject}.{name}"
            if name not in new_props:
                self.add(at, f"{at}: property removed (or renamed)")
            elif isinstance(new_props[name], dict) and new_props[name].get(hidden):
                gone = "accepted in a request" if role == "request" else "returned in a response"
                self.add(at, f"{at}: now {hidden}, no longer {gone}")
            else:
                self.compare(at, prop, new_props[name], role, depth=depth + 1)
        old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
        if role == "request":
            for name in sorted(new_req - old_req):
                if not (isinstance(new_props.get(name), dict) and new_props[name].get(hidden)):
                    at = f"{subject}.{name}"
                    self.add(at, f"{at}: property made required in a request")
        else:
            for name in sorted(old_req - new_req):
                if name in new_props:
                    at = f"{subject}.{name}"
                    self.add(at, f"{at}: response property made optional")

    def _members(
        self, subject: str, old: list[Any], new: list[Any], role: str, context: str, depth: int
    ) -> None:
        """Union members, paired by shape (their order may change)."""
        tolerant = _plain_types([resolve(self.new, m) for m in new]) if new else frozenset()
        unused = list(new)
        for member in old:
            match = next((m for m in unused if shape(m) == shape(member)), None)
            if match is not None:
                unused.remove(match)
                self.compare(subject, member, match, role, context, tolerant, depth + 1)
