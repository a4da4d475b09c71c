"""Python client for the Inductiva simulation-task API.

Settings are read when the client is first used (not at import): set
``inductiva.api_key`` / ``inductiva.api_url`` (or ``INDUCTIVA_API_KEY`` /
``INDUCTIVA_API_URL``); ``inductiva.timeout`` and ``inductiva.max_retries``
(``INDUCTIVA_TIMEOUT``, ``INDUCTIVA_MAX_RETRIES``) tune requests, and
``inductiva.progress`` (``INDUCTIVA_PROGRESS``) turns transfer progress bars on
or off (by default they are drawn only when stderr is a terminal).
"""

from __future__ import annotations

from inductiva_api.contract import __version__

from . import api, errors, molecules, simulators, tasks
from .errors import InductivaError
from .output_info import OutputFile, OutputInfo
from .task import Task, TaskInfo

api_key: str | None = None
api_url: str | None = None
timeout: float | None = None
max_retries: int | None = None
progress: bool | None = None

__all__ = [
    "InductivaError",
    "OutputFile",
    "OutputInfo",
    "Task",
    "TaskInfo",
    "__version__",
    "api",
    "api_key",
    "api_url",
    "errors",
    "max_retries",
    "molecules",
    "progress",
    "simulators",
    "tasks",
    "timeout",
]
