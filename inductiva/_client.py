"""The one place that builds the HTTP client and turns error responses into exceptions.

Settings resolve when the client is built, never at import: an argument
(``inductiva.api_key = ...`` and friends) beats an ``INDUCTIVA_*`` environment
variable, which beats the default. One ``httpx.Client`` (one connection pool)
serves the whole process and is rebuilt only when the settings change; each
running event loop gets one ``httpx.AsyncClient``, closed when that loop shuts
down (``asyncio.run`` finalises it) or when it is replaced.

Every request goes through :class:`~inductiva._retry.RetryTransport`, and every
non-2xx response becomes an :mod:`inductiva.errors` exception in a response hook,
so generated endpoint calls (:func:`call`, :func:`acall`) and streaming
transfers (:func:`stream`) behave alike. Error bodies are read in FastAPI's two
shapes: ``{"detail": "..."}`` (any error) and, for 422, ``{"detail": [{"loc",
"msg", "type"}, ...]}``, whose items are kept on the exception
(:attr:`inductiva.errors.ApiError.detail`); a body of neither shape is quoted.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import re
import sys
import threading
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit

import attrs
import httpx
from inductiva_api import AuthenticatedClient
from inductiva_api.contract import __version__
from inductiva_api.models import HTTPError, HTTPValidationError
from inductiva_api.models import ValidationError as FieldErrorModel
from inductiva_api.types import Response

from . import errors
from ._retry import AsyncRetryTransport, RetryPolicy, RetryTransport
from ._validate import check_seconds, printable

__all__ = [
    "ClientCore",
    "Settings",
    "acall",
    "acall_with",
    "active",
    "call",
    "call_with",
    "get_async_client",
    "get_client",
    "reset",
    "resolve_settings",
    "set_transport",
    "stream",
    "using",
]

T = TypeVar("T")
POOL_CONNECTIONS = 100
KEEPALIVE_SECONDS = 20.0
P = ParamSpec("P")

logger = logging.getLogger("inductiva")

DEFAULT_API_URL = "https://api.inductiva.ai"
DEFAULT_DOWNLOAD_CONNECTIONS = 4
"""Concurrent range requests per large download (``download_connections``)."""
USER_AGENT = f"inductiva-python/{__version__}"


@attrs.frozen
class Settings:
    """Resolved client settings (see :func:`resolve_settings`)."""

    api_key: str | None = attrs.field(repr=False)  # never shown (see the secrets rule)
    api_url: str
    timeout: float = 60.0
    connect_timeout: float = 10.0
    max_retries: int = 4
    # How many concurrent range requests fetch a large archive: not part of the
    # pool's identity (changing it does not rebuild the connection pool).
    download_connections: int = attrs.field(default=DEFAULT_DOWNLOAD_CONNECTIONS, eq=False)

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy these settings ask for."""
        return RetryPolicy(max_attempts=self.max_retries + 1)


def _setting(name: str, argument: object, default: Any, parse: Callable[[str], Any]) -> Any:
    if argument is not None:
        return argument
    module_value = getattr(sys.modules.get("inductiva"), name, None)
    if module_value is not None:
        return module_value
    env = f"INDUCTIVA_{name.upper()}"
    raw = os.environ.get(env)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except (ValueError, OverflowError):
        shown = "<hidden>" if name == "api_key" else printable(repr(raw)[:80])
        raise errors.ConfigurationError(
            f"{env}={shown} is not valid: expected {parse.__name__}"
        ) from None


_KEY_CHARS = re.compile(r"[\x21-\x7e]+")
MAX_RETRIES_LIMIT = 100


def clean_api_key(raw: object) -> str | None:
    """The key with surrounding whitespace stripped; ConfigurationError (without it) if invalid.

    A key read from a file usually ends in a newline: that is stripped. Any other
    control, space or non-ASCII character cannot travel in an HTTP header and is
    refused here, before any request, with a message that does not repeat the key.
    """
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise errors.ConfigurationError(
            f"api_key must be a string, got {type(raw).__name__}; set INDUCTIVA_API_KEY "
            "or `inductiva.api_key = '...'`."
        )
    key = raw.strip()
    if not key:
        return None
    if not _KEY_CHARS.fullmatch(key):
        position = next(i for i, ch in enumerate(key) if not _KEY_CHARS.fullmatch(ch))
        raise errors.ConfigurationError(
            f"The API key ({len(key)} characters) holds a control, space or non-ASCII character "
            f"at position {position + 1}, which no valid key has. Copy the key again from your "
            "Inductiva account into INDUCTIVA_API_KEY (or `inductiva.api_key`)."
        )
    return key


_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
_warned_plain_http: set[str] = set()


def _check_api_url(raw: object) -> str:
    if not isinstance(raw, str):
        raise errors.ConfigurationError(
            f"api_url must be a string such as {DEFAULT_API_URL!r}, got {type(raw).__name__}"
        )
    text = raw.strip().rstrip("/")
    problem = ""
    try:
        url = urlsplit(text)
        url.port  # noqa: B018  (raises ValueError for a bad port)
        httpx.URL(text)
    except (ValueError, httpx.InvalidURL) as exc:
        problem = f" ({printable(exc)})"
        url = urlsplit("")
    bad_chars = any(ch.isspace() or not ch.isprintable() for ch in text)
    if problem or bad_chars or url.scheme not in ("http", "https") or not url.hostname:
        raise errors.ConfigurationError(
            f"api_url {printable(repr(text)[:200])} is not an http(s) URL{problem}; set "
            f"INDUCTIVA_API_URL (or --api-url) to e.g. {DEFAULT_API_URL!r}."
        )
    if url.scheme == "http" and url.hostname not in _LOOPBACK and text not in _warned_plain_http:
        _warned_plain_http.add(text)
        message = (
            f"api_url {text!r} uses plain http:// to a non-local host: your API key and data "
            "travel unencrypted. Use https:// unless you trust every network on the way."
        )
        logger.warning(message)
    return text


def resolve_settings(
    api_key: str | None = None,
    api_url: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    download_connections: int | None = None,
) -> Settings:
    """Per setting: argument, then ``inductiva.<name>``, then ``INDUCTIVA_<NAME>``, then default.

    Called without arguments while an :class:`inductiva.Client` is active (see
    :func:`using`), it returns that client's own settings (checked when it was
    built), so every request and transfer made on its behalf follows them.
    """
    arguments = (api_key, api_url, timeout, max_retries, download_connections)
    if all(argument is None for argument in arguments):
        core = _current.get()
        if core is not None and core.settings is not None:
            _check_transfer_settings()
            return core.settings
    return _resolve(api_key, api_url, timeout, max_retries, download_connections)


def _resolve(
    api_key: str | None,
    api_url: str | None,
    timeout: float | None,
    max_retries: int | None,
    download_connections: int | None = None,
) -> Settings:
    """Resolve and check every setting, before any request.

    The key, the URL, the timeout, the retries, the download connections, the
    progress switch and the extraction limits; :class:`inductiva.Client`
    resolves its settings here too.
    """
    seconds = _setting("timeout", timeout, 60.0, float)
    retries = _setting("max_retries", max_retries, 4, int)
    connections = _setting(
        "download_connections", download_connections, DEFAULT_DOWNLOAD_CONNECTIONS, int
    )
    check_seconds("timeout", seconds, error=errors.ConfigurationError)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise errors.ConfigurationError(f"max_retries must be an integer >= 0, got {retries!r}")
    if retries > MAX_RETRIES_LIMIT:
        raise errors.ConfigurationError(
            f"max_retries must be at most {MAX_RETRIES_LIMIT}, got {retries!r}"
        )
    if isinstance(connections, bool) or not isinstance(connections, int) or connections < 1:
        raise errors.ConfigurationError(
            "download_connections must be an integer >= 1 (1 = one stream, default "
            f"{DEFAULT_DOWNLOAD_CONNECTIONS}), got {printable(repr(connections)[:60])}"
        )
    settings = Settings(
        api_key=clean_api_key(_setting("api_key", api_key, None, str)),
        api_url=_check_api_url(_setting("api_url", api_url, DEFAULT_API_URL, str)),
        timeout=float(seconds),
        max_retries=retries,
        download_connections=connections,
    )
    _check_transfer_settings()
    return settings


def _check_transfer_settings() -> None:
    """ConfigurationError now, before any request, for a bad progress switch or limit."""
    from ._transfers import _limits, _progress

    _progress.progress_enabled()  # a bad INDUCTIVA_PROGRESS fails before any request
    _limits.current()


_VALIDATION_MESSAGE = "The API rejected the request"


def _field_error(item: object) -> errors.FieldError:
    """One item of a 422 ``detail`` list; an item of another shape is kept as its text."""
    try:
        if not isinstance(item, dict):
            raise TypeError
        model = FieldErrorModel.from_dict(item)
        loc = tuple(p for p in model.loc if isinstance(p, str | int))
        return errors.FieldError(loc=loc, msg=str(model.msg), type=str(model.type_))
    except (KeyError, TypeError, ValueError):
        return errors.FieldError(loc=(), msg=str(item))


def _error_body(response: httpx.Response) -> tuple[str, list[errors.FieldError]]:
    """The message and 422 field errors of an error body, read as tolerantly as possible."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return HTTPError.from_dict(body).detail, []
    if isinstance(detail, list):
        return _VALIDATION_MESSAGE, [_field_error(item) for item in detail]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"], []  # an older body shape: {"code", "message"}
    return response.text[:200].strip(), []


def _redirect_message(response: httpx.Response) -> str:
    location = printable(response.headers.get("Location", "")[:300]) or "no Location given"
    hint = "Set INDUCTIVA_API_URL (or --api-url) to the API's own address"
    if response.request.url.scheme == "http":
        hint += ", probably with https:// instead of http://"
    return (
        f"The API answered HTTP {response.status_code}, a redirect to {location}; the client "
        f"does not follow redirects (they could leak your API key). {hint}."
    )


def _error_from(response: httpx.Response) -> errors.ApiError:
    if response.is_redirect or 300 <= response.status_code < 400:
        message, detail = _redirect_message(response), list[errors.FieldError]()
    else:
        message, detail = _error_body(response)
    request = response.request
    return errors.error_for_status(
        response.status_code,
        message,
        method=request.method,
        url=str(request.url),
        retry_after=response.headers.get("Retry-After"),
        detail=detail,
    )


def _raise_for_status(response: httpx.Response) -> None:
    if not response.is_success:
        response.read()
        raise _error_from(response)


async def _araise_for_status(response: httpx.Response) -> None:
    if not response.is_success:
        await response.aread()
        raise _error_from(response)


def _httpx_kwargs(settings: Settings) -> dict[str, Any]:
    if not settings.api_key:
        raise errors.AuthenticationError(
            "No API key: set INDUCTIVA_API_KEY or `inductiva.api_key = ...`.", status_code=401
        )
    return {
        "base_url": settings.api_url,
        "headers": {"X-API-Key": settings.api_key, "User-Agent": USER_AGENT},
        # Waiting for a free pooled connection is local queueing, not a network
        # failure: hundreds of concurrent long-polls share the pool without timing out.
        "timeout": httpx.Timeout(settings.timeout, connect=settings.connect_timeout, pool=None),
    }


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

_transport: httpx.BaseTransport | None = None
_async_transport: httpx.AsyncBaseTransport | None = None
_AsyncEntry = tuple[Settings, AuthenticatedClient, AsyncGenerator[None, None]]


def _wrap(client: httpx.Client | httpx.AsyncClient) -> AuthenticatedClient:
    api = AuthenticatedClient(
        base_url=str(client.base_url), token="", prefix="", auth_header_name="X-API-Key"
    )
    if isinstance(client, httpx.Client):
        return api.set_httpx_client(client)
    return api.set_async_httpx_client(client)


async def _closer(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
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
    earlier (settings changed, :func:`reset`) has its loop schedule the close.
    """
    gen = _closer(client)
    with contextlib.suppress(StopIteration):
        gen.asend(None).send(None)
    return gen


class ClientCore:
    """One configuration and its connection pools: what a :class:`inductiva.Client` holds.

    ``settings`` fixed at construction (an explicit client), or None: the
    module's settings, resolved again on every request (the default client).
    One ``httpx.Client`` serves every sync request, rebuilt only when the
    settings change; each running event loop gets one ``httpx.AsyncClient``,
    closed when that loop shuts down or when it is replaced.
    """

    def __init__(self, settings: Settings | None = None, progress: bool | None = None) -> None:
        self.settings = settings
        self.progress = progress
        self.lock = threading.Lock()
        self.sync_entry: tuple[Settings, AuthenticatedClient] | None = None
        self.async_entries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _AsyncEntry]
        self.async_entries = weakref.WeakKeyDictionary()

    def current_settings(self) -> Settings:
        """The fixed settings, or (default client) the module's as they are now."""
        return self.settings if self.settings is not None else _resolve(None, None, None, None)

    def sync_client(self) -> AuthenticatedClient:
        """The generated client over this core's ``httpx.Client`` (built on first use)."""
        settings = self.current_settings()
        with self.lock:
            if self.sync_entry is not None and self.sync_entry[0] == settings:
                return self.sync_entry[1]
            if self.sync_entry is not None:
                self.sync_entry[1].get_httpx_client().close()
            transport = RetryTransport(
                _transport or httpx.HTTPTransport(limits=LIMITS), settings.retry_policy
            )
            client = httpx.Client(
                transport=transport,
                event_hooks={"response": [_raise_for_status]},
                **_httpx_kwargs(settings),
            )
            self.sync_entry = (settings, _wrap(client))
            return self.sync_entry[1]

    def async_client(self) -> AuthenticatedClient:
        """The generated client for the running event loop (one pool per loop)."""
        settings = self.current_settings()
        loop = asyncio.get_running_loop()
        cached = self.async_entries.get(loop)
        if cached is not None and cached[0] == settings:
            return cached[1]
        transport = AsyncRetryTransport(
            _async_transport or httpx.AsyncHTTPTransport(limits=LIMITS), settings.retry_policy
        )
        client = httpx.AsyncClient(
            transport=transport,
            event_hooks={"response": [_araise_for_status]},
            **_httpx_kwargs(settings),
        )
        api = _wrap(client)
        with self.lock:
            # Open connections point back at their loop, so entries of closed loops
            # would never leave the weak dictionary on their own.
            for closed in [other for other in list(self.async_entries) if other.is_closed()]:
                del self.async_entries[closed]
            self.async_entries[loop] = (settings, api, _close_with_loop(client))
        return api

    def close(self) -> None:
        """Close the sync pool; async pools are closed by their own loops (see ``_closer``)."""
        with self.lock:
            if self.sync_entry is not None:
                self.sync_entry[1].get_httpx_client().close()
            self.sync_entry = None
            self.async_entries.clear()

    async def aclose(self) -> None:
        """Close the running loop's async pool now (and the sync pool)."""
        with contextlib.suppress(RuntimeError):
            entry = self.async_entries.pop(asyncio.get_running_loop(), None)
            if entry is not None:
                await entry[1].get_async_httpx_client().aclose()
        self.close()


_DEFAULT = ClientCore()
"""The module-level API's client: the module settings, resolved on every request."""
_async = _DEFAULT.async_entries
_current: contextvars.ContextVar[ClientCore | None] = contextvars.ContextVar(
    "inductiva_client", default=None
)


def active() -> ClientCore:
    """The client requests go through now: the one :func:`using` made active, or the default."""
    return _current.get() or _DEFAULT


@contextlib.contextmanager
def using(core: ClientCore | None) -> Iterator[ClientCore]:
    """Send the requests made inside the block (sync or async) through ``core``.

    None keeps the currently active client (the default one outside any block).
    The active client is a context variable, so concurrent asyncio tasks and
    threads each keep their own.
    """
    if core is None:
        yield active()
        return
    token = _current.set(core)
    try:
        yield core
    finally:
        _current.reset(token)


def set_transport(
    transport: httpx.BaseTransport | None = None,
    async_transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Send requests through these transports (e.g. ``httpx.MockTransport`` in tests)."""
    global _transport, _async_transport
    reset()
    _transport, _async_transport = transport, async_transport


def reset() -> None:
    """Close the default client's pools; the next call builds them again from fresh settings.

    What :mod:`inductiva._capabilities` learnt about the server (cached per
    client) is forgotten with them.

    Async clients are closed by their own (still running) loops, see :func:`_closer`.
    """
    _DEFAULT.close()


def get_client() -> AuthenticatedClient:
    """The active client's generated client (the default one: built from current settings)."""
    return active().sync_client()


def get_async_client() -> AuthenticatedClient:
    """The active client's generated client for the running event loop (one pool per loop)."""
    return active().async_client()


def _connection_error(exc: httpx.TransportError) -> errors.ApiConnectionError:
    url = ""
    with contextlib.suppress(RuntimeError):
        url = str(exc.request.url)
    if isinstance(exc, httpx.TimeoutException):
        return errors.ApiTimeoutError(
            f"Request to {url} timed out ({type(exc).__name__}); raise INDUCTIVA_TIMEOUT "
            "or check your network."
        )
    return errors.ApiConnectionError(
        f"Could not reach the Inductiva API at {url}: {exc or type(exc).__name__}. "
        "Check INDUCTIVA_API_URL and your network."
    )


_ErrorModel = HTTPError | HTTPValidationError


def _parsed(response: Response[_ErrorModel | T]) -> T:
    parsed = response.parsed
    if parsed is None or isinstance(parsed, HTTPError | HTTPValidationError):
        raise errors.ApiError(
            f"Unexpected HTTP {int(response.status_code)} response from the API",
            status_code=int(response.status_code),
        )
    return parsed


def call(
    endpoint: Callable[Concatenate[AuthenticatedClient, P], Response[_ErrorModel | T]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Call a generated ``sync_detailed`` function; return its parsed 2xx model or raise.

    The shared client is passed as the endpoint's first argument; ``args`` and
    ``kwargs`` are the endpoint's own, type-checked against its signature.
    """
    return call_with(get_client(), endpoint, *args, **kwargs)


def call_with(
    api: AuthenticatedClient,
    endpoint: Callable[Concatenate[AuthenticatedClient, P], Response[_ErrorModel | T]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """:func:`call` through the given client (not necessarily the shared one)."""
    try:
        return _parsed(endpoint(api, *args, **kwargs))
    except httpx.TransportError as exc:
        raise _connection_error(exc) from exc


async def acall(
    endpoint: Callable[Concatenate[AuthenticatedClient, P], Awaitable[Response[_ErrorModel | T]]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Call a generated ``asyncio_detailed`` function; return its parsed 2xx model or raise."""
    return await acall_with(get_async_client(), endpoint, *args, **kwargs)


async def acall_with(
    api: AuthenticatedClient,
    endpoint: Callable[Concatenate[AuthenticatedClient, P], Awaitable[Response[_ErrorModel | T]]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """:func:`acall` through the given client."""
    try:
        return _parsed(await endpoint(api, *args, **kwargs))
    except httpx.TransportError as exc:
        raise _connection_error(exc) from exc


@contextlib.contextmanager
def stream(
    method: str, path: str, *, headers: dict[str, str] | None = None, content: Any = None
) -> Iterator[httpx.Response]:
    """A streamed request through the shared client; errors while reading are translated too."""
    client = get_client().get_httpx_client()
    try:
        with client.stream(method, path, headers=headers, content=content) as response:
            yield response
    except httpx.TransportError as exc:
        raise _connection_error(exc) from exc


@contextlib.asynccontextmanager
async def astream(
    method: str, path: str, *, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.Response]:
    """The asyncio twin of :func:`stream`."""
    client = get_async_client().get_async_httpx_client()
    try:
        async with client.stream(method, path, headers=headers) as response:
            yield response
    except httpx.TransportError as exc:
        raise _connection_error(exc) from exc
