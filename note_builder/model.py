"""The note draft's structure: sections, items, their evidence and status.

An item the companion suggests cannot exist without evidence: :class:`Item` refuses
to be built without it, and :mod:`note_builder.grounding` checks that the evidence
says what the item says. Items the clinician writes are marked ``author="clinician"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from companion.errors import UngroundedError

SECTIONS = ("subjective", "objective", "assessment", "plan")

# Item kinds and the SOAP section each one belongs to.
KIND_SECTION: Mapping[str, str] = {
    "presenting_concern": "subjective",
    "symptom": "subjective",
    "mood": "subjective",
    "stressor": "subjective",
    "substance_use": "subjective",
    "medication": "subjective",
    "report": "subjective",  # something else the client reported that the note may want
    "measure": "objective",
    "observation": "objective",
    "intervention": "objective",
    "client_response": "assessment",
    "progress": "assessment",
    "risk": "assessment",
    "assessment": "assessment",
    "homework": "plan",
    "referral": "plan",
    "next_appointment": "plan",
    "plan": "plan",
}
KINDS = tuple(KIND_SECTION)
STATUSES = ("suggested", "accepted", "edited", "rejected", "retracted")
AUTHORS = ("companion", "clinician")


@dataclass(frozen=True)
class Evidence:
    """Words of one transcript segment that support an item (``quote`` is verbatim)."""

    segment_id: str
    start: float  # session seconds, from the segment's audio sample counts
    end: float
    role: str | None
    quote: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment_id": self.segment_id,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "role": self.role,
            "quote": self.quote,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(
            segment_id=str(data["segment_id"]),
            start=float(data["start"]),
            end=float(data["end"]),
            role=data.get("role"),
            quote=str(data["quote"]),
        )


@dataclass(frozen=True)
class Item:
    """One statement of the note. ``version`` rises with every change, so a patch that
    is applied twice, or late, never rolls an item back."""

    id: str
    kind: str
    text: str
    evidence: tuple[Evidence, ...]
    section: str = ""
    status: str = "suggested"
    author: str = "companion"
    detail: Mapping[str, Any] = field(default_factory=dict)
    version: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KIND_SECTION:
            raise ValueError(f"unknown item kind {self.kind[:40]!r}")
        if not self.section:
            object.__setattr__(self, "section", KIND_SECTION[self.kind])
        if self.section not in SECTIONS:
            raise ValueError(f"unknown section {self.section[:40]!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status[:40]!r}")
        if self.author not in AUTHORS:
            raise ValueError(f"unknown author {self.author[:40]!r}")
        if self.author == "companion" and not self.evidence and self.status != "retracted":
            raise UngroundedError(f"item {self.id} has no evidence")

    @property
    def live(self) -> bool:
        """Part of the draft (not rejected by the clinician, not withdrawn)."""
        return self.status not in ("rejected", "retracted")

    def bumped(self, **changes: Any) -> Item:
        return replace(self, version=self.version + 1, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "kind": self.kind,
            "text": self.text,
            "status": self.status,
            "author": self.author,
            "version": self.version,
            "detail": dict(self.detail),
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Item:
        return cls(
            id=str(data["id"]),
            section=str(data.get("section", "")),
            kind=str(data["kind"]),
            text=str(data["text"]),
            status=str(data.get("status", "suggested")),
            author=str(data.get("author", "companion")),
            version=int(data.get("version", 1)),
            detail=dict(data.get("detail") or {}),
            evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence", ())),
        )


@dataclass(frozen=True)
class Element:
    """A required element of a billable progress note: present, with its value and where
    it comes from, or ``not assessed``."""

    name: str
    label: str
    present: bool
    value: str = ""
    source: str = ""  # "transcript", "session", "consent", "audio", "speakers", "note"
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "status": "present" if self.present else "not_assessed",
            "value": self.value,
            "source": self.source,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass
class NoteDraft:
    """The draft as a set of items by id plus the required elements: what folding the
    session's ``note.patch`` and ``note.required`` events gives."""

    items: dict[str, Item] = field(default_factory=dict)
    elements: dict[str, Element] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)  # measured session facts

    def apply(self, item: Item) -> bool:
        """Upsert unless an equal or newer version is there; True when it changed."""
        old = self.items.get(item.id)
        if old is not None and old.version >= item.version:
            return False
        self.items[item.id] = item
        return True

    def section(self, name: str) -> list[Item]:
        return [i for i in self.items.values() if i.section == name and i.live]

    def live_items(self) -> list[Item]:
        return [i for i in self.items.values() if i.live]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sections": {s: [i.to_dict() for i in self.section(s)] for s in SECTIONS},
            "required": [e.to_dict() for e in self.elements.values()],
            "missing": [e.label for e in self.elements.values() if not e.present],
            "facts": dict(self.facts),
        }
