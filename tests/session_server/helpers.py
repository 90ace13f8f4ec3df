"""Client helpers for the server tests: sessions, consent, streaming, collecting events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets

from session_server.client import to_pcm


async def new_session(url: str, consent: bool = True) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.post("/v1/sessions")
        r.raise_for_status()
        sid: str = r.json()["id"]
        if consent:
            for party in ("therapist", "client"):
                await set_consent(url, sid, party, True)
        return sid


async def set_consent(url: str, sid: str, party: str, granted: bool) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url) as http:
        return await http.post(
            f"/v1/sessions/{sid}/consent",
            json={"party": party, "granted": granted, "method": "verbal", "text_version": "v1"},
        )


async def end_session(url: str, sid: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        (await http.post(f"/v1/sessions/{sid}/end")).raise_for_status()


def ws_url(url: str, path: str) -> str:
    return "ws" + url[4:] + path


async def collect_until_ended(url: str, sid: str, since: int = 0) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with websockets.connect(ws_url(url, f"/v1/sessions/{sid}/events?since={since}")) as ws:
        async for raw in ws:
            ev = json.loads(raw)
            events.append(ev)
            if ev["type"] == "session.state" and ev["state"] == "ended":
                break
    return events


async def stream(
    url: str,
    sid: str,
    audio: Any,
    track: str = "mixed",
    rate: int = 16000,
    frame_ms: int = 100,
    realtime: bool = False,
) -> None:
    step = rate * frame_ms // 1000
    async with websockets.connect(ws_url(url, f"/v1/sessions/{sid}/audio?track={track}")) as ws:
        await ws.send(json.dumps({"format": "s16le", "sample_rate": rate, "channels": 1}))
        for i in range(0, len(audio) - step // 2, step):
            await ws.send(to_pcm(audio[i : i + step]))
            if realtime:
                await asyncio.sleep(frame_ms / 1000)


def finals_text(events: list[dict[str, Any]], track: str | None = None) -> str:
    return " ".join(
        e["text"]
        for e in events
        if e["type"] == "transcript.final" and (track is None or e["track"] == track)
    )
