"""The HTTP core: settings, retries, error mapping, connection pools and the flow drivers.

The lowest layer above :mod:`inductiva.errors`: nothing here knows about tasks,
transfers or scenarios. Upper layers write each operation once as a flow
(:mod:`._flow`) and run it on a client's :class:`HttpCore` with
:meth:`HttpCore.run` (blocking) or :meth:`HttpCore.run_async` (asyncio)::

    _settings   argument > inductiva.<name> > INDUCTIVA_<NAME> > default, checked
    _retry      RetryPolicy, RetryTransport, one retry budget per call
    _errors     non-2xx answers and transport failures -> inductiva.errors
    _wire       large bodies read straight from the connection
    _flow       the effects a flow yields, and typed helpers (call, open_stream...)
    _drive      the blocking and asyncio drivers of flows
    _core       HttpCore: a client's settings and pools; runs flows

The module-level API (``inductiva.tasks.get``, ``inductiva.Task(...)`` without a
client) uses :func:`default_core`, whose settings are resolved again at every call.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from .._validate import printable
from ..errors import InvalidArgumentError
from ._core import HttpCore
from ._flow import Flow
from ._settings import Settings, resolve_settings

__all__ = [
    "ClientLike",
    "Flow",
    "HttpCore",
    "Settings",
    "core_of",
    "default_core",
    "reset",
    "resolve_settings",
    "set_transport",
]


class ClientLike(Protocol):
    """What a client object offers the layers below it: its :class:`HttpCore`."""

    @property
    def _core(self) -> HttpCore: ...


_DEFAULT = HttpCore()
"""The module-level API's client: the module settings, resolved at every call."""


def default_core() -> HttpCore:
    """The client the module-level API uses."""
    return _DEFAULT


def core_of(client: object) -> HttpCore:
    """The :class:`HttpCore` of ``client`` (a Client, an AsyncClient, a core), or the default.

    InvalidArgumentError for anything else, naming what is allowed.
    """
    if client is None:
        return _DEFAULT
    if isinstance(client, HttpCore):
        return client
    core = getattr(client, "_core", None)  # inductiva.Client and AsyncClient hold one
    if isinstance(core, HttpCore):
        return core
    raise InvalidArgumentError(
        "client must be an inductiva.Client or inductiva.AsyncClient (or None for the default "
        f"client), got {printable(repr(client)[:80])}"
    )


def set_transport(
    transport: httpx.BaseTransport | None = None,
    async_transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Send the default client's requests through these transports (tests: MockTransport)."""
    _DEFAULT.close()
    _DEFAULT.transport, _DEFAULT.async_transport = transport, async_transport


def reset() -> None:
    """Close the default client's pools; the next call builds them from fresh settings."""
    _DEFAULT.close()
