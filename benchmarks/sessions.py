"""Two-voice therapy sessions rendered from AnnoMI transcripts with espeak-ng.

Diarization needs audio where the truth about who spoke when is known to the sample, with
each speaker also available alone: real recordings give neither. AnnoMI gives realistic
turn-taking (counselling conversations, therapist and client alternating, long and short
turns, "mm-hmm" backchannels); espeak-ng gives each role a fixed, clearly different voice
(a male variant for the therapist, a female one for the client), deterministically. Each
utterance is trimmed to its speech so the reference turns are the real speech extents, then
placed on a timeline with seeded gaps and occasional client overlaps, because overlap is
where diarization and talk analytics go wrong.

Renders are cached on disk (``$COMPANION_RENDER_CACHE``, default ``<repo>/.cache/renders``)
keyed by everything that determines them, so repeated test runs only load arrays.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import soundfile as sf
import soxr
from numpy.typing import NDArray

if TYPE_CHECKING:
    from pyannote.core import Annotation

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_RATE = 16_000
ESPEAK = "/usr/bin/espeak-ng"
# Bump when anything about how a session is rendered changes, so old cache entries miss.
FORMAT_VERSION = 1

THERAPIST = "therapist"
CLIENT = "client"


@dataclass(frozen=True, slots=True)
class Voice:
    """An espeak-ng voice (language + variant) and its speaking rate in words per minute."""

    name: str
    wpm: int


# en-us+m3 (male, F0 about 107 Hz) and en-us+f3 (female, F0 about 210 Hz): an octave apart
# and at different rates, so the two roles are easy to tell apart by ear and by embedding.
VOICES: dict[str, Voice] = {
    THERAPIST: Voice("en-us+m3", 160),
    CLIENT: Voice("en-us+f3", 175),
}

# Gaps between consecutive utterances, and the client overlaps, in seconds.
GAP_RANGE = (0.25, 0.9)
OVERLAP_PROBABILITY = 0.1
OVERLAP_RANGE = (0.3, 0.8)
TAIL_SECONDS = 0.5

# About 20 s in the therapist's voice: neutral, written for this purpose (not from AnnoMI),
# different from any session text so an enrolment never contains the session's words.
ENROLMENT_TEXT = (
    "Good morning, and thank you for joining me today. Before we begin, I would like to "
    "check that the sound is clear on your side and that you are somewhere comfortable "
    "and private. We will have about fifty minutes together. If anything on the screen "
    "freezes or the audio drops, just let me know and we can pause for a moment. Shall "
    "we get started?"
)

_BRACKETED = re.compile(r"\[[^\]]*\]")
_FRAME = SAMPLE_RATE // 100  # 10 ms
_TRIM_DB = -40.0  # speech is anything within 40 dB of the utterance's loudest frame

Audio = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Turn:
    """One rendered utterance: its speech extent on the session timeline and what was said."""

    start: float
    end: float
    role: str
    text: str


@dataclass(frozen=True, eq=False)
class RenderedSession:
    """A session's two voices, each alone on the full timeline, and the reference turns.

    The arrays are read-only: cached sessions are shared, and a test that edited one in
    place would corrupt every later test that loads it.
    """

    therapist: Audio
    client: Audio
    turns: tuple[Turn, ...]
    sample_rate: ClassVar[int] = SAMPLE_RATE

    @property
    def seconds(self) -> float:
        return len(self.therapist) / SAMPLE_RATE

    @property
    def mixed(self) -> Audio:
        """Both voices on one track, as a single-microphone or mixed recording would have."""
        return _clipped(self.therapist + self.client)

    def therapist_with_leak(self, gain_db: float = -18.0, delay_ms: float = 80.0) -> Audio:
        """The therapist's microphone with the client echoing in from the therapist's speakers.

        Without echo cancellation a telehealth therapist's mic picks up the client's voice
        from the loudspeakers, late and quieter: attributing by track alone then hears the
        client on the therapist's track.
        """
        if delay_ms < 0:
            raise ValueError("delay_ms must be >= 0")
        delay = round(delay_ms * SAMPLE_RATE / 1000)
        gain = np.float32(10.0 ** (gain_db / 20.0))
        leak = np.zeros_like(self.client)
        if delay < len(leak):
            leak[delay:] = self.client[: len(leak) - delay] * gain
        return _clipped(self.therapist + leak)

    def rttm(self, uri: str) -> str:
        """The reference turns as RTTM, one ``SPEAKER`` line per turn, speaker = role."""
        if not uri or any(c.isspace() for c in uri):
            raise ValueError("RTTM uri must be non-empty and contain no whitespace")
        return "".join(
            f"SPEAKER {uri} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.role} <NA> <NA>\n"
            for t in self.turns
        )

    def role_at(self, start: float, end: float) -> str | None:
        """The role that speaks most of ``[start, end]`` (seconds), None in silence."""
        best, role = 0.0, None
        for t in self.turns:
            overlap = min(end, t.end) - max(start, t.start)
            if overlap > best:
                best, role = overlap, t.role
        return role

    def annotation(self, uri: str | None = None) -> Annotation:
        """The reference turns as a ``pyannote.core.Annotation`` labelled by role."""
        from pyannote.core import Annotation, Segment

        ann = Annotation(uri=uri)
        for i, t in enumerate(self.turns):
            ann[Segment(t.start, t.end), str(i)] = t.role
        return ann


def render_voice(text: str, role: str) -> Audio:
    """One utterance in ``role``'s voice: 16 kHz mono float32, trimmed to its speech."""
    spoken = _spoken_text(text)
    audio = _trim(_synthesize(spoken, _voice(role))) if spoken else _empty()
    if audio.size == 0:
        raise ValueError("text renders to no speech")
    return _readonly(audio)


def render_session(
    transcript_id: int,
    *,
    max_seconds: float = 120.0,
    seed: int = 0,
    cache_dir: Path | None = None,
) -> RenderedSession:
    """The first utterances of an AnnoMI transcript, rendered, up to ``max_seconds`` of audio.

    Utterances are taken in order while the session (its speech and a 0.5 s silent tail)
    still fits in ``max_seconds``, so the audio is at most that long and ends where the
    conversation does; the first utterance is always taken, even if longer. Utterances with
    nothing to say once bracketed annotations ("[chuckles]") are removed are skipped.
    ``cache_dir`` overrides ``$COMPANION_RENDER_CACHE``.
    """
    if max_seconds <= 0:
        raise ValueError("max_seconds must be > 0")
    path = _cache_dir(cache_dir) / f"{_cache_key(transcript_id, max_seconds, seed)}.npz"
    if path.is_file():
        return _load(path)
    session = _render(transcript_id, max_seconds, seed)
    _save(session, path)
    return session


def session_ids(n: int, *, min_utterances: int = 30) -> list[int]:
    """``n`` AnnoMI transcripts with at least ``min_utterances``, spread evenly over the set.

    The eligible ids in order are cut into ``n`` equal bins and the middle of each is taken,
    so the choice covers the corpus (its topics and MI quality vary along it) and is stable.
    """
    eligible = sorted(i for i, rows in _transcripts().items() if len(rows) >= min_utterances)
    if n > len(eligible):
        raise ValueError(f"only {len(eligible)} transcripts have >= {min_utterances} utterances")
    return [eligible[(2 * k + 1) * len(eligible) // (2 * n)] for k in range(max(n, 0))]


def annomi_csv() -> Path:
    root = Path(os.environ.get("COMPANION_TESTDATA", ROOT.parent / "shared" / "testdata"))
    return root / "therapy" / "annomi" / "AnnoMI-simple.csv"


# --- rendering ---------------------------------------------------------------------------


def _render(transcript_id: int, max_seconds: float, seed: int) -> RenderedSession:
    rows = _transcripts().get(transcript_id)
    if rows is None:
        raise KeyError(f"no AnnoMI transcript {transcript_id}")
    rng = np.random.default_rng([seed, transcript_id])
    placed: list[tuple[int, str, str, Audio]] = []  # start sample, role, text, audio
    cursor = 0  # end of the latest speech so far, in samples
    previous: tuple[str, int, int] | None = None  # role, start, end of the last utterance
    limit = int(max_seconds * SAMPLE_RATE) - int(TAIL_SECONDS * SAMPLE_RATE)
    for role, text in rows:
        # Draw the same numbers for every utterance, so the timeline of one doesn't depend
        # on whether an earlier one was skipped for having no speech.
        gap, overlap_draw, overlap = (
            rng.uniform(*GAP_RANGE),
            rng.random(),
            rng.uniform(*OVERLAP_RANGE),
        )
        spoken = _spoken_text(text)
        audio = _trim(_synthesize(spoken, _voice(role))) if spoken else _empty()
        if audio.size == 0:
            continue
        start = cursor + int(gap * SAMPLE_RATE)
        if (
            previous is not None
            and role == CLIENT
            and previous[0] == THERAPIST
            and overlap_draw < OVERLAP_PROBABILITY
            and previous[2] - previous[1] >= 2 * overlap * SAMPLE_RATE
        ):
            start = previous[2] - int(overlap * SAMPLE_RATE)
        end = start + len(audio)
        if placed and end > limit:
            break
        placed.append((start, role, spoken, audio))
        previous = (role, start, end)
        cursor = max(cursor, end)
    total = cursor + int(TAIL_SECONDS * SAMPLE_RATE)
    tracks = {THERAPIST: np.zeros(total, np.float32), CLIENT: np.zeros(total, np.float32)}
    turns: list[Turn] = []
    for start, role, text, audio in placed:
        tracks[role][start : start + len(audio)] += audio
        turns.append(Turn(start / SAMPLE_RATE, (start + len(audio)) / SAMPLE_RATE, role, text))
    turns.sort(key=lambda t: (t.start, t.end))
    return RenderedSession(_readonly(tracks[THERAPIST]), _readonly(tracks[CLIENT]), tuple(turns))


def _voice(role: str) -> Voice:
    try:
        return VOICES[role]
    except KeyError:
        raise ValueError(f"unknown role {role!r}; expected one of {sorted(VOICES)}") from None


def _spoken_text(text: str) -> str:
    """What is said: bracketed annotations ("[chuckles]", "[crosstalk]") are not speech."""
    return " ".join(_BRACKETED.sub(" ", text).replace("[", " ").replace("]", " ").split())


def _synthesize(text: str, voice: Voice) -> Audio:
    # The text goes on stdin, never through a shell or argv: no quoting, no option injection.
    proc = subprocess.run(
        [ESPEAK, "-v", voice.name, "-s", str(voice.wpm), "--stdin", "--stdout"],
        input=text.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        # espeak's stderr never echoes the input text, only its own diagnostics.
        raise RuntimeError(f"espeak-ng failed ({proc.returncode}): {proc.stderr[:200]!r}")
    audio, rate = sf.read(io.BytesIO(proc.stdout), dtype="float32", always_2d=False)
    if audio.ndim != 1:
        audio = audio.mean(axis=1)
    return np.asarray(soxr.resample(audio, rate, SAMPLE_RATE), dtype=np.float32)


def _trim(audio: Audio) -> Audio:
    """``audio`` cut to its first and last 10 ms frame within 40 dB of its loudest frame."""
    frames = len(audio) // _FRAME
    if frames == 0:
        return _empty()
    rms = np.sqrt(np.mean(audio[: frames * _FRAME].reshape(frames, _FRAME) ** 2, axis=1))
    peak = float(rms.max())
    if peak < 1e-4:
        return _empty()
    active = np.flatnonzero(rms >= peak * 10.0 ** (_TRIM_DB / 20.0))
    return audio[active[0] * _FRAME : (active[-1] + 1) * _FRAME].copy()


def _clipped(audio: Audio) -> Audio:
    out: Audio = np.clip(audio, -1.0, 1.0).astype(np.float32)
    return out


def _empty() -> Audio:
    return np.zeros(0, np.float32)


def _readonly(audio: Audio) -> Audio:
    audio.setflags(write=False)
    return audio


@functools.cache
def _transcripts() -> dict[int, list[tuple[str, str]]]:
    """Each AnnoMI transcript's utterances in order, as (role, text)."""
    path = annomi_csv()
    if not path.is_file():
        raise FileNotFoundError(f"AnnoMI not found at {path}; set COMPANION_TESTDATA")
    rows: dict[int, list[tuple[int, str, str]]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows.setdefault(int(row["transcript_id"]), []).append(
                (int(row["utterance_id"]), row["interlocutor"], row["utterance_text"])
            )
    return {tid: [(role, text) for _, role, text in sorted(items)] for tid, items in rows.items()}


# --- cache -------------------------------------------------------------------------------


def _cache_dir(override: Path | None) -> Path:
    if override is not None:
        return override
    return Path(os.environ.get("COMPANION_RENDER_CACHE", ROOT / ".cache" / "renders"))


@functools.cache
def _espeak_version() -> str:
    out = subprocess.run([ESPEAK, "--version"], capture_output=True, check=True, text=True)
    return out.stdout.strip()


def _cache_key(transcript_id: int, max_seconds: float, seed: int) -> str:
    spec = {
        "format": FORMAT_VERSION,
        "transcript": transcript_id,
        "max_seconds": float(max_seconds),
        "seed": seed,
        "voices": {role: [v.name, v.wpm] for role, v in sorted(VOICES.items())},
        "espeak": _espeak_version(),
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:20]
    return f"annomi-{transcript_id}-{digest}"


def _save(session: RenderedSession, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    turns = session.turns
    # Written to a temporary file and renamed: a concurrent reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(
                f,
                therapist=session.therapist,
                client=session.client,
                starts=np.array([t.start for t in turns], np.float64),
                ends=np.array([t.end for t in turns], np.float64),
                roles=np.array([t.role for t in turns], np.str_),
                texts=np.array([t.text for t in turns], np.str_),
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(path: Path) -> RenderedSession:
    with np.load(path, allow_pickle=False) as data:
        turns = tuple(
            Turn(float(s), float(e), str(r), str(t))
            for s, e, r, t in zip(
                data["starts"], data["ends"], data["roles"], data["texts"], strict=True
            )
        )
        return RenderedSession(
            _readonly(data["therapist"].astype(np.float32)),
            _readonly(data["client"].astype(np.float32)),
            turns,
        )


__all__ = [
    "CLIENT",
    "ENROLMENT_TEXT",
    "SAMPLE_RATE",
    "THERAPIST",
    "VOICES",
    "RenderedSession",
    "Turn",
    "Voice",
    "render_session",
    "render_voice",
    "session_ids",
]
