"""WebRTC audio ingest (aiortc): an SDP offer in, an answer out, each track transcribed.

The browser labels each audio transceiver by its mid (``therapist``, ``client`` or
``mixed``). Every received track gets one consumer task, owned by the session's peer:
it awaits ``track.recv()`` (aiortc decodes Opus), downmixes, resamples to 16 kHz and
offers the audio to the same :class:`TrackPipeline` the WebSocket path feeds, behind
the same consent gate. aiortc's own receive queue is unbounded, so the consumer never
waits on the pipeline: when the pipeline's bounded ingress is full the audio is
dropped, counted, and a ``track.overrun`` event tells the side-panel.

One peer connection per session. A new offer for the session replaces the old peer
(a browser reconnecting after a network drop): the old tracks are detached at once and
finish transcribing everything they received, the new tracks continue on the session
clock, so nothing is lost or transcribed twice.

Latency: aiortc's audio jitter buffer releases a packet once four newer ones have
arrived, a fixed private setting. Asking the browser for 10 ms packets (``a=ptime:10``
in the answer, the smallest frame Chrome's Opus encoder makes) shortens that wait from
80 ms to 40 ms without touching aiortc's internals. Browsers with WebCodecs go further:
they send 10 ms Opus packets on unordered data channels of the same connection
(``channels`` in the offer, :mod:`session_server.rtc_channel`), decoded on arrival.

Loopback: aioice offers no 127.0.0.1 candidate, so a browser on the service's own
machine with no other network could not connect; ``webrtc_loopback`` adds it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import aioice.ice
import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from pydantic import BaseModel, ConfigDict, Field, model_validator

from companion.errors import SessionError, SessionStateError, SignalingError
from companion.settings import Settings
from session_server.live import TRACKS, LiveSession
from session_server.pipeline import TrackPipeline
from session_server.rtc_channel import LABEL_PREFIX, ChannelAudio
from streaming.audio import Resampler, Samples
from streaming.frames import frame_to_mono

log = logging.getLogger(__name__)

MAX_SDP_CHARS = 65_536
Role = Literal["therapist", "client", "mixed"]


class WebRtcOffer(BaseModel):
    """``POST /v1/sessions/{id}/webrtc``: the browser's offer and its track labels.

    ``tracks`` labels audio sections by mid; ``channels`` names the roles whose audio
    comes as Opus packets on data channels labelled ``audio:<role>`` instead.
    """

    model_config = ConfigDict(extra="forbid")

    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)
    type: Literal["offer"]
    tracks: dict[str, Role] = Field(default_factory=dict, max_length=len(TRACKS))
    channels: list[Role] = Field(default_factory=list, max_length=len(TRACKS))

    @model_validator(mode="after")
    def _one_source_per_role(self) -> WebRtcOffer:
        roles = [*self.tracks.values(), *self.channels]
        if not roles:
            raise ValueError("label at least one track or channel")
        if len(set(roles)) != len(roles):
            raise ValueError("each role may be sent once")
        return self

    def roles(self) -> set[str]:
        return {*self.tracks.values(), *self.channels}


def with_ptime(sdp: str, ptime_ms: int) -> str:
    """``a=ptime`` added to each audio section that has none (RFC 4566, section 6)."""
    if not ptime_ms:
        return sdp
    lines = sdp.split("\r\n")
    trailer = lines.pop() if lines and lines[-1] == "" else None
    out: list[str] = []
    audio = has_ptime = False
    for line in [*lines, "m=end"]:
        if line.startswith("m="):
            if audio and not has_ptime:
                out.append(f"a=ptime:{ptime_ms}")
            audio, has_ptime = line.startswith("m=audio"), False
        has_ptime = has_ptime or line.startswith("a=ptime:")
        out.append(line)
    out.pop()  # the sentinel
    if trailer is not None:
        out.append(trailer)
    return "\r\n".join(out)


def without_end_of_candidates(sdp: str) -> str:
    """The offer without ``a=end-of-candidates`` when its candidates are mDNS names.

    Browsers that hide local addresses offer ``<uuid>.local`` candidates that this host
    usually cannot resolve; with end-of-candidates aioice then gives up on the component
    and answers with no candidates at all. Without it, the browser's connectivity checks
    reveal its address (a peer-reflexive candidate) and the connection comes up.
    """
    lines = sdp.split("\r\n")
    if not any(line.startswith("a=candidate:") and ".local " in line for line in lines):
        return sdp
    return "\r\n".join(line for line in lines if line != "a=end-of-candidates")


def offer_loopback() -> None:
    """Make aioice also gather a 127.0.0.1 host candidate (idempotent, process-wide)."""
    gather = aioice.ice.get_host_addresses
    if getattr(gather, "offers_loopback", False):
        return

    def with_loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        addresses = gather(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
        if use_ipv4 and "127.0.0.1" not in addresses:
            addresses.append("127.0.0.1")
        return addresses

    with_loopback.offers_loopback = True  # type: ignore[attr-defined]
    aioice.ice.get_host_addresses = with_loopback


@dataclass(eq=False)
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # offers holding or waiting for the lock


@dataclass(eq=False)
class _Peer:
    """One browser's peer connection to one session, and the tasks that consume it."""

    live: LiveSession
    pc: RTCPeerConnection
    roles: dict[str, Role]  # mid -> role
    channels: set[Role]  # roles whose audio comes on a data channel
    started: set[Role] = field(default_factory=set)  # roles whose consumer has started
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    pipelines: dict[str, TrackPipeline] = field(default_factory=dict)
    closed: bool = False


class WebRtcIngest:
    """Every WebRTC peer of this process, one per session."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._peers: dict[str, _Peer] = {}
        self._slots: dict[str, _Slot] = {}  # per session: offers are answered one at a time
        if settings.webrtc_loopback:
            offer_loopback()

    def browser_config(self) -> dict[str, Any]:
        """What the browser's ``RTCPeerConnection`` needs: the same ICE servers."""
        return {
            "ice_servers": [s.model_dump(exclude_none=True) for s in self.settings.ice_servers],
            "ptime": self.settings.webrtc_ptime_ms,
        }

    def peers(self) -> int:
        return len(self._peers)

    async def answer(self, live: LiveSession, offer: WebRtcOffer) -> str:
        """Answer the offer (replacing the session's previous peer); returns the SDP."""
        slot = self._slots.setdefault(live.id, _Slot())
        slot.users += 1
        try:
            async with slot.lock:
                return await self._answer(live, offer)
        finally:
            slot.users -= 1
            if live.id not in self._peers:
                self._forget_slot(live.id)

    def _forget_slot(self, session_id: str) -> None:
        slot = self._slots.get(session_id)
        if slot is not None and slot.users == 0:
            del self._slots[session_id]

    async def _answer(self, live: LiveSession, offer: WebRtcOffer) -> str:
        live.check_audio_allowed()
        old = self._peers.get(live.id)
        busy = set(live.tracks) - (set(old.pipelines) if old else set())
        if taken := busy & offer.roles():
            raise SessionStateError(
                f"track {sorted(taken)[0]} of session {live.id} is already streaming"
            )
        pc = self._connection()
        try:
            peer = await self._negotiate(live, pc, offer)
        except BaseException:
            await pc.close()
            raise
        if old is not None:
            await self._close(old)
        self._peers[live.id] = peer
        for mid, track in self._receivers(pc).items():
            self._start(peer, peer.roles[mid], _track_chunks(track))
        sdp = pc.localDescription.sdp
        log.info("webrtc peer for session %s: %s", live.id, ", ".join(sorted(offer.roles())))
        return with_ptime(sdp, self.settings.webrtc_ptime_ms)

    async def close_session(self, session_id: str) -> None:
        peer = self._peers.get(session_id)
        if peer is not None:
            await self._close(peer)

    async def shutdown(self) -> None:
        for peer in list(self._peers.values()):
            await self._close(peer)

    def _connection(self) -> RTCPeerConnection:
        servers = [
            RTCIceServer(urls=s.urls, username=s.username, credential=s.credential)
            for s in self.settings.ice_servers
        ]
        return RTCPeerConnection(RTCConfiguration(iceServers=servers))

    async def _negotiate(
        self, live: LiveSession, pc: RTCPeerConnection, offer: WebRtcOffer
    ) -> _Peer:
        try:
            sdp = without_end_of_candidates(offer.sdp)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as exc:  # aiortc's parser raises many kinds on bad input
            raise SignalingError(f"malformed SDP offer ({type(exc).__name__})") from None
        kinds = {t.mid: t.kind for t in pc.getTransceivers()}
        if any(kind != "audio" for kind in kinds.values()):
            raise SignalingError("only audio may be offered")
        if unknown := sorted(set(offer.tracks) - set(kinds)):
            raise SignalingError(f"no audio section with mid {unknown[0][:16]!r}")
        if unlabelled := sorted(str(m) for m in set(kinds) - set(offer.tracks)):
            raise SignalingError(f"audio section {unlabelled[0][:16]!r} has no track label")
        if offer.channels and pc.sctp is None:
            raise SignalingError("audio channels need a data channel section in the offer")
        peer = _Peer(live, pc, dict(offer.tracks), set(offer.channels))

        @pc.on("datachannel")
        def on_channel(channel: RTCDataChannel) -> None:
            wanted = {f"{LABEL_PREFIX}{r}": r for r in peer.channels - peer.started}
            if (role := wanted.get(channel.label)) is None:
                log.info("webrtc session %s: unexpected data channel closed", live.id)
                channel.close()
                return
            self._start(peer, role, ChannelAudio(channel).chunks())

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self._close(peer)

        try:
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            raise SignalingError(f"cannot answer the offer ({type(exc).__name__})") from None
        return peer

    @staticmethod
    def _receivers(pc: RTCPeerConnection) -> dict[str, MediaStreamTrack]:
        return {str(t.mid): t.receiver.track for t in pc.getTransceivers()}

    def _start(self, peer: _Peer, role: Role, chunks: AsyncIterator[tuple[int, Samples]]) -> None:
        peer.started.add(role)
        task = asyncio.create_task(self._consume(peer, role, chunks), name=f"rtc:{role}")
        peer.tasks.add(task)
        task.add_done_callback(peer.tasks.discard)

    async def _consume(
        self, peer: _Peer, role: Role, chunks: AsyncIterator[tuple[int, Samples]]
    ) -> None:
        """Move one source's audio into the pipeline as it comes, never waiting on it."""
        live = peer.live
        resampler: Resampler | None = None
        rate = 0
        overrun = False
        try:
            async for chunk_rate, mono in chunks:
                if peer.closed:
                    return
                if chunk_rate != rate:
                    resampler, rate = Resampler(chunk_rate), chunk_rate
                assert resampler is not None
                samples = resampler.push(mono)
                pipeline = peer.pipelines.get(role) or await self._open(peer, role)
                if pipeline is None:
                    return
                if len(samples) and (await pipeline.offer(samples)) == overrun:
                    overrun = not overrun
                    if overrun:
                        log.warning("webrtc track %s of session %s overran", role, live.id)
                        await live.emit_quietly("track.overrun", {"track": role})
        finally:
            pipeline = peer.pipelines.pop(role, None)
            if pipeline is not None:
                live.release_track(role, pipeline)

    async def _open(self, peer: _Peer, role: Role) -> TrackPipeline | None:
        async def close(code: int, reason: str) -> None:
            await self._close(peer)

        try:
            pipeline = await peer.live.open_track(role, close)
        except SessionError as exc:
            log.info("webrtc track %s of session %s refused: %s", role, peer.live.id, exc)
            asyncio.get_running_loop().call_soon(self._close_later, peer)
            return None
        peer.pipelines[role] = pipeline
        return pipeline

    def _close_later(self, peer: _Peer) -> None:
        # The consumer cannot await its own peer's closing (it would cancel itself).
        task = asyncio.create_task(self._close(peer), name="rtc:close")
        peer.tasks.add(task)
        task.add_done_callback(peer.tasks.discard)

    async def _close(self, peer: _Peer) -> None:
        """Detach the peer's tracks (they finish what they got), then close it."""
        if peer.closed:
            return
        peer.closed = True
        if self._peers.get(peer.live.id) is peer:
            del self._peers[peer.live.id]
            self._forget_slot(peer.live.id)
        for role, pipeline in list(peer.pipelines.items()):
            peer.live.release_track(role, pipeline)
        peer.pipelines.clear()
        await peer.pc.close()
        current = asyncio.current_task()
        consumers = [t for t in peer.tasks if t is not current and t.get_name() != "rtc:close"]
        for task in consumers:
            task.cancel()
        await asyncio.gather(*consumers, return_exceptions=True)


async def _track_chunks(track: MediaStreamTrack) -> AsyncIterator[tuple[int, Samples]]:
    """A received media track's frames (decoded by aiortc) until it ends."""
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        assert isinstance(frame, av.AudioFrame)
        yield frame.sample_rate, frame_to_mono(frame)
