"""Facts of the API contract that the generator does not model (from openapi.yaml).

Written by scripts/generate.py; never edited by hand.
"""

from typing import Literal

__version__ = "0.6.0"
"""``info.version`` of the contract: the version of the API and of this project."""

FINAL_STATUSES: frozenset[str] = frozenset(
    (
        "success",
        "failed",
        "killed",
        "spot-instance-preempted",
        "executer-terminated",
        "executer-failed",
    )
)
"""``TaskStatusCode`` values after which a task never changes (``x-final-statuses``)."""

TaskStatusLiteral = Literal[
    "pending-input",
    "submitted",
    "started",
    "success",
    "failed",
    "pending-kill",
    "killed",
    "spot-instance-preempted",
    "executer-terminated",
    "executer-failed",
]
"""Every ``TaskStatusCode`` value, as a type checkers understand (``TaskStatus``)."""
