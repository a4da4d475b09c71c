"""Public types: :data:`TaskStatus`, generated from the contract's ``TaskStatusCode``."""

from __future__ import annotations

from typing import TypeAlias, get_args

from inductiva_api.contract import TaskStatusLiteral

__all__ = ["KNOWN_STATUSES", "TaskStatus"]

TaskStatus: TypeAlias = TaskStatusLiteral
"""A task status: a ``Literal`` of every ``TaskStatusCode`` of the contract.

Type checkers reject a misspelt status (``status="sucess"``). It is written by
``make generate`` from ``openapi.yaml``, so a status added to the contract joins
it on regeneration. At run time statuses are plain ``str``: a status the
backend adds before this client is regenerated is passed through as is.
"""

KNOWN_STATUSES: tuple[str, ...] = get_args(TaskStatusLiteral)
"""The values of :data:`TaskStatus` at run time."""
