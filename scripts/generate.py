"""Regenerate ``generated/inductiva_api`` from ``openapi.yaml``, or check it.

``python scripts/generate.py`` rewrites the generated package;
``python scripts/generate.py --check`` regenerates into a temporary directory
and exits 1 (printing a diff) when the checked-in package differs.

Generation always happens in a fresh temporary directory with the pinned
openapi-python-client and ruff (run ``--isolated`` so no config file leaks in),
so the output depends only on ``openapi.yaml`` and the config file.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "inductiva_api"


def generate(spec: Path, config: Path, dest_parent: Path) -> Path:
    """Generate the package from ``spec`` into ``dest_parent/PACKAGE``."""
    out = dest_parent / PACKAGE
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
    ]
    proc = subprocess.run(cmd, cwd=dest_parent, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not out.is_dir():
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"code generation failed for {spec}")
    for cache in out.rglob("__pycache__"):
        shutil.rmtree(cache)
    return out


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
