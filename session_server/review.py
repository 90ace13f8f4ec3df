"""What signing takes from the draft: the rules that block it, and the signed content.

A note can be signed when every suggested item has been accepted, edited or rejected,
and every required element is documented or marked by the clinician as deliberately
not assessed. The signed content is the note rendered in the chosen format (what the
clinician saw), the decided items with their evidence, the required elements and the
measured facts: a snapshot that no later change of the draft can reach.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from companion.errors import SessionStateError
from note_builder.model import Element, NoteDraft
from note_builder.render import FORMATS, render
from session_server.signed_notes import NoteRecord
from session_server.store import SessionInfo

WAIVED_VALUE = "deliberately not assessed"


def with_waivers(draft: NoteDraft, waived: Collection[str]) -> NoteDraft:
    """A copy of the draft whose waived missing elements say so (still not present)."""
    elements: dict[str, Element] = {}
    for name, element in draft.elements.items():
        if not element.present and name in waived:
            element = replace(element, value=WAIVED_VALUE, source="clinician")
        elements[name] = element
    return NoteDraft(items=dict(draft.items), elements=elements, facts=dict(draft.facts))


def unreviewed(draft: NoteDraft) -> int:
    """Suggested items the clinician has not decided on yet."""
    return sum(1 for i in draft.live_items() if i.status == "suggested")


def blocking(draft: NoteDraft, waived: Collection[str]) -> list[str]:
    """Labels of the required elements that stop signing: missing and not waived."""
    return [e.label for e in draft.elements.values() if not e.present and e.name not in waived]


def review_state(draft: NoteDraft, waived: Collection[str]) -> dict[str, Any]:
    """What the review page needs to know to enable signing."""
    missing = blocking(draft, waived)
    todo = unreviewed(draft)
    return {
        "waived": sorted(waived),
        "blocking": missing,
        "unreviewed": todo,
        "can_sign": not missing and not todo,
    }


def signature_body(
    draft: NoteDraft,
    fmt: str,
    waived: Collection[str],
    info: SessionInfo,
    client_label: str,
    signer_name: str,
) -> dict[str, Any]:
    """The content version 1 stores and hashes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown note format {fmt[:16]!r}; use soap, dap or birp")
    final = with_waivers(draft, waived)
    note = final.to_dict()
    return {
        "format": fmt,
        "text": render(final, fmt, mark_suggested=False),
        "headings": [heading for heading, _kinds in FORMATS[fmt]],
        "note": note,
        "waived": sorted(waived),
        "session": {
            "id": info.id,
            "client_id": info.client_id,
            "clinician_id": info.clinician_id,
            "practice_id": info.practice_id,
            "started_at": _iso(info.created_at),
            "ended_at": _iso(info.ended_at) if info.ended_at else None,
        },
        "client_label": client_label,
        "signer_name": signer_name,
    }


def _iso(value: Any) -> str:
    return str(value.replace(microsecond=0).isoformat()) + "Z"


def signed_note(session_id: str, record: NoteRecord) -> dict[str, Any]:
    """A signed note as ``GET …/note`` returns it: the signed content, frozen."""
    signature = record.signature
    if signature is None:
        raise SessionStateError(f"the note of session {session_id} is not signed")
    body = signature.body
    return {
        "session_id": session_id,
        "format": body["format"],
        **body["note"],
        "text": body["text"],
        **record.to_dict(),
        "signature": signature.summary(),
        "can_sign": False,
        "unreviewed": 0,
        "blocking": [],
    }
