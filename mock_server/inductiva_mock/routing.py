"""The mock's routes, built from the operations of the spec it serves.

Every operation of the served spec gets a route: its hand-written handler
(:func:`.handlers.handlers`, by operationId) or, when it has none, the generic
handler. The generic handler authenticates and validates the request like every
operation, then answers the operation's first 2xx response with the spec's sample
body (deterministic and schema-valid: :mod:`.samples`), or with an empty body when
that response declares none, and logs once at WARNING that the operation has no
handler. An operation whose success responses are all binary cannot be answered from
a sample: it gets 501 naming the operation and where to add its handler.

Literal paths answer 405 to the methods they lack (``GET /tasks/submit`` would
otherwise reach ``GET /tasks/{task_id}``), except an extension path that a templated
path of the real API also matches: ``GET /tasks/status`` is ``GET /tasks/{task_id}``
there, and stays so here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import error_response
from .handlers import Ctx, Handler, handlers
from .operations import OperationFacts, is_json
from .spec import json_bytes

if TYPE_CHECKING:
    from .app import MockBackend

__all__ = ["ALL_METHODS", "HANDLERS_MODULE", "build_routes", "generic_handler"]

log = logging.getLogger("inductiva_mock")
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
HANDLERS_MODULE = "mock_server/inductiva_mock/handlers.py"


def build_routes(b: MockBackend) -> list[Route]:
    """A route for every operation of the served spec, and the 405 guards of literal paths."""
    known = handlers(b)
    routes: list[Route] = []
    for facts in b.operations:
        handler = known.get(facts.operation_id) or generic_handler(facts)
        routes.append(Route(facts.path, b.operation(handler, facts), methods=[facts.method]))
    served = {facts.operation_id for facts in b.operations}
    for op_id in sorted(set(known) - served):
        log.info("the served spec has no operation %s: its handler is not routed", op_id)
    routes.sort(key=lambda r: (r.path.count("{"), r.path))
    return [*_method_guards(b.operations), *routes]


def _where(facts: OperationFacts) -> str:
    return f"{facts.operation_id} ({facts.method} {facts.path})"


def generic_handler(facts: OperationFacts) -> Handler:
    """The answer of an operation without a handler: its sample success body, or 501."""
    warned = False
    answer = _sample_answer(facts)
    if answer is None:
        detail = (
            f"no handler for {_where(facts)}: the spec gives it no JSON (or empty) success "
            f"response, so the mock cannot answer it from a sample; add a handler in "
            f"{HANDLERS_MODULE} (handlers(), under {facts.operation_id!r})"
        )

        async def not_implemented(request: Request, ctx: Ctx) -> Response:
            nonlocal warned
            if not warned:
                warned = True
                log.warning("%s", detail)
            return error_response(501, detail)

        return not_implemented
    status, body, media = answer

    async def sample(request: Request, ctx: Ctx) -> Response:
        nonlocal warned
        if not warned:
            warned = True
            log.warning(
                "no handler for %s: answering the spec's sample; add a handler in %s "
                "(handlers(), under %r)",
                _where(facts),
                HANDLERS_MODULE,
                facts.operation_id,
            )
        return Response(body, status_code=status, media_type=media)

    return sample


def _sample_answer(facts: OperationFacts) -> tuple[int, bytes, str | None] | None:
    """Status, body and media type of the first 2xx answerable from the spec, if any."""
    for response in facts.success:
        if not response.content:
            return response.status, b"", None
        for content in response.content:
            if is_json(content.media_type):
                return response.status, json_bytes(content.sample), content.media_type
    return None


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^}/]+\}", path)
    return re.compile("[^/]+".join(re.escape(p) for p in parts) + "$")


def _method_guards(operations: list[OperationFacts]) -> list[Route]:
    """405 routes for the other methods of each literal path (see the module docstring)."""
    by_path: dict[str, list[OperationFacts]] = {}
    for facts in operations:
        by_path.setdefault(facts.path, []).append(facts)
    templates = [_template(p) for p in by_path if "{" in p]
    guards = []
    for path, ops in by_path.items():
        if "{" in path:
            continue
        shadowed = any(t.match(path) for t in templates)
        if shadowed and all(op.extension is not None for op in ops):
            continue
        allowed = {op.method for op in ops}
        if "GET" in allowed:
            allowed.add("HEAD")
        others = [m for m in ALL_METHODS if m not in allowed]
        guards.append(Route(path, _not_allowed(sorted(allowed)), methods=others))
    return guards


def _not_allowed(allowed: list[str]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return error_response(405, "Method Not Allowed", headers={"Allow": ", ".join(allowed)})

    return endpoint
