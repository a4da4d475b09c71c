"""Which optional extensions of the API the server offers, asked once per connection pool.

The contract marks our improvements as extensions (``long-poll``,
``byte-ranges``, ``idempotency-key``, ``batch-status``...); a server that offers
them lists their names in ``GET /version``. A server without that endpoint
answers 404, and then no extension is assumed. The answer is fetched at most
once per pool (concurrent flows wait for the one request in flight) and kept
in the pool's state: it is forgotten when the pool is rebuilt (settings
changed, ``Client.close()``).

A definite answer (the version, or a 4xx such as 404) is kept; a transient
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
from typing import TYPE_CHECKING

from inductiva_api.contract import __version__

from ._http._flow import Flow, call, park, session
from .errors import (
    ApiConnectionError,
    ApiError,
    InductivaError,
    InvalidResponseError,
    RateLimitError,
    ServerError,
)

if TYPE_CHECKING:  # generated models are imported where used (see _task_info)
    from inductiva_api.models import Version

__all__ = ["check_api_version", "compatibility_key", "extensions", "offers"]

logger = logging.getLogger("inductiva")

_warned_versions: set[str] = set()
_KNOWN = "capabilities.extensions"
_ASKING = "capabilities.asking"


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


def _from_answer(answer: Version | Exception) -> tuple[frozenset[str], bool]:
    """The extensions an answer of ``GET /version`` declares, and whether to keep them."""
    if not isinstance(answer, Exception):
        names = frozenset(n for n in answer.extensions if isinstance(n, str))
        logger.debug("API %s declares extensions: %s", answer.api_version, sorted(names))
        check_api_version(str(answer.api_version))
        return names, True
    transient = isinstance(answer, ApiConnectionError | ServerError | RateLimitError)
    # A 4xx (404: no such endpoint), or a /version of another shape (the real API's own
    # `GET /version` answers just {"version": ...} since v0.3.10): no extensions, for good.
    definite = isinstance(answer, ApiError | InvalidResponseError) and not transient
    logger.debug("GET /version failed (%s); assuming no API extensions.", answer)
    return frozenset(), definite


def extensions() -> Flow[frozenset[str]]:
    """The extension names the server declares (empty if it declares none or cannot say)."""
    from inductiva_api.api.meta import get_version

    state = (yield from session()).state
    known: frozenset[str] | None = state.get(_KNOWN)
    if known is not None:
        return known
    signal = (yield from session()).new_signal()
    asking = state.setdefault(_ASKING, signal)
    if asking is not signal:  # another flow is asking: wait for its answer
        yield from park(asking, None)
        return frozenset(state.get(_KNOWN, frozenset()))
    answer: Version | Exception
    try:
        try:
            answer = yield from call(get_version.sync_detailed)
        except (InductivaError, KeyError, TypeError, ValueError) as exc:  # parse errors too
            answer = exc
        names, keep = _from_answer(answer)
        if keep:
            state[_KNOWN] = names
    finally:
        state.pop(_ASKING, None)
        signal.set()
    return names


def offers(extension: str) -> Flow[bool]:
    """Whether the server declares ``extension`` (e.g. ``"idempotency-key"``) in GET /version."""
    return extension in (yield from extensions())
