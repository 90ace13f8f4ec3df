"""Leakage detection on real speech: the client heard through the therapist's microphone.

Sessions are built from real recordings: LibriSpeech speaker 1089 (male) is the client,
LJ Speech (female, resampled to 16 kHz) the therapist. They take turns with gaps, and
twice the therapist talks over the client (double talk). The therapist's track is their
own speech (6 dB quieter than the client's, to make double talk harder), the client's
track delayed and attenuated (optionally through a reverberant room), and slowly
fluctuating pink room noise at -55 dBFS; the client's track has its own faint noise.

Words are energy-based word-sized pieces of each utterance on the session clock, grouped
into one segment per utterance, the way the transcriber hands them over.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from companion.errors import AudioFormatError, ConfigError
from diarization.leakage import LeakageConfig, LeakageDetector

SR = 16_000
TESTDATA = Path(
    os.environ.get("COMPANION_TESTDATA", Path(__file__).parents[3] / "shared" / "testdata")
)
LIBRI = TESTDATA / "asr" / "librispeech-1089" / "LibriSpeech" / "test-clean" / "1089"
LJ = TESTDATA / "asr" / "ljspeech" / "wavs"

# (speaker, recording, session second it starts at)
LAYOUT = [
    ("therapist", "LJ001-0002", 0.5),
    ("client", "134686/1089-134686-0001", 2.9),
    ("therapist", "LJ001-0004", 6.7),
    ("client", "134686/1089-134686-0000", 12.3),
    ("therapist", "LJ001-0008", 16.0),  # a remark over the client: double talk
    ("therapist", "LJ001-0006", 23.2),
    ("client", "134691/1089-134691-0001", 29.4),
    ("therapist", "LJ001-0009", 32.4),  # starts 2.4 s before the client ends
    ("client", "134691/1089-134691-0000", 40.5),
    ("therapist", "LJ001-0001", 43.1),
]
LENGTH_S = 53.5
VOICED = 1e-5  # -50 dBFS: a clean frame above this has speech in it

DELAYS_MS = [20, 80, 150]
GAINS_DB = [-25, -18, -12]
GRID = [
    pytest.param(d, g, reverb, id=f"{d}ms{g}dB{'-reverb' if reverb else ''}")
    for reverb in (False, True)
    for d in DELAYS_MS
    for g in GAINS_DB
]


@dataclass(frozen=True)
class Word:
    speaker: str
    start: float
    end: float


@dataclass(frozen=True)
class Session:
    therapist: np.ndarray  # the therapist's microphone: own speech + leak + room noise
    client: np.ndarray  # the call tab
    segments: list[list[Word]]  # one per utterance, in time order
    therapist_voiced: np.ndarray  # per 10 ms frame, from the clean signals
    client_voiced: np.ndarray

    @property
    def words(self) -> list[Word]:
        return sorted((w for seg in self.segments for w in seg), key=lambda w: w.start)

    def therapist_near(self, start: float, end: float) -> bool:
        return bool(self.therapist_voiced[_frame(start) : _frame(end)].any())

    def client_share(self, start: float, end: float) -> float:
        return float(self.client_voiced[_frame(start) : _frame(end)].mean())


def _frame(t: float) -> int:
    return max(round(t * 100), 0)


def _frame_power(x: np.ndarray) -> np.ndarray:
    n = len(x) // 160 * 160
    return np.asarray(np.mean(x[:n].astype(np.float64).reshape(-1, 160) ** 2, axis=1))


@cache
def _utterance(speaker: str, name: str) -> np.ndarray:
    if speaker == "client":
        x, rate = sf.read(LIBRI / f"{name}.flac", dtype="float32")
    else:
        x, rate = sf.read(LJ / f"{name}.wav", dtype="float32")
        x = soxr.resample(x, rate, SR)
    x = np.asarray(x, dtype=np.float64)
    return np.asarray(x * (0.05 / np.sqrt(np.mean(x**2))))  # -26 dBFS


def _word_spans(x: np.ndarray, offset: float) -> list[tuple[float, float]]:
    """Word-sized pieces: voiced runs (gaps under 80 ms bridged) cut into ~0.4 s."""
    voiced = _frame_power(x) > _frame_power(x).mean() / 100
    runs: list[list[int]] = []
    for i in map(int, np.flatnonzero(voiced)):
        if runs and i - runs[-1][1] <= 8:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    spans = []
    for a, b in runs:
        if b - a < 12:
            continue
        edges = np.linspace(a, b, max(1, round((b - a) / 40)) + 1).round().astype(int)
        spans += [(offset + lo / 100, offset + hi / 100) for lo, hi in pairwise(edges)]
    return spans


def _room_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink-ish noise whose level wanders by up to ±4 dB every half second."""
    spec = np.fft.rfft(rng.standard_normal(n))
    spec /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / SR), 20.0))
    noise = np.fft.irfft(spec, n)
    noise /= np.sqrt(np.mean(noise**2))
    knots = np.arange(0, n, SR // 2)
    return noise * 10 ** (np.interp(np.arange(n), knots, rng.uniform(-4, 4, len(knots))) / 20)


def _reverberate(x: np.ndarray, rng: np.random.Generator, rt60: float = 0.2) -> np.ndarray:
    """A small room: direct path plus an exponentially decaying random tail, unit energy."""
    t = np.arange(int(0.3 * SR)) / SR
    h = rng.standard_normal(len(t)) * np.exp(-6.91 * t / rt60)
    h[0] = 3.0
    h /= np.sqrt(np.sum(h**2))
    size = 1 << (len(x) + len(h) - 2).bit_length()
    return np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[: len(x)]


@cache
def build_session(delay_ms: int, gain_db: float | None, reverb: bool = False) -> Session:
    n = int(LENGTH_S * SR)
    clean = {"therapist": np.zeros(n), "client": np.zeros(n)}
    segments = []
    for speaker, name, at in LAYOUT:
        x = _utterance(speaker, name) * (10 ** (-6 / 20) if speaker == "therapist" else 1.0)
        s = int(at * SR)
        clean[speaker][s : s + len(x)] += x
        segments.append([Word(speaker, a, b) for a, b in _word_spans(x, at)])
    rng = np.random.default_rng(1089)
    client = clean["client"] + rng.standard_normal(n) * 10 ** (-65 / 20)
    mic = clean["therapist"] + _room_noise(n, rng) * 10 ** (-55 / 20)
    if gain_db is not None:
        leak = _reverberate(client, rng) if reverb else client
        d = round(delay_ms * SR / 1000)
        mic[d:] += leak[: n - d] * 10 ** (gain_db / 20)
    return Session(
        therapist=mic.astype(np.float32),
        client=client.astype(np.float32),
        segments=segments,
        therapist_voiced=_frame_power(clean["therapist"]) > VOICED,
        client_voiced=_frame_power(clean["client"]) > VOICED,
    )


def detector(session: Session, config: LeakageConfig | None = None) -> LeakageDetector:
    det = LeakageDetector(["therapist", "client"], config)
    det.push("client", 0, session.client)
    det.push("therapist", 0, session.therapist)
    return det


def leaked_copies(session: Session) -> list[Word]:
    """The client's words as they reach the therapist's track, where it is client-only."""
    return [
        w
        for w in session.words
        if w.speaker == "client" and not session.therapist_near(w.start - 0.05, w.end + 0.2)
    ]


def therapist_words(session: Session) -> tuple[list[Word], list[Word]]:
    """The therapist's words: (alone, over the client)."""
    alone, double = [], []
    for w in session.words:
        if w.speaker != "therapist":
            continue
        share = session.client_share(w.start - 0.2, w.end)
        if share == 0.0:
            alone.append(w)
        elif share >= 0.3:
            double.append(w)
    return alone, double


@pytest.fixture(scope="module", autouse=True)
def _testdata(testdata: Path) -> None:
    """Fails early, with the conftest's message, when the recordings are missing."""
    assert LIBRI.is_dir() and LJ.is_dir()


# --- the grid: delay × gain, dry and reverberant ----------------------------------------


@pytest.mark.parametrize(("delay_ms", "gain_db", "reverb"), GRID)
def test_client_only_spans_on_the_therapist_track_are_leakage(
    delay_ms: int, gain_db: float, reverb: bool
) -> None:
    session = build_session(delay_ms, gain_db, reverb)
    det = detector(session)
    copies = leaked_copies(session)
    fractions = [det.leaked_fraction("therapist", w.start, w.end) for w in copies]
    assert len(copies) >= 25
    assert all(f is not None for f in fractions)
    flagged = [f is not None and f >= det.config.leak_threshold for f in fractions]
    assert np.mean(flagged) >= 0.9
    assert np.mean([f for f in fractions if f is not None]) >= 0.8


@pytest.mark.parametrize(("delay_ms", "gain_db", "reverb"), GRID)
def test_therapist_speech_is_not_leakage_alone_or_over_the_client(
    delay_ms: int, gain_db: float, reverb: bool
) -> None:
    session = build_session(delay_ms, gain_db, reverb)
    det = detector(session)
    # Ask in time order, the way the live path does: the client-only spans before each
    # double-talk span teach the detector the echo path it then applies there.
    fractions = {w: det.leaked_fraction("therapist", w.start, w.end) for w in session.words}
    alone, double = therapist_words(session)
    assert len(alone) >= 40 and len(double) >= 5
    assert max(fractions[w] or 0.0 for w in alone) < 0.3
    assert max(fractions[w] or 0.0 for w in double) < det.config.leak_threshold


@pytest.mark.parametrize(("delay_ms", "gain_db", "reverb"), GRID)
def test_the_client_track_is_never_leakage(delay_ms: int, gain_db: float, reverb: bool) -> None:
    session = build_session(delay_ms, gain_db, reverb)
    det = detector(session)
    for w in session.words:
        fraction = det.leaked_fraction("client", w.start, w.end)
        assert fraction is None or fraction < 0.1
    assert det.echo_path("client", "therapist") is None


@pytest.mark.parametrize(("delay_ms", "gain_db", "reverb"), GRID)
def test_filter_words_drops_the_duplicates_and_keeps_the_therapist(
    delay_ms: int, gain_db: float, reverb: bool
) -> None:
    """Each utterance, as the therapist track's transcriber would hand it over."""
    session = build_session(delay_ms, gain_db, reverb)
    det = detector(session)
    kept: list[Word] = []
    dropped = 0
    for segment in session.segments:
        k, d = det.filter_words("therapist", segment)
        kept += k
        dropped += d
        assert len(k) + d == len(segment)
    ours = [w for w in session.words if w.speaker == "therapist"]
    assert [w for w in kept if w.speaker == "therapist"] == ours
    copies = set(leaked_copies(session))
    assert sum(w in copies for w in kept) <= 0.1 * len(copies)
    assert dropped >= 0.9 * len(copies)
    # and the client's own words all stay on the client's track
    for segment in session.segments:
        if segment[0].speaker == "client":
            assert det.filter_words("client", segment) == (segment, 0)


@pytest.mark.parametrize(("delay_ms", "gain_db", "reverb"), GRID)
def test_the_echo_path_is_estimated(delay_ms: int, gain_db: float, reverb: bool) -> None:
    session = build_session(delay_ms, gain_db, reverb)
    det = detector(session)
    for w in leaked_copies(session):
        det.leaked_fraction("therapist", w.start, w.end)
    path = det.echo_path("therapist", "client")
    assert path is not None
    # frames are 10 ms; the room's tail pulls the envelope's peak a little later
    assert delay_ms / 1000 - 0.011 <= path.delay_s <= delay_ms / 1000 + (0.025 if reverb else 0.011)
    # a low quantile of the power ratio: at or a few dB under the true gain
    assert gain_db - 6 <= path.gain_db <= gain_db + 1


# --- no leak, same level, one track ---------------------------------------------------


def test_without_a_leak_nothing_is_leakage() -> None:
    session = build_session(80, None)
    det = detector(session)
    for w in session.words:
        for track in ("therapist", "client"):
            fraction = det.leaked_fraction(track, w.start, w.end)
            assert fraction is not None and fraction < 0.1
    for segment in session.segments:
        assert det.filter_words("therapist", segment)[1] == 0
    assert det.echo_path("therapist", "client") is None
    assert det.echo_path("client", "therapist") is None


def test_of_two_tracks_with_the_same_audio_at_the_same_level_the_later_one_is_the_leak() -> None:
    session = build_session(80, None)
    d = round(0.08 * SR)
    copy = np.zeros_like(session.client)
    copy[d:] = session.client[:-d]
    det = LeakageDetector()
    det.push("client", 0, session.client)
    det.push("copy", 0, copy)
    words = [w for w in session.words if w.speaker == "client"]
    assert np.mean([det.is_leak("copy", w.start, w.end) for w in words]) >= 0.9
    assert not any(det.is_leak("client", w.start, w.end) for w in words)
    path = det.echo_path("copy", "client")
    assert path is not None and abs(path.delay_s - 0.08) <= 0.011


def test_a_single_track_is_never_leakage() -> None:
    session = build_session(80, -12)
    det = LeakageDetector()
    det.push("therapist", 0, session.therapist)
    assert det.covered_until("therapist") == math.inf
    for w in leaked_copies(session):
        assert det.leaked_fraction("therapist", w.start, w.end) is None
        assert not det.is_leak("therapist", w.start, w.end)
    words = session.segments[1]
    assert det.filter_words("therapist", words) == (words, 0)
    assert det.leaked_fraction("nobody", 1.0, 2.0) is None


# --- streaming: chunks, late starts, gaps, coverage, history ----------------------------


def test_chunked_pushes_of_odd_sizes_give_the_same_results_as_one_push() -> None:
    session = build_session(80, -18, reverb=True)
    whole = detector(session)
    chunked = LeakageDetector(["therapist", "client"])
    rng = np.random.default_rng(7)
    pos = {"therapist": 0, "client": 0}
    audio = {"therapist": session.therapist, "client": session.client}
    while any(pos[t] < len(audio[t]) for t in pos):
        for track in ("client", "therapist"):
            size = int(rng.integers(1, 1500))
            chunk = audio[track][pos[track] : pos[track] + size]
            if chunk.size:
                chunked.push(track, pos[track], chunk)
            pos[track] += size
    for w in session.words:
        for track in ("therapist", "client"):
            assert chunked.leaked_fraction(track, w.start, w.end) == whole.leaked_fraction(
                track, w.start, w.end
            )
    assert chunked.echo_path("therapist", "client") == whole.echo_path("therapist", "client")


def test_tracks_may_start_at_different_unaligned_times() -> None:
    session = build_session(80, -18)
    joined = 12_345 + 50 * 160 * 7  # client joins at 3.57 s, mid-frame
    det = LeakageDetector(["therapist", "client"])
    det.push("therapist", 0, session.therapist)
    det.push("client", joined, session.client[joined:])
    copies = leaked_copies(session)
    before = [w for w in copies if w.end < joined / SR - 0.3]
    after = [w for w in copies if w.start > joined / SR + 1.0]
    assert before and len(after) >= 20
    assert all(det.leaked_fraction("therapist", w.start, w.end) is None for w in before)
    assert np.mean([det.is_leak("therapist", w.start, w.end) for w in after]) >= 0.9


def test_missing_audio_is_absent_not_silent() -> None:
    session = build_session(80, -18)
    det = LeakageDetector(["therapist", "client"])
    det.push("therapist", 0, session.therapist)
    # nothing from the client yet: nothing to decide on
    w = leaked_copies(session)[0]
    assert det.leaked_fraction("therapist", w.start, w.end) is None
    # the client's audio with a gap over 12-20 s (a dropped connection)
    gap = (12 * SR, 20 * SR)
    det.push("client", 0, session.client[: gap[0]])
    det.push("client", gap[1], session.client[gap[1] :])
    in_gap = [w for w in leaked_copies(session) if w.start >= 12.5 and w.end <= 19.5]
    after = [w for w in leaked_copies(session) if w.start >= 21.0]
    assert in_gap and after
    assert all(det.leaked_fraction("therapist", w.start, w.end) is None for w in in_gap)
    assert np.mean([det.is_leak("therapist", w.start, w.end) for w in after]) >= 0.9


def test_covered_until_is_where_every_other_track_has_arrived() -> None:
    det = LeakageDetector(["therapist", "client"])
    assert det.covered_until("therapist") == 0.0  # the client is expected but silent
    det.push("client", 0, np.zeros(3 * SR + 80, dtype=np.float32))
    det.push("therapist", 0, np.zeros(SR, dtype=np.float32))
    assert det.covered_until("therapist") == pytest.approx(3.005)
    assert det.covered_until("client") == pytest.approx(1.0)
    det.push("observer", 0, np.zeros(SR // 2, dtype=np.float32))
    assert det.covered_until("therapist") == pytest.approx(0.5)
    # a span the other track has not reached yet is undecided
    session = build_session(80, -18)
    det = LeakageDetector(["therapist", "client"])
    det.push("therapist", 0, session.therapist)
    det.push("client", 0, session.client[: 5 * SR])
    w = leaked_copies(session)[0]  # in 3-5 s
    late = next(x for x in leaked_copies(session) if x.start > 6)
    assert det.leaked_fraction("therapist", late.start, late.end) is None
    assert det.covered_until("therapist") >= w.end + det.config.max_delay_s
    assert det.is_leak("therapist", w.start, w.end)


def test_history_is_bounded() -> None:
    session = build_session(80, -18)
    det = detector(session, LeakageConfig(history_s=20.0))
    copies = leaked_copies(session)
    old = [w for w in copies if w.end < LENGTH_S - 21]
    recent = [w for w in copies if w.start > LENGTH_S - 19]
    assert old and recent
    assert all(det.leaked_fraction("therapist", w.start, w.end) is None for w in old)
    assert all(det.is_leak("therapist", w.start, w.end) for w in recent)
    for env in det._tracks.values():
        assert env._ring.size == 2000


# --- cost and contracts -------------------------------------------------------------


def test_a_decision_is_cheap() -> None:
    session = build_session(80, -18, reverb=True)
    det = detector(session)
    timings = []
    for k in range(100):
        start = 2.0 + (k * 0.37) % 40
        t0 = time.perf_counter()
        det.leaked_fraction("therapist", start, start + 10.0)
        timings.append(time.perf_counter() - t0)
    # about 1 ms on a laptop core; generous for loaded CI machines
    assert float(np.median(timings)) < 0.01


def test_words_of_any_timed_type_are_filtered_in_order() -> None:
    session = build_session(20, -12)
    det = detector(session)
    words = [w for seg in session.segments[:3] for w in seg]
    kept, dropped = det.filter_words("therapist", words)
    assert kept == [w for w in words if w in kept]
    assert dropped == len(words) - len(kept) > 0
    assert det.filter_words("therapist", []) == ([], 0)


def test_bad_input_and_config_are_refused() -> None:
    det = LeakageDetector()
    with pytest.raises(AudioFormatError):
        det.push("therapist", 0, np.zeros((10, 2), dtype=np.float32))
    with pytest.raises(AudioFormatError):
        det.push("therapist", -1, np.zeros(10, dtype=np.float32))
    with pytest.raises(ConfigError):
        LeakageConfig(frame_s=0.00001)
    with pytest.raises(ConfigError):
        LeakageConfig(history_s=1.0)
    with pytest.raises(ConfigError):
        LeakageConfig(leak_threshold=0.0)


def test_a_resent_overlap_is_ignored() -> None:
    session = build_session(80, -18)
    once = detector(session)
    twice = LeakageDetector(["therapist", "client"])
    twice.push("client", 0, session.client[: 10 * SR])
    twice.push("client", 9 * SR, session.client[9 * SR :])  # one second sent again
    twice.push("therapist", 0, session.therapist)
    for w in leaked_copies(session)[:10]:
        assert twice.leaked_fraction("therapist", w.start, w.end) == once.leaked_fraction(
            "therapist", w.start, w.end
        )
