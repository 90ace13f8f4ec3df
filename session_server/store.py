"""Persistence of practices' clinical data: clients, sessions, consents, transcript, events.

PHI columns are encrypted with the key ring (AES-256-GCM, associated data = the row's
place); everything else is plain. All calls are synchronous: the server runs them on
one database thread (:class:`session_server.db.Database`), never on the event loop.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from companion.errors import SessionStateError, not_found
from session_server.migrate import upgrade
from session_server.models import (
    Client,
    ConsentRow,
    EventRow,
    NoteRecordRow,
    NoteVersionRow,
    Practice,
    SegmentRow,
    SessionRow,
    User,
    VoiceProfileRow,
    client_label_place,
    event_place,
    note_version_place,
    segment_place,
    totp_place,
    utcnow,
    voice_place,
)
from session_server.security.crypto import KeyRing

PARTIES = ("therapist", "client")
CONSENT_STATES = ("pending", "granted", "paused", "revoked")
VOICE_SOURCES = ("enrolment", "sessions", "both")


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    state: str
    practice_id: str
    client_id: str
    clinician_id: str
    created_at: datetime
    ended_at: datetime | None
    consents: dict[str, dict[str, Any]]
    expected_speakers: int | None = None  # None: the installation's setting

    @property
    def consented(self) -> bool:
        """Every party granted (all-party consent jurisdictions)."""
        return self.consent_ok(all_party=True)

    def consent_ok(self, all_party: bool) -> bool:
        """Audio may be processed: every party granted, or, where one party's consent is
        the law, the therapist granted and nobody paused or revoked."""
        states = {p: self.consents.get(p, {}).get("state", "pending") for p in PARTIES}
        if all_party:
            return all(st == "granted" for st in states.values())
        withdrawn = any(st in ("paused", "revoked") for st in states.values())
        return states["therapist"] == "granted" and not withdrawn


@dataclass(frozen=True, slots=True)
class VoiceProfileRecord:
    """A clinician's stored voice profile (decrypted): PHI, never logged or returned."""

    vector: list[float]
    speech_s: float
    source: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ClientInfo:
    id: str
    practice_id: str
    clinician_id: str
    label: str
    created_at: datetime


def make_engine(url: str) -> Engine:
    # hide_parameters: SQL parameters may hold PHI; keep them out of logs and errors.
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def new_id() -> str:
    return uuid.uuid4().hex


class Store:
    def __init__(self, engine: Engine, keys: KeyRing, migrate: bool = True) -> None:
        self.engine = engine
        self.keys = keys
        if migrate:
            upgrade(engine)

    # -- practices and clients -------------------------------------------------------

    def ensure_practice(self, name: str = "Practice") -> str:
        """The practice of this installation (created on first use)."""
        with Session(self.engine) as db, db.begin():
            row = db.scalars(select(Practice).order_by(Practice.created_at)).first()
            if row is None:
                row = Practice(id=new_id(), name=name)
                db.add(row)
            return row.id

    def create_client(self, practice_id: str, clinician_id: str, label: str) -> ClientInfo:
        client_id = new_id()
        with Session(self.engine) as db, db.begin():
            db.add(
                Client(
                    id=client_id,
                    practice_id=practice_id,
                    clinician_id=clinician_id,
                    label_enc=self.keys.encrypt(label, client_label_place(client_id)),
                )
            )
        return self.get_client(client_id)

    def get_client(self, client_id: str) -> ClientInfo:
        with Session(self.engine) as db:
            row = db.get(Client, client_id)
            if row is None:
                raise not_found("client", client_id)
            return self._client(row)

    def list_clients(self, clinician_ids: set[str] | None, practice_id: str) -> list[ClientInfo]:
        """The practice's clients, or only those of these clinicians."""
        with Session(self.engine) as db:
            q = select(Client).where(Client.practice_id == practice_id)
            if clinician_ids is not None:
                q = q.where(Client.clinician_id.in_(clinician_ids))
            return [self._client(r) for r in db.scalars(q.order_by(Client.created_at))]

    def _client(self, row: Client) -> ClientInfo:
        label = self.keys.decrypt(row.label_enc, client_label_place(row.id))
        return ClientInfo(row.id, row.practice_id, row.clinician_id, label, row.created_at)

    # -- sessions and consent --------------------------------------------------------

    def create_session(self, client_id: str, expected_speakers: int | None = None) -> SessionInfo:
        if expected_speakers is not None and not 1 <= expected_speakers <= 6:
            raise ValueError("expected_speakers must be 1 to 6")
        client = self.get_client(client_id)
        session_id = new_id()
        with Session(self.engine) as db, db.begin():
            db.add(
                SessionRow(
                    id=session_id,
                    practice_id=client.practice_id,
                    client_id=client.id,
                    clinician_id=client.clinician_id,
                    expected_speakers=expected_speakers,
                )
            )
        return self.get_session(session_id)

    def get_session(self, session_id: str) -> SessionInfo:
        with Session(self.engine) as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                raise not_found("session", session_id)
            consents: dict[str, dict[str, Any]] = {p: {"state": "pending"} for p in PARTIES}
            rows = db.scalars(
                select(ConsentRow)
                .where(ConsentRow.session_id == session_id)
                .order_by(ConsentRow.id)
            )
            for c in rows:
                consents[c.party] = {
                    "state": c.state,
                    "granted": c.state == "granted",
                    "method": c.method,
                    "text_version": c.text_version,
                    "recorded_by": c.recorded_by,
                    "recorded_at": c.recorded_at.isoformat(),
                }
            return SessionInfo(
                row.id,
                row.state,
                row.practice_id,
                row.client_id,
                row.clinician_id,
                row.created_at,
                row.ended_at,
                consents,
                row.expected_speakers,
            )

    def clinician_of(self, session_id: str) -> str:
        """The clinician who holds this session."""
        with Session(self.engine) as db:
            clinician = db.scalar(
                select(SessionRow.clinician_id).where(SessionRow.id == session_id)
            )
            if clinician is None:
                raise not_found("session", session_id)
            return clinician

    def list_sessions(self, clinician_ids: set[str] | None, practice_id: str) -> list[SessionInfo]:
        with Session(self.engine) as db:
            q = select(SessionRow.id).where(SessionRow.practice_id == practice_id)
            if clinician_ids is not None:
                q = q.where(SessionRow.clinician_id.in_(clinician_ids))
            ids = list(db.scalars(q.order_by(SessionRow.created_at)))
        return [self.get_session(i) for i in ids]

    def set_state(self, session_id: str, state: str) -> None:
        with Session(self.engine) as db, db.begin():
            row = db.get(SessionRow, session_id)
            if row is None:
                raise not_found("session", session_id)
            row.state = state
            if state == "ended":
                row.ended_at = utcnow()

    def add_consent(
        self,
        session_id: str,
        party: str,
        state: str,
        method: str,
        text_version: str,
        recorded_by: str,
    ) -> SessionInfo:
        self.get_session(session_id)
        with Session(self.engine) as db, db.begin():
            db.add(
                ConsentRow(
                    session_id=session_id,
                    party=party,
                    state=state,
                    method=method,
                    text_version=text_version,
                    recorded_by=recorded_by,
                )
            )
        return self.get_session(session_id)

    def consent_history(self, session_id: str) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            rows = db.scalars(
                select(ConsentRow)
                .where(ConsentRow.session_id == session_id)
                .order_by(ConsentRow.id)
            )
            return [
                {
                    "party": c.party,
                    "state": c.state,
                    "method": c.method,
                    "text_version": c.text_version,
                    "recorded_by": c.recorded_by,
                    "recorded_at": c.recorded_at.isoformat(),
                }
                for c in rows
            ]

    # -- events and transcript -------------------------------------------------------

    def append_event(self, session_id: str, seq: int, type_: str, payload: dict[str, Any]) -> None:
        """Persist an event (encrypted); a final transcript event also stores its segment,
        with its speaker (``S1``.., a track name, or None) and role when it has them."""
        body = json.dumps(payload, separators=(",", ":"))
        with Session(self.engine) as db, db.begin():
            db.add(
                EventRow(
                    session_id=session_id,
                    seq=seq,
                    type=type_,
                    payload_enc=self.keys.encrypt(body, event_place(session_id, seq)),
                )
            )
            if type_ == "transcript.final":
                seg_id = payload["segment_id"]
                text = _segment_body(
                    payload["text"], payload["words"], payload.get("speaker"), payload.get("role")
                )
                db.merge(
                    SegmentRow(
                        id=seg_id,
                        session_id=session_id,
                        track=payload["track"],
                        start=payload["start"],
                        end=payload["end"],
                        body_enc=self.keys.encrypt(text, segment_place(session_id, seg_id)),
                    )
                )

    def events_since(self, session_id: str, since: int) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            rows = db.scalars(
                select(EventRow)
                .where(EventRow.session_id == session_id, EventRow.seq > since)
                .order_by(EventRow.seq)
            )
            return [
                json.loads(self.keys.decrypt(r.payload_enc, event_place(session_id, r.seq)))
                for r in rows
            ]

    def max_seq(self, session_id: str) -> int:
        with Session(self.engine) as db:
            value = db.scalar(
                select(func.max(EventRow.seq)).where(EventRow.session_id == session_id)
            )
            return int(value or 0)

    def segments(self, session_id: str) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            rows = db.scalars(
                select(SegmentRow)
                .where(SegmentRow.session_id == session_id)
                .order_by(SegmentRow.start)
            )
            out = []
            for r in rows:
                body = json.loads(self.keys.decrypt(r.body_enc, segment_place(session_id, r.id)))
                out.append(
                    {
                        "segment_id": r.id,
                        "track": r.track,
                        "start": r.start,
                        "end": r.end,
                        "speaker": None,
                        "role": None,
                        **body,
                    }
                )
            return out

    def update_segment(
        self,
        session_id: str,
        segment_id: str,
        *,
        speaker: str | None,
        role: str | None,
        words: list[Any] | None = None,
        text: str | None = None,
    ) -> None:
        """Correct a stored segment after the fact (speaker, role; words and text if given),
        re-encrypted in place. The segment's event stays as it was published. A signed
        note's transcript is read-only."""
        with Session(self.engine) as db, db.begin():
            record = db.get(NoteRecordRow, session_id)
            if record is not None and record.state == "signed":
                raise SessionStateError(f"the note of session {session_id} is signed")
            row = db.get(SegmentRow, segment_id)
            if row is None or row.session_id != session_id:
                raise not_found("segment", segment_id)
            place = segment_place(session_id, segment_id)
            body = json.loads(self.keys.decrypt(row.body_enc, place))
            row.body_enc = self.keys.encrypt(
                _segment_body(
                    body["text"] if text is None else text,
                    body["words"] if words is None else words,
                    speaker,
                    role,
                ),
                place,
            )

    # -- voice profiles ------------------------------------------------------------------

    def get_voice_profile(self, user_id: str) -> VoiceProfileRecord | None:
        with Session(self.engine) as db:
            row = db.get(VoiceProfileRow, user_id)
            if row is None:
                return None
            vector = json.loads(self.keys.decrypt(row.vector_enc, voice_place(user_id)))
            return VoiceProfileRecord(
                [float(x) for x in vector], row.speech_s, row.source, row.updated_at
            )

    def put_voice_profile(
        self, user_id: str, vector: list[float], speech_s: float, source: str
    ) -> None:
        """Create or replace the user's profile (the vector encrypted)."""
        if source not in VOICE_SOURCES:
            raise ValueError(f"source must be one of {', '.join(VOICE_SOURCES)}")
        if not vector or not all(math.isfinite(x) for x in vector):
            raise ValueError("a voice profile is a non-empty vector of finite numbers")
        if not math.isfinite(speech_s) or speech_s < 0:
            raise ValueError("speech_s must be a non-negative number of seconds")
        sealed = self.keys.encrypt(
            json.dumps([float(x) for x in vector], separators=(",", ":")), voice_place(user_id)
        )
        with Session(self.engine) as db, db.begin():
            row = db.get(VoiceProfileRow, user_id)
            if row is None:
                row = VoiceProfileRow(user_id=user_id)
                db.add(row)
            row.vector_enc = sealed
            row.speech_s = float(speech_s)
            row.source = source
            row.updated_at = utcnow()

    def delete_voice_profile(self, user_id: str) -> bool:
        """Remove the user's profile; False when there was none."""
        with Session(self.engine) as db, db.begin():
            row = db.get(VoiceProfileRow, user_id)
            if row is None:
                return False
            db.delete(row)
            return True

    # -- keys --------------------------------------------------------------------------

    def reencrypt_all(self) -> dict[str, int]:
        """Re-encrypt every PHI value under the active key (after ``KeyRing.rotate``)."""
        counts = {
            "clients": 0,
            "events": 0,
            "segments": 0,
            "users": 0,
            "voice_profiles": 0,
            "note_versions": 0,
        }
        k = self.keys
        with Session(self.engine) as db, db.begin():
            for c in db.scalars(select(Client)):
                ctx = client_label_place(c.id)
                c.label_enc = k.encrypt(k.decrypt(c.label_enc, ctx), ctx)
                counts["clients"] += 1
            for e in db.scalars(select(EventRow)):
                ctx = event_place(e.session_id, e.seq)
                e.payload_enc = k.encrypt(k.decrypt(e.payload_enc, ctx), ctx)
                counts["events"] += 1
            for s in db.scalars(select(SegmentRow)):
                ctx = segment_place(s.session_id, s.id)
                s.body_enc = k.encrypt(k.decrypt(s.body_enc, ctx), ctx)
                counts["segments"] += 1
            for u in db.scalars(select(User).where(User.totp_secret_enc.is_not(None))):
                ctx = totp_place(u.id)
                u.totp_secret_enc = k.encrypt(k.decrypt(u.totp_secret_enc or "", ctx), ctx)
                counts["users"] += 1
            for v in db.scalars(select(VoiceProfileRow)):
                ctx = voice_place(v.user_id)
                v.vector_enc = k.encrypt(k.decrypt(v.vector_enc, ctx), ctx)
                counts["voice_profiles"] += 1
            for n in db.scalars(select(NoteVersionRow)):
                ctx = note_version_place(n.session_id, n.version)
                n.body_enc = k.encrypt(k.decrypt(n.body_enc, ctx), ctx)
                counts["note_versions"] += 1
        return counts


def _segment_body(text: str, words: Any, speaker: str | None, role: str | None) -> str:
    """A segment's encrypted part: its words, and who said them."""
    return json.dumps({"text": text, "words": words, "speaker": speaker, "role": role})
