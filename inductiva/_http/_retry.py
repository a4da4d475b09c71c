"""Retries with jittered exponential backoff, as an httpx transport.

Every request made through the shared client, generated endpoint calls and
streaming transfers alike, passes through :class:`RetryTransport`, so the
policy lives in one place, :class:`RetryPolicy`. A request is sent again only
where that is provably safe:

* connection failures before anything was sent (connect errors, connect and
  pool timeouts) and ``429`` (the request was refused, not processed) are
  retried for every request;
* ``502``/``503``/``504`` and failures after the request may have reached the
  server (read/write errors and timeouts) are retried only for idempotent
  requests: GET/HEAD/PUT/DELETE/OPTIONS, and requests sent inside
  :func:`declared_idempotent` (the caller vouches that a re-send is safe: a
  kill, since killing twice is killing once, or a read sent as a POST). An
  ``Idempotency-Key`` header alone does not count: a server may ignore it (the
  real API does) and register a second task.
  :mod:`inductiva._submit` declares a submission idempotent only when the
  server lists ``idempotency-key`` in ``GET /version``;
* at most ``max_attempts`` sends in all; ``Retry-After`` (seconds or an HTTP
  date) is honoured, capped; otherwise full-jitter exponential backoff;
* a request whose body is a stream (an upload) is never replayed;
* one budget per call (:func:`retry_budget`): a public operation that makes
  several requests, or retries whole transfers on top of this layer (a
  download resuming after drops), shares ``max_retries + 1`` failed attempts
  among all of them, so the layers never multiply. Once spent, further sends of
  that call fail at once with the last failure.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator

import attrs
import httpx

__all__ = [
    "AsyncRetryTransport",
    "Budget",
    "RetriesExhausted",
    "RetryPolicy",
    "RetryTransport",
    "budget_mark",
    "declared_idempotent",
    "note_failure",
    "resume_delay",
    "retry_budget",
]

logger = logging.getLogger("inductiva")

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_ALWAYS_SAFE_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_declared: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "inductiva_declared_idempotent", default=False
)


class Budget:
    """How many failed attempts the current call may still make."""

    def __init__(self, failures: int) -> None:
        self.left = failures
        self.total = failures
        self.last = ""

    @property
    def spent(self) -> bool:
        """Whether no failed attempt is left."""
        return self.left <= 0

    def failed(self, why: str) -> bool:
        """Record a failed attempt; True if the budget is now spent."""
        self.left -= 1
        self.last = why
        return self.spent

    def check(self, request: httpx.Request) -> None:
        """Refuse to send ``request`` once the budget is spent (the call gives up)."""
        if self.spent:
            raise RetriesExhausted(
                f"Gave up after {self.total} failed attempts in this call "
                f"(max_retries={self.total - 1}); the last failure: {self.last}",
                request=request,
            )


class RetriesExhausted(httpx.ConnectError):
    """The call's retry budget is spent: nothing more is sent (not a failure to connect)."""


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "inductiva_retry_budget", default=None
)


@contextlib.contextmanager
def retry_budget(max_retries: int) -> Iterator[Budget]:
    """Share ``max_retries + 1`` failed attempts among every request sent in this block.

    Nested blocks join the outermost one: the whole public call has one budget.
    """
    outer = _budget.get()
    if outer is not None:
        yield outer
        return
    budget = Budget(max_retries + 1)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def budget_mark() -> int:
    """A mark to pass to :func:`note_failure` after the attempt it starts."""
    budget = _budget.get()
    return budget.left if budget is not None else 0


def note_failure(mark: int, why: str) -> bool:
    """Record an attempt that failed above the transport (a dropped download); True if spent.

    If the transport already counted a failure since ``mark`` (a refused
    connection), the attempt is not counted twice.
    """
    budget = _budget.get()
    if budget is None:
        return False
    if budget.left == mark:
        budget.failed(why)
    return budget.spent


def resume_delay(policy: RetryPolicy, attempt: int, mark: int, exc: BaseException) -> float | None:
    """Seconds before resuming a transfer whose attempt ``attempt`` dropped, or None to give up.

    The one decision every resumable transfer (whole archive, ranges, members,
    subsets; blocking or async) makes after a dropped connection: give up once
    ``policy.max_attempts`` attempts were made or the call's retry budget is
    spent (the failure is recorded there, see :func:`note_failure`), else wait
    the policy's backoff.
    """
    if attempt >= policy.max_attempts or note_failure(mark, str(exc)[:200]):
        return None
    return policy.delay(attempt)


def _failed(why: str) -> bool:
    budget = _budget.get()
    return budget.failed(why) if budget is not None else False


def _check_budget(request: httpx.Request) -> None:
    budget = _budget.get()
    if budget is not None:
        budget.check(request)


@contextlib.contextmanager
def declared_idempotent(declared: bool = True) -> Iterator[None]:
    """Requests sent inside this block (this thread or task) may be re-sent like idempotent ones.

    For requests the caller knows are safe to repeat although their method is
    not idempotent (a submission to a server that honours ``Idempotency-Key``).
    """
    token = _declared.set(declared)
    try:
        yield
    finally:
        _declared.reset(token)


@attrs.frozen
class RetryPolicy:
    """When and how long to wait before trying a request again."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})

    def is_idempotent(self, request: httpx.Request) -> bool:
        """Whether sending ``request`` twice has the same effect as once.

        An ``Idempotency-Key`` header alone does not make a POST idempotent: the
        server may ignore it. The sender must declare it (:func:`declared_idempotent`).
        """
        return request.method in _IDEMPOTENT_METHODS or _declared.get()

    @staticmethod
    def is_replayable(request: httpx.Request) -> bool:
        """Whether the request body can be sent again (it is not a one-shot stream)."""
        return isinstance(request.stream, httpx.ByteStream)

    def retry_on_status(self, request: httpx.Request, status_code: int) -> bool:
        """Whether a response with ``status_code`` should be retried (body replayability aside)."""
        if status_code not in self.retry_statuses:
            return False
        return status_code == 429 or self.is_idempotent(request)

    @staticmethod
    def never_sent(exc: BaseException | None) -> bool:
        """Whether ``exc`` failed before any of the request reached the server."""
        return isinstance(exc, _ALWAYS_SAFE_ERRORS)

    def retry_on_error(self, request: httpx.Request, exc: Exception) -> bool:
        """Whether a transport error should be retried (body replayability aside)."""
        if not isinstance(exc, httpx.TransportError):
            return False
        return self.never_sent(exc) or self.is_idempotent(request)

    def delay(
        self,
        attempt: int,
        retry_after: str | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to sleep after failed ``attempt`` (1-based): Retry-After, else full jitter."""
        hinted = _parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.max_retry_after)
        return rand() * min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _log_retry(request: httpx.Request, why: str, attempt: int, wait: float) -> None:
    logger.info(
        "%s %s: %s; retry %d in %.2fs", request.method, request.url.path, why, attempt, wait
    )


class RetryTransport(httpx.BaseTransport):
    """Wraps a transport, retrying requests as :class:`RetryPolicy` allows."""

    def __init__(
        self,
        wrapped: httpx.BaseTransport,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._wrapped = wrapped
        self._policy = policy
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying per the policy; the last outcome is returned or raised."""
        policy = self._policy
        # Decided before sending: a streamed body, once read, cannot be sent again.
        attempts = policy.max_attempts if policy.is_replayable(request) else 1
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            _check_budget(request)
            try:
                response = self._wrapped.handle_request(request)
            except httpx.TransportError as exc:
                spent = _failed(type(exc).__name__)
                if last or spent or not policy.retry_on_error(request, exc):
                    raise
                wait = policy.delay(attempt)
                _log_retry(request, type(exc).__name__, attempt, wait)
                self._sleep(wait)
                continue
            if not policy.retry_on_status(request, response.status_code):
                return response
            if _failed(f"HTTP {response.status_code}") or last:
                return response
            wait = policy.delay(attempt, response.headers.get("Retry-After"))
            response.close()
            _log_retry(request, f"HTTP {response.status_code}", attempt, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the wrapped transport."""
        self._wrapped.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """The asyncio twin of :class:`RetryTransport`."""

    def __init__(
        self,
        wrapped: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        import asyncio  # an asyncio client is being built: asyncio is in use already

        self._wrapped = wrapped
        self._policy = policy
        self._sleep = sleep or asyncio.sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying per the policy; the last outcome is returned or raised."""
        policy = self._policy
        # Decided before sending: a streamed body, once read, cannot be sent again.
        attempts = policy.max_attempts if policy.is_replayable(request) else 1
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            _check_budget(request)
            try:
                response = await self._wrapped.handle_async_request(request)
            except httpx.TransportError as exc:
                spent = _failed(type(exc).__name__)
                if last or spent or not policy.retry_on_error(request, exc):
                    raise
                wait = policy.delay(attempt)
                _log_retry(request, type(exc).__name__, attempt, wait)
                await self._sleep(wait)
                continue
            if not policy.retry_on_status(request, response.status_code):
                return response
            if _failed(f"HTTP {response.status_code}") or last:
                return response
            wait = policy.delay(attempt, response.headers.get("Retry-After"))
            await response.aclose()
            _log_retry(request, f"HTTP {response.status_code}", attempt, wait)
            await self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._wrapped.aclose()
