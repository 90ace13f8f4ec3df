"""TrackPipeline.offer (the WebRTC path) with the real model: finals carry their latency,
and audio refused by a full ingress neither reaches the model nor moves the track clock."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np

from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from session_server.pipeline import TrackPipeline
from streaming.audio import Samples
from tests.conftest import JFK_TEXT, silence, wer
from tests.session_server.helpers import within

CHUNK = 320  # 20 ms at 16 kHz, one decoded Opus frame


def _pipeline(
    scheduler: InferenceScheduler,
    tmp_path: Path,
    events: list[tuple[str, dict[str, Any]]],
    **kw: Any,
) -> TrackPipeline:
    async def publish(type_: str, payload: dict[str, Any]) -> None:
        events.append((type_, payload))

    return TrackPipeline(
        track="mixed",
        segment_prefix="mixed-test",
        offset_samples=kw.pop("offset_samples", 0),
        settings=Settings(data_dir=tmp_path, **kw),
        scheduler=scheduler,
        publish=publish,
    )


async def test_offered_audio_is_transcribed_and_each_final_carries_its_latency(
    scheduler: InferenceScheduler, jfk: Samples, tmp_path: Path
) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    pipeline = _pipeline(scheduler, tmp_path, events)
    audio = np.concatenate([jfk, silence(1.5)])
    speed = 4.0  # a real-time source, paced at 4 × real time
    t0 = time.perf_counter()
    for i in range(0, len(audio), CHUNK):
        assert await pipeline.offer(audio[i : i + CHUNK])
        delay = t0 + (i + CHUNK) / 16_000 / speed - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    assert pipeline.ingress.dropped_samples == 0
    assert pipeline.end_time == len(audio) / 16_000
    await within(60, pipeline.finish(), "finishing the track")

    finals = [p for t, p in events if t == "transcript.final"]
    assert finals
    assert wer(JFK_TEXT, " ".join(str(f["text"]) for f in finals)) < 0.3
    for f in finals:
        latency = f["latency"]
        assert isinstance(latency, float), f
        assert 0.0 <= latency < 60.0, f
    assert all("latency" not in p for t, p in events if t == "transcript.partial")


async def test_audio_beyond_a_full_ingress_is_dropped_and_does_not_move_the_clock(
    scheduler: InferenceScheduler, jfk: Samples, tmp_path: Path
) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    pipeline = _pipeline(scheduler, tmp_path, events, ingress_buffer_s=0.5, offset_samples=16_000)
    burst = jfk[: 2 * 16_000]  # 2 s offered at once, before the pipeline can run
    accepted = [await pipeline.offer(burst[i : i + CHUNK]) for i in range(0, len(burst), CHUNK)]
    fits = 8_000 // CHUNK
    assert accepted == [True] * fits + [False] * (len(accepted) - fits)
    assert pipeline.ingress.dropped_samples == len(burst) - 8_000
    assert pipeline.end_time == 1.0 + 0.5  # the offset plus the accepted audio only

    async def drained() -> None:
        while pipeline.ingress.buffered_seconds:
            await asyncio.sleep(0.01)

    await within(10, drained(), "the pipeline draining its ingress")
    assert await pipeline.offer(burst[:CHUNK]), "accepted again once drained"
    assert pipeline.end_time == 1.0 + 0.5 + CHUNK / 16_000
    await within(60, pipeline.finish(), "finishing the track")
    assert await pipeline.offer(burst[:CHUNK]), "a finished track takes nothing, no overrun"
    assert pipeline.ingress.dropped_samples == len(burst) - 8_000
    for _, payload in events:
        if "start" in payload:
            assert float(payload["start"]) >= 1.0  # never before the track's offset
