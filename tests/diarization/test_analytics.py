"""Talk analytics on hand-computable sessions."""

from __future__ import annotations

import json

import pytest

from diarization.analytics import TalkAnalytics, Utterance, compute_talk_analytics

T, C = "therapist", "client"


def u(start: float, end: float, role: str, words: int = 0) -> Utterance:
    return Utterance(start, end, role, words)


def test_client_takes_the_floor() -> None:
    a = compute_talk_analytics([u(0, 10, T, 20), u(9.5, 15, C, 10)])
    t, c = a.roles[T], a.roles[C]
    assert t.talk_seconds == 10 and c.talk_seconds == 5.5
    assert a.total_talk_seconds == 15.5 and a.speech_seconds == 15
    assert t.share == pytest.approx(10 / 15.5) and c.share == pytest.approx(5.5 / 15.5)
    assert t.turns == c.turns == 1
    assert t.words == 20 and c.words == 10
    assert t.words_per_minute == pytest.approx(120.0)
    assert c.words_per_minute == pytest.approx(10 / 5.5 * 60)  # 109.09
    assert a.therapist_client_ratio == pytest.approx(10 / 5.5)
    assert a.overlap_seconds == pytest.approx(0.5) and a.overlap_count == 1
    assert a.interruptions == 1 and c.interruptions == 1 and t.interruptions == 0
    assert a.backchannels == 0
    assert a.longest_silence_seconds == 0 and a.longest_silence_start is None


def test_to_dict_is_json_and_rounded() -> None:
    a = compute_talk_analytics([u(0, 10, T, 20), u(9.5, 15, C, 10), u(17, 18, T, 2)])
    d = json.loads(json.dumps(a.to_dict()))
    assert list(d["roles"]) == [T, C]
    assert d["roles"][C] == {
        "talk_seconds": 5.5,
        "share": 0.333,  # 5.5 / 16.5
        "turns": 1,
        "words": 10,
        "words_per_minute": 109.1,
        "interruptions": 1,
        "backchannels": 0,
    }
    assert d["roles"][T]["turns"] == 2 and d["roles"][T]["words_per_minute"] == 120.0
    assert d["therapist_client_ratio"] == 2.0  # 11 / 5.5
    assert d["overlap_seconds"] == 0.5 and d["overlap_count"] == 1
    assert d["longest_silence_seconds"] == 2.0 and d["longest_silence_start"] == 15.0


def test_empty_input() -> None:
    a = compute_talk_analytics([])
    assert isinstance(a, TalkAnalytics)
    assert dict(a.roles) == {}
    assert a.total_talk_seconds == a.speech_seconds == a.overlap_seconds == 0
    assert a.therapist_client_ratio is None
    assert a.overlap_count == a.interruptions == a.backchannels == 0
    assert a.longest_silence_seconds == 0 and a.longest_silence_start is None
    json.dumps(a.to_dict())
    # A session that ran but where nobody spoke is one long silence.
    quiet = compute_talk_analytics([], session_start=0, session_end=60)
    assert quiet.longest_silence_seconds == 60 and quiet.longest_silence_start == 0


def test_one_role_only() -> None:
    a = compute_talk_analytics([u(2, 5, T, 6), u(9, 10, T, 3)])
    assert list(a.roles) == [T]
    t = a.roles[T]
    assert t.talk_seconds == 4 and t.share == 1.0 and t.turns == 1
    assert t.words_per_minute == pytest.approx(9 / 4 * 60)
    assert a.therapist_client_ratio is None
    assert a.overlap_seconds == 0 and a.interruptions == 0
    assert a.longest_silence_seconds == 4 and a.longest_silence_start == 5
    d = a.to_dict()
    assert d["therapist_client_ratio"] is None


def test_backchannel_is_not_an_interruption() -> None:
    a = compute_talk_analytics(
        [u(0, 10, T, 25), u(4, 4.5, C, 1), u(11, 20, C, 20), u(19.9, 25, T, 10)]
    )
    t, c = a.roles[T], a.roles[C]
    assert c.backchannels == 1 and c.interruptions == 0
    # The therapist starting 0.1 s before the client stops is a change of turn, not an
    # interruption (overlap under 0.2 s), nor a backchannel (it outlasts the client).
    assert t.interruptions == 0 and t.backchannels == 0
    assert a.interruptions == 0 and a.backchannels == 1
    assert a.overlap_count == 2 and a.overlap_seconds == pytest.approx(0.6)
    # Turns in start order T, C, C, T: the backchannel and the client's next utterance
    # are one client turn.
    assert t.turns == 2 and c.turns == 1
    # With a lower threshold the therapist's early start counts as taking the floor.
    low = compute_talk_analytics(
        [u(0, 10, T), u(4, 4.5, C), u(11, 20, C), u(19.9, 25, T)],
        interruption_min_overlap=0.05,
    )
    assert low.roles[T].interruptions == 1 and low.interruptions == 1


def test_backchannel_between_therapist_utterances_counts_as_turns() -> None:
    a = compute_talk_analytics([u(0, 5, T), u(3, 3.4, C), u(5.5, 9, T)])
    assert a.roles[T].turns == 2 and a.roles[C].turns == 1
    assert a.backchannels == 1 and a.interruptions == 0


def test_one_roles_overlapping_segments_are_not_double_counted() -> None:
    a = compute_talk_analytics([u(0, 6, T, 10), u(4, 10, T, 10), u(10, 12, T, 4), u(11, 16, C, 10)])
    t = a.roles[T]
    assert t.talk_seconds == 12  # union 0-12, not 6 + 6 + 2
    assert t.turns == 1 and t.words == 24
    assert t.words_per_minute == pytest.approx(24 / 12 * 60)
    # Self-overlap is not overlap; the client over the therapist's merged run is.
    assert a.overlap_seconds == pytest.approx(1.0) and a.overlap_count == 1
    # The client started inside the therapist's run 0-12 (not merely inside 10-12) and
    # outlasted it: one interruption, and the therapist's own overlapping segments none.
    assert a.roles[C].interruptions == 1 and t.interruptions == 0 and t.backchannels == 0


def test_explicit_session_bounds_extend_the_longest_silence() -> None:
    speech = [u(30, 40, T, 20), u(45, 50, C, 10)]
    a = compute_talk_analytics(speech)
    assert a.longest_silence_seconds == 5 and a.longest_silence_start == 40
    lead = compute_talk_analytics(speech, session_start=0)
    assert lead.longest_silence_seconds == 30 and lead.longest_silence_start == 0
    tail = compute_talk_analytics(speech, session_start=25, session_end=90)
    assert tail.longest_silence_seconds == 40 and tail.longest_silence_start == 50
    # Talk figures don't depend on the window.
    assert tail.roles[T].talk_seconds == 10 and tail.total_talk_seconds == 15


def test_three_roles_and_overlap_stretches() -> None:
    a = compute_talk_analytics(
        [u(0, 10, T), u(2, 6, C), u(4, 8, "participant-2"), u(12, 14, C), u(13, 15, T)]
    )
    assert list(a.roles) == [T, C, "participant-2"]
    # Two or more at once: 2-8 (one stretch though the third voice joins), then 13-14.
    assert a.overlap_count == 2 and a.overlap_seconds == pytest.approx(7.0)
    # The client under the therapist is a backchannel. The participant is under the
    # therapist too, but took the floor from the client (4-8 over 2-6): taking the floor
    # from anyone outranks talking under someone else.
    assert a.roles[C].backchannels == 1 and a.backchannels == 1
    assert a.roles["participant-2"].interruptions == 1
    assert a.roles[T].interruptions == 1  # 13-15 over the client's 12-14
    assert a.interruptions == 2
    assert a.therapist_client_ratio == pytest.approx(12 / 6)


def test_invalid_input() -> None:
    with pytest.raises(ValueError, match="utterance 1"):
        compute_talk_analytics([u(0, 1, T), u(3, 2, C)])
    with pytest.raises(ValueError):
        compute_talk_analytics([u(0, 1, T, -1)])
    with pytest.raises(ValueError):
        compute_talk_analytics([], session_start=10, session_end=5)
