"""One inference worker shared by every session, off the event loop.

Final-grade jobs (speculative and final decodes) wait in a FIFO and are never
dropped; partial jobs are coalesced: a stream has at most one pending partial, and a
newer one replaces it (policy ``coalesce-latest``, counted in ``partials_coalesced``).
The worker takes up to ``max_batch`` jobs at a time, finals first, and decodes them
as one batch; a batch only holds jobs with the same encoder window, so a result never
depends on what else was decoded beside it. Cancelling a stream (consent revoked,
session ended) drops its pending jobs at once.

>>> sched = InferenceScheduler(recognizer)
>>> sched.start()
>>> rec = await sched.submit(("s1", "client"), DecodeJob(audio))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

from asr.recognizer import DecodeJob, Recognition, WhisperRecognizer
from companion.errors import CompanionError, RecognitionError


@dataclass(slots=True, eq=False)
class _Pending:
    stream: Hashable
    job: DecodeJob
    future: asyncio.Future[Recognition | None]
    loop: asyncio.AbstractEventLoop


@dataclass(slots=True)
class SchedulerStats:
    jobs: int = 0
    batches: int = 0
    partials_coalesced: int = 0
    busy_s: float = 0.0
    audio_s: float = 0.0
    max_batch_seen: int = 0
    errors: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class InferenceScheduler:
    def __init__(self, recognizer: WhisperRecognizer, max_batch: int = 4) -> None:
        self.recognizer = recognizer
        self.max_batch = max_batch
        self.stats = SchedulerStats()
        self._finals: deque[_Pending] = deque()
        self._partials: dict[Hashable, _Pending] = {}
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="asr-worker", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def submit(self, stream: Hashable, job: DecodeJob) -> asyncio.Future[Recognition | None]:
        """Queue a job; a partial's future resolves to None if a newer one replaced it."""
        loop = asyncio.get_running_loop()
        pending = _Pending(stream, job, loop.create_future(), loop)
        with self._cond:
            if job.final:
                self._finals.append(pending)
            else:
                old = self._partials.pop(stream, None)
                if old is not None:
                    self.stats.partials_coalesced += 1
                    _resolve(old, None)
                self._partials[stream] = pending
            self._cond.notify()
        return pending.future

    def cancel(self, streams: set[Hashable]) -> int:
        """Drop every pending job of these streams; returns how many were dropped."""
        with self._cond:
            dropped = [p for p in self._finals if p.stream in streams]
            self._finals = deque(p for p in self._finals if p.stream not in streams)
            for s in streams:
                if (p := self._partials.pop(s, None)) is not None:
                    dropped.append(p)
        for p in dropped:
            p.loop.call_soon_threadsafe(_cancel, p.future)
        return len(dropped)

    @property
    def backlog(self) -> int:
        with self._cond:
            return len(self._finals) + len(self._partials)

    def _take(self) -> list[_Pending]:
        """The oldest final (else partial) and up to max_batch - 1 more of its window."""
        if self._finals:
            first = self._finals.popleft()
        else:
            first = self._partials.pop(next(iter(self._partials)))
        window = self.recognizer.window_frames(first.job)
        batch = [first]
        for p in list(self._finals) + list(self._partials.values()):
            if len(batch) == self.max_batch:
                break
            if self.recognizer.window_frames(p.job) == window:
                batch.append(p)
                if p.job.final:
                    self._finals.remove(p)
                else:
                    del self._partials[p.stream]
        return batch

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._finals and not self._partials:
                    self._cond.wait()
                if self._stopping:
                    return
                batch = self._take()
            self._execute(batch)

    def _execute(self, batch: list[_Pending]) -> None:
        started = time.perf_counter()
        try:
            results: list[Recognition | None] | None = list(
                self.recognizer.recognize_batch([p.job for p in batch])
            )
            error: CompanionError | None = None
        except CompanionError as exc:
            results, error = None, exc
        except Exception as exc:  # never let one bad segment kill the shared worker
            results, error = None, RecognitionError(f"decode failed: {type(exc).__name__}")
        st = self.stats
        elapsed = time.perf_counter() - started
        st.busy_s += elapsed
        share = elapsed / len(batch)
        st.batches += 1
        st.jobs += len(batch)
        st.max_batch_seen = max(st.max_batch_seen, len(batch))
        st.audio_s += sum(len(p.job.audio) for p in batch) / 16000
        for i, p in enumerate(batch):
            kind = "final-grade" if p.job.final else "partial"
            st.by_kind[kind] = st.by_kind.get(kind, 0) + 1
            if results is None:
                st.errors += 1
                p.loop.call_soon_threadsafe(_fail, p.future, error)
            else:
                rec = results[i]
                _resolve(p, None if rec is None else replace(rec, compute_s=share))


def _resolve(p: _Pending, value: Recognition | None) -> None:
    p.loop.call_soon_threadsafe(_set, p.future, value)


def _set(fut: asyncio.Future[Recognition | None], value: Recognition | None) -> None:
    if not fut.done():
        fut.set_result(value)


def _fail(fut: asyncio.Future[Recognition | None], exc: BaseException | None) -> None:
    if not fut.done():
        fut.set_exception(exc or RecognitionError("decode failed"))


def _cancel(fut: asyncio.Future[Recognition | None]) -> None:
    if not fut.done():
        fut.cancel()
