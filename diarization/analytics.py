"""Talk analytics for the note's Objective section: who talked how much, how fast, over whom.

Pure functions over timed, attributed speech (no audio, no text, no I/O), so the figures are
reproducible from the stored transcript and cannot leak what was said. The input unit is an
``Utterance``: one final transcript segment's speech by one role, with its word count.

Segments of one role may overlap or abut (the recognizer cuts speech where it likes), so
each role's speech is first merged into runs: a role's talk time is the length of the
union of its segments, and interruptions and backchannels are judged run against run, so
a recognizer's cut never looks like someone interrupting themselves.

Definitions:

- talk time of a role: the union of its segments; ``total_talk_seconds`` is the sum over
  roles (person-seconds, so shares add up to 1) and ``speech_seconds`` the union over all
  roles (time anyone is speaking).
- turn: a maximal run of consecutive utterances by one role, in order of start time; a new
  turn starts whenever the role changes (a backchannel inside someone's speech is a turn).
- overlap: time when two or more roles speak at once; ``overlap_count`` counts its maximal
  stretches.
- interruption: a run of role B that starts while role A is speaking (strictly after A's
  run started), overlaps it by at least ``interruption_min_overlap`` seconds, and outlasts
  it: B took the floor. Backchannel: a run of B that starts while A is speaking and ends
  no later than A's run does. A run that starts while A is speaking and outlasts A by
  less than the minimum overlap is an ordinary (slightly early) change of turn.
- longest silence: the longest stretch in [session_start, session_end] with no one
  speaking; the window defaults to first speech start .. last speech end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

THERAPIST = "therapist"
CLIENT = "client"

Interval = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Utterance:
    """One final transcript segment's speech by one role: its extent and its word count."""

    start: float
    end: float
    role: str
    words: int


@dataclass(frozen=True, slots=True)
class RoleTalk:
    """One role's figures. ``words_per_minute`` is None when the role has no talk time."""

    role: str
    talk_seconds: float
    share: float
    turns: int
    words: int
    words_per_minute: float | None
    interruptions: int
    backchannels: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "talk_seconds": round(self.talk_seconds, 2),
            "share": round(self.share, 3),
            "turns": self.turns,
            "words": self.words,
            "words_per_minute": _round(self.words_per_minute, 1),
            "interruptions": self.interruptions,
            "backchannels": self.backchannels,
        }


@dataclass(frozen=True, slots=True)
class TalkAnalytics:
    """The session's talk figures; ``roles`` is ordered by each role's first speech."""

    roles: Mapping[str, RoleTalk]
    total_talk_seconds: float
    speech_seconds: float
    therapist_client_ratio: float | None
    overlap_seconds: float
    overlap_count: int
    interruptions: int
    backchannels: int
    longest_silence_seconds: float
    longest_silence_start: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, rounded to what a note would show (0.01 s, 0.001 share, 0.1 wpm)."""
        return {
            "roles": {name: talk.to_dict() for name, talk in self.roles.items()},
            "total_talk_seconds": round(self.total_talk_seconds, 2),
            "speech_seconds": round(self.speech_seconds, 2),
            "therapist_client_ratio": _round(self.therapist_client_ratio, 2),
            "overlap_seconds": round(self.overlap_seconds, 2),
            "overlap_count": self.overlap_count,
            "interruptions": self.interruptions,
            "backchannels": self.backchannels,
            "longest_silence_seconds": round(self.longest_silence_seconds, 2),
            "longest_silence_start": _round(self.longest_silence_start, 2),
        }


def compute_talk_analytics(
    utterances: Sequence[Utterance],
    *,
    session_start: float | None = None,
    session_end: float | None = None,
    interruption_min_overlap: float = 0.2,
) -> TalkAnalytics:
    """Talk time, shares, turns, speech rate, overlap, interruptions and silence by role."""
    _validate(utterances, session_start, session_end, interruption_min_overlap)
    ordered = sorted(utterances, key=lambda u: (u.start, u.end, u.role))
    names = list(dict.fromkeys(u.role for u in ordered))
    runs = {name: _union((u.start, u.end) for u in ordered if u.role == name) for name in names}
    talk = {name: _length(runs[name]) for name in names}
    total = sum(talk.values())

    turns = dict.fromkeys(names, 0)
    previous: str | None = None
    for u in ordered:
        if u.role != previous:
            turns[u.role] += 1
            previous = u.role

    interrupts = dict.fromkeys(names, 0)
    backchannels = dict.fromkeys(names, 0)
    for name in names:
        others = [run for other in names if other != name for run in runs[other]]
        for run in runs[name]:
            kind = _classify(run, others, interruption_min_overlap)
            if kind == "interruption":
                interrupts[name] += 1
            elif kind == "backchannel":
                backchannels[name] += 1

    roles: dict[str, RoleTalk] = {}
    for name in names:
        words = sum(u.words for u in ordered if u.role == name)
        roles[name] = RoleTalk(
            role=name,
            talk_seconds=talk[name],
            share=talk[name] / total if total > 0 else 0.0,
            turns=turns[name],
            words=words,
            words_per_minute=words / (talk[name] / 60.0) if talk[name] > 0 else None,
            interruptions=interrupts[name],
            backchannels=backchannels[name],
        )

    therapist, client = talk.get(THERAPIST, 0.0), talk.get(CLIENT, 0.0)
    overlaps = _overlaps(list(runs.values()))
    speech = _union(iv for role_runs in runs.values() for iv in role_runs)
    window_start = session_start if session_start is not None else _first(speech)
    window_end = session_end if session_end is not None else _last(speech)
    silence, silence_start = _longest_gap(speech, window_start, window_end)
    return TalkAnalytics(
        roles=MappingProxyType(roles),
        total_talk_seconds=total,
        speech_seconds=_length(speech),
        therapist_client_ratio=therapist / client if therapist > 0 and client > 0 else None,
        overlap_seconds=_length(overlaps),
        overlap_count=len(overlaps),
        interruptions=sum(interrupts.values()),
        backchannels=sum(backchannels.values()),
        longest_silence_seconds=silence,
        longest_silence_start=silence_start,
    )


def _validate(
    utterances: Sequence[Utterance],
    session_start: float | None,
    session_end: float | None,
    min_overlap: float,
) -> None:
    # Messages name the offending index, never the utterance: no transcript content in logs.
    for i, u in enumerate(utterances):
        if not u.end >= u.start:
            raise ValueError(f"utterance {i} ends before it starts")
        if u.words < 0:
            raise ValueError(f"utterance {i} has a negative word count")
    if session_start is not None and session_end is not None and session_end < session_start:
        raise ValueError("session_end is before session_start")
    if min_overlap < 0:
        raise ValueError("interruption_min_overlap must be >= 0")


def _classify(run: Interval, others: Sequence[Interval], min_overlap: float) -> str | None:
    """Whether ``run`` interrupted, backchannelled over, or did neither to other speech.

    Several others may be speaking when it starts: taking the floor from any of them is an
    interruption, and that outranks talking under another.
    """
    start, end = run
    kind: str | None = None
    for other_start, other_end in others:
        if not other_start < start < other_end:
            continue
        if other_end < end:
            if other_end - start >= min_overlap:
                return "interruption"
        else:
            kind = "backchannel"
    return kind


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same time; touching ones merge, empty ones go."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlaps(role_runs: Sequence[Sequence[Interval]]) -> list[Interval]:
    """Maximal stretches where runs of two or more roles are active at once."""
    events = sorted(
        [(s, 1) for runs in role_runs for s, _ in runs]
        + [(e, -1) for runs in role_runs for _, e in runs],
        key=lambda ev: (ev[0], ev[1]),  # at equal times ends first: touching isn't overlap
    )
    out: list[Interval] = []
    active, opened = 0, 0.0
    for time, delta in events:
        if delta > 0 and active == 1:
            opened = time
        elif delta < 0 and active == 2 and time > opened:
            out.append((opened, time))
        active += delta
    return _union(out)


def _longest_gap(
    speech: Sequence[Interval], start: float | None, end: float | None
) -> tuple[float, float | None]:
    if start is None or end is None or end <= start:
        return 0.0, None
    best, best_start = 0.0, None
    cursor = start
    for s, e in [*speech, (end, end)]:
        gap = min(s, end) - cursor
        if gap > best:
            best, best_start = gap, cursor
        cursor = max(cursor, e)
        if cursor >= end:
            break
    return best, best_start


def _length(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in intervals)


def _first(intervals: Sequence[Interval]) -> float | None:
    return intervals[0][0] if intervals else None


def _last(intervals: Sequence[Interval]) -> float | None:
    return intervals[-1][1] if intervals else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
