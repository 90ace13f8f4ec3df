"""Structured items from one sentence: risk, screening, measures, appointments,
medication and substance use, each with the span of the words that say it.

Each kind also registers its re-derivation with :mod:`note_builder.grounding`: the
checker runs the same extractor on the item's quotes and must find the same detail.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from note_builder.clinical import find_medications, find_substances
from note_builder.dates import find_appointments
from note_builder.grounding import register
from note_builder.measures import find_measures
from note_builder.phrasing import clean, reported
from note_builder.risk import detect_risk, screening_kind

RISK_LABEL = {
    "suicidal_ideation": "suicidal ideation",
    "homicidal_ideation": "homicidal ideation",
    "self_harm": "self-harm",
    "abuse_neglect": "abuse or neglect",
    "substance_danger": "substance-related danger",
}
DENIAL = re.compile(
    r"^\W*(?:no\b|nope\b|nah\b|never\b|not\b|none\b|i (?:do not|don't|dont|have not|haven't|"
    r"havent|never|wouldn't|would not)\b)",
    re.IGNORECASE,
)
WHO = {"client": "client", "therapist": "therapist", "unknown": "speaker"}


@dataclass(frozen=True)
class Candidate:
    """An item the sentence supports; ``start``/``end``: the supporting words in it."""

    kind: str
    text: str
    start: int
    end: int
    detail: Mapping[str, Any] = field(default_factory=dict)
    alert: bool = False


def structured(
    text: str, side: str, today: dt.date | None, *, risk_only: bool = False
) -> list[Candidate]:
    """The structured candidates of one sentence said by ``side``
    (client, therapist or unknown)."""
    out = _risk(text, side)
    if risk_only:
        return out
    whole = (0, len(text))
    for m in find_measures(text):
        out.append(
            Candidate(
                "measure",
                _measure_text(m.name, m.value, m.scale_max, m.severity),
                *whole,
                detail={
                    "name": m.name,
                    "value": m.value,
                    "scale_max": m.scale_max,
                    "severity": m.severity,
                },
            )
        )
    if today is not None:
        for a in find_appointments(text, today):
            out.append(
                Candidate(
                    "next_appointment",
                    _appointment_text(a.when, a.time),
                    *whole,
                    detail={
                        "date": a.when.isoformat() if a.when else None,
                        "time": a.time.strftime("%H:%M") if a.time else None,
                        "relative": a.relative,
                        "today": today.isoformat(),
                    },
                )
            )
    if side != "therapist":
        for med in find_medications(text):
            out.append(
                Candidate(
                    "medication",
                    _medication_text(med.name, med.dose, med.adherence),
                    *whole,
                    detail={"name": med.name, "dose": med.dose, "adherence": med.adherence},
                )
            )
        substances = sorted({s.substance for s in find_substances(text) if not s.negated})
        if substances and side == "client":
            body = reported(text)
            if body:
                out.append(
                    Candidate("substance_use", body, *whole, detail={"substances": substances})
                )
    return out


def _risk(text: str, side: str) -> list[Candidate]:
    out = []
    who = WHO.get(side, "speaker")
    role = None if side == "unknown" else side
    seen: set[str] = set()
    for f in detect_risk(text, role):
        if f.kind in seen:
            continue
        label = RISK_LABEL[f.kind]
        quote = clean(text).rstrip(" .")
        detail = {"risk": f.kind, "severity": f.severity, "status": f.status, "cue": f.cue}
        if f.current:
            seen.add(f.kind)
            words = f'Possible current {label} (severity {f.severity}); {who} said: "{quote}".'
            out.append(Candidate("risk", words, 0, len(text), detail=detail, alert=True))
        elif f.status == "negated" and side == "client":
            seen.add(f.kind)
            words = f'Client denied {label}: "{quote}".'
            out.append(Candidate("risk", words, 0, len(text), detail=detail))
    return out


def screen_answer(screen: str, text: str) -> Candidate | None:
    """The client's answer to a screening question: quoted, never interpreted beyond
    "denied" (it opens with a no) or "endorsed" (the risk detector found current risk)."""
    quote = clean(text).rstrip(" .")
    if not quote:
        return None
    current = any(f.current and f.kind == screen for f in detect_risk(text, "client"))
    answer = "endorsed" if current else "denied" if DENIAL.search(quote) else "unclear"
    words = f'Screened for {RISK_LABEL.get(screen, screen)}; client answered: "{quote}".'
    return Candidate("risk", words, 0, len(text), detail={"screen": screen, "answer": answer})


# -- texts ------------------------------------------------------------------------------


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _measure_text(name: str, value: float, scale_max: float | None, severity: str | None) -> str:
    out = f"{name}: {_num(value)}"
    if scale_max is not None:
        out += f" out of {_num(scale_max)}"
    if severity:
        out += f" ({severity})"
    return out + "."


def _appointment_text(when: dt.date | None, time: dt.time | None) -> str:
    parts = []
    if when is not None:
        parts.append(when.strftime("%A %Y-%m-%d"))
    if time is not None:
        parts.append(f"at {time.strftime('%H:%M')}")
    return "Next appointment: " + (" ".join(parts) if parts else "discussed") + "."


def _medication_text(name: str, dose: str | None, adherence: str | None) -> str:
    out = f"Medication: {name}"
    if dose:
        out += f" {dose}"
    if adherence:
        out += f"; adherence: {adherence}"
    return out + "."


# -- re-derivation for the grounding check ------------------------------------------------


def _words(*values: Any) -> frozenset[str]:
    return frozenset(str(v) for v in values if v is not None)


@register("risk")
def _rederive_risk(quotes: list[str], detail: Mapping[str, Any]) -> frozenset[str] | None:
    if "screen" in detail:
        if not any(screening_kind(q) == detail["screen"] for q in quotes):
            return None
        return _words(RISK_LABEL.get(str(detail["screen"]), ""))
    for q in quotes:
        for f in detect_risk(q, "client"):
            if f.kind == detail.get("risk") and f.status == detail.get("status"):
                return _words(RISK_LABEL[f.kind], f.severity, "speaker")
    return None


@register("measure")
def _rederive_measure(quotes: list[str], detail: Mapping[str, Any]) -> frozenset[str] | None:
    for q in quotes:
        for m in find_measures(q):
            if m.name == detail.get("name") and m.value == detail.get("value"):
                return _words(m.name, _num(m.value), _num(m.scale_max), m.severity)
    return None


@register("next_appointment")
def _rederive_appointment(quotes: list[str], detail: Mapping[str, Any]) -> frozenset[str] | None:
    today = dt.date.fromisoformat(str(detail.get("today")))
    for q in quotes:
        for a in find_appointments(q, today):
            if (a.when.isoformat() if a.when else None) == detail.get("date"):
                return frozenset(words_of(_appointment_text(a.when, a.time)))
    return None


@register("medication")
def _rederive_medication(quotes: list[str], detail: Mapping[str, Any]) -> frozenset[str] | None:
    for q in quotes:
        for med in find_medications(q):
            if med.name == detail.get("name"):
                return _words(med.name, med.dose, med.adherence)
    return None


@register("substance_use")
def _rederive_substance(quotes: list[str], detail: Mapping[str, Any]) -> frozenset[str] | None:
    found = {s.substance for q in quotes for s in find_substances(q) if not s.negated}
    wanted = set(detail.get("substances") or [])
    return frozenset() if wanted and wanted <= found else None


def words_of(text: str) -> list[str]:
    return text.split()
