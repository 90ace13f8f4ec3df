"""Who said each final: speaker and role on every transcript event of a session.

* **Two tracks** (the bridge: therapist microphone + call tab): speaker = track. Words
  the therapist's microphone picked up from the loudspeakers are dropped from the
  therapist track (:class:`diarization.leakage.LeakageDetector`), so the same words never
  appear under two speakers. The decision waits (briefly) until the other track's audio
  covers the words plus the longest echo delay.
* **One channel** (``mixed``): an :class:`~diarization.online.OnlineDiarizer` labels the
  audio as it arrives; each final's words take the speaker of their frames, and a final
  that holds two speakers is split into one event per speaker turn. A shown final never
  changes silently: role changes are ``speaker.roles`` events, the post-session
  refinement sends ``speaker.correction`` per changed segment and ``transcript.refined``.
* **Roles**: the clinician's voice profile (enrolment or earlier bridge sessions) names
  the therapist's cluster; the therapist can correct any role from the side-panel.
* **Analytics** (``analytics.update``): talk time, turns, overlaps, interruptions, speech
  rate and the longest silence per role.

Never logs text or vectors: only session ids, counts and timings.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from companion.errors import SpeakerNotFoundError
from companion.settings import TARGET_SAMPLE_RATE
from diarization.analytics import Utterance, compute_talk_analytics
from diarization.embedder import SpeakerEmbedder
from diarization.leakage import LeakageConfig, LeakageDetector
from diarization.online import NO_SPEAKER, DiarizationConfig, OnlineDiarizer
from diarization.roles import (
    CLIENT,
    THERAPIST,
    UNKNOWN,
    VoiceProfile,
    assign_roles,
    profile_from_audio,
)
from streaming.audio import Samples

log = logging.getLogger(__name__)

Emit = Callable[[str, dict[str, Any]], Awaitable[Any]]
Event = tuple[str, dict[str, Any]]
TWO_TRACK = (THERAPIST, CLIENT)
MIXED = "mixed"
LEAK_WAIT_S = 4.0  # the longest a final waits for the other (open) track's audio
LABEL_WAIT_S = 2.0  # the longest a mixed final waits for its speaker labels
ANALYTICS_EVERY = 8  # finals between analytics.update events
PROFILE_AUDIO_S = 90.0  # therapist speech kept (in memory) to update the voice profile
ROLE_RE = re.compile(r"^(therapist|client|unknown|participant-[1-9])$")
SPEAKER_RE = re.compile(r"^S[1-9]$")


def speaker_name(index: int) -> str:
    return f"S{index + 1}"


def speaker_index(name: str) -> int:
    if not SPEAKER_RE.match(name):
        raise SpeakerNotFoundError("speaker ids are S1..S9")
    return int(name[1:]) - 1


@dataclass(slots=True)
class _Final:
    """A shown mixed-track final, kept for the post-session refinement."""

    payload: dict[str, Any]
    offset: float  # the track's session-clock origin


@dataclass(slots=True)
class _TherapistVoice:
    """Recent therapist-track audio, to cut the therapist's own (non-leaked) words from."""

    origin: int = 0  # session sample of buffer[0]
    buffer: list[Samples] = field(default_factory=list)
    size: int = 0
    kept: list[Samples] = field(default_factory=list)
    kept_samples: int = 0

    def push(self, start: int, samples: Samples, horizon: int) -> None:
        if not self.buffer:
            self.origin = start
        self.buffer.append(samples)
        self.size += len(samples)
        while self.buffer and self.size - len(self.buffer[0]) >= horizon:
            self.size -= len(self.buffer[0])
            self.origin += len(self.buffer[0])
            self.buffer.pop(0)

    def keep(self, start_s: float, end_s: float) -> None:
        if self.kept_samples >= PROFILE_AUDIO_S * TARGET_SAMPLE_RATE or not self.buffer:
            return
        audio = np.concatenate(self.buffer)
        lo = max(0, round(start_s * TARGET_SAMPLE_RATE) - self.origin)
        hi = min(len(audio), round(end_s * TARGET_SAMPLE_RATE) - self.origin)
        if hi - lo > TARGET_SAMPLE_RATE // 2:
            self.kept.append(audio[lo:hi].copy())
            self.kept_samples += hi - lo


class SessionSpeakers:
    """Speaker attribution, roles and analytics of one live session."""

    def __init__(
        self,
        *,
        session_id: str,
        emit: Emit,
        expected_speakers: int,
        embedder: Callable[[], SpeakerEmbedder],
        profile: Callable[[], Awaitable[VoiceProfile | None]],
        match_similarity: float = 0.7,
    ) -> None:
        self.session_id = session_id
        self._emit = emit
        self.expected = max(1, min(6, expected_speakers))
        self._embedder = embedder
        self._load_profile = profile
        self._match = match_similarity
        self._profile: VoiceProfile | None = None
        self._profile_loaded = False
        # Two sockets open at slightly different moments, so the tracks' clocks may be
        # skewed by a few hundred ms on top of the echo delay: search lags up to 0.5 s.
        self.leakage = LeakageDetector(config=LeakageConfig(max_delay_s=0.5))
        self.diarizers: dict[str, tuple[OnlineDiarizer, float]] = {}  # track → (d, offset)
        self._roles: dict[int, str] = {}
        self._manual: dict[int, str] = {}
        self._finals: list[_Final] = []
        self._utterances: list[Utterance] = []
        self._since_analytics = 0
        self._voice = _TherapistVoice()
        self.leak_dropped = 0
        self._open: set[str] = set()  # two-track tracks whose audio is still coming
        self.corrected: list[dict[str, Any]] = []  # segments the refinement changed

    # -- audio -------------------------------------------------------------------------

    def on_audio(self, track: str, start_sample: int, samples: Samples) -> None:
        """Every track's 16 kHz audio on the session clock (sample index of samples[0])."""
        if track in TWO_TRACK:
            self._open.add(track)
            self.leakage.push(track, start_sample, samples)
            if track == THERAPIST:
                self._voice.push(start_sample, samples, 20 * TARGET_SAMPLE_RATE)

    def track_ended(self, track: str) -> None:
        """No more audio will come on ``track``: finals of the others stop waiting for it."""
        self._open.discard(track)

    async def open_mixed(self, offset_s: float) -> OnlineDiarizer:
        """A diarizer for a new one-channel track whose audio starts at ``offset_s``."""
        if not self._profile_loaded:
            self._profile_loaded = True
            try:
                self._profile = await self._load_profile()
            except Exception:
                log.exception("voice profile unavailable for session %s", self.session_id)
        embedder = await asyncio.to_thread(self._embedder)
        d = OnlineDiarizer(DiarizationConfig(expected_speakers=self.expected), embedder)
        self.diarizers[MIXED] = (d, offset_s)
        return d

    # -- attribution -------------------------------------------------------------------

    async def attribute(self, track: str, type_: str, payload: dict[str, Any]) -> list[Event]:
        """The events to publish for one transcript update of ``track``."""
        if track in TWO_TRACK:
            return await self._two_track(track, type_, payload)
        if track == MIXED and track in self.diarizers:
            return await self._mixed(type_, payload)
        return [(type_, payload)]

    async def _two_track(self, track: str, type_: str, payload: dict[str, Any]) -> list[Event]:
        payload = {**payload, "speaker": track, "role": track}
        start, end = float(payload["start"]), float(payload["end"])
        if type_ == "transcript.partial":
            if payload["text"] and self.leakage.is_leak(track, start, end):
                payload["text"] = ""  # withdraws what the panel shows; the final decides
            return [(type_, payload)]
        await self._await_other_tracks(track, end)
        words = [_Timed(w) for w in payload["words"]]
        kept, dropped = self.leakage.filter_words(track, words)
        if dropped:
            self.leak_dropped += dropped
            payload["leak_dropped"] = dropped
            if not kept:
                # Entirely picked up from the other track: withdraw the shown partial.
                return [("transcript.partial", {**payload, "text": "", "words": []})]
            payload["words"] = [k.word for k in kept]
            payload["text"] = " ".join(k.word["text"] for k in kept)
            payload["start"], payload["end"] = kept[0].start, kept[-1].end
        if track == THERAPIST:
            for k in kept:
                self._voice.keep(k.start, k.end)
        return [(type_, payload)]

    async def _await_other_tracks(self, track: str, end: float) -> None:
        """Wait until the other open tracks' audio covers ``end`` plus the longest echo
        delay. A track that is behind but still advancing (pushed back under load) is
        waited for; one that stalls for ``LEAK_WAIT_S`` is not."""
        need = end + self.leakage.config.max_delay_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LEAK_WAIT_S
        covered = self.leakage.covered_until(track)
        while covered < need and self._open - {track}:
            if loop.time() > deadline:
                log.warning("session %s: leakage decided without the other track", self.session_id)
                return
            await asyncio.sleep(0.05)
            now = self.leakage.covered_until(track)
            if now > covered:
                covered, deadline = now, loop.time() + LEAK_WAIT_S

    async def _mixed(self, type_: str, payload: dict[str, Any]) -> list[Event]:
        d, offset = self.diarizers[MIXED]
        if type_ == "transcript.partial":
            s = d.speaker_for(payload["start"] - offset, payload["end"] - offset)
            return [(type_, {**payload, **self._who(s)})]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LABEL_WAIT_S
        while d.final_until < payload["end"] - offset and loop.time() < deadline:
            await asyncio.sleep(0.05)
        await self._update_roles(d)
        parts = self._split(d, offset, payload)
        for p in parts:
            self._finals.append(_Final(p, offset))
        return [("transcript.final", p) for p in parts]

    def _split(
        self, d: OnlineDiarizer, offset: float, payload: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """One event per run of words with one speaker; the first keeps the segment id."""
        words = [dict(w) for w in payload["words"]]
        for w in words:
            s = d.speaker_for(w["start"] - offset, w["end"] - offset)
            w["speaker"] = speaker_name(s) if s >= 0 else None
        if not words:
            s = d.speaker_for(payload["start"] - offset, payload["end"] - offset)
            return [{**payload, **self._who(s)}]
        runs: list[list[dict[str, Any]]] = []
        for w in words:
            if runs and runs[-1][-1]["speaker"] == w["speaker"]:
                runs[-1].append(w)
            else:
                runs.append([w])
        parts = []
        for i, run in enumerate(runs):
            seg_id = payload["segment_id"] if i == 0 else f"{payload['segment_id']}~{i + 1}"
            s = speaker_index(run[0]["speaker"]) if run[0]["speaker"] else NO_SPEAKER
            parts.append(
                {
                    **payload,
                    "segment_id": seg_id,
                    "start": run[0]["start"] if i else payload["start"],
                    "end": run[-1]["end"] if i < len(runs) - 1 else payload["end"],
                    "text": " ".join(w["text"] for w in run),
                    "words": run,
                    **self._who(s),
                }
            )
        return parts

    def _who(self, speaker: int) -> dict[str, Any]:
        if speaker < 0:
            return {"speaker": None, "role": UNKNOWN}
        return {"speaker": speaker_name(speaker), "role": self._roles.get(speaker, UNKNOWN)}

    async def _update_roles(self, d: OnlineDiarizer, source: str = "voice_profile") -> None:
        roles = assign_roles(
            d.centroids, self._profile, min_similarity=self._match, group=self.expected > 2
        )
        roles.update(self._manual)
        if roles != self._roles:
            self._roles = roles
            await self._emit(
                "speaker.roles",
                {
                    "track": MIXED,
                    "roles": {speaker_name(s): r for s, r in sorted(roles.items())},
                    "source": "clinician" if self._manual else source,
                },
            )

    async def set_role(self, track: str, speaker: str, role: str) -> None:
        """The clinician's correction: sticks for the rest of the session."""
        if not ROLE_RE.match(role):
            raise ValueError("role must be therapist, client, unknown or participant-N")
        index = speaker_index(speaker)
        entry = self.diarizers.get(track)
        if entry is None or index >= entry[0].speakers:
            raise SpeakerNotFoundError("no such speaker in this session")
        self._manual[index] = role
        if role == THERAPIST:  # one therapist: another speaker called therapist is now unknown
            for s, r in list(self._roles.items()):
                if s != index and r == THERAPIST and s not in self._manual:
                    self._manual[s] = CLIENT if self.expected <= 2 else UNKNOWN
        await self._update_roles(entry[0], source="clinician")

    # -- analytics -----------------------------------------------------------------------

    async def note_final(self, payload: dict[str, Any]) -> None:
        """Count a published final; every few, publish the session's talk analytics."""
        if payload.get("track") != MIXED:  # mixed finals are kept in self._finals
            self._utterances.append(_utterance(payload, str(payload.get("role") or UNKNOWN)))
        self._since_analytics += 1
        if self._since_analytics >= ANALYTICS_EVERY:
            await self.publish_analytics()

    async def publish_analytics(self) -> None:
        self._since_analytics = 0
        if self._utterances or self._finals:
            await self._emit("analytics.update", self.analytics())

    def analytics(self) -> dict[str, Any]:
        """Mixed finals count under their speaker's role as it stands now."""
        utts = list(self._utterances)
        for f in self._finals:
            s = f.payload.get("speaker")
            role = self._roles.get(speaker_index(s), UNKNOWN) if s else UNKNOWN
            utts.append(_utterance(f.payload, role))
        return compute_talk_analytics(sorted(utts, key=lambda u: u.start)).to_dict()

    # -- after the session ------------------------------------------------------------------

    async def finish(self) -> VoiceProfile | None:
        """Refine the one-channel labels, send the corrections, the final analytics, and
        the therapist's voice from this session (returned, to be stored by the caller)."""
        if MIXED in self.diarizers and self._finals:
            await self._refine()
        await self.publish_analytics()
        if self._voice.kept:
            audio = np.concatenate(self._voice.kept)
            embedder = await asyncio.to_thread(self._embedder)
            profile = await asyncio.to_thread(profile_from_audio, audio, embedder)
            return profile
        return None

    async def _refine(self) -> None:
        d, offset = self.diarizers[MIXED]
        await asyncio.to_thread(_flush, d)
        labels = await asyncio.to_thread(d.refine)
        await self._update_roles(d)
        corrected: list[dict[str, Any]] = []
        changed = 0
        for f in self._finals:
            p = f.payload
            words = [dict(w) for w in p["words"]]
            for w in words:
                s = d.speaker_for(w["start"] - offset, w["end"] - offset, labels)
                w["speaker"] = speaker_name(s) if s >= 0 else None
            s = d.speaker_for(p["start"] - offset, p["end"] - offset, labels)
            names = [w["speaker"] for w in words if w["speaker"]]
            if names:
                s = speaker_index(max(set(names), key=names.count))
            who = self._who(s)
            fixed = {**p, "words": words, **who}
            if who["speaker"] != p.get("speaker") or words != p["words"]:
                changed += 1
                self.corrected.append(fixed)
                await self._emit(
                    "speaker.correction",
                    {
                        "segment_id": p["segment_id"],
                        "track": p["track"],
                        "speaker": who["speaker"],
                        "role": who["role"],
                        "words": words,
                        "reason": "refinement",
                    },
                )
            corrected.append(fixed)
            f.payload = fixed
        await self._emit(
            "transcript.refined",
            {"track": MIXED, "changed": changed, "segments": corrected},
        )
        log.info(
            "session %s refined: %d of %d segments changed speaker",
            self.session_id,
            changed,
            len(corrected),
        )


def _flush(d: OnlineDiarizer) -> None:
    d.flush()
    d.step()


def _utterance(payload: dict[str, Any], role: str) -> Utterance:
    words = len(payload.get("words") or []) or len(str(payload.get("text", "")).split())
    return Utterance(float(payload["start"]), float(payload["end"]), role, words)


@dataclass(frozen=True, slots=True)
class _Timed:
    word: dict[str, Any]

    @property
    def start(self) -> float:
        return float(self.word["start"])

    @property
    def end(self) -> float:
        return float(self.word["end"])


def session_analytics(segments: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Talk analytics of a session's stored final segments (the summary's figures)."""
    utts = [_utterance(s, str(s.get("role") or s.get("track") or UNKNOWN)) for s in segments]
    return compute_talk_analytics(sorted(utts, key=lambda u: u.start)).to_dict()
