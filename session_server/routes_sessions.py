"""Clients and sessions over HTTP: every handler authorizes, then audits PHI access."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from companion.errors import PermissionDeniedError, SessionStateError, not_found
from session_server.schemas import ClientIn, ClientOut, ConsentIn, SessionIn, SessionOut
from session_server.security.accounts import Principal
from session_server.security.policy import Need, check_record, clinician_scope, require_role
from session_server.services import Services, principal, services
from session_server.store import SessionInfo

router = APIRouter()
Caller = Annotated[Principal, Depends(principal)]


async def _session(
    svc: Services, who: Principal, session_id: str, need: Need, action: str
) -> SessionInfo:
    info = await svc.db.run(svc.store.get_session, session_id)
    check_record(who, info.practice_id, info.clinician_id, need, _missing("session", session_id))
    await svc.audit(who, action, f"session:{info.id}", "ok")
    return info


def _missing(kind: str, record_id: str) -> str:
    """The store's message for an unknown record, so a hidden one reads the same."""
    return str(not_found(kind, record_id))


@router.post("/v1/clients", status_code=201)
async def create_client(request: Request, who: Caller, body: ClientIn) -> ClientOut:
    require_role(who, "clinician", "supervisor")
    clinician = body.clinician_id or who.user_id
    if clinician not in (clinician_scope(who) or set()):
        raise PermissionDeniedError("a client can only be assigned to you or a supervisee")
    svc = services(request)
    client = await svc.db.run(svc.store.create_client, who.practice_id, clinician, body.label)
    await svc.audit(who, "client.create", f"client:{client.id}", "ok")
    return ClientOut.of(client, with_label=True)


@router.get("/v1/clients")
async def list_clients(request: Request, who: Caller) -> list[ClientOut]:
    svc = services(request)
    scope = clinician_scope(who)
    clients = await svc.db.run(svc.store.list_clients, scope, who.practice_id)
    phi = who.role in ("clinician", "supervisor")
    await svc.audit(who, "client.list", "clients", "ok", f"{len(clients)} rows")
    return [ClientOut.of(c, with_label=phi) for c in clients]


@router.get("/v1/clients/{client_id}")
async def get_client(request: Request, who: Caller, client_id: str) -> ClientOut:
    svc = services(request)
    client = await svc.db.run(svc.store.get_client, client_id)
    check_record(
        who, client.practice_id, client.clinician_id, Need.META, _missing("client", client_id)
    )
    phi = who.role in ("clinician", "supervisor")
    await svc.audit(who, "client.read", f"client:{client.id}", "ok")
    return ClientOut.of(client, with_label=phi)


@router.post("/v1/sessions", status_code=201)
async def create_session(request: Request, who: Caller, body: SessionIn) -> SessionOut:
    require_role(who, "clinician", "supervisor")
    svc = services(request)
    client = await svc.db.run(svc.store.get_client, body.client_id)
    check_record(
        who, client.practice_id, client.clinician_id, Need.PHI, _missing("client", body.client_id)
    )
    info = await svc.db.run(svc.store.create_session, client.id, body.expected_speakers)
    await svc.audit(who, "session.create", f"session:{info.id}", "ok")
    return SessionOut.of(info)


@router.get("/v1/sessions")
async def list_sessions(request: Request, who: Caller) -> list[SessionOut]:
    svc = services(request)
    sessions = await svc.db.run(svc.store.list_sessions, clinician_scope(who), who.practice_id)
    await svc.audit(who, "session.list", "sessions", "ok", f"{len(sessions)} rows")
    return [SessionOut.of(s) for s in sessions]


@router.get("/v1/sessions/{session_id}")
async def get_session(request: Request, who: Caller, session_id: str) -> SessionOut:
    svc = services(request)
    info = await _session(svc, who, session_id, Need.META, "session.read")
    live = await svc.hub.get(session_id)
    return SessionOut.of(info, live.state, sorted(live.tracks))


@router.get("/v1/sessions/{session_id}/claim")
async def claim(request: Request, who: Caller, session_id: str) -> dict[str, Any]:
    """What billing needs: dates, times, duration; no transcript or narrative."""
    svc = services(request)
    info = await _session(svc, who, session_id, Need.META, "session.claim")
    minutes = None
    if info.ended_at is not None:
        minutes = round((info.ended_at - info.created_at).total_seconds() / 60, 1)
    return {
        "session_id": info.id,
        "client_id": info.client_id,
        "clinician_id": info.clinician_id,
        "date": info.created_at.date().isoformat(),
        "start": info.created_at.isoformat(),
        "end": info.ended_at.isoformat() if info.ended_at else None,
        "duration_minutes": minutes,
        "modality": "telehealth",
        "state": info.state,
    }


@router.post("/v1/sessions/{session_id}/consent")
async def consent(request: Request, who: Caller, session_id: str, body: ConsentIn) -> SessionOut:
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "consent.record")
    live = await svc.hub.get(session_id)
    if live.state == "ended":
        raise SessionStateError(f"session {session_id} has ended")
    state = body.resolved_state()
    info = await svc.db.run(
        svc.store.add_consent,
        session_id,
        body.party,
        state,
        body.method,
        body.text_version,
        who.user_id,
    )
    if state == "granted":
        await live.grant(info)
    else:
        await live.withdraw(state)
    return SessionOut.of(info, live.state, sorted(live.tracks))


@router.get("/v1/sessions/{session_id}/consents")
async def consent_history(request: Request, who: Caller, session_id: str) -> list[dict[str, Any]]:
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "consent.read")
    return await svc.db.run(svc.store.consent_history, session_id)


@router.post("/v1/sessions/{session_id}/end")
async def end_session(request: Request, who: Caller, session_id: str) -> SessionOut:
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "session.end")
    live = await svc.hub.get(session_id)
    if live.state != "ended":
        await svc.webrtc.close_session(session_id)
        await live.end()
    return SessionOut.of(await svc.db.run(svc.store.get_session, session_id))


@router.get("/v1/sessions/{session_id}/transcript")
async def transcript(request: Request, who: Caller, session_id: str) -> dict[str, Any]:
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "transcript.read")
    return {"session_id": session_id, "segments": await svc.db.run(svc.store.segments, session_id)}
