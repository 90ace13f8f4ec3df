"""Database tables (SQLAlchemy 2). Columns ending in ``_enc`` hold AES-256-GCM ciphertext.

The schema is created and upgraded by the Alembic migrations in
``session_server/migrations``; these classes must match them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# Associated data of each encrypted column: a ciphertext decrypts only in its own place.
def client_label_place(client_id: str) -> str:
    return f"clients.label:{client_id}"


def event_place(session_id: str, seq: int) -> str:
    return f"events:{session_id}:{seq}"


def segment_place(session_id: str, segment_id: str) -> str:
    return f"segments:{session_id}:{segment_id}"


def totp_place(user_id: str) -> str:
    return f"users.totp:{user_id}"


def voice_place(user_id: str) -> str:
    return f"voice_profiles.vector:{user_id}"


def note_version_place(session_id: str, version: int) -> str:
    return f"note_versions:{session_id}:{version}"


class Base(DeclarativeBase):
    pass


class Practice(Base):
    __tablename__ = "practices"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    practice_id: Mapped[str] = mapped_column(ForeignKey("practices.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret_enc: Mapped[str | None] = mapped_column(Text, default=None)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    supervisor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthToken(Base):
    """Bearer tokens, browser sessions and WebSocket tickets; only their hash is stored."""

    __tablename__ = "auth_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    practice_id: Mapped[str] = mapped_column(ForeignKey("practices.id"), index=True)
    clinician_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    label_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    practice_id: Mapped[str] = mapped_column(ForeignKey("practices.id"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    clinician_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="created")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # How many voices to expect (1-6); None: the installation's ``expected_speakers``.
    expected_speakers: Mapped[int | None] = mapped_column(Integer, default=None)


class ConsentRow(Base):
    """One consent decision; the latest per party is its current state."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    party: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    text_version: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SegmentRow(Base):
    __tablename__ = "segments"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    track: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    body_enc: Mapped[str] = mapped_column(Text)  # {"text", "words", "speaker", "role"}


class VoiceProfileRow(Base):
    """A clinician's voice (biometric PHI): a 256-d embedding, encrypted, never returned."""

    __tablename__ = "voice_profiles"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    vector_enc: Mapped[str] = mapped_column(Text)  # JSON list of floats
    speech_s: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))  # enrolment | sessions | both
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoteRecordRow(Base):
    """A session's note as a record: draft until signed, then read-only. ``waived`` lists
    the required elements the clinician marked as deliberately not assessed (names only)."""

    __tablename__ = "note_records"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft | signed
    waived: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of element names
    signed_version: Mapped[int | None] = mapped_column(Integer, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoteVersionRow(Base):
    """One signed version of a note: the signature (1), then addenda and co-signatures.

    Rows are only ever added. ``content_hash`` is the SHA-256 of the version's canonical
    content, which includes ``prev_hash``: the versions form a chain."""

    __tablename__ = "note_versions"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))  # signature | addendum | cosignature
    signer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    signer_role: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[str] = mapped_column(String(32))  # ISO 8601 UTC, as hashed
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    body_enc: Mapped[str] = mapped_column(Text)  # the signed content (JSON)


class EventRow(Base):
    __tablename__ = "events"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    payload_enc: Mapped[str] = mapped_column(Text)


class AuditRow(Base):
    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(48))
    resource: Mapped[str] = mapped_column(String(96))
    request_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(200))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """Where verification starts: the genesis, or the last entry retention removed."""

    __tablename__ = "audit_anchor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
