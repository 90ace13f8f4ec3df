"""The draft as a fold of the session's note events.

``note.patch`` carries whole items with a version: applying a patch twice, or an old
one after a newer, changes nothing, so any prefix of the event log, replayed in any
number of times, gives the draft as it stood.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from note_builder.model import Element, Evidence, Item, NoteDraft


def apply_event(draft: NoteDraft, event: Mapping[str, Any]) -> bool:
    """Fold one event into the draft; True when it changed the draft."""
    kind = event.get("type")
    changed = False
    if kind == "note.patch":
        for data in event.get("items") or []:
            changed |= draft.apply(Item.from_dict(data))
    elif kind == "note.required":
        elements = {}
        for data in event.get("elements") or []:
            elements[str(data["name"])] = Element(
                name=str(data["name"]),
                label=str(data["label"]),
                present=data.get("status") == "present",
                value=str(data.get("value", "")),
                source=str(data.get("source", "")),
                evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence") or []),
            )
        changed = elements != draft.elements
        draft.elements = elements
        draft.facts = dict(event.get("facts") or {})
    return changed


def fold_events(events: Iterable[Mapping[str, Any]]) -> NoteDraft:
    draft = NoteDraft()
    for event in events:
        apply_event(draft, event)
    return draft
