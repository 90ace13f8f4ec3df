"""Reference client: streams an audio file over the audio WebSocket and prints events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import soundfile as sf
import soxr
import websockets

RATES = (8000, 16000, 24000, 44100, 48000)


def _ws_url(base: str, path: str) -> str:
    base = base.rstrip("/")
    if base.startswith("http"):
        base = "ws" + base[4:]
    return base + path


async def login(url: str, username: str, password: str, totp: str | None = None) -> str:
    """A bearer token for the API."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.post(
            "/v1/auth/token", json={"username": username, "password": password, "totp": totp}
        )
        r.raise_for_status()
        token: str = r.json()["access_token"]
        return token


async def ws_ticket(url: str, token: str) -> str:
    """A single-use ticket for one WebSocket connection."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.post("/v1/auth/ws-ticket", headers={"authorization": f"Bearer {token}"})
        r.raise_for_status()
        ticket: str = r.json()["ticket"]
        return ticket


def to_pcm(samples: np.ndarray) -> bytes:
    pcm: bytes = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return pcm


async def send_track(
    url: str,
    token: str,
    session: str,
    track: str,
    audio: np.ndarray,
    rate: int,
    *,
    frame_ms: int = 100,
    realtime: bool = False,
    on_sent: Callable[[float], None] | None = None,
) -> tuple[int, str]:
    """Stream mono float audio as s16le frames; returns the server's close code and reason."""
    step = rate * frame_ms // 1000
    async with websockets.connect(
        _ws_url(
            url,
            f"/v1/sessions/{session}/audio?track={track}&ticket={await ws_ticket(url, token)}",
        ),
        max_size=2**22,
    ) as ws:
        await ws.send(json.dumps({"format": "s16le", "sample_rate": rate, "channels": 1}))
        t0 = time.perf_counter()
        for i in range(0, len(audio), step):
            chunk = audio[i : i + step]
            if len(chunk) < rate // 100:
                break
            await ws.send(to_pcm(chunk))
            if on_sent:
                on_sent((i + len(chunk)) / rate)
            if realtime:
                delay = t0 + (i + len(chunk)) / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
        await ws.close()
        return ws.close_code or 1000, ws.close_reason or ""


async def follow_events(
    url: str, token: str, session: str, handle: Callable[[dict[str, Any]], bool], since: int = 0
) -> None:
    """Call ``handle`` on each event until it returns True."""
    async with websockets.connect(
        _ws_url(
            url,
            f"/v1/sessions/{session}/events?since={since}&ticket={await ws_ticket(url, token)}",
        )
    ) as ws:
        async for raw in ws:
            if handle(json.loads(raw)):
                return


def load_file(path: Path) -> tuple[np.ndarray, int]:
    """(samples × channels float32, rate), resampled to 16 kHz if its rate is not accepted."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    if rate not in RATES:
        data = soxr.resample(data, rate, 16000).astype(np.float32)
        rate = 16000
    return data, rate


async def stream_file(
    url: str,
    token: str,
    session: str,
    path: Path,
    *,
    tracks: list[str],
    realtime: bool,
    frame_ms: int = 100,
    printer: Callable[[dict[str, Any]], None] = print,
) -> None:
    """Stream a file (a stereo file's channels as two tracks when two are named)."""
    data, rate = load_file(path)
    if len(tracks) == 2 and data.shape[1] == 2:
        channels = [data[:, 0], data[:, 1]]
    else:
        channels, tracks = [data.mean(axis=1)], tracks[:1]

    def handle(event: dict[str, Any]) -> bool:
        printer(event)
        return event.get("type") == "session.state" and event.get("state") == "ended"

    follower = asyncio.create_task(follow_events(url, token, session, handle))
    await asyncio.gather(
        *(
            send_track(url, token, session, t, c, rate, frame_ms=frame_ms, realtime=realtime)
            for t, c in zip(tracks, channels, strict=False)
        )
    )
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        auth = {"authorization": f"Bearer {token}"}
        (await http.post(f"/v1/sessions/{session}/end", headers=auth)).raise_for_status()
    await asyncio.wait_for(follower, 60)
