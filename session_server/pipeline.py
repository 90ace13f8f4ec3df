"""The async driver of one audio track: ingress → VAD segmenter → scheduler → events.

Two tasks per track, both owned by the track and cancelled with it:
``_segment`` runs the synchronous stages on the event loop (resampling and VAD cost
well under a millisecond per frame) and hands decode jobs to the shared scheduler;
``_emit`` awaits their results in order and publishes transcript events. The queue
between them is bounded (``max_pending``): when decoding falls behind, segmentation
waits, the ingress fills, and the socket reader is pushed back.

Audio enters through :meth:`TrackPipeline.put` (a socket: waits when full) or
:meth:`TrackPipeline.offer` (WebRTC: drops when full). Both note when each sample
arrived, so every final carries ``latency``: seconds from the arrival of its last
sample to its emission (the delay a therapist sees, transport excluded).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from asr.assembler import TranscriptAssembler, TranscriptUpdate
from asr.recognizer import DecodeJob, Recognition
from asr.scheduler import InferenceScheduler
from companion.errors import CompanionError
from companion.settings import TARGET_SAMPLE_RATE, Settings
from diarization.online import OnlineDiarizer
from streaming.audio import Samples
from streaming.ingress import AudioIngress
from streaming.segmenter import DecodeKind, SpeechSegment, VadSegmenter

Publish = Callable[[str, dict[str, object]], Awaitable[None]]
# Turns one transcript update into the events to publish (speakers, roles, leakage).
Attribute = Callable[[str, str, dict[str, Any]], Awaitable[list[tuple[str, dict[str, Any]]]]]
Tap = Callable[[int, Samples], None]  # (session-clock sample of samples[0], samples)
ARRIVALS_KEPT = 8192  # (sample count, time) marks: minutes of audio at 10-20 ms frames
_Result = asyncio.Future[Recognition | None]


class TrackPipeline:
    def __init__(
        self,
        *,
        track: str,
        segment_prefix: str,
        offset_samples: int,
        settings: Settings,
        scheduler: InferenceScheduler,
        publish: Publish,
        recorder: Callable[[Samples], None] | None = None,
        diarizer: OnlineDiarizer | None = None,
        attribute: Attribute | None = None,
        tap: Tap | None = None,
    ) -> None:
        self.track = track
        self.offset_samples = offset_samples
        self.prefix = segment_prefix
        self.offset = offset_samples / TARGET_SAMPLE_RATE
        self.stream_key = (segment_prefix, track)
        self.ingress = AudioIngress(settings.ingress_buffer_s)
        self._segmenter = VadSegmenter(settings.vad_config())
        self._assembler = TranscriptAssembler()
        self._scheduler = scheduler
        self._publish = publish
        self._recorder = recorder  # the encrypted audio vault, when a practice keeps audio
        self._diarizer = diarizer  # one-channel tracks: who speaks when, labelled live
        self._attribute = attribute
        self._tap = tap  # sees audio on the session clock (two-track leakage detection)
        self._results: asyncio.Queue[tuple[SpeechSegment, _Result] | None] = asyncio.Queue(
            maxsize=settings.max_pending_finals
        )
        self._speculative: dict[int, tuple[int, _Result]] = {}
        self._prompt_chars = settings.prompt_chars
        self._partial_budget = settings.partial_budget
        self._partial_compute = 0.0  # decode seconds spent on this track's partials
        self._audio_samples = 0
        self._received = 0  # samples handed to the ingress, dropped ones excluded
        self._arrivals: deque[tuple[int, float]] = deque(maxlen=ARRIVALS_KEPT)
        self.on_audio: Callable[[Samples], None] | None = None  # sees audio as it arrives
        self.partials_skipped = 0
        self._committed = ""  # text of this track's finals, the only text a prompt may hold
        self._tasks = [
            asyncio.create_task(self._segment(), name=f"segment:{track}"),
            asyncio.create_task(self._emit(), name=f"emit:{track}"),
        ]

    @property
    def end_time(self) -> float:
        """Session time just after the last sample received."""
        return self.offset + self._received / TARGET_SAMPLE_RATE

    async def put(self, samples: Samples) -> None:
        """Audio from a source that can be pushed back: waits while the ingress is full."""
        await self.ingress.put(samples)
        self._arrived(samples)

    async def offer(self, samples: Samples) -> bool:
        """Audio from a real-time source: dropped (False) when the ingress is full."""
        accepted = await self.ingress.offer(samples)
        if accepted:
            self._arrived(samples)
        return accepted

    def _arrived(self, samples: Samples) -> None:
        self._received += len(samples)
        self._arrivals.append((self._received, asyncio.get_running_loop().time()))
        if self._tap is not None:
            self._tap(self.offset_samples + self._received - len(samples), samples)
        if self.on_audio is not None:
            self.on_audio(samples)

    def _latency(self, end_s: float) -> float | None:
        """Seconds since the sample at ``end_s`` (track time) arrived; finals come in order."""
        end = round(end_s * TARGET_SAMPLE_RATE)
        while len(self._arrivals) > 1 and self._arrivals[0][0] < end:
            self._arrivals.popleft()
        if not self._arrivals or self._arrivals[0][0] < end:
            return None
        return round(asyncio.get_running_loop().time() - self._arrivals[0][1], 3)

    async def finish(self) -> None:
        """Input ended: transcribe what is buffered, flush the open segment, wait."""
        await self.ingress.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def abort(self) -> None:
        """Stop at once and discard audio not yet transcribed."""
        await self.ingress.close(discard=True)
        self._scheduler.cancel({self.stream_key})
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _segment(self) -> None:
        try:
            while (samples := await self.ingress.get()) is not None:
                self._audio_samples += len(samples)
                if self._recorder is not None:
                    self._recorder(samples)
                requests = self._segmenter.push(samples)
                if self._diarizer is not None and self._diarizer.feed(
                    samples, self._segmenter.last_probs
                ):
                    # Embedding costs ~10 ms a window: off the event loop. The labels are
                    # then final up to the last pause before its final is dispatched.
                    await asyncio.to_thread(self._diarizer.step)
                for request in requests:
                    await self._dispatch(request)
            if self._diarizer is not None:
                self._diarizer.flush()
                await asyncio.to_thread(self._diarizer.step)
            for request in self._segmenter.flush():
                await self._dispatch(request)
        finally:
            task = asyncio.current_task()
            if task is None or not task.cancelling():
                await self._results.put(None)  # aborted: _emit is cancelled too

    def _over_budget(self) -> bool:
        audio_s = self._audio_samples / TARGET_SAMPLE_RATE
        return self._partial_compute > self._partial_budget * audio_s

    async def _dispatch(self, request: SpeechSegment) -> None:
        if request.kind is DecodeKind.PARTIAL and self._over_budget():
            self.partials_skipped += 1
            return
        memo = self._speculative.get(request.index)
        if request.kind is DecodeKind.FINAL and memo and memo[0] == request.end_sample:
            future = memo[1]  # the speculative decode covered exactly this audio
        else:
            prompt = self._committed[-self._prompt_chars :] if self._prompt_chars else ""
            job = DecodeJob(request.audio, prompt, request.kind is not DecodeKind.PARTIAL)
            future = self._scheduler.submit(self.stream_key, job)
        if request.kind is DecodeKind.SPECULATIVE:
            self._speculative[request.index] = (request.end_sample, future)
        elif request.kind is DecodeKind.FINAL:
            self._speculative.pop(request.index, None)
        await self._results.put((request, future))

    async def _emit(self) -> None:
        while (item := await self._results.get()) is not None:
            request, future = item
            await asyncio.wait([future])
            if future.cancelled():
                continue
            if (exc := future.exception()) is not None:
                reason = type(exc).__name__ if isinstance(exc, CompanionError) else "internal"
                await self._publish(
                    "error",
                    {
                        "code": "recognition_failed",
                        "track": self.track,
                        "segment_id": self._segment_id(request.index),
                        "message": reason,
                    },
                )
                continue
            rec = future.result()
            if rec is None:  # a newer partial replaced this one
                continue
            if request.kind is DecodeKind.PARTIAL:
                self._partial_compute += rec.compute_s
            for update in self._assembler.accept(request, rec):
                if update.final and self._prompt_chars:
                    self._committed = f"{self._committed} {update.text}"[-4 * self._prompt_chars :]
                type_, payload = self._event(update)
                if self._attribute is None:
                    await self._publish(type_, payload)
                    continue
                for event in await self._attribute(self.track, type_, payload):
                    await self._publish(*event)

    def _segment_id(self, index: int) -> str:
        return f"{self.prefix}-{index}"

    def _event(self, u: TranscriptUpdate) -> tuple[str, dict[str, object]]:
        off = self.offset
        payload: dict[str, object] = {
            "segment_id": self._segment_id(u.segment_index),
            "track": self.track,
            "start": round(u.start + off, 3),
            "end": round(u.end + off, 3),
            "text": u.text,
            "words": [
                {**asdict(w), "start": round(w.start + off, 3), "end": round(w.end + off, 3)}
                for w in u.words
            ],
        }
        if u.final:
            payload["latency"] = self._latency(u.end)
        return ("transcript.final" if u.final else "transcript.partial", payload)
