"""Runner for a method the mock does not simulate: fails with a clear message."""

from __future__ import annotations

import sys

from ._common import parse

__all__ = ["main"]


def main() -> int:
    """Report the unknown method on stderr and exit 1."""
    args = parse()
    print(
        f"error: the mock backend has no simulator for method {args.method!r}; it simulates "
        "fvm.openfoam.run_simulation, md.gromacs.run_simulation, "
        "protein_solvation.gromacs.run_simulation and test.synthetic.run_simulation",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
