"""The rendered AnnoMI sessions that the diarization tests and benchmarks take as ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks import sessions
from benchmarks.sessions import (
    CLIENT,
    ENROLMENT_TEXT,
    SAMPLE_RATE,
    THERAPIST,
    RenderedSession,
    render_session,
    render_voice,
    session_ids,
)

SECONDS = 40.0


@pytest.fixture(scope="module")
def session() -> RenderedSession:
    return render_session(session_ids(1)[0], max_seconds=SECONDS)


def _span(t: sessions.Turn) -> slice:
    return slice(round(t.start * SAMPLE_RATE), round(t.end * SAMPLE_RATE))


def _overlaps(session: RenderedSession) -> list[tuple[float, float]]:
    turns = session.turns
    return [
        (b.start, min(a.end, b.end))
        for i, a in enumerate(turns)
        for b in turns[i + 1 :]
        if b.role != a.role and b.start < a.end
    ]


def test_tracks_and_turns_line_up(session: RenderedSession) -> None:
    assert session.therapist.dtype == session.client.dtype == np.float32
    assert session.therapist.shape == session.client.shape == session.mixed.shape
    assert session.sample_rate == SAMPLE_RATE
    assert 20.0 < session.seconds <= SECONDS
    assert {t.role for t in session.turns} == {THERAPIST, CLIENT}
    assert list(session.turns) == sorted(session.turns, key=lambda t: (t.start, t.end))
    for t in session.turns:
        assert 0.0 <= t.start < t.end <= session.seconds
        assert t.text and "[" not in t.text
    assert np.abs(session.mixed).max() <= 1.0


def test_each_turn_is_in_its_own_track_only(session: RenderedSession) -> None:
    tracks = {THERAPIST: session.therapist, CLIENT: session.client}
    for t in session.turns:
        own = tracks[t.role][_span(t)]
        assert np.sqrt(np.mean(own**2)) > 0.01
        # Speech starts and ends at the turn's edges: trimmed, not padded with silence.
        edge = SAMPLE_RATE // 100
        assert np.abs(own[:edge]).max() > 1e-3 and np.abs(own[-edge:]).max() > 1e-3
    for role, track in tracks.items():
        mask = np.zeros(len(track), bool)
        for t in session.turns:
            if t.role == role:
                mask[_span(t)] = True
        assert np.abs(track[~mask]).max() < 1e-6, role


def test_some_sessions_have_client_overlap() -> None:
    found = [
        ov for tid in session_ids(6) for ov in _overlaps(render_session(tid, max_seconds=120.0))
    ]
    assert found
    for start, end in found:
        assert 0.0 < end - start <= 0.8 + 1e-6


def test_leak_is_the_client_delayed_and_attenuated(session: RenderedSession) -> None:
    delay_ms, gain_db = 80.0, -18.0
    leak = session.therapist_with_leak(gain_db=gain_db, delay_ms=delay_ms)
    assert leak.shape == session.therapist.shape and leak.dtype == np.float32
    residual = (leak - session.therapist).astype(np.float64)
    client = session.client.astype(np.float64)
    # Cross-correlation over lags 0..300 ms peaks at the delay.
    n = 1 << (2 * len(client) - 1).bit_length()
    xcorr = np.fft.irfft(np.fft.rfft(residual, n) * np.conj(np.fft.rfft(client, n)), n)
    lags = xcorr[: int(0.3 * SAMPLE_RATE)]
    delay = round(delay_ms * SAMPLE_RATE / 1000)
    assert int(np.argmax(lags)) == delay
    # And at that lag the leak is the client, scaled by the gain.
    delayed = np.zeros_like(client)
    delayed[delay:] = client[:-delay]
    gain = np.dot(residual, delayed) / np.dot(delayed, delayed)
    assert gain == pytest.approx(10 ** (gain_db / 20), rel=1e-3)
    client_only = np.ones(len(client), bool)
    for t in session.turns:
        if t.role == THERAPIST:
            client_only[_span(t)] = False
    client_only &= np.abs(delayed) > 0
    c = np.corrcoef(leak[client_only], delayed[client_only])[0, 1]
    assert c > 0.999


def test_rttm_and_annotation(session: RenderedSession) -> None:
    lines = session.rttm("annomi-x").splitlines()
    assert len(lines) == len(session.turns)
    for line, turn in zip(lines, session.turns, strict=True):
        f = line.split()
        assert len(f) == 10
        assert f[0] == "SPEAKER" and f[1] == "annomi-x" and f[2] == "1"
        assert f[5] == f[6] == f[8] == f[9] == "<NA>"
        assert f[7] == turn.role
        assert float(f[3]) == pytest.approx(turn.start, abs=1e-3)
        assert float(f[4]) == pytest.approx(turn.end - turn.start, abs=2e-3)
    with pytest.raises(ValueError):
        session.rttm("has space")
    ann = session.annotation("annomi-x")
    assert set(ann.labels()) == {THERAPIST, CLIENT}
    expected = sum(t.end - t.start for t in session.turns if t.role == CLIENT)
    assert ann.label_duration(CLIENT) == pytest.approx(expected)


def test_cache_hit_returns_identical_arrays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: RenderedSession
) -> None:
    monkeypatch.setenv("COMPANION_RENDER_CACHE", str(tmp_path))
    tid = session_ids(1)[0]
    first = render_session(tid, max_seconds=SECONDS)
    assert len(list(tmp_path.glob("*.npz"))) == 1

    def no_synthesis(*args: object, **kwargs: object) -> None:
        raise AssertionError("cache miss")

    monkeypatch.setattr(sessions, "_synthesize", no_synthesis)
    second = render_session(tid, max_seconds=SECONDS)
    assert np.array_equal(first.therapist, second.therapist)
    assert np.array_equal(first.client, second.client)
    assert first.turns == second.turns
    # Deterministic: a fresh render (the module fixture, other cache) matches too.
    assert np.array_equal(first.therapist, session.therapist)
    assert first.turns == session.turns
    assert not second.therapist.flags.writeable
    # A different seed is a different key, and a different timeline.
    monkeypatch.undo()
    monkeypatch.setenv("COMPANION_RENDER_CACHE", str(tmp_path))
    other = render_session(tid, max_seconds=SECONDS, seed=1)
    assert len(list(tmp_path.glob("*.npz"))) == 2
    assert [t.start for t in other.turns] != [t.start for t in first.turns]


def test_render_voice_and_session_ids() -> None:
    enrol = render_voice(ENROLMENT_TEXT, THERAPIST)
    assert enrol.dtype == np.float32 and 15.0 < len(enrol) / SAMPLE_RATE < 25.0
    assert np.array_equal(enrol, render_voice(ENROLMENT_TEXT, THERAPIST))
    with pytest.raises(ValueError):
        render_voice("hello", "narrator")
    with pytest.raises(ValueError):
        render_voice("[laughs]", CLIENT)
    ids = session_ids(5)
    assert ids == session_ids(5) and len(set(ids)) == 5 and ids == sorted(ids)
    assert ids[-1] - ids[0] > 50  # spread across the corpus, not its first five
    assert all(len(sessions._transcripts()[i]) >= 30 for i in ids)
