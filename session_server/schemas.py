"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from session_server.store import SessionInfo


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: Literal["therapist", "client"]
    granted: bool
    method: Literal["verbal", "written"]
    text_version: str = Field(min_length=1, max_length=64)


class SessionOut(BaseModel):
    id: str
    state: str
    created_at: datetime
    ended_at: datetime | None
    consents: dict[str, dict[str, Any]]
    consented: bool
    tracks: list[str] = []

    @classmethod
    def of(
        cls, info: SessionInfo, state: str | None = None, tracks: list[str] | None = None
    ) -> SessionOut:
        return cls(
            id=info.id,
            state=state or info.state,
            created_at=info.created_at,
            ended_at=info.ended_at,
            consents=info.consents,
            consented=info.consented,
            tracks=tracks or [],
        )
