"""Bounded audio ingress, measured in seconds of audio.

Overflow policy ``backpressure``: ``put`` waits while the buffer holds
``max_seconds``; the socket reader stops reading, TCP pushes back to the sender, and
latency grows while memory does not. ``discard`` drops what is buffered (consent
revoked: audio not yet transcribed is thrown away).

A real-time source that cannot be pushed back (WebRTC: the browser sends at the rate it
captures) uses ``offer`` instead: when the buffer is full the new audio is dropped and
counted in ``dropped_samples``, so memory stays bounded and the loss is visible.
"""

from __future__ import annotations

import asyncio
from collections import deque

import numpy as np

from companion.settings import TARGET_SAMPLE_RATE
from streaming.audio import Samples


class AudioIngress:
    def __init__(self, max_seconds: float) -> None:
        self.max_samples = int(max_seconds * TARGET_SAMPLE_RATE)
        self._chunks: deque[Samples] = deque()
        self._size = 0
        self._closed = False
        self._changed = asyncio.Condition()
        self.waits = 0  # times a producer had to wait (backpressure engaged)
        self.dropped_samples = 0  # audio refused by ``offer`` because the buffer was full

    @property
    def buffered_seconds(self) -> float:
        return self._size / TARGET_SAMPLE_RATE

    async def put(self, samples: Samples) -> None:
        async with self._changed:
            if self._size + len(samples) > self.max_samples and not self._closed:
                self.waits += 1
            await self._changed.wait_for(
                lambda: self._closed or self._size + len(samples) <= self.max_samples
            )
            if not self._closed:
                self._append(samples)

    async def offer(self, samples: Samples) -> bool:
        """Buffer the samples if they fit, without waiting; False (and counted) if not."""
        async with self._changed:
            if self._closed:
                return True  # a closed ingress takes nothing; that is not an overrun
            if self._size + len(samples) > self.max_samples:
                self.dropped_samples += len(samples)
                return False
            self._append(samples)
            return True

    def _append(self, samples: Samples) -> None:
        """Buffer the samples and wake the reader; the caller holds the condition."""
        self._chunks.append(samples)
        self._size += len(samples)
        self._changed.notify_all()

    async def get(self) -> Samples | None:
        """All buffered samples, waiting for some; None once closed and drained."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._closed or self._size > 0)
            if not self._chunks:
                return None
            out = np.concatenate(list(self._chunks))
            self._chunks.clear()
            self._size = 0
            self._changed.notify_all()
            return out

    async def close(self, discard: bool = False) -> None:
        async with self._changed:
            self._closed = True
            if discard:
                self._chunks.clear()
                self._size = 0
            self._changed.notify_all()
