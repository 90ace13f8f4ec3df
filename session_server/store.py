"""Persistence of sessions, consents, transcript segments and events (SQLAlchemy 2).

SQLite under the data folder is the embedded default; any SQLAlchemy URL works.
All calls are synchronous: the server runs them on one database thread
(:class:`session_server.db.Database`) so that the event loop never blocks.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from companion.errors import SessionNotFoundError

PARTIES = ("therapist", "client")


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="created")
    created_at: Mapped[datetime] = mapped_column(default=_now)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class ConsentRow(Base):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    party: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    method: Mapped[str] = mapped_column(String(16))
    text_version: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=_now)


class SegmentRow(Base):
    __tablename__ = "segments"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    track: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class EventRow(Base):
    __tablename__ = "events"
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    state: str
    created_at: datetime
    ended_at: datetime | None
    consents: dict[str, dict[str, Any]]

    @property
    def consented(self) -> bool:
        return all(self.consents.get(p, {}).get("granted") for p in PARTIES)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # hide_parameters: SQL parameters hold PHI; keep them out of logs and errors.
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


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        Base.metadata.create_all(engine)

    def create_session(self) -> SessionInfo:
        session_id = uuid.uuid4().hex
        with Session(self.engine) as db, db.begin():
            db.add(SessionRow(id=session_id))
        return self.get_session(session_id)

    def get_session(self, session_id: str) -> SessionInfo:
        with Session(self.engine) as db:
            row = db.get(SessionRow, session_id)
            if row is None:
                raise SessionNotFoundError(f"unknown session {session_id[:32]!r}")
            consents: dict[str, dict[str, Any]] = {}
            rows = db.scalars(
                select(ConsentRow)
                .where(ConsentRow.session_id == session_id)
                .order_by(ConsentRow.id)
            )
            for c in rows:
                consents[c.party] = {
                    "granted": c.granted,
                    "method": c.method,
                    "text_version": c.text_version,
                    "recorded_at": c.recorded_at.isoformat(),
                }
            return SessionInfo(row.id, row.state, row.created_at, row.ended_at, consents)

    def set_state(self, session_id: str, state: str) -> None:
        with Session(self.engine) as db, db.begin():
            row = db.get(SessionRow, session_id)
            if row is None:
                raise SessionNotFoundError(f"unknown session {session_id[:32]!r}")
            row.state = state
            if state == "ended":
                row.ended_at = _now()

    def add_consent(
        self, session_id: str, party: str, granted: bool, method: str, text_version: str
    ) -> SessionInfo:
        self.get_session(session_id)
        with Session(self.engine) as db, db.begin():
            db.add(
                ConsentRow(
                    session_id=session_id,
                    party=party,
                    granted=granted,
                    method=method,
                    text_version=text_version,
                )
            )
        return self.get_session(session_id)

    def append_event(self, session_id: str, seq: int, type_: str, payload: dict[str, Any]) -> None:
        """Persist an event; a final transcript event also stores its segment."""
        with Session(self.engine) as db, db.begin():
            db.add(
                EventRow(
                    session_id=session_id,
                    seq=seq,
                    type=type_,
                    payload=json.dumps(payload, separators=(",", ":")),
                )
            )
            if type_ == "transcript.final":
                db.merge(
                    SegmentRow(
                        id=payload["segment_id"],
                        session_id=session_id,
                        track=payload["track"],
                        start=payload["start"],
                        end=payload["end"],
                        text=payload["text"],
                        words=payload["words"],
                    )
                )

    def events_since(self, session_id: str, since: int) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            rows = db.scalars(
                select(EventRow)
                .where(EventRow.session_id == session_id, EventRow.seq > since)
                .order_by(EventRow.seq)
            )
            return [json.loads(r.payload) for r in rows]

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
            return [
                {
                    "segment_id": r.id,
                    "track": r.track,
                    "start": r.start,
                    "end": r.end,
                    "text": r.text,
                    "words": r.words,
                }
                for r in rows
            ]
