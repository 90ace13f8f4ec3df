"""Event fan-out to subscribers of a session (in-process; Redis takes over later).

Each subscriber has a bounded queue. Overflow policy ``drop-partial, then lag``:
a partial that does not fit is dropped (and counted); a persisted event that does
not fit marks the subscriber as lagged, and its consumer catches up from the store,
so a final is never lost.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, Protocol

Event = dict[str, Any]


class Subscription:
    def __init__(self, session_id: str, maxsize: int) -> None:
        self.session_id = session_id
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=maxsize)
        self.lagged = False
        self.dropped_partials = 0

    def offer(self, event: Event) -> None:
        if self.lagged:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            if event["type"] == "transcript.partial":
                self.dropped_partials += 1
            else:
                self.lagged = True


class EventBus(Protocol):
    def subscribe(self, session_id: str) -> Subscription: ...
    def unsubscribe(self, sub: Subscription) -> None: ...
    def publish(self, session_id: str, event: Event) -> None: ...


class InProcessBus:
    def __init__(self, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self._subs: dict[str, set[Subscription]] = defaultdict(set)

    def subscribe(self, session_id: str) -> Subscription:
        sub = Subscription(session_id, self.queue_size)
        self._subs[session_id].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.session_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.session_id]

    def publish(self, session_id: str, event: Event) -> None:
        for sub in list(self._subs.get(session_id, ())):
            sub.offer(event)

    def subscribers(self, session_id: str) -> int:
        return len(self._subs.get(session_id, ()))
