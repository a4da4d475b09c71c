"""Responses shaped by the spec: missing required properties filled, undeclared ones dropped.

Before a JSON response is validated, the plan of its schema walks the payload: every
required property a handler did not give gets the spec's sample value (in objects, and
in objects inside arrays, recursively), and every property the schema does not
declare is dropped (an object schema listing ``properties`` without allowing
``additionalProperties``, as FastAPI's response models drop undeclared fields). So a
required field added to the spec is answered, with its sample, before any handler
knows it, and a field removed from the spec disappears from the answers.

Plans are built once per response schema at startup; shaping a conforming payload
only tests key membership. ``anyOf``/``oneOf`` objects are shaped by the branch the
payload matches best (its enum-valued properties agree, most properties in common).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from .operations import ref_name
from .samples import SampleError, Samples, is_null_schema, merge_all_of, resolve

__all__ = ["Plan", "Shaper"]

log = logging.getLogger("inductiva_mock")

Plan = Callable[[Any, list[str]], bool]
"""Shape a payload in place, appending ``"<schema>.<field> filled|dropped"`` notes for
what it changed; returns whether it changed anything."""


class _Forward:
    """A plan whose schema contains itself: delegates once the plan is built."""

    def __init__(self) -> None:
        self.target: Plan | None = None

    def __call__(self, value: Any, notes: list[str]) -> bool:
        return self.target(value, notes) if self.target is not None else False


class Shaper:
    """Builds and memoizes the shaping plans of one spec's schemas."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.samples = Samples(spec)
        self._by_ref: dict[str, Plan | None] = {}

    def plan(self, schema: Any, label: str = "body") -> Plan | None:
        """The plan of *schema*, or None when no payload of it ever needs shaping."""
        if not isinstance(schema, Mapping):
            return None
        if "$ref" in schema:
            ref = str(schema["$ref"])
            if ref in self._by_ref:
                return self._by_ref[ref]
            forward = _Forward()
            self._by_ref[ref] = forward
            built = self._build(resolve(self.spec, schema), ref_name(schema) or label)
            forward.target = built
            self._by_ref[ref] = built
            return built
        return self._build(schema, label)

    def _build(self, schema: Any, label: str) -> Plan | None:
        if not isinstance(schema, Mapping):
            return None
        if "allOf" in schema:
            schema = merge_all_of(self.spec, schema)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._branches(schema[key], label)
        if schema.get("type") == "array" or "items" in schema:
            return _array(self.plan(schema.get("items"), f"{label}[]"))
        if "properties" in schema:
            return self._object(schema, label)
        return None

    def _object(self, schema: Mapping[str, Any], label: str) -> Plan | None:
        properties: Mapping[str, Any] = schema["properties"] or {}
        extra = schema.get("additionalProperties")
        declared = frozenset(properties) if extra is None or extra is False else None
        fills = []
        for name in schema.get("required") or []:
            if name not in properties:
                continue
            try:
                value = self.samples.of(properties[name], f"{label}.{name}")
            except SampleError as exc:
                log.warning("no sample to fill a missing %s: %s", f"{label}.{name}", exc)
                continue
            fills.append((str(name), value, f"{label}.{name} filled"))
        children = []
        for name, prop in properties.items():
            child = self.plan(prop, f"{label}.{name}")
            if child is not None:
                children.append((str(name), child))
        if declared is None and not fills and not children:
            return None
        return _object(label, declared, tuple(fills), tuple(children))

    def _branches(self, branches: Any, label: str) -> Plan | None:
        options = []
        for index, branch in enumerate(branches or []):
            found = resolve(self.spec, branch)
            if is_null_schema(found) or not isinstance(found, Mapping):
                continue
            if "allOf" in found:
                found = merge_all_of(self.spec, found)
            plan = self.plan(branch, ref_name(branch) or f"{label}[{index}]")
            properties = found.get("properties") or {}
            if plan is None or not properties:
                continue
            enums = tuple(
                (str(name), frozenset(map(str, e)))
                for name, prop in properties.items()
                if isinstance(e := resolve(self.spec, prop).get("enum"), list)
            )
            options.append((frozenset(properties), enums, plan))
        if not options:
            return None
        return _choice(tuple(options))


def _array(items: Plan | None) -> Plan | None:
    if items is None:
        return None

    def shape(value: Any, notes: list[str]) -> bool:
        if type(value) is not list:
            return False
        changed = False
        for item in value:
            changed = items(item, notes) or changed
        return changed

    return shape


def _object(
    label: str,
    declared: frozenset[str] | None,
    fills: tuple[tuple[str, Any, str], ...],
    children: tuple[tuple[str, Plan], ...],
) -> Plan:
    required = frozenset(name for name, _, _ in fills)

    def shape(value: Any, notes: list[str]) -> bool:
        if type(value) is not dict:
            return False
        changed = False
        if declared is not None and not declared.issuperset(value):
            for name in [n for n in value if n not in declared]:
                del value[name]
                notes.append(f"{label}.{name} dropped")
            changed = True
        for name, child in children:
            found = value.get(name)
            if found is not None and child(found, notes):
                changed = True
        if not required <= value.keys():
            for name, sample, note in fills:
                if name not in value:
                    value[name] = sample
                    notes.append(note)
            changed = True
        return changed

    return shape


Option = tuple[frozenset[str], tuple[tuple[str, frozenset[str]], ...], Plan]


def _choice(options: tuple[Option, ...]) -> Plan:
    def shape(value: Any, notes: list[str]) -> bool:
        if type(value) is not dict:
            return False
        best: Plan | None = None
        best_score = -1
        for names, enums, plan in options:
            if not _enums_agree(value, enums):
                continue
            if names.issuperset(value):  # every property declared: this branch
                return plan(value, notes)
            score = len(names.intersection(value))
            if score > best_score:
                best, best_score = plan, score
        return best(value, notes) if best is not None else False

    return shape


def _enums_agree(value: dict[str, Any], enums: tuple[tuple[str, frozenset[str]], ...]) -> bool:
    """Whether *value*'s enum-valued properties are all allowed (a plain loop: per item of
    every answer, cheaper than all() over a generator)."""
    for name, allowed in enums:  # noqa: SIM110
        if name in value and str(value[name]) not in allowed:
            return False
    return True
