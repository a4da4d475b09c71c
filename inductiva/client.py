"""Client objects: ``inductiva.Client`` (blocking) and ``inductiva.AsyncClient`` (asyncio).

Each holds its own settings and connection pools (an :class:`~inductiva._http.HttpCore`)
and offers the whole API, bound to it, like ``httpx.Client`` or
``anthropic.Anthropic``::

    with inductiva.Client(api_key="...", api_url="https://api.inductiva.ai") as client:
        tasks = client.tasks.get(last_n=5)          # Tasks that keep using this client
        task = client.task("1691150776862178362")
        scenario = client.molecules.ProteinSolvation(protein_pdb="my_protein.pdb")
        openfoam = client.simulators.OpenFOAM()
        model = client.api.call(get_task.sync_detailed, task_id=task.id)

Everything made from a client holds it explicitly (``Task(..., client=client)``):
nothing is routed through ambient state. The settings are resolved once, when
the client is built: an argument beats ``inductiva.<name>``, which beats
``INDUCTIVA_<NAME>``, which beats the default. The module-level API
(``inductiva.tasks``, ``inductiva.Task``...) uses a default client that reads the
module settings at every call instead.

The async naming rule, everywhere in the library: a coroutine's name ends in
``_async``, and the blocking function of the same name without it does the same
thing (``task.wait()``/``await task.wait_async()``, ``client.tasks.get()``/
``await client.tasks.get_async()``). An :class:`AsyncClient` differs from a
:class:`Client` only in how it is closed (``async with``/``aclose()``).
"""

from __future__ import annotations

import builtins
import pathlib
import types
from collections.abc import AsyncIterator, Iterator
from typing import Any, Generic, Self, TypeVar

import attrs
import httpx
from typing_extensions import Unpack

from . import tasks as _tasks
from ._http import HttpCore
from ._http._own import AsyncOwnClientTransport, OwnClientTransport
from ._http._settings import SETTING_NAMES, Settings, Tuning, resolve_settings
from ._outputs import TaskOutput
from ._redact import redact_url
from ._types import TaskStatus
from .api import Api
from .errors import InvalidArgumentError
from .molecules import ProteinSolvation
from .simulators import GROMACS, OpenFOAM, Synthetic
from .task import Task
from .tasks import TaskList

__all__ = ["AsyncClient", "Client"]


class _Molecules:
    """``client.molecules``: the molecular-dynamics scenarios, bound to the client."""

    def __init__(self, owner: _BaseClient) -> None:
        self._owner = owner

    def ProteinSolvation(
        self, protein_pdb: str | pathlib.Path, temperature: float = 300.0
    ) -> ProteinSolvation:
        """:class:`inductiva.molecules.ProteinSolvation` submitting through this client."""
        return ProteinSolvation(protein_pdb, temperature, client=self._owner)


class _Simulators:
    """``client.simulators``: the simulators, bound to the client."""

    def __init__(self, owner: _BaseClient) -> None:
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
    """``client.tasks``: tasks from previous sessions, bound to the client."""

    def __init__(self, core: HttpCore) -> None:
        self._core = core

    def get(self, last_n: int, status: TaskStatus | None = None, **filters: object) -> TaskList:
        """As :func:`inductiva.tasks.get`; the tasks keep using this client."""
        return _tasks.get(last_n, status, client=self._core, **filters)

    async def get_async(
        self, last_n: int, status: TaskStatus | None = None, **filters: object
    ) -> TaskList:
        """As :func:`inductiva.tasks.get_async`; the tasks keep using this client."""
        return await _tasks.get_async(last_n, status, client=self._core, **filters)

    def iter(
        self, status: TaskStatus | None = None, *, page_size: int | None = None, **filters: object
    ) -> Iterator[Task]:
        """As :func:`inductiva.tasks.iter`: every task, page by page, bound to this client."""
        return _tasks.iter(status, page_size=page_size, client=self._core, **filters)

    def iter_async(
        self, status: TaskStatus | None = None, *, page_size: int | None = None, **filters: object
    ) -> AsyncIterator[Task]:
        """As :func:`inductiva.tasks.iter_async` (``async for t in client.tasks.iter_async()``)."""
        return _tasks.iter_async(status, page_size=page_size, client=self._core, **filters)

    def list(self, last_n: int, status: TaskStatus | None = None, **filters: object) -> None:
        """As :func:`inductiva.tasks.list`: print the table of the most recent tasks."""
        _tasks.list(last_n, status, client=self._core, **filters)

    async def list_async(
        self, last_n: int, status: TaskStatus | None = None, **filters: object
    ) -> None:
        """As :func:`inductiva.tasks.list_async`."""
        await _tasks.list_async(last_n, status, client=self._core, **filters)

    def render(self, tasks: builtins.list[Task]) -> str:
        """As :func:`inductiva.tasks.render`."""
        return _tasks.render(tasks)


_IO_OPTIONS = ("transport", "async_transport", "http_client", "async_http_client")
_OPTIONS = (*SETTING_NAMES, *_IO_OPTIONS)
"""The keywords of a client's constructor (and of ``with_options``)."""


def _check_own_clients(
    transport: object, async_transport: object, http_client: object, async_http_client: object
) -> None:
    """InvalidArgumentError for an httpx client of the wrong kind, or one given with a transport."""
    if http_client is not None and not isinstance(http_client, httpx.Client):
        raise InvalidArgumentError(
            f"http_client must be an httpx.Client, got {type(http_client).__name__} (an "
            "httpx.AsyncClient goes in async_http_client)"
        )
    if async_http_client is not None and not isinstance(async_http_client, httpx.AsyncClient):
        raise InvalidArgumentError(
            "async_http_client must be an httpx.AsyncClient, got "
            f"{type(async_http_client).__name__}"
        )
    for own, transport_, name in (
        (http_client, transport, ""),
        (async_http_client, async_transport, "async_"),
    ):
        if own is not None and transport_ is not None:
            raise InvalidArgumentError(
                f"pass {name}http_client or {name}transport, not both (a transport of your own "
                f"goes inside your httpx client: httpx.Client(transport=...))"
            )


T = TypeVar("T")


class _Setting(Generic[T]):
    """A client's resolved setting, read from :attr:`_BaseClient.settings` (by its name)."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, client: _BaseClient, owner: type | None = None) -> T:
        value: T = getattr(client.settings, self.name)
        return value


class _BaseClient:
    """Settings, pools and the bound API shared by :class:`Client` and :class:`AsyncClient`."""

    def __init__(
        self,
        api_key: str | None = None,
        api_url: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        **tuning: Unpack[Tuning],
    ) -> None:
        _check_own_clients(transport, async_transport, http_client, async_http_client)
        unknown = sorted(set(tuning) - set(Tuning.__annotations__))
        if unknown:
            raise InvalidArgumentError(
                f"{type(self).__name__}() got {', '.join(map(repr, unknown))}; it takes "
                f"api_key, api_url, {', '.join(Tuning.__annotations__)}, {', '.join(_IO_OPTIONS)}."
            )
        settings = resolve_settings(api_key, api_url, **tuning)
        self._io = {
            "transport": transport,
            "async_transport": async_transport,
            "http_client": http_client,
            "async_http_client": async_http_client,
        }
        if http_client is not None:
            transport = OwnClientTransport(http_client)
        if async_http_client is not None:
            async_transport = AsyncOwnClientTransport(async_http_client)
        self._core = HttpCore(settings, transport=transport, async_transport=async_transport)
        self.api = Api(self._core)
        """The escape hatch to every generated endpoint, through this client."""
        self.tasks = _Tasks(self._core)
        """``get``, ``iter``, ``list`` (each with an ``_async`` twin) and ``render``, bound."""
        self.molecules = _Molecules(self)
        """The scenarios of :mod:`inductiva.molecules`, bound to this client."""
        self.simulators = _Simulators(self)
        """The simulators of :mod:`inductiva.simulators`, bound to this client."""

    @property
    def settings(self) -> Settings:
        """The resolved settings (key, URL, timeout, retries, download connections, progress)."""
        assert self._core.settings is not None
        return self._core.settings

    api_key = _Setting[str | None]("The API key this client sends.")
    api_url = _Setting[str]("The API base URL.")
    timeout = _Setting[float]("Seconds each API call may take (and each read of a transfer).")
    max_retries = _Setting[int]("Retries of a failed request.")
    download_connections = _Setting[int]("Concurrent range requests per large download.")
    progress = _Setting[bool | None](
        "Progress bars: True, False, or None (a terminal or notebook decides)."
    )
    max_response_bytes = _Setting[int]("Longest answer to an API call (archives aside) read.")

    def with_options(self, **overrides: Any) -> Self:
        """A new client of this class with some settings changed, e.g. ``with_options(timeout=5)``.

        ``overrides`` are any of the constructor's keywords; every other setting is
        this client's. The new client has its own connection pools and shares
        nothing mutable with this one, except the transports or httpx clients you
        passed (they are yours: closing either client closes none of your
        clients). A setting given as None is resolved again (argument,
        ``inductiva.<name>``, ``INDUCTIVA_<NAME>``, default), as a new client's would be.
        """
        unknown = sorted(set(overrides) - set(_OPTIONS))
        if unknown:
            raise InvalidArgumentError(
                f"with_options() got {', '.join(map(repr, unknown))}; it takes "
                f"{', '.join(_OPTIONS)}."
            )
        current = self.settings
        given: dict[str, Any] = {name: getattr(current, name) for name in SETTING_NAMES}
        given.update(self._io)
        if {"http_client", "transport"} & set(overrides):
            given["http_client"] = given["transport"] = None
        if {"async_http_client", "async_transport"} & set(overrides):
            given["async_http_client"] = given["async_transport"] = None
        given.update(overrides)
        copy = type(self)(**given)
        kept = {name: getattr(current, name) for name in SETTING_NAMES if name not in overrides}
        copy._core.settings = attrs.evolve(copy.settings, **kept)
        return copy

    def task(self, task_id: str) -> Task[TaskOutput]:
        """The task ``task_id``, sending its requests through this client."""
        return Task(task_id, client=self._core)

    Task = task

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={redact_url(self.api_url)!r})"


class Client(_BaseClient):
    """A blocking client: its own settings and connection pool, and the whole API bound to it.

    ``Client(api_key=None, api_url=None, *, timeout=None, max_retries=None,
    progress=None, download_connections=None, max_response_bytes=None, transport=None,
    async_transport=None, http_client=None, async_http_client=None)``;
    a setting left out comes from ``inductiva.<name>``, then ``INDUCTIVA_<NAME>``,
    then the default, resolved here. ``transport`` replaces the network (an
    ``httpx.MockTransport`` in tests, an ``httpx.HTTPTransport(proxy=..., verify=...)``);
    retries wrap it. ``http_client``/``async_http_client`` send through your own
    ``httpx.Client``/``httpx.AsyncClient`` (proxies, certificates, mounts, auth,
    hooks): the client's base URL, key, timeouts, retries and bounds are applied
    around it, and it is never closed by this client. :meth:`with_options` makes a
    copy with some settings changed. Use it as a context manager (or call
    :meth:`close`) to close its connections.
    """

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
    """An asyncio client: the same as :class:`Client`, closed with ``async with``/``close_async()``.

    Its tasks and namespaces have the ``*_async`` coroutines (``client.tasks.get_async``,
    ``task.wait_async``...); otherwise its connections close when the event loop
    shuts down.
    """

    async def close_async(self) -> None:
        """Close the running loop's connection pool (a later request opens a new one)."""
        await self._core.close_async()

    aclose = close_async
    """The standard name of :meth:`close_async` (``contextlib.aclosing``, httpx)."""

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        await self.close_async()
