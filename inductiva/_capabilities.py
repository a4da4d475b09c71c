"""Which optional extensions of the API the server offers, asked once per client.

The contract marks our improvements as extensions (``long-poll``,
``byte-ranges``, ``idempotency-key``, ``version``, ``error-codes``); a server
that offers them lists their names in ``GET /version``. A server without that
endpoint answers 404, and then no extension is assumed. The answer is fetched
through the shared client at most once per built client: it is forgotten when
the client is rebuilt (settings changed, :func:`inductiva._client.reset`).

A definite answer (the version, or a 4xx such as 404) is cached; a transient
failure (no connection, 5xx) counts as "no extensions" for this call only, so
the next call asks again. Either way nothing is raised: the caller falls back
to what the real API guarantees.

The same answer carries the server's ``api_version``: when its major version
differs from this client's contract (for 0.x versions, the minor one: under
semantic versioning's 0.x rule a minor bump may break), a warning is logged,
once per process and server version. A server without ``/version`` (the real
API) is silent.
"""

from __future__ import annotations

import logging
import threading
import weakref

import httpx
from inductiva_api import AuthenticatedClient
from inductiva_api.contract import __version__
from inductiva_api.models import Version

from . import _client
from .errors import ApiConnectionError, ApiError, InductivaError, RateLimitError, ServerError

__all__ = ["aextensions", "aextensions_of", "aoffers", "extensions", "extensions_of", "offers"]

logger = logging.getLogger("inductiva")

_lock = threading.Lock()
_warned_versions: set[str] = set()


def compatibility_key(version: str) -> tuple[int, ...] | None:
    """The part of a semantic version that must match: (major,), or (0, minor) for 0.x."""
    try:
        major, minor, *_ = (int(part) for part in version.split("-")[0].split("."))
    except ValueError:
        return None
    return (0, minor) if major == 0 else (major,)


def check_api_version(api_version: str) -> None:
    """Warn once if the server's contract version is incompatible with this client's."""
    theirs, ours = compatibility_key(api_version), compatibility_key(__version__)
    if theirs is None or theirs == ours or api_version in _warned_versions:
        return
    _warned_versions.add(api_version)
    logger.warning(
        "The server speaks API %s; this client (inductiva %s) was built for API %s, an "
        "incompatible version. Upgrade the client (or ask for a server of API %s.x).",
        api_version,
        __version__,
        __version__,
        ".".join(map(str, ours or ())),
    )


_cache: weakref.WeakKeyDictionary[httpx.Client | httpx.AsyncClient, frozenset[str]]
_cache = weakref.WeakKeyDictionary()


def _from_answer(answer: Version | Exception) -> tuple[frozenset[str], bool]:
    """The extensions an answer of ``GET /version`` declares, and whether to cache them."""
    if isinstance(answer, Version):
        names = frozenset(n for n in answer.extensions if isinstance(n, str))
        logger.debug("API %s declares extensions: %s", answer.api_version, sorted(names))
        check_api_version(str(answer.api_version))
        return names, True
    transient = isinstance(answer, ApiConnectionError | ServerError | RateLimitError)
    definite = isinstance(answer, ApiError) and not transient
    logger.debug("GET /version failed (%s); assuming no API extensions.", answer)
    return frozenset(), definite


def _remember(
    client: httpx.Client | httpx.AsyncClient, answer: Version | Exception
) -> frozenset[str]:
    names, keep = _from_answer(answer)
    if keep:
        with _lock:
            _cache[client] = names
    return names


def extensions() -> frozenset[str]:
    """The extension names the server declares (empty if it declares none or cannot say)."""
    return extensions_of(_client.get_client())


def extensions_of(api: AuthenticatedClient) -> frozenset[str]:
    """:func:`extensions` of the server behind ``api`` (cached per HTTP client)."""
    client = api.get_httpx_client()
    with _lock:
        cached = _cache.get(client)
    if cached is not None:
        return cached
    from inductiva_api.api.meta import get_version

    answer: Version | Exception
    try:
        answer = _client.call_with(api, get_version.sync_detailed)
    except (InductivaError, KeyError, TypeError, ValueError) as exc:  # parse errors included
        answer = exc
    return _remember(client, answer)


async def aextensions() -> frozenset[str]:
    """The asyncio twin of :func:`extensions` (cached per event loop's client)."""
    return await aextensions_of(_client.get_async_client())


async def aextensions_of(api: AuthenticatedClient) -> frozenset[str]:
    """The asyncio twin of :func:`extensions_of`."""
    client = api.get_async_httpx_client()
    with _lock:
        cached = _cache.get(client)
    if cached is not None:
        return cached
    from inductiva_api.api.meta import get_version

    answer: Version | Exception
    try:
        answer = await _client.acall_with(api, get_version.asyncio_detailed)
    except (InductivaError, KeyError, TypeError, ValueError) as exc:
        answer = exc
    return _remember(client, answer)


def offers(extension: str) -> bool:
    """Whether the server declares ``extension`` (e.g. ``"idempotency-key"``) in GET /version."""
    return extension in extensions()


async def aoffers(extension: str) -> bool:
    """The asyncio twin of :func:`offers`."""
    return extension in await aextensions()
