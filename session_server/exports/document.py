"""The signed note as the exports see it: the signature and what came after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from companion.errors import SessionStateError
from session_server.signed_notes import NoteRecord, NoteVersion

FORMAT_TITLES = {"soap": "SOAP", "dap": "DAP", "birp": "BIRP"}


@dataclass(frozen=True, slots=True)
class NoteDocument:
    session_id: str
    signature: NoteVersion
    later: tuple[NoteVersion, ...]  # addenda and co-signatures, in order

    @classmethod
    def of(cls, record: NoteRecord) -> NoteDocument:
        if not record.signed or record.signature is None:
            raise SessionStateError(
                f"the note of session {record.session_id} is not signed: sign it to export it"
            )
        return cls(record.session_id, record.signature, record.versions[1:])

    @property
    def body(self) -> dict[str, Any]:
        return self.signature.body

    @property
    def format(self) -> str:
        return str(self.body["format"])

    @property
    def title(self) -> str:
        return f"Progress note ({FORMAT_TITLES.get(self.format, self.format.upper())})"

    @property
    def session(self) -> dict[str, Any]:
        return dict(self.body.get("session") or {})

    @property
    def latest(self) -> NoteVersion:
        return self.later[-1] if self.later else self.signature

    @property
    def amended(self) -> bool:
        return any(v.kind == "addendum" for v in self.later)

    def sections(self) -> list[tuple[str, list[str]]]:
        """The signed text cut at its headings: (heading, lines); the lines before the
        first heading (date, times, modality, …) come as ("", lines)."""
        headings = {str(h).upper(): str(h) for h in self.body.get("headings", [])}
        out: list[tuple[str, list[str]]] = [("", [])]
        for line in str(self.body["text"]).splitlines():
            if line.strip() in headings:
                out.append((headings[line.strip()], []))
            elif line.strip():
                out[-1][1].append(line)
        return [(h, lines) for h, lines in out if h or lines]


def stamp(iso: str) -> str:
    """``2026-11-27T18:20:00Z`` as ``2026-11-27 18:20 UTC``."""
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").strftime("%Y-%m-%d %H:%M UTC")


def signature_line(v: NoteVersion) -> str:
    who = v.body.get("signer_name") or v.signer_id
    if v.kind == "signature":
        return f"Electronically signed by {who} ({v.signer_role}) on {stamp(v.signed_at)}."
    if v.kind == "cosignature":
        return f"Co-signed by {who} ({v.signer_role}) on {stamp(v.signed_at)}."
    return f"Addendum signed by {who} ({v.signer_role}) on {stamp(v.signed_at)}."
