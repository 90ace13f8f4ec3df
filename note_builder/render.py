"""The draft as text: SOAP, DAP or BIRP from the same items.

One statement per line and the headings on lines of their own (what reviewers and
ROUGE-Lsum both read). Required elements that nothing supports say "not assessed".
Rejected and withdrawn items are left out; suggested ones are marked unless the
caller asks for the accepted text only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from note_builder.model import Item, NoteDraft

# Kind groups, composed into each format's headings.
REPORTED = frozenset(
    {"presenting_concern", "symptom", "mood", "stressor", "substance_use", "medication", "report"}
)
OBSERVED = frozenset({"measure", "observation"})
PLANNED = frozenset({"homework", "referral", "next_appointment", "plan"})
FORMATS: Mapping[str, Sequence[tuple[str, frozenset[str]]]] = {
    "soap": (
        ("Subjective", REPORTED),
        ("Objective", OBSERVED | {"intervention"}),
        ("Assessment", frozenset({"client_response", "progress", "risk", "assessment"})),
        ("Plan", PLANNED),
    ),
    "dap": (
        ("Data", REPORTED | OBSERVED | {"intervention", "client_response"}),
        ("Assessment", frozenset({"progress", "risk", "assessment"})),
        ("Plan", PLANNED),
    ),
    "birp": (
        ("Behavior", REPORTED | OBSERVED | {"risk"}),
        ("Intervention", frozenset({"intervention"})),
        ("Response", frozenset({"client_response", "progress", "assessment"})),
        ("Plan", PLANNED),
    ),
}
# Where the session facts and the required-element summary go in each format.
FACTS_UNDER = {"soap": "Objective", "dap": "Data", "birp": "Behavior"}
ELEMENTS_UNDER = {
    "risk_assessment": {"soap": "Assessment", "dap": "Assessment", "birp": "Behavior"},
    "interventions": {"soap": "Objective", "dap": "Data", "birp": "Intervention"},
    "client_response": {"soap": "Assessment", "dap": "Data", "birp": "Response"},
    "progress": {"soap": "Assessment", "dap": "Assessment", "birp": "Response"},
    "plan": {"soap": "Plan", "dap": "Plan", "birp": "Plan"},
    "next_appointment": {"soap": "Plan", "dap": "Plan", "birp": "Plan"},
}


def render(draft: NoteDraft, fmt: str = "soap", *, mark_suggested: bool = True) -> str:
    """The note in ``fmt`` (soap, dap or birp)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown note format {fmt[:16]!r}; use soap, dap or birp")
    lines = _header(draft)
    items = sorted(draft.live_items(), key=_order)
    for heading, kinds in FORMATS[fmt]:
        lines.append("")
        lines.append(heading.upper())
        if heading == FACTS_UNDER[fmt]:
            lines.extend(_facts(draft.facts))
        for item in items:
            if item.kind in kinds:
                mark = " [suggested]" if mark_suggested and item.status == "suggested" else ""
                lines.append(f"{item.text}{mark}")
        for name, where in ELEMENTS_UNDER.items():
            element = draft.elements.get(name)
            if where[fmt] == heading and element is not None and not element.present:
                lines.append(f"{element.label}: not assessed.")
    return "\n".join(lines).strip() + "\n"


def _order(item: Item) -> tuple[float, str]:
    start = min((e.start for e in item.evidence), default=float("inf"))
    return (start, item.id)


def _header(draft: NoteDraft) -> list[str]:
    out = []
    for name in ("date", "times", "modality", "patient_location", "participants", "consent"):
        element = draft.elements.get(name)
        if element is None:
            continue
        value = element.value if element.present else "not assessed"
        out.append(f"{element.label}: {value}")
    return out


def _facts(facts: Mapping[str, Any]) -> list[str]:
    out = []
    if "duration_min" in facts:
        out.append(f"Session length: {facts['duration_min']} min of recorded audio.")
    talk = facts.get("talk") or {}
    parts = []
    for role, figures in talk.items():
        share = figures.get("share")
        wpm = figures.get("words_per_minute")
        if share is None:
            continue
        rate = f", {wpm:.0f} words/min" if isinstance(wpm, (int, float)) else ""
        parts.append(f"{role} {share * 100:.0f}%{rate}")
    if parts:
        out.append("Talk time: " + "; ".join(parts) + ".")
    return out
