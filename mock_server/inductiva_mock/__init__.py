"""A stateful, spec-validated local mock of the Inductiva API (`python -m inductiva_mock`).

`__version__` is read from the generated contract on first use, not at import: the
spec readers of this package (`samples`, `operations`) serve `scripts/generate.py`,
which must run while the generated package is stale or absent.
"""

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from inductiva_api.contract import __version__

        return __version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
