"""Roles on top of speakers: which voice is the therapist's.

A clinician's voice profile is the mean embedding of their speech: from a short
enrolment recording, or from their own track in sessions held through the bridge (where
speaker = track, so their voice is known exactly). In a one-channel session the speaker
whose centroid is closest to the profile, if close enough, is the therapist; the
others are the client (two-person sessions) or ``participant-N`` (family and group
sessions, numbered in order of first speech). Without a profile, or with no speaker
close enough, no one is called therapist and the clinician sets roles by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from diarization.clustering import Vectors, unit
from diarization.embedder import SpeakerEmbedder
from streaming.audio import Samples
from streaming.vad import VAD_FRAME, SileroVad

THERAPIST = "therapist"
CLIENT = "client"
UNKNOWN = "unknown"
MIN_PROFILE_SPEECH_S = 5.0  # less speech than this makes an unreliable profile
PROFILE_WINDOW = 48  # VAD frames (1.5 s) per embedding window, as in the live pass


@dataclass(frozen=True, slots=True)
class VoiceProfile:
    """A unit vector and how many seconds of speech it was averaged from."""

    vector: Vectors
    speech_s: float

    def merged(self, other: VoiceProfile) -> VoiceProfile:
        """Weighted by speech time, so a long session outweighs a short enrolment."""
        total = self.speech_s + other.speech_s
        mixed = self.vector * self.speech_s + other.vector * other.speech_s
        return VoiceProfile(unit(mixed), total)

    def to_list(self) -> list[float]:
        return [round(float(x), 6) for x in self.vector]

    @classmethod
    def from_list(cls, values: Sequence[float], speech_s: float) -> VoiceProfile:
        return cls(unit(np.asarray(values, dtype=np.float32)), speech_s)


def speech_windows(audio: Samples, vad_threshold: float = 0.5) -> tuple[list[Samples], float]:
    """Windows of 1.5 s of speech (silence removed), and the seconds of speech found."""
    vad = SileroVad()
    frames = [audio[i : i + VAD_FRAME] for i in range(0, len(audio) - VAD_FRAME + 1, VAD_FRAME)]
    speech = [f for f in frames if vad.prob(f) >= vad_threshold]
    windows = [
        np.concatenate(speech[i : i + PROFILE_WINDOW])
        for i in range(0, len(speech) - PROFILE_WINDOW // 2 + 1, PROFILE_WINDOW // 2)
    ]
    return windows, len(speech) * VAD_FRAME / 16000


def profile_from_audio(audio: Samples, embedder: SpeakerEmbedder) -> VoiceProfile | None:
    """The profile of one speaker's recording; None when it holds too little speech."""
    windows, speech_s = speech_windows(audio)
    if speech_s < MIN_PROFILE_SPEECH_S or not windows:
        return None
    vectors = embedder.embed(windows)
    return VoiceProfile(unit(vectors.mean(axis=0)), speech_s)


def assign_roles(
    centroids: NDArray[np.float32],
    profile: VoiceProfile | None,
    *,
    min_similarity: float = 0.7,
    group: bool = False,
    first_speech: Sequence[float] | None = None,
) -> dict[int, str]:
    """Speaker index → role. In a ``group`` session (more than two expected) the others
    are participants, numbered by ``first_speech`` (seconds) order."""
    n = len(centroids)
    order = list(range(n))
    if first_speech is not None:
        order.sort(key=lambda s: first_speech[s])
    therapist = -1
    if profile is not None and n:
        sims = centroids @ profile.vector
        best = int(np.argmax(sims))
        if sims[best] >= min_similarity:
            therapist = best
    roles: dict[int, str] = {}
    others = [s for s in order if s != therapist]
    if therapist < 0:
        return {s: UNKNOWN for s in order}
    roles[therapist] = THERAPIST
    if not group:
        roles.update({s: CLIENT for s in others})
    else:
        for i, s in enumerate(others, start=1):
            roles[s] = f"participant-{i}"
    return roles


def role_of(roles: Mapping[int, str], speaker: int) -> str:
    return roles.get(speaker, UNKNOWN)
