"""The required elements of a billable progress note, each present or "not assessed".

An element is present only when something says so: the session record (date,
modality, consent), the audio clock (times), the transcript (the client's location),
or a live item of the draft (interventions, response, progress, risk, plan, next
appointment), the clinician's own items included. Nothing defaults to present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from note_builder.clinical import find_location
from note_builder.model import Element, Evidence, NoteDraft

if TYPE_CHECKING:
    from note_builder.engine import Segment, SessionContext

# name → (label, the item kinds that make it present)
FROM_ITEMS: Mapping[str, tuple[str, frozenset[str]]] = {
    "interventions": ("Interventions", frozenset({"intervention"})),
    "client_response": ("Client's response", frozenset({"client_response"})),
    "progress": ("Progress toward goals", frozenset({"progress"})),
    "risk_assessment": ("Risk assessment", frozenset({"risk"})),
    "plan": ("Plan", frozenset({"plan", "homework", "referral"})),
    "next_appointment": ("Next appointment", frozenset({"next_appointment"})),
}


def required_elements(
    draft: NoteDraft, context: SessionContext, segments: Iterable[Segment]
) -> list[Element]:
    facts = draft.facts
    segs = sorted(segments, key=lambda s: s.start)
    out = [
        Element("date", "Date", True, str(facts.get("date", context.date.isoformat())), "session"),
        _times(facts),
        Element("modality", "Modality", True, context.modality, "session"),
        _location(segs),
        _participants(facts, context),
        _consent(context.consent),
    ]
    live = draft.live_items()
    for name, (label, kinds) in FROM_ITEMS.items():
        items = [i for i in live if i.kind in kinds]
        evidence = tuple(e for i in items[:3] for e in i.evidence[:1])
        out.append(
            Element(
                name,
                label,
                bool(items),
                f"{len(items)} item(s)" if items else "",
                "note" if items else "",
                evidence,
            )
        )
    return out


def _times(facts: Mapping[str, Any]) -> Element:
    if "start_time" in facts:
        value = f"{facts['start_time']}–{facts['stop_time']} ({facts['duration_min']} min)"
        return Element("times", "Start and stop times", True, value, "audio")
    if "duration_min" in facts:
        return Element(
            "times", "Start and stop times", True, f"{facts['duration_min']} min", "audio"
        )
    return Element("times", "Start and stop times", False)


def _location(segs: list[Segment]) -> Element:
    for seg in segs:
        if seg.side != "client":
            continue
        for found in find_location(seg.text):
            quote = seg.text[found.start : found.end]
            ev = Evidence(seg.segment_id, seg.start, seg.end, seg.role, quote)
            return Element(
                "patient_location", "Patient location", True, found.location, "transcript", (ev,)
            )
    return Element("patient_location", "Patient location", False)


def _participants(facts: Mapping[str, Any], context: SessionContext) -> Element:
    roles = [r for r in facts.get("participants", []) if r]
    if len(roles) >= 2 or (context.two_track and roles):
        return Element("participants", "Participants", True, ", ".join(roles), "speakers")
    return Element("participants", "Participants", False, ", ".join(roles))


def _consent(records: Iterable[Mapping[str, Any]]) -> Element:
    latest: dict[str, Mapping[str, Any]] = {}
    for rec in records:
        latest[str(rec.get("party"))] = rec
    granted = sorted(p for p, r in latest.items() if r.get("state") == "granted")
    if granted and len(granted) == len(latest):
        methods = ", ".join(f"{p} ({latest[p].get('method', 'recorded')})" for p in granted)
        return Element("consent", "Consent", True, f"recorded: {methods}", "consent")
    return Element("consent", "Consent", False)
