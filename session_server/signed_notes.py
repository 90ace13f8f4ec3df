"""Signed notes as legal records: the signature, then only dated, signed addenda.

A session's note is a draft until its treating clinician signs it. Signing stores
version 1: the rendered note the clinician saw, the items and their evidence, who
signed and when, and the SHA-256 of all of that (:func:`content_hash`). After that the
note never changes: each later change is a new version (an addendum, or a supervisor's
co-signature), whose hash covers the hash before it, so the versions form a chain that
:meth:`SignedNotes.verify` checks. Every version is kept and can be read back.

Bodies are PHI and stored encrypted (place ``note_versions:<session>:<version>``); the
plain columns hold ids, kinds, times and hashes only. All calls are synchronous, for
the server's database thread.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from companion.errors import SessionStateError, not_found
from session_server.models import (
    EventRow,
    NoteRecordRow,
    NoteVersionRow,
    SegmentRow,
    note_version_place,
    utcnow,
)
from session_server.store import Store

VERSION_KINDS = ("signature", "addendum", "cosignature")
GENESIS = "0" * 64


def signed_now() -> str:
    """The signing time as it is hashed and shown: UTC, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def content_hash(fields: dict[str, Any]) -> str:
    """SHA-256 of a version's canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class NoteVersion:
    session_id: str
    version: int
    kind: str
    signer_id: str
    signer_role: str
    signed_at: str
    prev_hash: str
    content_hash: str
    body: dict[str, Any]

    def hashed_fields(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "version": self.version,
            "kind": self.kind,
            "signer_id": self.signer_id,
            "signer_role": self.signer_role,
            "signed_at": self.signed_at,
            "prev_hash": self.prev_hash,
            "body": self.body,
        }

    def summary(self) -> dict[str, Any]:
        """What a version list shows: no content."""
        return {
            "version": self.version,
            "kind": self.kind,
            "signer_id": self.signer_id,
            "signer_name": self.body.get("signer_name", ""),
            "signer_role": self.signer_role,
            "signed_at": self.signed_at,
            "content_hash": self.content_hash,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "prev_hash": self.prev_hash, "body": self.body}


@dataclass(frozen=True, slots=True)
class NoteRecord:
    session_id: str
    state: str  # draft | signed
    waived: tuple[str, ...]
    versions: tuple[NoteVersion, ...] = ()

    @property
    def signed(self) -> bool:
        return self.state == "signed"

    @property
    def signature(self) -> NoteVersion | None:
        return self.versions[0] if self.versions else None

    @property
    def cosigned(self) -> bool:
        return any(v.kind == "cosignature" for v in self.versions)

    @property
    def intact(self) -> bool:
        """Every version's hash matches its content, and each links to the one before."""
        prev = GENESIS
        for v in self.versions:
            if v.prev_hash != prev or content_hash(v.hashed_fields()) != v.content_hash:
                return False
            prev = v.content_hash
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "waived": list(self.waived),
            "versions": [v.summary() for v in self.versions],
            "cosigned": self.cosigned,
        }


class SignedNotes:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self.keys = store.keys

    # -- reading ---------------------------------------------------------------------

    def record(self, session_id: str) -> NoteRecord:
        self.store.get_session(session_id)  # unknown sessions raise the usual 404
        with Session(self.engine) as db:
            row = db.get(NoteRecordRow, session_id)
            versions = self._versions(db, session_id)
        if row is None:
            return NoteRecord(session_id, "draft", (), versions)
        return NoteRecord(session_id, row.state, tuple(json.loads(row.waived)), versions)

    def states(self, session_ids: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """Each session's note state and whether it is co-signed (drafts are left out)."""
        ids = list(session_ids)
        if not ids:
            return {}
        with Session(self.engine) as db:
            rows = db.execute(
                select(NoteRecordRow.session_id, NoteRecordRow.state).where(
                    NoteRecordRow.session_id.in_(ids)
                )
            ).all()
            cosigned = set(
                db.scalars(
                    select(NoteVersionRow.session_id).where(
                        NoteVersionRow.session_id.in_(ids), NoteVersionRow.kind == "cosignature"
                    )
                )
            )
        return {sid: (state, sid in cosigned) for sid, state in rows}

    def version(self, session_id: str, version: int) -> NoteVersion:
        for v in self.record(session_id).versions:
            if v.version == version:
                return v
        raise not_found("note version", f"{version}")

    def _versions(self, db: Session, session_id: str) -> tuple[NoteVersion, ...]:
        rows = db.scalars(
            select(NoteVersionRow)
            .where(NoteVersionRow.session_id == session_id)
            .order_by(NoteVersionRow.version)
        )
        return tuple(
            NoteVersion(
                r.session_id,
                r.version,
                r.kind,
                r.signer_id,
                r.signer_role,
                r.signed_at,
                r.prev_hash,
                r.content_hash,
                json.loads(
                    self.keys.decrypt(r.body_enc, note_version_place(session_id, r.version))
                ),
            )
            for r in rows
        )

    def verify(self, session_id: str) -> bool:
        return self.record(session_id).intact

    # -- the draft's record ----------------------------------------------------------

    def set_waived(self, session_id: str, names: Iterable[str]) -> NoteRecord:
        """The required elements the clinician marks as deliberately not assessed."""
        self.store.get_session(session_id)
        with Session(self.engine) as db, db.begin():
            row = self._row(db, session_id)
            if row.state == "signed":
                raise note_signed(session_id)
            row.waived = json.dumps(sorted(set(names)))
            row.updated_at = utcnow()
        return self.record(session_id)

    def _row(self, db: Session, session_id: str) -> NoteRecordRow:
        row = db.get(NoteRecordRow, session_id, with_for_update=True)
        if row is None:
            row = NoteRecordRow(session_id=session_id, state="draft", waived="[]")
            db.add(row)
            db.flush()
        return row

    # -- signing ---------------------------------------------------------------------

    def sign(
        self, session_id: str, signer_id: str, signer_role: str, body: dict[str, Any]
    ) -> NoteVersion:
        """Version 1: the note is signed and read-only from now on."""
        self.store.get_session(session_id)
        try:
            with Session(self.engine) as db, db.begin():
                row = self._row(db, session_id)
                if row.state == "signed":
                    raise note_signed(session_id)
                version = self._add(db, session_id, 1, "signature", signer_id, signer_role, body)
                row.state = "signed"
                row.signed_version = 1
                row.updated_at = utcnow()
        except IntegrityError:  # signed at the same moment by another request
            raise note_signed(session_id) from None
        return version

    def append(
        self, session_id: str, kind: str, signer_id: str, signer_role: str, body: dict[str, Any]
    ) -> NoteVersion:
        """An addendum or a co-signature (at most one) of a signed note: the next version."""
        if kind not in VERSION_KINDS[1:]:
            raise ValueError(f"unknown version kind {kind[:16]!r}")
        for _attempt in range(5):
            try:
                with Session(self.engine) as db, db.begin():
                    row = db.get(NoteRecordRow, session_id, with_for_update=True)
                    if row is None or row.state != "signed":
                        raise SessionStateError(
                            f"the note of session {session_id} is not signed yet: edit the draft"
                        )
                    if kind == "cosignature" and db.scalar(
                        select(func.count()).where(
                            NoteVersionRow.session_id == session_id,
                            NoteVersionRow.kind == "cosignature",
                        )
                    ):
                        raise SessionStateError(
                            f"the note of session {session_id} is already co-signed"
                        )
                    last = db.scalar(
                        select(func.max(NoteVersionRow.version)).where(
                            NoteVersionRow.session_id == session_id
                        )
                    )
                    return self._add(
                        db, session_id, int(last or 0) + 1, kind, signer_id, signer_role, body
                    )
            except IntegrityError:  # another version took the number: take the next
                continue
        raise SessionStateError(f"the note of session {session_id} is busy; try again")

    def _add(
        self,
        db: Session,
        session_id: str,
        number: int,
        kind: str,
        signer_id: str,
        signer_role: str,
        body: dict[str, Any],
    ) -> NoteVersion:
        prev = GENESIS
        if number > 1:
            prev_row = db.get(NoteVersionRow, (session_id, number - 1))
            prev = prev_row.content_hash if prev_row is not None else GENESIS
        version = NoteVersion(
            session_id, number, kind, signer_id, signer_role, signed_now(), prev, "", body
        )
        digest = content_hash(version.hashed_fields())
        sealed = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        db.add(
            NoteVersionRow(
                session_id=session_id,
                version=number,
                kind=kind,
                signer_id=signer_id,
                signer_role=signer_role,
                signed_at=version.signed_at,
                content_hash=digest,
                prev_hash=prev,
                body_enc=self.keys.encrypt(sealed, note_version_place(session_id, number)),
            )
        )
        db.flush()
        return NoteVersion(
            session_id, number, kind, signer_id, signer_role, version.signed_at, prev, digest, body
        )

    # -- retention -------------------------------------------------------------------

    def delete_working_data(self, session_id: str) -> dict[str, int]:
        """After signing, where the practice keeps the signed note only: delete the
        session's transcript segments and its event log (transcript, draft, alerts)."""
        with Session(self.engine) as db, db.begin():
            row = db.get(NoteRecordRow, session_id)
            if row is None or row.state != "signed":
                raise SessionStateError(f"the note of session {session_id} is not signed")
            segments = db.scalar(select(func.count()).where(SegmentRow.session_id == session_id))
            events = db.scalar(select(func.count()).where(EventRow.session_id == session_id))
            db.execute(delete(SegmentRow).where(SegmentRow.session_id == session_id))
            db.execute(delete(EventRow).where(EventRow.session_id == session_id))
        return {"segments": int(segments or 0), "events": int(events or 0)}


def note_signed(session_id: str) -> SessionStateError:
    """The one refusal of a change to a signed note."""
    return SessionStateError(
        f"the note of session {session_id} is signed and read-only: add an addendum"
    )
