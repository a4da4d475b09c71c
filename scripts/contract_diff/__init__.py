"""The breaking changes between two versions of an OpenAPI 3 document.

``breaking_changes(old, new)`` returns them as ``Change(subject, message)``:
``operations`` pairs operations and compares parameters, bodies, responses
and security; ``schemas`` walks schemas in a request or a response role;
``constraints`` says which way each value constraint moved. What counts as
breaking, and why the checker is ours, is in ``scripts/check_contract.py``.
"""

from __future__ import annotations

from .operations import Change, breaking_changes

__all__ = ["Change", "breaking_changes"]
