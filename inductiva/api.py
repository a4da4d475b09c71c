"""Call any generated endpoint through the configured client: the documented escape hatch.

Every operation of the contract has a generated function in
``inductiva_api.api.<tag>.<operation_id>`` (including one added by the latest
``make generate``). :func:`call` and :func:`call_async` run it with the same
settings (``inductiva.api_key``, ``api_url``, ``timeout``, ``max_retries``),
connection pool, retries and :mod:`inductiva.errors` exceptions as the rest of
the library, and return the parsed 2xx model::

    from inductiva_api.api.tasks import get_task, list_tasks

    model = inductiva.api.call(get_task.sync_detailed, task_id="1691150776862178362")
    page = inductiva.api.call(list_tasks.sync_detailed, per_page=5)
    model = await inductiva.api.call_async(get_task.sync_detailed, task_id="...")

Both take the endpoint's ``sync_detailed`` function (``call_async`` runs its
``asyncio_detailed`` twin); the arguments are the endpoint's own, type-checked
against its signature (mypy flags a misspelt or removed parameter).
:func:`client` and :func:`async_client` give the configured
``AuthenticatedClient`` itself, for the generated functions' other variants
(``sync``, ``asyncio``), which take it as their first argument. An
:class:`inductiva.Client` has the same four as ``client.api``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from inductiva_api import AuthenticatedClient
from inductiva_api.types import Response

from ._http import HttpCore, default_core
from ._http import _flow as flow

__all__ = ["Api", "async_client", "call", "call_async", "client"]

T = TypeVar("T")
P = ParamSpec("P")
_Endpoint = Callable[Concatenate[AuthenticatedClient, P], Response[flow.ErrorModel | T]]


class Api:
    """Any generated endpoint through one client (``inductiva.api``, ``client.api``)."""

    def __init__(self, core: HttpCore | None = None) -> None:
        self._own = core

    @property
    def _core(self) -> HttpCore:
        return self._own if self._own is not None else default_core()

    def call(self, endpoint: _Endpoint[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Call a generated ``sync_detailed`` function; return its parsed 2xx model or raise."""
        return self._core.run(flow.call(endpoint, *args, **kwargs))

    async def call_async(
        self, endpoint: _Endpoint[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """The asyncio twin of :meth:`call`: runs the endpoint's ``asyncio_detailed``."""
        return await self._core.run_async(flow.call(endpoint, *args, **kwargs))

    def client(self) -> AuthenticatedClient:
        """The generated ``AuthenticatedClient`` over this client's sync pool."""
        return self._core.api()

    def async_client(self) -> AuthenticatedClient:
        """The generated ``AuthenticatedClient`` for the running event loop."""
        return self._core.api_async()


def call(endpoint: _Endpoint[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Call a generated ``sync_detailed`` function; return its parsed 2xx model or raise."""
    return default_core().run(flow.call(endpoint, *args, **kwargs))


async def call_async(endpoint: _Endpoint[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """The asyncio twin of :func:`call`: runs the endpoint's ``asyncio_detailed``."""
    return await default_core().run_async(flow.call(endpoint, *args, **kwargs))


def client() -> AuthenticatedClient:
    """The configured generated client (built from the current settings, shared process-wide)."""
    return default_core().api()


def async_client() -> AuthenticatedClient:
    """The configured generated client for the running event loop (call inside a coroutine)."""
    return default_core().api_async()
