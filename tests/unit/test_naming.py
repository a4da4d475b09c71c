"""The async naming rule: every coroutine of the library ends in ``_async``, everywhere.

The blocking function of the same name without the suffix does the same thing
(``wait``/``wait_async``). The only exceptions are names other libraries
dictate: dunders (``__aenter__``), ``aclose`` (``contextlib.aclosing``, httpx)
and httpx's transport method ``handle_async_request``.
"""

from __future__ import annotations

import ast
import pathlib

import inductiva

ROOT = pathlib.Path(inductiva.__file__).parent
DICTATED = {"aclose", "handle_async_request"}


def _coroutines() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.AsyncFunctionDef):
                found.append((str(path.relative_to(ROOT)), node.lineno, node.name))
    return found


def test_every_coroutine_name_ends_in_async() -> None:
    """No ``async def`` in inductiva/ breaks the rule (dunders and dictated names aside)."""
    broken = [
        f"{path}:{line} {name}"
        for path, line, name in _coroutines()
        if not name.endswith("_async") and name not in DICTATED and not name.startswith("__")
    ]
    assert broken == []


def test_every_public_async_twin_has_its_blocking_twin() -> None:
    """A public ``x_async`` method of Task and of the clients' namespaces has a blocking ``x``."""
    client = inductiva.Client(api_key="naming-key", api_url="http://127.0.0.1:9")
    holders = [inductiva.Task, client.tasks, client.api, inductiva.tasks, inductiva.api]
    for holder in holders:
        for name in dir(holder):
            if name.endswith("_async") and not name.startswith("_"):
                assert hasattr(holder, name.removesuffix("_async")), (holder, name)
