"""A client's connection pools and settings: where every flow of that client runs.

:class:`HttpCore` is what an :class:`inductiva.Client` holds (and what the
module-level API's default client is): its settings, fixed when it is built or
(the default client) resolved again at every call from ``inductiva.<name>`` and
``INDUCTIVA_<NAME>``, one ``httpx.Client`` (rebuilt only when the settings
change), and one ``httpx.AsyncClient`` per running event loop, closed when that
loop shuts down (``asyncio.run`` finalises it) or when it is replaced.

Every request goes through :class:`~inductiva._http._retry.RetryTransport`, and
every non-2xx response becomes an :mod:`inductiva.errors` exception in a
response hook, so generated endpoint calls and streamed transfers behave
alike. :meth:`HttpCore.run` and :meth:`HttpCore.run_async` run a flow (see
:mod:`inductiva._http._flow`) on this client's pools.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from inductiva_api import AuthenticatedClient
from inductiva_api.contract import __version__

from .. import errors
from .._redact import install_log_filter, register
from . import _drive
from ._bounds import AsyncBoundedTransport, BoundedTransport
from ._errors import raise_for_status, raise_for_status_async
from ._flow import Flow
from ._install import check_installation
from ._retry import AsyncRetryTransport, RetryTransport
from ._settings import Settings, resolve_settings

if TYPE_CHECKING:
    import asyncio

__all__ = ["KEEPALIVE_SECONDS", "LIMITS", "POOL_CONNECTIONS", "USER_AGENT", "HttpCore"]

T = TypeVar("T")
POOL_CONNECTIONS = 100
KEEPALIVE_SECONDS = 20.0
USER_AGENT = f"inductiva-python/{__version__}"

# Every connection stays alive between requests (none is reopened per request), and an
# idle one outlives the longest gap between a backing-off wait's polls (5 s). They are
# the transport's limits: httpx ignores a client's `limits` when it is given a transport.
LIMITS = httpx.Limits(
    max_connections=POOL_CONNECTIONS,
    max_keepalive_connections=POOL_CONNECTIONS,
    keepalive_expiry=KEEPALIVE_SECONDS,
)

# Header values named here are shown as "[secure]" in httpx's reprs of headers.
_sensitive = getattr(httpx._models, "SENSITIVE_HEADERS", None)
if isinstance(_sensitive, set):
    _sensitive.add("x-api-key")


def _httpx_kwargs(settings: Settings) -> dict[str, Any]:
    if not settings.api_key:
        missing = errors.AuthenticationError(
            "No API key: set INDUCTIVA_API_KEY or `inductiva.api_key = ...`.", status_code=401
        )
        missing.problem = "No API key."
        raise missing
    return {
        "base_url": settings.api_url,
        "headers": {"X-API-Key": settings.api_key, "User-Agent": USER_AGENT},
        # Waiting for a free pooled connection is local queueing, not a network
        # failure: hundreds of concurrent long-polls share the pool without timing out.
        "timeout": httpx.Timeout(settings.timeout, connect=settings.connect_timeout, pool=None),
    }


def _remember_secrets(settings: Settings) -> None:
    """Mask this client's key and URL password in every message and log from now on."""
    register(settings.api_key, httpx.URL(settings.api_url).password)
    install_log_filter()


def _wrap(client: httpx.Client | httpx.AsyncClient) -> AuthenticatedClient:
    api = AuthenticatedClient(
        base_url=str(client.base_url), token="", prefix="", auth_header_name="X-API-Key"
    )
    if isinstance(client, httpx.Client):
        return api.set_httpx_client(client)
    return api.set_async_httpx_client(client)


async def _closer_async(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Closes ``client`` when finalised: at loop shutdown, or once it is dropped."""
    try:
        yield
    finally:
        await client.aclose()


def _close_with_loop(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Tie ``client`` to the running loop: the returned generator closes it when finalised.

    Started here (it runs up to its ``yield`` without awaiting), the generator is
    registered with the loop's async-generator hooks, so ``asyncio.run`` closes it
    in ``shutdown_asyncgens`` while the loop still runs; a generator dropped
    earlier (settings changed, :meth:`HttpCore.close`) has its loop schedule the close.
    """
    gen = _closer_async(client)
    with contextlib.suppress(StopIteration):
        gen.asend(None).send(None)
    return gen


class _Pool:
    """One built pool: the settings it was built for, its client, its per-pool state."""

    def __init__(self, settings: Settings, api: AuthenticatedClient, closer: Any = None) -> None:
        self.settings, self.api, self.closer = settings, api, closer
        self.state: dict[str, Any] = {}


class HttpCore:
    """One configuration and its connection pools: what a :class:`inductiva.Client` holds.

    ``settings``: fixed at construction (an explicit client), or None: the
    module's settings, resolved again at every call (the default client).
    ``transport``/``async_transport`` replace the network (``httpx.MockTransport``
    in tests, a proxy-aware transport...); the retry policy wraps them.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.async_transport = async_transport
        self._lock = threading.Lock()
        self._sync: _Pool | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool]
        self._async = weakref.WeakKeyDictionary()

    def current_settings(self) -> Settings:
        """The fixed settings, or (default client) the module's as they are now (checked)."""
        return self.settings if self.settings is not None else resolve_settings()

    # -- pools ---------------------------------------------------------------------------
    def _sync_pool(self) -> _Pool:
        settings = self.current_settings()
        with self._lock:
            if self._sync is not None and self._sync.settings == settings:
                self._sync.settings = settings  # the fields outside the pool's identity
                return self._sync
            if self._sync is not None:
                self._sync.api.get_httpx_client().close()
            check_installation()
            _remember_secrets(settings)
            base = self.transport or httpx.HTTPTransport(limits=LIMITS)
            bounded = BoundedTransport(base, settings.max_response_bytes, settings.timeout)
            transport = RetryTransport(bounded, settings.retry_policy)
            client = httpx.Client(
                transport=transport,
                event_hooks={"response": [raise_for_status]},
                **_httpx_kwargs(settings),
            )
            self._sync = _Pool(settings, _wrap(client))
            return self._sync

    def _async_pool(self) -> _Pool:
        settings = self.current_settings()
        import asyncio

        loop = asyncio.get_running_loop()
        cached = self._async.get(loop)
        if cached is not None and cached.settings == settings:
            cached.settings = settings
            return cached
        check_installation()
        _remember_secrets(settings)
        base = self.async_transport or httpx.AsyncHTTPTransport(limits=LIMITS)
        bounded = AsyncBoundedTransport(base, settings.max_response_bytes, settings.timeout)
        transport = AsyncRetryTransport(bounded, settings.retry_policy)
        client = httpx.AsyncClient(
            transport=transport,
            event_hooks={"response": [raise_for_status_async]},
            **_httpx_kwargs(settings),
        )
        pool = _Pool(settings, _wrap(client), _close_with_loop(client))
        with self._lock:
            # Open connections point back at their loop, so entries of closed loops
            # would never leave the weak dictionary on their own.
            for closed in [other for other in list(self._async) if other.is_closed()]:
                del self._async[closed]
            self._async[loop] = pool
        return pool

    def session(self) -> _drive.Session:
        """A blocking run's session: the settings now, the sync pool and its state."""
        pool = self._sync_pool()
        return _drive.Session(pool.settings, pool.api, pool.state, is_async=False)

    def session_async(self) -> _drive.Session:
        """An asyncio run's session: the running loop's pool and its state."""
        pool = self._async_pool()
        return _drive.Session(pool.settings, pool.api, pool.state, is_async=True)

    def api(self) -> AuthenticatedClient:
        """The generated client over this core's sync pool."""
        return self._sync_pool().api

    def api_async(self) -> AuthenticatedClient:
        """The generated client over the running loop's pool."""
        return self._async_pool().api

    # -- running flows -------------------------------------------------------------------
    def run(self, flow: Flow[T], *, interruptible: bool = False) -> T:
        """Run ``flow`` on the sync pool (see :func:`inductiva._http._drive.run`)."""
        try:
            session = self.session()
        except BaseException:
            flow.close()
            raise
        return _drive.run(flow, session, interruptible=interruptible)

    async def run_async(self, flow: Flow[T]) -> T:
        """Run ``flow`` on the running loop's pool (see :func:`._drive_async.run_async`)."""
        try:
            session = self.session_async()
        except BaseException:
            flow.close()
            raise
        from . import _drive_async

        return await _drive_async.run_async(flow, session)

    # -- closing -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the sync pool; async pools are closed by their own loops (see ``_closer_async``).

        What was learnt about the server (cached per pool) is forgotten with them.
        """
        with self._lock:
            if self._sync is not None:
                self._sync.api.get_httpx_client().close()
            self._sync = None
            self._async.clear()

    async def close_async(self) -> None:
        """Close the running loop's async pool now (and the sync pool)."""
        with contextlib.suppress(RuntimeError):
            import asyncio

            pool = self._async.pop(asyncio.get_running_loop(), None)
            if pool is not None:
                await pool.api.get_async_httpx_client().aclose()
        self.close()
