"""Registering a task (``POST /tasks/submit``), re-sent only where that is provably safe.

A submission that fails without a known outcome may have created a task; sending
it again could create a second one. So, per the retry policy
(:mod:`inductiva._retry`, the one place that decides):

* a connection that was never made (connect error, connect or pool timeout) or
  a ``429`` (refused unprocessed) is re-sent for every server;
* ``502``/``503``/``504`` and failures after the request went out (read errors,
  read timeouts) are re-sent only when the server lists ``idempotency-key`` in
  ``GET /version``: every submission carries a fresh ``Idempotency-Key`` and
  each re-send reuses it, so such a server returns the first task instead of
  creating another. A server that does not declare it (the real API ignores the
  header) gets the error raised instead, never a duplicate task.

Re-sends are bounded by ``inductiva.max_retries``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from inductiva_api import contract
from inductiva_api.types import UNSET

from ._capabilities import offers
from ._http._flow import Flow, call, call_idempotent
from ._http._retry import RetryPolicy
from .errors import ApiConnectionError, ServerError

if TYPE_CHECKING:  # generated models are imported where used (see _task_info)
    from inductiva_api.models import TaskRequest

__all__ = ["IDEMPOTENCY_EXTENSION", "register_flow"]

logger = logging.getLogger("inductiva")

IDEMPOTENCY_EXTENSION = contract.Extension.IDEMPOTENCY_KEY
"""The extension name a server lists in ``GET /version`` when it honours Idempotency-Key."""


def _body(method: str, params: Mapping[str, Any], resource_pool: str | None) -> TaskRequest:
    from inductiva_api.models import TaskRequest, TaskRequestParams

    return TaskRequest(
        method=method,
        params=TaskRequestParams.from_dict(dict(params)),
        resource_pool=resource_pool if resource_pool is not None else UNSET,
    )


def register_flow(method: str, params: Mapping[str, Any], resource_pool: str | None) -> Flow[str]:
    """Register a task running ``method`` with ``params``; its id (status pending-input).

    Raises the :mod:`inductiva.errors` exception of the last attempt when it
    cannot be registered (see the module docstring for what is re-sent).
    """
    from inductiva_api.api.tasks import submit_task

    body = _body(method, params, resource_pool)
    safe = yield from offers(IDEMPOTENCY_EXTENSION)
    endpoint = submit_task.sync_detailed
    try:
        submitted = yield from (call_idempotent if safe else call)(
            endpoint, body=body, idempotency_key=str(uuid.uuid4())
        )
    except (ApiConnectionError, ServerError) as exc:
        if not safe and not RetryPolicy.never_sent(exc.__cause__):
            logger.warning(
                "Submitting %s failed (%s). It was not re-sent: this server does not declare "
                "idempotency-key, so a re-send could register a second task. A task may have "
                "been registered; see inductiva.tasks.list().",
                method,
                type(exc).__name__,
            )
        raise
    logger.debug("Task %s registered (%s).", submitted.id, method)
    return str(submitted.id)
