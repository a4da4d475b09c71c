"""inductiva/__init__.py: the package only re-exports, lazily, and imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys

import pytest

import inductiva


def test_import_loads_neither_httpx_nor_the_generated_client() -> None:
    """``import inductiva`` alone imports no HTTP stack and no generated code (a fast start)."""
    code = (
        "import sys, inductiva; "
        "print(sorted(m for m in ('httpx', 'inductiva_api', 'inductiva.task') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(inductiva.__all__))
def test_every_public_name_resolves(name: str) -> None:
    """Each name of ``__all__`` is reachable (imported on first use)."""
    assert getattr(inductiva, name) is getattr(inductiva, name)


def test_unknown_name_is_an_attribute_error() -> None:
    """A name the package does not have raises AttributeError naming it."""
    with pytest.raises(AttributeError, match="no_such_thing"):
        inductiva.no_such_thing  # noqa: B018
