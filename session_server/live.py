"""Live sessions: the tracks, the event sequence and the consent gate of each session.

A :class:`LiveSession` owns its track pipelines (and through them every task that
works on its audio); revoking consent or ending the session stops them. One session's
failure stays inside its own tasks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asr.scheduler import InferenceScheduler
from companion.errors import ConsentRequiredError, SessionStateError
from companion.settings import TARGET_SAMPLE_RATE, Settings
from diarization.embedder import SpeakerEmbedder
from diarization.roles import VoiceProfile
from session_server.bus import InProcessBus
from session_server.db import Database
from session_server.notes import SessionNotes, session_context
from session_server.pipeline import TrackPipeline
from session_server.security.audio_vault import AudioVault
from session_server.speakers import MIXED, SessionSpeakers
from session_server.store import SessionInfo
from streaming.audio import Samples

log = logging.getLogger(__name__)

TRACKS = ("therapist", "client", "mixed")
CloseSocket = Callable[[int, str], Awaitable[None]]
SystemAudit = Callable[[str, str], Awaitable[None]]  # (action, resource)
AudioProbe = Callable[[str, str, Samples], None]  # (session id, track, 16 kHz samples)
NOTE_EVENTS = ("note.patch", "note.required")
END_DRAIN_S = 10.0  # how long ending waits for closed sockets to deliver queued frames


class LiveSession:
    def __init__(self, info: SessionInfo, seq: int, hub: SessionHub) -> None:
        self.id = info.id
        self.state = info.state
        self.consented = info.consent_ok(hub.settings.all_party_consent)
        self._seq = seq
        self._hub = hub
        self._lock = asyncio.Lock()
        self._origin: float | None = None
        self.ending = False  # end() has begun: no new track may open
        self._track_ends: dict[str, float] = {}  # session time after each track's last audio
        self.tracks: dict[str, TrackPipeline] = {}
        self._sockets: dict[str, CloseSocket] = {}
        self._finishing: dict[asyncio.Task[None], TrackPipeline] = {}
        self.clinician_id = info.clinician_id
        expected = info.expected_speakers or hub.settings.expected_speakers
        self.speakers = SessionSpeakers(
            session_id=info.id,
            emit=self.emit_quietly,
            expected_speakers=expected,
            embedder=hub.embedder,
            profile=functools.partial(hub.voice_profile, info.clinician_id),
            match_similarity=hub.settings.voice_match_similarity,
        )
        self.notes: SessionNotes | None = None
        if hub.settings.notes:
            self.notes = SessionNotes(info.id, self.emit_quietly, session_context(info), hub.notes)

    async def emit(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Give the event the next seq, persist it (all but partials), publish it.

        Shielded: a caller cancelled mid-way must not leave a stored event whose seq
        the counter has not passed.
        """
        return await asyncio.shield(self._emit(type_, payload))

    async def _emit(self, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:
            event = {"seq": self._seq + 1, "type": type_, **payload}
            if type_ != "transcript.partial":
                await self._hub.db.run(
                    self._hub.db.store.append_event, self.id, event["seq"], type_, event
                )
                if type_ == "transcript.final" and self._hub.audit is not None:
                    await self._hub.audit(
                        "transcript.write", f"segment:{self.id}:{event['segment_id']}"
                    )
            self._seq += 1
            self._hub.bus.publish(self.id, event)
            if self.notes is not None:
                self.notes.observe(event)
            return event

    def check_audio_allowed(self) -> None:
        if self.state == "ended" or self.ending:
            raise SessionStateError(f"session {self.id} has ended")
        if not self.consented:
            raise ConsentRequiredError(f"session {self.id} lacks consent from every party")

    async def open_track(
        self, track: str, close_socket: CloseSocket, started_at: float | None = None
    ) -> TrackPipeline:
        """Start a pipeline for a track; its clock origin is the session clock when the
        sender connected (``started_at``, loop time; default now), or the end of the
        track's previous audio if that is later (a sender that ran ahead of real time,
        then reconnected), so one track's times never overlap. Taking the connect time,
        not the moment this server finished authorizing it, keeps two tracks that connect
        together aligned even when one waited behind the other's database work."""
        self.check_audio_allowed()
        if track in self.tracks:
            raise SessionStateError(f"track {track} of session {self.id} is already streaming")
        now = asyncio.get_running_loop().time() if started_at is None else started_at
        if self._origin is None:
            self._origin = now
            if self.notes is not None:
                ago = asyncio.get_running_loop().time() - now
                wall = dt.datetime.now().astimezone() - dt.timedelta(seconds=ago)
                self.notes.set_started(wall, two_track=track != MIXED)
        start = max(now - self._origin, self._track_ends.get(track, 0.0), 0.0)
        offset = round(start * TARGET_SAMPLE_RATE)
        prefix = f"{track}-{secrets.token_hex(3)}"
        vault = self._hub.vault
        diarize = self._hub.settings.diarization
        diarizer = None
        if diarize and track == MIXED:
            diarizer = await self.speakers.open_mixed(offset / TARGET_SAMPLE_RATE)
        pipeline = TrackPipeline(
            track=track,
            segment_prefix=prefix,
            offset_samples=offset,
            settings=self._hub.settings,
            scheduler=self._hub.scheduler,
            publish=self._publish_transcript,
            recorder=vault.writer(self.id, prefix).append if vault else None,
            diarizer=diarizer,
            attribute=self.speakers.attribute if diarize else None,
            tap=functools.partial(self.speakers.on_audio, track) if diarize else None,
        )
        if (probe := self._hub.audio_probe) is not None:
            pipeline.on_audio = functools.partial(probe, self.id, track)
        self.tracks[track] = pipeline
        self._sockets[track] = close_socket
        if self.state != "active":
            await self._set_state("active")
        return pipeline

    async def close_track(self, track: str, pipeline: TrackPipeline) -> None:
        """The track's socket ended: finish transcribing what it sent."""
        task = self.release_track(track, pipeline)
        if task is not None:
            await asyncio.shield(task)

    def release_track(self, track: str, pipeline: TrackPipeline) -> asyncio.Task[None] | None:
        """Detach the track now (a new source may open it) and finish it in the background.

        The session owns the finishing task: ending the session waits for it, a
        withdrawal of consent aborts it.
        """
        if self.tracks.get(track) is not pipeline:
            return None
        del self.tracks[track]
        self._sockets.pop(track, None)
        self._note_end(track, pipeline)
        task = asyncio.create_task(pipeline.finish(), name=f"finish:{track}")
        self._finishing[task] = pipeline
        task.add_done_callback(lambda t: self._finishing.pop(t, None))
        return task

    async def _publish_transcript(self, type_: str, payload: dict[str, Any]) -> None:
        await self.emit_quietly(type_, payload)
        if type_ == "transcript.final":
            if self.notes is not None:
                await self.notes.alerts(payload)
            await self.speakers.note_final(payload)

    async def emit_quietly(self, type_: str, payload: dict[str, Any]) -> None:
        try:
            await self.emit(type_, payload)
        except Exception:
            # Never PHI: the payload is not logged, only the session and event type.
            log.exception("could not emit %s for session %s", type_, self.id)
            raise

    async def withdraw(self, consent_state: str) -> None:
        """Consent paused or revoked: stop processing now, discard untranscribed audio."""
        self.consented = False
        await self._stop_tracks(abort=True, code=4403, reason=f"consent {consent_state}")
        # Tracks whose socket already closed may still be transcribing: stop them too.
        for pipeline in list(self._finishing.values()):
            await pipeline.abort()
        await self._set_state(f"consent_{consent_state}")

    async def grant(self, info: SessionInfo) -> None:
        was = self.consented
        self.consented = info.consent_ok(self._hub.settings.all_party_consent)
        if self.notes is not None:
            self.notes.set_consent(info)
        if self.consented and not was and self.state.startswith("consent_"):
            await self._set_state("created")

    async def end(self) -> None:
        """Close the audio sockets, transcribe everything they delivered, then end.

        A closed socket may still hold frames the client sent before it saw the close:
        its handler reads them to the disconnect before the track finishes, so ending
        right after a client hung up loses nothing.
        """
        self.ending = True
        for close in list(self._sockets.values()):
            await self._close_quietly(close, 1000, "session ended")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + END_DRAIN_S
        while self.tracks and loop.time() < deadline:
            await asyncio.sleep(0.02)
        await self._stop_tracks(abort=False, code=1000, reason="session ended")
        await asyncio.gather(*self._finishing, return_exceptions=True)
        await self._after_speech()
        if self.notes is not None:
            await self.notes.finish()
        await self._hub.db.run(self._hub.db.store.set_state, self.id, "ended")
        await self._set_state("ended")

    async def _after_speech(self) -> None:
        """Refine speakers, store corrected segments, learn the therapist's voice."""
        try:
            profile = await self.speakers.finish()
            store = self._hub.db.store
            for seg in self.speakers.corrected:
                await self._hub.db.run(
                    functools.partial(
                        store.update_segment,
                        self.id,
                        seg["segment_id"],
                        speaker=seg["speaker"],
                        role=seg["role"],
                        words=seg["words"],
                    )
                )
            if profile is not None:
                await self._hub.learn_voice(self.clinician_id, profile)
        except Exception:
            # The transcript is already stored; a failed refinement must not block the end.
            log.exception("speaker refinement failed for session %s", self.id)

    def _note_end(self, track: str, pipeline: TrackPipeline) -> None:
        """Remember where the track's audio ended: a reopened track starts no earlier."""
        self.speakers.track_ended(track)
        self._track_ends[track] = max(self._track_ends.get(track, 0.0), pipeline.end_time)

    async def _stop_tracks(self, *, abort: bool, code: int, reason: str) -> None:
        tracks, sockets = dict(self.tracks), dict(self._sockets)
        self.tracks.clear()
        self._sockets.clear()
        for track, pipeline in tracks.items():
            self._note_end(track, pipeline)
        for pipeline in tracks.values():
            await (pipeline.abort() if abort else pipeline.finish())
        for close in sockets.values():
            await self._close_quietly(close, code, reason)

    async def _close_quietly(self, close: CloseSocket, code: int, reason: str) -> None:
        try:
            await close(code, reason)
        except Exception:  # the peer may already be gone
            log.debug("socket already closed for session %s", self.id)

    async def _set_state(self, state: str) -> None:
        self.state = state
        if state != "ended":
            await self._hub.db.run(self._hub.db.store.set_state, self.id, state)
        await self.emit("session.state", {"state": state})


class SessionHub:
    """Every live session of this process, sharing one scheduler, bus and database."""

    def __init__(
        self, settings: Settings, db: Database, bus: InProcessBus, scheduler: InferenceScheduler
    ) -> None:
        self.settings = settings
        self.db = db
        self.bus = bus
        self.scheduler = scheduler
        self.vault: AudioVault | None = None  # set when the practice keeps raw audio
        self.audit: SystemAudit | None = None  # records the pipeline's PHI writes
        # Measurement only (the transport-latency benchmark): sees each track's audio
        # the moment it reaches the pipeline. Never set by the service itself.
        self.audio_probe: AudioProbe | None = None
        self._live: dict[str, LiveSession] = {}
        self._lock = asyncio.Lock()
        # The note engines' one thread: steps and edits of every session run in order.
        self.notes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notes")

    @functools.cache  # noqa: B019 - one hub per process; the encoder loads once (~1 s)
    def embedder(self) -> SpeakerEmbedder:
        """The speaker encoder, loaded on first use (call it off the event loop)."""
        embedder = SpeakerEmbedder()
        embedder.warm_up()
        return embedder

    async def voice_profile(self, clinician_id: str) -> VoiceProfile | None:
        record = await self.db.run(self.db.store.get_voice_profile, clinician_id)
        if record is None:
            return None
        return VoiceProfile.from_list(record.vector, record.speech_s)

    async def learn_voice(self, clinician_id: str, update: VoiceProfile) -> None:
        """Fold a session's therapist-track voice into the clinician's stored profile."""
        record = await self.db.run(self.db.store.get_voice_profile, clinician_id)
        if record is None:
            merged, source = update, "sessions"
        else:
            known = VoiceProfile.from_list(record.vector, record.speech_s)
            merged = known.merged(update)
            source = "sessions" if record.source == "sessions" else "both"
        await self.db.run(
            self.db.store.put_voice_profile,
            clinician_id,
            merged.to_list(),
            merged.speech_s,
            source,
        )

    async def get(self, session_id: str) -> LiveSession:
        """The live session, loaded from the store (SessionNotFoundError if unknown)."""
        async with self._lock:
            live = self._live.get(session_id)
            if live is None:
                info = await self.db.run(self.db.store.get_session, session_id)
                seq = await self.db.run(self.db.store.max_seq, session_id)
                live = LiveSession(info, seq, self)
                if live.notes is not None and seq > 0:
                    events = await self.db.run(self.db.store.events_since, session_id, 0)
                    segments = await self.db.run(self.db.store.segments, session_id)
                    live.notes.restore([e for e in events if e["type"] in NOTE_EVENTS], segments)
                self._live[session_id] = live
            return live

    async def shutdown(self) -> None:
        for live in list(self._live.values()):
            await live._stop_tracks(abort=False, code=1001, reason="server shutting down")
            if live.notes is not None:
                await live.notes.abort()
        self._live.clear()
        self.notes.shutdown(wait=False, cancel_futures=True)
