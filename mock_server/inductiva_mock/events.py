"""Notification of task status changes, for long-polling without polling the database."""

from __future__ import annotations

import asyncio
from collections import defaultdict

__all__ = ["StatusHub"]


class StatusHub:
    """Per-task asyncio events, set whenever a task's status changes."""

    def __init__(self) -> None:
        self._events: defaultdict[str, set[asyncio.Event]] = defaultdict(set)

    def notify(self, task_id: str) -> None:
        """Wake every waiter of *task_id*."""
        for ev in self._events.pop(task_id, set()):
            ev.set()

    async def wait_any(self, task_ids: list[str], timeout: float) -> bool:
        """Wait up to *timeout* seconds for a change of any of *task_ids*; True if one happened.

        Registered before the first suspension point, like :meth:`wait`.
        """
        ev = asyncio.Event()
        for task_id in task_ids:
            self._events[task_id].add(ev)
        try:
            await asyncio.wait_for(ev.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            for task_id in task_ids:
                waiters = self._events.get(task_id)
                if waiters is not None:
                    waiters.discard(ev)
                    if not waiters:
                        self._events.pop(task_id, None)

    async def wait(self, task_id: str, timeout: float) -> bool:
        """Wait up to *timeout* seconds for a change of *task_id*; True if one happened.

        The waiter is registered before the first suspension point, so a caller
        that checked the status just before cannot miss a change.
        """
        return await self.wait_any([task_id], timeout)
