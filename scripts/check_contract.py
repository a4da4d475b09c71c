"""Compare ``openapi.yaml`` with the last released contract; fail on an unannounced change.

``python scripts/check_contract.py`` (``make check-contract``) loads the newest
``spec/released/openapi-<version>.yaml`` and lists the breaking changes of
``openapi.yaml`` against it (the package ``contract_diff`` beside this file
finds them); ``--spec``, ``--released`` and ``--changelog`` check other files.

Who writes a value decides which way a change breaks. Clients write requests
(parameters and request bodies): a change breaks them when a request they
could send before is refused. Clients read responses: a change breaks them
when a response may now hold something they were not written for. Breaking:

* operations: one removed, renamed (``operationId``) or moved (method or
  path); a way of authenticating it no longer accepted; a security scheme
  removed or changed (type, header ``name``, ``in``, ...);
* parameters: one removed, renamed, moved (``in``), made required or added
  as required; its serialization (``style``/``explode``) changed;
* request bodies: a media type no longer accepted (``multipart/form-data``
  replaced by ``application/octet-stream``); the body made required;
* success (2xx) responses: one removed (a status code changed, e.g. 200 to
  201); a media type no longer returned; a header removed;
* schemas (of parameters, bodies and response headers): a type changed
  (``type``, ``format``, ``$ref``, i.e. a renamed model, ``items``, union
  members); a component schema removed or renamed (each is a generated
  model); a property removed or renamed, or made ``readOnly`` in a request or
  ``writeOnly`` in a response; a property made required (or added as required)
  in a request; a response property no longer required; an enum value removed
  (the generated enum loses a member, whichever the side);
* request constraints *tightened* (a value accepted before is refused):
  ``maximum``/``exclusiveMaximum`` lowered or set, ``minimum``/
  ``exclusiveMinimum`` raised or set, ``maxLength``/``maxItems``/
  ``maxProperties`` lowered or set, ``minLength``/``minItems``/
  ``minProperties`` raised or set, ``pattern`` set or changed, ``multipleOf``
  set or changed (but to a divisor), ``uniqueItems`` or
  ``additionalProperties: false`` set, ``nullable`` removed, an ``enum`` set;
* response constraints *loosened*, the mirror image (a value ruled out before
  may come back): a bound raised, lowered or removed, ``pattern`` changed or
  removed, ``nullable`` added, an ``enum`` dropped, an enum value added. An
  enum read tolerantly is the exception: a member of a union that also admits
  its plain type, as ``AnyTaskStatus: anyOf: [TaskStatusCode, {type: string}]``
  reads statuses, so a new status is additive.

Not breaking: what is added and optional in requests or extra in responses
(operations, optional parameters, properties, required response properties,
new success codes), constraints loosened in requests or tightened in
responses, error responses declared or dropped (any status maps to an error;
error bodies that stay are compared like any response), descriptions,
examples, defaults, deprecations, ``x-`` keys. Extra properties in a response
never break: clients ignore unknown fields (generated models keep them in
``additional_properties``), so ``additionalProperties`` is judged in requests
only.

Rules (semantic versioning, with the 0.x convention that the *minor* number
plays the part of the major one): any change of the contract needs a higher
``info.version`` and a ``## <version>`` section in ``CHANGELOG.md``; a breaking
change needs a major bump (0.x: minor bump) and the section must name each
breaking change's subject in backticks, as the message says: the
``operationId`` (operation, body, response, security), the parameter name,
``Schema.property``, ``Schema.value`` for an enum value, or the schema or
security scheme name.

Why our own checker: the maintained OpenAPI diff tools (``oasdiff``,
``@pb33f/openapi-changes``) are Go binaries, not installable from PyPI or npm
without downloading a prebuilt binary, and Optic crashes on start (see
README). ``tests/test_check_contract.py`` covers each kind above, and
``tests/test_maintainer_drill.py`` replays the real API's own changes.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import yaml
from contract_diff import breaking_changes

ROOT = Path(__file__).resolve().parent.parent

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


def _load(path: Path) -> Spec:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when built with it
    document: Spec = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return document


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
    old, new = _load(released_path), _load(spec_path)
    old_v, new_v = str(old["info"]["version"]), str(new["info"]["version"])
    breaking = breaking_changes(old, new)
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
