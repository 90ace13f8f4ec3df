"""Real model, real speech through the audio WebSocket."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import soxr
import websockets

from session_server.client import to_pcm
from tests.conftest import JFK_TEXT, silence, wer
from tests.session_server.helpers import (
    collect_until_ended,
    end_session,
    finals_text,
    new_session,
    stream,
    ws_url,
)


async def test_jfk_over_websocket_is_transcribed(server: str, jfk: np.ndarray) -> None:
    sid = await new_session(server)
    collector = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.2)
    await stream(server, sid, jfk)
    await end_session(server, sid)
    events = await asyncio.wait_for(collector, 120)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), "seq must strictly increase"
    assert wer(JFK_TEXT, finals_text(events)) <= 0.15
    finals = [e for e in events if e["type"] == "transcript.final"]
    for f in finals:
        assert 0 <= f["start"] < f["end"] <= 11.5
        assert f["words"], "finals carry word timings"
        assert all(f["start"] - 0.5 <= w["start"] <= w["end"] <= f["end"] + 0.5 for w in f["words"])
    assert any(e["type"] == "transcript.partial" for e in events)


async def test_librispeech_at_48k_stereo_is_resampled_and_transcribed(
    server: str, librispeech: list[tuple[np.ndarray, str]]
) -> None:
    audio = np.concatenate([x for a, _ in librispeech[:2] for x in (a, silence(1.0))])
    hi = soxr.resample(audio, 16000, 48000).astype(np.float32)
    stereo = np.stack([hi, hi], axis=1).reshape(-1)
    sid = await new_session(server)
    collector = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.2)
    async with websockets.connect(ws_url(server, f"/v1/sessions/{sid}/audio?track=client")) as ws:
        await ws.send(json.dumps({"format": "s16le", "sample_rate": 48000, "channels": 2}))
        step = 48000 // 10 * 2
        for i in range(0, len(stereo), step):
            await ws.send(to_pcm(stereo[i : i + step]))
    await end_session(server, sid)
    events = await asyncio.wait_for(collector, 120)
    ref = " ".join(t for _, t in librispeech[:2])
    assert wer(ref, finals_text(events, "client")) <= 0.15


async def test_two_concurrent_sessions_stay_apart(
    server: str, jfk: np.ndarray, librispeech: list[tuple[np.ndarray, str]]
) -> None:
    a, b = await new_session(server), await new_session(server)
    ca = asyncio.create_task(collect_until_ended(server, a))
    cb = asyncio.create_task(collect_until_ended(server, b))
    await asyncio.sleep(0.2)
    ls_audio, ls_text = librispeech[2]
    await asyncio.gather(stream(server, a, jfk), stream(server, b, ls_audio, track="therapist"))
    await asyncio.gather(end_session(server, a), end_session(server, b))
    ea, eb = await asyncio.wait_for(asyncio.gather(ca, cb), 120)
    assert wer(JFK_TEXT, finals_text(ea)) <= 0.15
    assert wer(ls_text, finals_text(eb)) <= 0.2
    assert {e["track"] for e in eb if e["type"].startswith("transcript")} == {"therapist"}


async def test_silence_and_noise_produce_no_finals(server: str) -> None:
    rng = np.random.default_rng(7)
    amp = 10 ** (-30 / 20)  # -30 dBFS RMS white noise
    noise = (rng.standard_normal(16000 * 60) * amp).astype(np.float32)
    for audio in (silence(60.0), noise):
        sid = await new_session(server)
        collector = asyncio.create_task(collect_until_ended(server, sid))
        await asyncio.sleep(0.2)
        await stream(server, sid, audio, frame_ms=200)
        await end_session(server, sid)
        events = await asyncio.wait_for(collector, 120)
        assert not [e for e in events if e["type"].startswith("transcript")]


async def test_ending_right_after_the_socket_closes_loses_no_audio(
    server: str, librispeech: list[tuple[np.ndarray, str]]
) -> None:
    """Frames the server had not yet read when the client hung up are still transcribed."""
    audio = np.concatenate([x for a, _ in librispeech for x in (a, silence(1.0))])
    sid = await new_session(server)
    collector = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.2)
    await stream(server, sid, audio, frame_ms=200)  # far faster than real time
    await end_session(server, sid)
    events = await asyncio.wait_for(collector, 180)
    reference = " ".join(t for _, t in librispeech)
    assert wer(reference, finals_text(events)) <= 0.15
    last = max(e["end"] for e in events if e["type"] == "transcript.final")
    assert last >= len(audio) / 16000 - 2.5
