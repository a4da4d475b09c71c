"""Which way each value constraint of a schema moved between two versions.

A constraint change is *tightened* when some value the old schema admitted is
refused by the new one, and *loosened* when some value the old schema refused
is admitted by the new one (a changed ``pattern`` is both). Which of the two
breaks clients depends on who writes the value: see ``check_contract.py``.
``enum`` is compared in ``schemas.py`` (its values are subjects of their own).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeGuard

__all__ = ["Moved", "moved_constraints"]

Schema = dict[str, Any]
# A bound as a sortable key: (value, 0 or 1), where the second item orders an
# exclusive and an inclusive bound at the same value (see _upper and _lower).
Bound = tuple[float, int] | None


class Moved(NamedTuple):
    """One constraint that changed: its keyword, both values described, and the direction."""

    keyword: str
    old: str
    new: str
    tightened: bool  # a value the old schema admitted is refused now
    loosened: bool  # a value the old schema refused is admitted now

    def __str__(self) -> str:
        return f"{self.keyword} {self.old} -> {self.new}"


class _Bound(NamedTuple):
    keyword: str
    read: Callable[[Schema], Bound]
    upper: bool  # an upper bound: a smaller key admits fewer values


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _upper(schema: Schema) -> Bound:
    """``maximum``/``exclusiveMaximum`` (3.0 boolean or 3.1 number); exclusive sorts lower."""
    found: list[tuple[float, int]] = []
    if _number(schema.get("maximum")):
        found.append((schema["maximum"], 0 if schema.get("exclusiveMaximum") is True else 1))
    if _number(schema.get("exclusiveMaximum")):
        found.append((schema["exclusiveMaximum"], 0))
    return min(found) if found else None


def _lower(schema: Schema) -> Bound:
    """``minimum``/``exclusiveMinimum``; exclusive sorts higher (it admits fewer values)."""
    found: list[tuple[float, int]] = []
    if _number(schema.get("minimum")):
        found.append((schema["minimum"], 1 if schema.get("exclusiveMinimum") is True else 0))
    if _number(schema.get("exclusiveMinimum")):
        found.append((schema["exclusiveMinimum"], 1))
    return max(found) if found else None


def _count(keyword: str, upper: bool) -> Callable[[Schema], Bound]:
    def read(schema: Schema) -> Bound:
        value = schema.get(keyword)
        return (value, 1 if upper else 0) if _number(value) else None

    return read


BOUNDS = (
    _Bound("maximum", _upper, True),
    _Bound("minimum", _lower, False),
    *(_Bound(k, _count(k, True), True) for k in ("maxLength", "maxItems", "maxProperties")),
    *(_Bound(k, _count(k, False), False) for k in ("minLength", "minItems", "minProperties")),
)


def _describe(bound: Bound, spec: _Bound) -> str:
    if bound is None:
        return "none"
    value, flag = bound
    text = f"{value:g}" if isinstance(value, float) else str(value)
    if spec.keyword not in ("maximum", "minimum"):
        return text
    exclusive = flag == (0 if spec.upper else 1)
    return f"{'<' if spec.upper else '>'}{'' if exclusive else '='} {text}"


def _bound(spec: _Bound, old: Schema, new: Schema) -> Moved | None:
    a, b = spec.read(old), spec.read(new)
    if a == b:
        return None
    if spec.upper:
        tightened = b is not None and (a is None or b < a)
        loosened = a is not None and (b is None or b > a)
    else:
        tightened = b is not None and (a is None or b > a)
        loosened = a is not None and (b is None or b < a)
    return Moved(spec.keyword, _describe(a, spec), _describe(b, spec), tightened, loosened)


def _multiple(value: float, of: float) -> bool:
    ratio = value / of
    return abs(ratio - round(ratio)) < 1e-9


def _multiple_of(old: Schema, new: Schema) -> Moved | None:
    a, b = old.get("multipleOf"), new.get("multipleOf")
    a, b = (a if _number(a) and a else None), (b if _number(b) and b else None)
    if a == b:
        return None
    # multiples of b include all multiples of a exactly when a is a multiple of b
    tightened = b is not None and (a is None or not _multiple(a, b))
    loosened = a is not None and (b is None or not _multiple(b, a))
    return Moved("multipleOf", str(a or "none"), str(b or "none"), tightened, loosened)


def _flag(keyword: str, old: Schema, new: Schema, restricts: bool) -> Moved | None:
    """A boolean keyword; ``restricts``: whether ``true`` admits fewer values than ``false``."""
    a, b = bool(old.get(keyword, False)), bool(new.get(keyword, False))
    if a == b:
        return None
    fewer = b if restricts else a  # the change now admits fewer values
    return Moved(keyword, str(a).lower(), str(b).lower(), fewer, not fewer)


def _pattern(old: Schema, new: Schema) -> Moved | None:
    a, b = old.get("pattern"), new.get("pattern")
    if a == b:
        return None
    return Moved(
        "pattern", repr(a) if a else "none", repr(b) if b else "none", b is not None, a is not None
    )


def _closed(old: Schema, new: Schema) -> Moved | None:
    """``additionalProperties: false`` set (tightened) or lifted (loosened)."""
    a, b = old.get("additionalProperties") is False, new.get("additionalProperties") is False
    if a == b:
        return None
    return Moved(
        "additionalProperties", "false" if a else "allowed", "false" if b else "allowed", b, a
    )


def moved_constraints(old: Schema, new: Schema) -> list[Moved]:
    """Every value constraint (but ``enum``) that differs between ``old`` and ``new``."""
    found = [_bound(spec, old, new) for spec in BOUNDS]
    found += [
        _multiple_of(old, new),
        _pattern(old, new),
        _flag("uniqueItems", old, new, restricts=True),
        _flag("nullable", old, new, restricts=False),
        _closed(old, new),
    ]
    return [m for m in found if m is not None]
