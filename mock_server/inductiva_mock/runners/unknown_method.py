"""Runner for a method the mock does not simulate: fails with a clear message."""

from __future__ import annotations

import sys

from . import METHOD_RUNNERS
from ._common import fail, parse

__all__ = ["main"]


def main() -> int:
    """Report the unknown method on stderr and exit 1."""
    args = parse()
    return fail(
        f"the mock backend has no simulator for method {args.method!r}; it simulates "
        + ", ".join(sorted(METHOD_RUNNERS))
    )


if __name__ == "__main__":
    sys.exit(main())
