"""A WebRTC sender for the server tests: aiortc on the client side, real speech in.

Each :class:`SpeechTrack` plays 16 kHz samples as 20 ms, 48 kHz stereo frames (what a
browser's Opus encoder is fed), paced at ``speed`` × real time, then silence until
stopped, as a live microphone would.
"""

from __future__ import annotations

import asyncio
import fractions
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import av
import httpx
import numpy as np
import soxr
from aiortc import MediaStreamTrack, RTCDataChannel, RTCPeerConnection, RTCSessionDescription

from tests.session_server.helpers import http_client

RATE = 48_000
FRAME = RATE // 50  # 20 ms


class SpeechTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, audio: np.ndarray, speed: float = 1.0, start_at: float = 0.0) -> None:
        super().__init__()
        up = soxr.resample(audio.astype(np.float32), 16_000, RATE)
        self._pcm = (np.clip(up, -1, 1) * 32767).astype(np.int16)
        self._pos = round(start_at * RATE)
        self._speed = speed
        self._t0: float | None = None
        self._sent = 0
        self.done = asyncio.Event()  # every sample of the speech has been sent

    @property
    def sent_seconds(self) -> float:
        return self._pos / RATE

    async def recv(self) -> av.AudioFrame:
        if self._t0 is None:
            self._t0 = time.perf_counter()
        delay = self._t0 + self._sent * FRAME / RATE / self._speed - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        chunk = self._pcm[self._pos : self._pos + FRAME]
        self._pos += len(chunk)
        if len(chunk) < FRAME:
            self.done.set()
            chunk = np.concatenate([chunk, np.zeros(FRAME - len(chunk), np.int16)])
        frame = av.AudioFrame.from_ndarray(
            np.repeat(chunk, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = RATE
        frame.pts = self._sent * FRAME
        frame.time_base = fractions.Fraction(1, RATE)
        self._sent += 1
        return frame


class OpusChannelSender:
    """Speech as 10 ms Opus packets on an unordered, unreliable data channel: what the
    browser sends on the low-latency path (WebCodecs). ``lose_every`` drops every n-th
    packet before sending, as a lossy network would."""

    def __init__(self, audio: np.ndarray, speed: float = 1.0, lose_every: int = 0) -> None:
        up = soxr.resample(audio.astype(np.float32), 16_000, RATE)
        self._pcm = (np.clip(up, -1, 1) * 32767).astype(np.int16)
        self._speed = speed
        self._lose_every = lose_every
        self.sent = 0
        self.lost = 0
        self.done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def attach(self, pc: RTCPeerConnection, role: str) -> RTCDataChannel:
        channel = pc.createDataChannel(f"audio:{role}", ordered=False, maxRetransmits=0)

        @channel.on("open")
        def start() -> None:
            self._task = asyncio.create_task(self._pump(channel))

        return channel

    async def _pump(self, channel: RTCDataChannel) -> None:
        codec = av.CodecContext.create("libopus", "w")
        codec.sample_rate, codec.layout, codec.format = RATE, "mono", "s16"
        codec.bit_rate = 32_000
        codec.options = {"frame_duration": "10", "application": "voip"}
        codec.time_base = fractions.Fraction(1, RATE)
        step = RATE // 100
        t0 = time.perf_counter()
        seq = 0
        for i in range(0, len(self._pcm) - step + 1, step):
            frame = av.AudioFrame.from_ndarray(
                self._pcm[i : i + step].reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate, frame.pts = RATE, i
            for packet in codec.encode(frame):
                if self._lose_every and seq % self._lose_every == self._lose_every - 1:
                    self.lost += 1
                elif channel.readyState == "open":
                    channel.send(struct.pack(">I", seq) + bytes(packet))
                seq += 1
            self.sent = seq
            delay = t0 + (i + step) / RATE / self._speed - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        self.done.set()


@dataclass
class RtcSender:
    """One peer connection sending labelled tracks to a session."""

    pc: RTCPeerConnection
    tracks: dict[str, SpeechTrack]
    answer: dict[str, Any] = field(default_factory=dict)

    async def close(self) -> None:
        await self.pc.close()


def make_offer_pc(tracks: dict[str, SpeechTrack]) -> RTCPeerConnection:
    pc = RTCPeerConnection()
    for track in tracks.values():
        pc.addTransceiver(track, direction="sendonly")
    return pc


def labels(pc: RTCPeerConnection, tracks: dict[str, SpeechTrack]) -> dict[str, str]:
    by_track = {id(t): role for role, t in tracks.items()}
    return {str(t.mid): by_track[id(t.sender.track)] for t in pc.getTransceivers()}


async def post_offer(
    url: str,
    sid: str,
    sdp: str,
    tracks: dict[str, str],
    client: httpx.AsyncClient | None = None,
    channels: list[str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"type": "offer", "sdp": sdp, "tracks": tracks}
    if channels:
        body["channels"] = channels
    if client is not None:
        return await client.post(f"/v1/sessions/{sid}/webrtc", json=body)
    async with http_client(url) as c:
        return await c.post(f"/v1/sessions/{sid}/webrtc", json=body)


async def connect(
    url: str,
    sid: str,
    tracks: dict[str, SpeechTrack],
    channels: dict[str, OpusChannelSender] | None = None,
) -> RtcSender:
    """Offer the tracks (and data-channel audio) to the session, apply the answer; raises
    on a refusal."""
    pc = make_offer_pc(tracks)
    for role, sender in (channels or {}).items():
        sender.attach(pc, role)
    await pc.setLocalDescription(await pc.createOffer())
    body_channels = sorted(channels or {})
    r = await post_offer(
        url, sid, pc.localDescription.sdp, labels(pc, tracks), channels=body_channels
    )
    if r.status_code != 200:
        await pc.close()
        raise AssertionError(f"offer refused: {r.status_code} {r.text}")
    answer = r.json()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    return RtcSender(pc, tracks, answer)
