"""Regenerate ``generated/inductiva_api`` from ``openapi.yaml``, or check it.

``python scripts/generate.py`` rewrites the generated package;
``python scripts/generate.py --check`` regenerates into a temporary directory
and exits 1 (printing a diff) when the checked-in package differs.

Generation always happens in a fresh temporary directory with the pinned
openapi-python-client and ruff (run ``--isolated`` so no config file leaks in),
so the output depends only on ``openapi.yaml`` and the config file.

Three deterministic additions to what openapi-python-client writes:

* every endpoint function takes ``client`` as its *first* parameter (a patch of
  the generator's ``arguments`` macro, applied to a temporary template copy), so
  ``inductiva._http._flow.call`` can type its remaining arguments with
  ``Concatenate[client, P]``;
* ``py.typed`` (PEP 561), so type checkers read the generated package's hints;
* ``contract.py``: the facts of the spec that the layer and the mock read besides
  the generated client, as typed constants, so that a fact the spec renames or
  removes fails ``make typecheck`` at every use (``scripts/contract_source.py``
  renders it; ruff formats it):

  - ``__version__`` (``info.version``, the single version of the project);
  - ``STATUSES`` (the ``TaskStatusCode`` values in the spec's order), ``Status``
    (one constant each), ``FINAL_STATUSES`` (``x-final-statuses``) and
    ``TaskStatusLiteral``;
  - ``Extension`` (one constant per ``x-inductiva-extension`` value, e.g.
    ``Extension.LONG_POLL == "long-poll"``) and ``EXTENSIONS``;
  - one ``Operation`` subclass per operationId (``list_tasks`` -> ``ListTasks``):
    ``METHOD``, ``PATH`` (template), ``EXTENSION``, its parameters as ``Field``
    constants grouped by location (``ListTasks.Query.PER_PAGE.name == "per_page"``,
    with ``required``, ``type``, ``extension``, ``enum``, ``default``, bounds),
    ``REQUEST`` (body media types) and ``SUCCESS`` (2xx statuses, media types,
    schema names and sample bodies); ``OPERATIONS`` lists them;
  - ``Schemas``: per object schema, one ``Field`` per property
    (``Schemas.TaskStatusesRequest.TASKS.max_items``);
  - ``SAMPLES``: a deterministic, schema-valid sample of every component schema,
    made by the mock's synthesizer ``inductiva_mock.samples`` (the rules are in its
    docstring; a schema it cannot sample fails generation, asking for an
    ``example``). The mock runs the same synthesizer at startup on the spec it
    serves; the synthesizer and the spec reader ``inductiva_mock.operations`` use
    only the standard library and import nothing generated, so generation works
    while ``generated/`` is stale or absent.

  Attribute access on these classes is checked by mypy: frozen attrs ``Field``,
  ``Content`` and ``Success`` values, ``Final`` constants in plain classes.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from contract_source import render

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "inductiva_api"


_ARGUMENTS_UPSTREAM = """{% macro arguments(endpoint, include_client=True) %}
{# path parameters #}
{% for parameter in endpoint.path_parameters %}
{{ parameter.to_string() | as_unembedded_code }},
{% endfor %}
{% if include_client or ((endpoint.list_all_parameters() | length) > (endpoint.path_parameters | length)) %}
*,
{% endif %}
{# Proper client based on whether or not the endpoint requires authentication #}
{% if include_client %}
{% if endpoint.requires_security %}
client: AuthenticatedClient,
{% else %}
client: AuthenticatedClient | Client,
{% endif %}
{% endif %}
"""
_ARGUMENTS_CLIENT_FIRST = """{% macro arguments(endpoint, include_client=True) %}
{# client first (inductiva patch: call helpers type the rest with Concatenate) #}
{% if include_client %}
{% if endpoint.requires_security %}
client: AuthenticatedClient,
{% else %}
client: AuthenticatedClient | Client,
{% endif %}
{% endif %}
{# path parameters #}
{% for parameter in endpoint.path_parameters %}
{{ parameter.to_string() | as_unembedded_code }},
{% endfor %}
{% if (endpoint.list_all_parameters() | length) > (endpoint.path_parameters | length) %}
*,
{% endif %}
"""


def _templates(dest: Path) -> Path:
    """A template directory overriding the generator's endpoint macros: client first."""
    spec = importlib.util.find_spec("openapi_python_client")
    assert spec is not None and spec.origin is not None
    upstream = Path(spec.origin).parent / "templates" / "endpoint_macros.py.jinja"
    text = upstream.read_text(encoding="utf-8")
    if text.count(_ARGUMENTS_UPSTREAM) != 1:
        raise SystemExit(f"{upstream}: the `arguments` macro changed; update scripts/generate.py")
    dest.mkdir(parents=True, exist_ok=True)
    patched = text.replace(_ARGUMENTS_UPSTREAM, _ARGUMENTS_CLIENT_FIRST)
    (dest / "endpoint_macros.py.jinja").write_text(patched, encoding="utf-8")
    return dest


def generate(spec: Path, config: Path, dest_parent: Path) -> Path:
    """Generate the package from ``spec`` into ``dest_parent/PACKAGE``."""
    out = dest_parent / PACKAGE
    document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    try:  # fail before generating on a bad x- list or a schema without a sample
        contract = render(document)
    except ValueError as exc:
        raise SystemExit(f"{spec.name}: {exc}") from None
    templates = _templates(dest_parent / "templates")
    env = dict(os.environ)
    # The post hooks call ``ruff``: use the one installed beside this Python.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [
        sys.executable,
        "-m",
        "openapi_python_client",
        "generate",
        "--path",
        str(spec),
        "--config",
        str(config),
        "--meta",
        "none",
        "--output-path",
        str(out),
        "--fail-on-warning",
        "--custom-template-path",
        str(templates),
    ]
    proc = subprocess.run(cmd, cwd=dest_parent, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not out.is_dir():
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"code generation failed for {spec}")
    for cache in out.rglob("__pycache__"):
        shutil.rmtree(cache)
    (out / "py.typed").write_text("", encoding="utf-8")
    (out / "contract.py").write_text(contract, encoding="utf-8")
    _ruff_format(out / "contract.py", env)
    return out


def _ruff_format(path: Path, env: dict[str, str]) -> None:
    """Format *path* with the pinned ruff, isolated from any project configuration."""
    cmd = ["ruff", "format", "--isolated", "--line-length", "100", str(path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"ruff could not format {path.name}")


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def diff(expected: Path, actual: Path) -> list[str]:
    """Unified diff lines between two generated trees (empty when equal)."""
    want, have = _files(expected), _files(actual)
    lines: list[str] = []
    for name in sorted(set(want) | set(have)):
        a, b = have.get(name, ""), want.get(name, "")
        if a != b:
            lines += difflib.unified_diff(
                a.splitlines(keepends=True),
                b.splitlines(keepends=True),
                f"generated/{PACKAGE}/{name}",
                f"regenerated/{PACKAGE}/{name}",
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if generated/ is stale")
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi.yaml")
    parser.add_argument("--config", type=Path, default=ROOT / "openapi-python-client.yaml")
    parser.add_argument("--target", type=Path, default=ROOT / "generated")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="inductiva-gen-") as tmp:
        fresh = generate(args.spec.resolve(), args.config.resolve(), Path(tmp))
        current = args.target / PACKAGE
        if args.check:
            lines = diff(fresh, current)
            if lines:
                sys.stdout.writelines(lines)
                stale = f"generated/{PACKAGE} is out of date with {args.spec.name}"
                print(f"\n{stale}: run `make generate`.")
                return 1
            print(f"generated/{PACKAGE} matches {args.spec.name}")
            return 0
        if current.exists():
            shutil.rmtree(current)
        args.target.mkdir(parents=True, exist_ok=True)
        shutil.copytree(fresh, current)
        print(f"wrote generated/{PACKAGE} from {args.spec.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
