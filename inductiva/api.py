"""Call any generated endpoint through the configured client: the documented escape hatch.

Every operation of the contract has a generated function in
``inductiva_api.api.<tag>.<operation_id>`` (including one added by the latest
``make generate``). :func:`call` and :func:`acall` run it with the same
settings (``inductiva.api_key``, ``api_url``, ``timeout``, ``max_retries``),
connection pool, retries and :mod:`inductiva.errors` exceptions as the rest of
the library, and return the parsed 2xx model::

    from inductiva_api.api.tasks import get_task, list_tasks

    model = inductiva.api.call(get_task.sync_detailed, task_id="1691150776862178362")
    page = inductiva.api.call(list_tasks.sync_detailed, per_page=5)
    model = await inductiva.api.acall(get_task.asyncio_detailed, task_id="...")

The arguments are the endpoint's own, type-checked against its signature
(mypy flags a misspelt or removed parameter). :func:`client` and
:func:`async_client` give the configured ``AuthenticatedClient`` itself, for
the generated functions' other variants (``sync``, ``asyncio``), which take it
as their first argument.
"""

from __future__ import annotations

from inductiva_api import AuthenticatedClient

from ._client import acall, call, get_async_client, get_client

__all__ = ["acall", "async_client", "call", "client"]


def client() -> AuthenticatedClient:
    """The configured generated client (built from the current settings, shared process-wide)."""
    return get_client()


def async_client() -> AuthenticatedClient:
    """The configured generated client for the running event loop (call inside a coroutine)."""
    return get_async_client()
