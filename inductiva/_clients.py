"""Client objects: ``inductiva.Client`` (blocking) and ``inductiva.AsyncClient`` (asyncio).

Each holds its own settings and connection pool and offers the whole API,
bound to it, like ``httpx.Client`` or ``anthropic.Anthropic``::

    with inductiva.Client(api_key="...", api_url="https://api.inductiva.ai") as client:
        tasks = client.tasks.get(last_n=5)          # Tasks that keep using this client
        task = client.task("1691150776862178362")
        scenario = client.molecules.ProteinSolvation(protein_pdb="my_protein.pdb")
        openfoam = client.simulators.OpenFOAM()
        model = client.api.call(get_task.sync_detailed, task_id=task.id)

The settings are resolved once, when the client is built: an argument beats
``inductiva.<name>``, which beats ``INDUCTIVA_<NAME>``, which beats the
default. The module-level API (``inductiva.tasks``, ``inductiva.Task``...) uses
a default client that reads the module settings on every request instead.
"""

from __future__ import annotations

import builtins
import pathlib
import types
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from inductiva_api import AuthenticatedClient
from inductiva_api.types import Response

from . import _client
from . import tasks as _tasks
from ._outputs import TaskOutput
from ._types import TaskStatus
from .errors import ConfigurationError
from .molecules import ProteinSolvation
from .simulators import GROMACS, OpenFOAM, Synthetic
from .task import Task
from .task import Task as _Task
from .tasks import TaskList

__all__ = ["AsyncClient", "Client"]

T = TypeVar("T")
P = ParamSpec("P")
_Endpoint = Callable[Concatenate[AuthenticatedClient, P], Response[_client._ErrorModel | T]]
_AsyncEndpoint = Callable[
    Concatenate[AuthenticatedClient, P], Awaitable[Response[_client._ErrorModel | T]]
]


class _Api:
    """``client.api``: any generated endpoint through this client (as ``inductiva.api``)."""

    def __init__(self, core: _client.ClientCore) -> None:
        self._core = core

    def call(self, endpoint: _Endpoint[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Call a generated ``sync_detailed`` function; return its parsed 2xx model or raise."""
        with _client.using(self._core):
            return _client.call(endpoint, *args, **kwargs)

    async def acall(
        self, endpoint: _AsyncEndpoint[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Call a generated ``asyncio_detailed`` function; return its parsed 2xx model or raise."""
        with _client.using(self._core):
            return await _client.acall(endpoint, *args, **kwargs)

    def client(self) -> AuthenticatedClient:
        """This client's generated ``AuthenticatedClient`` (its sync pool)."""
        return self._core.sync_client()

    def async_client(self) -> AuthenticatedClient:
        """This client's generated ``AuthenticatedClient`` for the running event loop."""
        return self._core.async_client()


class _Molecules:
    """``client.molecules``: the molecular-dynamics scenarios, bound to the client."""

    def __init__(self, owner: Client | AsyncClient) -> None:
        self._owner = owner

    def ProteinSolvation(
        self, protein_pdb: str | pathlib.Path, temperature: float = 300.0
    ) -> ProteinSolvation:
        """:class:`inductiva.molecules.ProteinSolvation` submitting through this client."""
        return ProteinSolvation(protein_pdb, temperature, client=self._owner)


class _Simulators:
    """``client.simulators``: the simulators, bound to the client."""

    def __init__(self, owner: Client | AsyncClient) -> None:
        self._owner = owner

    def OpenFOAM(self) -> OpenFOAM:
        """:class:`inductiva.simulators.OpenFOAM` submitting through this client."""
        return OpenFOAM(client=self._owner)

    def GROMACS(self) -> GROMACS:
        """:class:`inductiva.simulators.GROMACS` submitting through this client."""
        return GROMACS(client=self._owner)

    def Synthetic(self) -> Synthetic:
        """:class:`inductiva.simulators.Synthetic` submitting through this client."""
        return Synthetic(client=self._owner)


class _Tasks:
    """``client.tasks``: tasks from previous sessions, bound to a blocking client."""

    def __init__(self, core: _client.ClientCore) -> None:
        self._core = core

    def get(self, last_n: int, status: TaskStatus | None = None) -> TaskList:
        """As :func:`inductiva.tasks.get`; the tasks keep using this client."""
        with _client.using(self._core):
            return _tasks.get(last_n, status=status)

    async def get_async(self, last_n: int, status: TaskStatus | None = None) -> TaskList:
        """As :func:`inductiva.tasks.get_async`; the tasks keep using this client."""
        with _client.using(self._core):
            return await _tasks.get_async(last_n, status=status)

    def list(self, last_n: int, status: TaskStatus | None = None) -> None:
        """As :func:`inductiva.tasks.list`: print the table of the most recent tasks."""
        with _client.using(self._core):
            _tasks.list(last_n, status=status)

    def render(self, tasks: builtins.list[Task]) -> str:
        """As :func:`inductiva.tasks.render`."""
        with _client.using(self._core):
            return _tasks.render(tasks)


class _AsyncTasks:
    """``client.tasks`` of an :class:`AsyncClient`: the same, as coroutines."""

    def __init__(self, core: _client.ClientCore) -> None:
        self._core = core

    async def get(self, last_n: int, status: TaskStatus | None = None) -> TaskList:
        """As :func:`inductiva.tasks.get_async`; the tasks keep using this client."""
        with _client.using(self._core):
            return await _tasks.get_async(last_n, status=status)

    async def list(self, last_n: int, status: TaskStatus | None = None) -> None:
        """Print the table of the most recent tasks (as :func:`inductiva.tasks.list`)."""
        print(_tasks.render(await self.get(last_n, status=status)))


def _progress(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ConfigurationError(
        f"progress must be True (show progress bars), False (hide them) or None, got {value!r}"
    )


class _BaseClient:
    """Settings and pools shared by :class:`Client` and :class:`AsyncClient`."""

    def __init__(
        self,
        api_key: str | None = None,
        api_url: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        progress: bool | None = None,
        download_connections: int | None = None,
    ) -> None:
        settings = _client._resolve(api_key, api_url, timeout, max_retries, download_connections)
        self._core = _client.ClientCore(settings, _progress(progress))
        self.api = _Api(self._core)
        """The escape hatch to every generated endpoint, through this client."""

    @property
    def settings(self) -> _client.Settings:
        """The resolved settings (key, URL, timeout, retries, download connections)."""
        assert self._core.settings is not None
        return self._core.settings

    @property
    def api_key(self) -> str | None:
        """The API key this client sends."""
        return self.settings.api_key

    @property
    def api_url(self) -> str:
        """The API base URL."""
        return self.settings.api_url

    @property
    def timeout(self) -> float:
        """Seconds per request."""
        return self.settings.timeout

    @property
    def max_retries(self) -> int:
        """Retries of a failed request."""
        return self.settings.max_retries

    @property
    def download_connections(self) -> int:
        """Concurrent range requests per large download of this client's tasks."""
        return self.settings.download_connections

    @property
    def progress(self) -> bool | None:
        """Progress bars: True, False, or None (``inductiva.progress``/env/terminal decides)."""
        return self._core.progress

    def Task(self, task_id: str) -> _Task[TaskOutput]:
        """The task ``task_id``, sending its requests through this client."""
        return _Task(task_id, client=self._core)

    def task(self, task_id: str) -> _Task[TaskOutput]:
        """The task ``task_id``, sending its requests through this client."""
        return _Task(task_id, client=self._core)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self.api_url!r})"


class Client(_BaseClient):
    """A blocking client: its own settings and connection pool, and the whole API bound to it.

    ``Client(api_key=None, api_url=None, *, timeout=None, max_retries=None,
    progress=None, download_connections=None)``; a setting left out comes from
    ``inductiva.<name>``, then ``INDUCTIVA_<NAME>``, then the default, resolved
    here. Use it as a context manager (or call :meth:`close`) to close its
    connections.
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_url: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        progress: bool | None = None,
        download_connections: int | None = None,
    ) -> None:
        super().__init__(
            api_key,
            api_url,
            timeout=timeout,
            max_retries=max_retries,
            progress=progress,
            download_connections=download_connections,
        )
        self.tasks = _Tasks(self._core)
        """``get``, ``get_async``, ``list``, ``render`` through this client."""
        self.molecules = _Molecules(self)
        """The scenarios of :mod:`inductiva.molecules`, bound to this client."""
        self.simulators = _Simulators(self)
        """The simulators of :mod:`inductiva.simulators`, bound to this client."""

    def close(self) -> None:
        """Close the connection pool (a later request opens a new one)."""
        self._core.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """An asyncio client: its own settings and connection pool; ``client.tasks.get`` is awaited.

    Same arguments as :class:`Client`. Its tasks have the ``*_async`` methods
    (``wait_async``, ``kill_async``, ``get_info_async``...). ``async with`` (or
    :meth:`aclose`) closes its connections; otherwise they close when the event
    loop shuts down.
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_url: str | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        progress: bool | None = None,
        download_connections: int | None = None,
    ) -> None:
        super().__init__(
            api_key,
            api_url,
            timeout=timeout,
            max_retries=max_retries,
            progress=progress,
            download_connections=download_connections,
        )
        self.tasks = _AsyncTasks(self._core)
        """``await client.tasks.get(...)``, ``await client.tasks.list(...)``."""
        self.molecules = _Molecules(self)
        """The scenarios of :mod:`inductiva.molecules`, bound to this client."""
        self.simulators = _Simulators(self)
        """The simulators of :mod:`inductiva.simulators`, bound to this client."""

    async def aclose(self) -> None:
        """Close the running loop's connection pool (a later request opens a new one)."""
        await self._core.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        await self.aclose()
