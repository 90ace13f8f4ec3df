"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from session_server.store import ClientInfo, SessionInfo


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: Literal["therapist", "client"]
    granted: bool
    method: Literal["verbal", "written"]
    text_version: str = Field(min_length=1, max_length=64)
    # Finer than ``granted``: a pause stops capture like a revocation, to be resumed.
    state: Literal["granted", "paused", "revoked"] | None = None

    def resolved_state(self) -> str:
        if self.state is not None:
            return self.state
        return "granted" if self.granted else "revoked"


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: str = Field(min_length=1, max_length=32)
    # Voices to expect (a family or group session: more); None = the server's setting.
    expected_speakers: int | None = Field(default=None, ge=1, le=6)


class SpeakerRoleIn(BaseModel):
    """The clinician's correction of one speaker's role (side-panel)."""

    model_config = ConfigDict(extra="forbid")
    role: str = Field(pattern=r"^(therapist|client|unknown|participant-[1-9])$")
    track: Literal["mixed"] = "mixed"


class ClientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=200)
    clinician_id: str | None = Field(default=None, max_length=32)


class ClientOut(BaseModel):
    id: str
    clinician_id: str
    label: str | None
    created_at: datetime

    @classmethod
    def of(cls, c: ClientInfo, with_label: bool) -> ClientOut:
        return cls(
            id=c.id,
            clinician_id=c.clinician_id,
            label=c.label if with_label else None,
            created_at=c.created_at,
        )


class SessionOut(BaseModel):
    id: str
    state: str
    client_id: str
    clinician_id: str
    created_at: datetime
    ended_at: datetime | None
    consents: dict[str, dict[str, Any]]
    consented: bool
    tracks: list[str] = []
    expected_speakers: int | None = None  # None: the server's default

    @classmethod
    def of(
        cls, info: SessionInfo, state: str | None = None, tracks: list[str] | None = None
    ) -> SessionOut:
        return cls(
            id=info.id,
            state=state or info.state,
            client_id=info.client_id,
            clinician_id=info.clinician_id,
            created_at=info.created_at,
            ended_at=info.ended_at,
            consents=info.consents,
            consented=info.consented,
            tracks=tracks or [],
            expected_speakers=info.expected_speakers,
        )


NOTE_KINDS = (
    "presenting_concern|symptom|mood|stressor|substance_use|medication|report|measure|"
    "observation|intervention|client_response|progress|risk|assessment|homework|referral|"
    "next_appointment|plan"
)


class NoteItemEdit(BaseModel):
    """The clinician's decision on a suggested item: accept, reject, or rewrite it."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["suggested", "accepted", "rejected"] | None = None
    text: str | None = Field(default=None, min_length=1, max_length=2000)


class NoteItemIn(BaseModel):
    """An item the clinician writes (marked clinician-authored)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern=rf"^({NOTE_KINDS})$")
    text: str = Field(min_length=1, max_length=2000)
    section: Literal["subjective", "objective", "assessment", "plan"] | None = None


ELEMENT_NAME = r"^[a-z_]{1,40}$"


class WaiversIn(BaseModel):
    """Required elements deliberately not assessed (names, e.g. ``risk_assessment``)."""

    model_config = ConfigDict(extra="forbid")
    elements: list[Annotated[str, Field(pattern=ELEMENT_NAME)]] = Field(max_length=20)


class SignIn(BaseModel):
    """Sign the note in one of its formats (what is signed is that rendering)."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["soap", "dap", "birp"] = "soap"


class AddendumIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


class CosignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=2000)  # an optional comment
