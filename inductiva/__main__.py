"""``python -m inductiva``: the same as the ``inductiva`` console script."""

from __future__ import annotations

import sys

from inductiva.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
