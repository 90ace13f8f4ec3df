"""Client side of the live benchmarks: build a stream, send it, time what comes back.

Clock: the client's ``perf_counter``. The sample at stream time ``s`` counts as spoken
at ``t0 + s`` (``t0``: when pacing began); a real-time sender sends each frame once its
last sample has been spoken, as a microphone would, so latencies include the framing.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import httpx
import numpy as np
import websockets

from asr.recognizer import Word
from benchmarks.common import TOKENS, Utterance, normalize, pct
from companion.settings import TARGET_SAMPLE_RATE as SR
from companion.settings import VadConfig
from session_server.client import to_pcm, ws_ticket
from streaming.audio import Samples
from streaming.vad import VAD_FRAME

BLOCK = SR // 10  # streams are padded to whole 100 ms: every frame size divides them
DRAIN_TIMEOUT_S = 60.0


def speech_end(audio: Samples) -> float:
    """Seconds to the end of the last voiced 10 ms frame (energy over the file's floor)."""
    n = len(audio) // 160
    rms = np.sqrt((audio[: n * 160].reshape(n, 160) ** 2).mean(axis=1) + 1e-12)
    db = 20 * np.log10(rms)
    threshold = max(float(np.percentile(db, 10)) + 12.0, float(db.max()) - 45.0)
    voiced = np.nonzero(db > threshold)[0]
    return (int(voiced[-1]) + 1) / 100 if len(voiced) else 0.0


@dataclass(frozen=True, slots=True)
class Placed:
    """An utterance inside a stream; times in stream seconds."""

    utt: Utterance
    start: float
    speech_end: float

    @property
    def end(self) -> float:
        return self.start + self.utt.seconds


def build_stream(
    utts: Sequence[Utterance], gap_s: float, lead_s: float = 0.5
) -> tuple[Samples, list[Placed]]:
    """Lead silence, then each utterance followed by ``gap_s`` of silence."""
    parts: list[Samples] = [np.zeros(int(lead_s * SR), np.float32)]
    placed: list[Placed] = []
    pos = len(parts[0])
    for u in utts:
        placed.append(Placed(u, pos / SR, pos / SR + speech_end(u.audio)))
        parts += [u.audio, np.zeros(int(gap_s * SR), np.float32)]
        pos += len(u.audio) + int(gap_s * SR)
    parts.append(np.zeros(-pos % BLOCK, np.float32))
    return np.concatenate(parts), placed


def fit_prefix(utts: Sequence[Utterance], gap_s: float, seconds: float) -> list[Utterance]:
    """The longest prefix (at least one) whose stream lasts at most ``seconds``."""
    n = 1
    while n < len(utts) and len(build_stream(utts[: n + 1], gap_s)[0]) <= seconds * SR:
        n += 1
    return list(utts[:n])


@dataclass(frozen=True, slots=True)
class Received:
    t: float  # perf_counter when the client read it
    event: dict[str, Any]


@dataclass(slots=True)
class SessionRun:
    sid: str
    seconds: float  # stream duration
    t0: float = 0.0
    send_lag_s: float = 0.0  # worst lateness of the paced sender itself
    drained: bool = True  # False: the final awaited before closing never came
    events: list[Received] = field(default_factory=list)

    def has_final_until(self, seconds: float) -> bool:
        return any(r.event["end"] >= seconds for r in self.of_type("transcript.final"))

    def of_type(self, type_: str) -> list[Received]:
        return [r for r in self.events if r.event["type"] == type_]

    def finals_text(self) -> list[str]:
        finals = sorted(self.of_type("transcript.final"), key=lambda r: r.event["start"])
        return [r.event["text"] for r in finals]


def _http(url: str, timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url, timeout=timeout, headers={"authorization": f"Bearer {TOKENS[url]}"}
    )


async def _ws(url: str, path: str) -> str:
    """The WebSocket URL with a fresh single-use ticket."""
    return "ws" + url[4:] + path + f"&ticket={await ws_ticket(url, TOKENS[url])}"


async def new_session(url: str) -> str:
    async with _http(url, 60) as http:
        r = await http.post("/v1/clients", json={"label": "Benchmark Client"})
        r.raise_for_status()
        r = await http.post("/v1/sessions", json={"client_id": r.json()["id"]})
        r.raise_for_status()
        sid: str = r.json()["id"]
        for party in ("therapist", "client"):
            body = {"party": party, "granted": True, "method": "verbal", "text_version": "v1"}
            (await http.post(f"/v1/sessions/{sid}/consent", json=body)).raise_for_status()
        return sid


async def _send(
    url: str,
    run: SessionRun,
    audio: Samples,
    frame_ms: int,
    realtime: bool,
    drain_until: float | None,
) -> None:
    step = SR * frame_ms // 1000
    path = f"/v1/sessions/{run.sid}/audio?track=mixed"
    # The server reads only as fast as it transcribes: no pings, and a long close wait.
    async with websockets.connect(
        await _ws(url, path), max_size=1 << 22, close_timeout=600, ping_interval=None
    ) as ws:
        await ws.send(json.dumps({"format": "s16le", "sample_rate": SR, "channels": 1}))
        run.t0 = time.perf_counter()
        for i in range(0, len(audio), step):
            spoken = (i + step) / SR
            if realtime:
                wait = run.t0 + spoken - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                else:
                    run.send_lag_s = max(run.send_lag_s, -wait)
            await ws.send(to_pcm(audio[i : i + step]))
        if drain_until is not None:
            # Keep the socket open until the last final is in: the close handshake can
            # complete before the server has ingested the frames queued ahead of it, and
            # ending the session then drops them (see README, "Known issues").
            deadline = time.perf_counter() + DRAIN_TIMEOUT_S
            while not run.has_final_until(drain_until):
                if time.perf_counter() > deadline:
                    run.drained = False
                    break
                await asyncio.sleep(0.05)


async def run_session(
    url: str,
    audio: Samples,
    *,
    frame_ms: int = 20,
    realtime: bool = True,
    delay_s: float = 0.0,
    drain_until: float | None = None,
    finish_timeout_s: float = 300.0,
) -> SessionRun:
    """One session: follow its events, stream ``audio`` on one track, end it.

    With ``drain_until`` (stream seconds) the audio socket stays open until a final
    reaching that time has arrived (the stream must end in silence for that).
    """
    run = SessionRun(await new_session(url), len(audio) / SR)
    following = asyncio.Event()

    async def follow() -> None:
        async with websockets.connect(
            await _ws(url, f"/v1/sessions/{run.sid}/events?since=0")
        ) as ws:
            following.set()
            async for raw in ws:
                event = json.loads(raw)
                run.events.append(Received(time.perf_counter(), event))
                if event["type"] == "session.state" and event["state"] == "ended":
                    return

    follower = asyncio.create_task(follow())
    await asyncio.wait_for(following.wait(), 30)
    await asyncio.sleep(0.2 + delay_s)  # the server subscribes after the handshake
    await _send(url, run, audio, frame_ms, realtime, drain_until)
    async with _http(url, finish_timeout_s) as http:
        (await http.post(f"/v1/sessions/{run.sid}/end")).raise_for_status()
    await asyncio.wait_for(follower, finish_timeout_s)
    return run


async def warm_up(url: str, utt: Utterance) -> None:
    """One short session first: the first one pays one-off costs (VAD model, sockets)."""
    audio, placed = build_stream([utt], 1.0, lead_s=0.2)
    await run_session(url, audio, realtime=False, drain_until=placed[-1].speech_end - 0.3)


# --- analysis ---------------------------------------------------------------------------


def vad_frames_s(seconds: float) -> float:
    """A segmenter duration as it counts it: whole VAD frames."""
    return max(1, math.ceil(seconds * SR / VAD_FRAME)) * VAD_FRAME / SR


def owner(placed: Sequence[Placed], start: float, end: float) -> int | None:
    """Index of the utterance that a segment [start, end] overlaps most."""
    best, best_overlap = None, 0.0
    for i, p in enumerate(placed):
        overlap = min(end, p.speech_end + 0.5) - max(start, p.start)
        if overlap > best_overlap:
            best, best_overlap = i, overlap
    return best


@dataclass(frozen=True, slots=True)
class FinalLatency:
    utt_id: str
    latency_s: float | None  # None: no final reached the end of this utterance's speech
    vad_tail_s: float | None = None  # the segmenter's last voiced frame after speech_end


def final_latencies(placed: Sequence[Placed], run: SessionRun) -> list[FinalLatency]:
    """End of speech → the utterance's last ``transcript.final`` received."""
    last: dict[int, Received] = {}
    for r in run.of_type("transcript.final"):
        i = owner(placed, r.event["start"], r.event["end"])
        if i is not None and (i not in last or r.event["end"] >= last[i].event["end"]):
            last[i] = r
    out = []
    for i, p in enumerate(placed):
        got = last.get(i)
        if got is None or got.event["end"] < p.speech_end - 0.3:
            out.append(FinalLatency(p.utt.id, None))
            continue
        # A final ends speculative_after_s (in whole VAD frames) after its last voiced frame.
        tail = got.event["end"] - vad_frames_s(VadConfig().speculative_after_s) - p.speech_end
        out.append(FinalLatency(p.utt.id, got.t - (run.t0 + p.speech_end), tail))
    return out


@dataclass(frozen=True, slots=True)
class WordLatency:
    latency_s: float
    by_partial: bool
    utt_id: str
    word: str


def word_latencies(
    placed: Sequence[Placed], words: Sequence[Sequence[Word]], run: SessionRun
) -> tuple[list[WordLatency], int]:
    """Word spoken (its end, from an offline alignment) → first event that shows it.

    What an utterance shows at a moment is the latest text of each of its segments;
    the offline words that have begun to be spoken are matched to it in order, by
    normalized text. Returns the latencies and the number of (normalized) words.
    """
    # One entry per normalized token ("1455" is four), each with its word's times.
    tokens = [[(t, w) for w in ws for t in normalize(w.text).split()] for ws in words]
    shown: dict[int, dict[str, tuple[float, str]]] = {i: {} for i in range(len(placed))}
    seen: dict[tuple[int, int], WordLatency] = {}
    for r in run.events:
        ev = r.event
        if ev["type"] not in ("transcript.partial", "transcript.final"):
            continue
        i = owner(placed, ev["start"], ev["end"])
        if i is None:
            continue
        shown[i][ev["segment_id"]] = (ev["start"], normalize(ev["text"]))
        text = " ".join(t for _, t in sorted(shown[i].values()))
        base = run.t0 + placed[i].start
        begun = [t for t, w in tokens[i] if base + w.start <= r.t]  # spoken, or being spoken
        matcher = SequenceMatcher(None, begun, text.split(), autojunk=False)
        for block in matcher.get_matching_blocks():
            for k in range(block.a, block.a + block.size):
                if (i, k) not in seen:
                    w = tokens[i][k][1]
                    partial = ev["type"] == "transcript.partial"
                    lat = r.t - (base + w.end)
                    seen[(i, k)] = WordLatency(lat, partial, placed[i].utt.id, w.text)
    return list(seen.values()), sum(len(t) for t in tokens)


def spread(values: Sequence[float]) -> str:
    """'p50 …, p95 …, max …' in seconds."""
    if not values:
        return "no values"
    return f"p50 {pct(values, 50):.2f} s, p95 {pct(values, 95):.2f} s, max {max(values):.2f} s"


def slot_starts(placed: Sequence[Placed]) -> list[float]:
    """Where each utterance's share of the stream begins: halfway through the gap before it."""
    return [0.0] + [(a.end + b.start) / 2 for a, b in itertools.pairwise(placed)]
