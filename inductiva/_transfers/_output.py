"""The output endpoint's requests, as the generated client builds them.

Every download request (the whole archive, a byte range, a ``?filename=``
subset) is ``GET /tasks/{task_id}/output`` built by the generated
``download_task_output`` endpoint: its path, its ``filename`` query and its
``Range``/``If-Range`` headers are the contract's (``make generate``), and a
contract that renames or drops one fails ``make typecheck`` here.
"""

from __future__ import annotations

from collections.abc import Sequence

from inductiva_api.contract import Extension
from inductiva_api.types import UNSET

from .._http._flow import Request, request_of

__all__ = ["BYTE_RANGES", "output_request"]

BYTE_RANGES = Extension.BYTE_RANGES
"""The extension whose ``Range`` requests fetch parts of the archive."""


def output_request(
    task_id: str,
    *,
    filenames: Sequence[str] | None = None,
    byte_range: str | None = None,
    if_range: str | None = None,
) -> Request:
    """``GET /tasks/{task_id}/output``: all of it, a byte range (``bytes=a-b``) or a subset."""
    from inductiva_api.api.tasks import download_task_output

    return request_of(
        download_task_output.sync_detailed,
        task_id,
        filename=list(filenames) if filenames is not None else UNSET,
        range_=byte_range if byte_range is not None else UNSET,
        if_range=if_range if if_range is not None else UNSET,
    )
