"""Python client for the Inductiva simulation-task API.

Settings are read when the client is first used (not at import): set
``inductiva.api_key`` / ``inductiva.api_url`` (or ``INDUCTIVA_API_KEY`` /
``INDUCTIVA_API_URL``); ``inductiva.timeout`` and ``inductiva.max_retries``
(``INDUCTIVA_TIMEOUT``, ``INDUCTIVA_MAX_RETRIES``) tune requests, and
``inductiva.progress`` (``INDUCTIVA_PROGRESS``) turns transfer progress bars on
or off (by default they are drawn only when stderr is a terminal).
``inductiva.max_extract_size`` and ``inductiva.max_compression_ratio``
(``INDUCTIVA_MAX_EXTRACT_SIZE``, ``INDUCTIVA_MAX_COMPRESSION_RATIO``) bound what
an output archive may extract to. ``inductiva.download_connections``
(``INDUCTIVA_DOWNLOAD_CONNECTIONS``, default 4) sets how many concurrent range
requests fetch a large output archive (sync and async downloads alike). The
API key is never shown: not in errors, logs, reprs or CLI output.
``INDUCTIVA_LOG=info`` (``debug``, ``warning``, ``error``) shows the library's
logs on stderr, from the first client built on.

``inductiva.Client(...)`` and ``inductiva.AsyncClient(...)`` hold settings (each
of the above but the extraction limits) and a connection pool of their own,
with the whole API bound to them (``client.with_options(...)`` copies one with
some settings changed; ``http_client=`` sends through your own ``httpx.Client``);
the module-level API uses a default client built from the settings above.

The distribution is ``inductiva-tasks`` (``pip install inductiva-tasks``); it
refuses to run beside the vendor's unrelated ``inductiva`` distribution, which
installs a package of the same name.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (kept fast)
if TYPE_CHECKING:  # what the names below are, for type checkers and IDEs
    from typing import Any

    from inductiva_api.contract import __version__

    from . import api, errors, molecules, outputs, simulators, tasks
    from ._types import TaskStatus
    from .client import AsyncClient, Client
    from .errors import InductivaError
    from .output_info import OutputFile, OutputInfo
    from .task import Task, TaskInfo
    from .tasks import TaskList

# Every name is imported on first use (PEP 562): ``import inductiva`` loads nothing
# heavy (not httpx, not the generated client), so a script or CLI starts fast.
_LAZY = {
    "__version__": ("inductiva_api.contract", "__version__"),
    "AsyncClient": (".client", "AsyncClient"),
    "Client": (".client", "Client"),
    "InductivaError": (".errors", "InductivaError"),
    "OutputFile": (".output_info", "OutputFile"),
    "OutputInfo": (".output_info", "OutputInfo"),
    "Task": (".task", "Task"),
    "TaskInfo": (".task", "TaskInfo"),
    "TaskList": (".tasks", "TaskList"),
    "TaskStatus": ("._types", "TaskStatus"),
}


def __getattr__(name: str) -> Any:
    """Import a public name of the package the first time it is used."""
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module, __name__), attribute)
        globals()[name] = value
        return value
    if not name.startswith("__"):  # a submodule, as if the package had imported it
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


api_key: str | None = None
api_url: str | None = None
timeout: float | None = None
max_retries: int | None = None
progress: bool | None = None
max_extract_size: int | None = None
max_compression_ratio: float | None = None
download_connections: int | None = None

__all__ = [
    "AsyncClient",
    "Client",
    "InductivaError",
    "OutputFile",
    "OutputInfo",
    "Task",
    "TaskInfo",
    "TaskList",
    "TaskStatus",
    "__version__",
    "api",
    "api_key",
    "api_url",
    "download_connections",
    "errors",
    "max_compression_ratio",
    "max_extract_size",
    "max_retries",
    "molecules",
    "outputs",
    "progress",
    "simulators",
    "tasks",
    "timeout",
]
