"""`test.synthetic.run_simulation`: set duration, exit code, stdout/stderr and output files.

Params: `duration`, `exit_code`, `stdout`, `stderr`, `files` (a list of
`{"name", "size", "compressible"}`), and `case` (`{"files": N, "bytes": B,
"dir": "case"}`: an OpenFOAM-like tree of N small text files, about B bytes in
all, under `dir`; see `_case.write_case`).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

from ._case import write_case
from ._common import parse

__all__ = ["main"]

CHUNK = 1024 * 1024
_TEXT_LINE = b"inductiva mock synthetic output 0123456789 abcdefghijklmnopqrstuvwxyz\n"


def write_file(path: Path, size: int, compressible: bool) -> None:
    """Write *size* bytes to *path* in 1 MiB chunks (repeated text, or random bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text_block = (_TEXT_LINE * (CHUNK // len(_TEXT_LINE) + 1))[:CHUNK]
    rng = random.Random(size)
    with path.open("wb") as fh:
        left = size
        while left > 0:
            n = min(CHUNK, left)
            fh.write(text_block[:n] if compressible else rng.randbytes(n))
            left -= n


def safe_target(out: Path, name: str) -> Path:
    """*name* resolved under *out*; names escaping it are rejected."""
    target = (out / name).resolve()
    if not target.is_relative_to(out.resolve()) or target == out.resolve():
        raise ValueError(f"invalid file name {name!r}")
    return target


def main() -> int:
    """Produce the requested outputs, sleep `duration`, exit with `exit_code`."""
    args = parse()
    p: dict[str, Any] = args.params
    try:
        duration = float(p.get("duration", 0) or 0)
        exit_code = int(p.get("exit_code", 0) or 0)
        files = list(p.get("files", []) or [])
    except (TypeError, ValueError) as exc:
        print(f"error: invalid synthetic params: {exc}", file=sys.stderr)
        return 1
    if p.get("stdout"):
        sys.stdout.write(str(p["stdout"]))
        sys.stdout.flush()
    if p.get("stderr"):
        sys.stderr.write(str(p["stderr"]))
        sys.stderr.flush()
    for spec in files:
        try:
            target = safe_target(args.output_dir, str(spec["name"]))
            write_file(target, int(spec.get("size", 0)), bool(spec.get("compressible", True)))
        except (KeyError, TypeError, ValueError) as exc:
            print(f"error: invalid file spec {spec!r}: {exc}", file=sys.stderr)
            return 1
    case = p.get("case")
    if case:
        try:
            root = safe_target(args.output_dir, str(case.get("dir", "case")))
            write_case(root, int(case.get("files", 20000)), int(case.get("bytes", 82_000_000)))
        except (AttributeError, TypeError, ValueError) as exc:
            print(f"error: invalid case spec {case!r}: {exc}", file=sys.stderr)
            return 1
    deadline = time.monotonic() + max(0.0, duration)
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.5))
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
