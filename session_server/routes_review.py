"""After the session: the review queue, signing, addenda, co-signature, versions, exports.

* ``GET /v1/reviews``: the caller's ended sessions and their notes' states.
* ``PUT …/note/waivers``: required elements marked as deliberately not assessed.
* ``POST …/note/sign``: the treating clinician signs; the note and transcript become
  read-only, stored audio is deleted, and what the practice's retention setting says to
  delete goes too (audited).
* ``POST …/note/addenda``, ``POST …/note/cosign``: later versions, each signed and dated.
* ``GET …/note/versions[/{n}]``: every version, kept.
* ``GET …/note/export.txt | export.pdf | export.fhir.json``: the signed note out.

Every handler authorizes, then audits (ids, versions and hashes only; never content).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from companion.errors import NoteIncompleteError, PermissionDeniedError, SessionStateError
from session_server.exports import NoteDocument, fhir_bundle, pdf_bytes, plain_text
from session_server.review import (
    blocking,
    review_state,
    signature_body,
    signed_note,
    unreviewed,
)
from session_server.routes_notes import _notes
from session_server.routes_sessions import _session
from session_server.schemas import AddendumIn, CosignIn, SignIn, WaiversIn
from session_server.security.accounts import Principal
from session_server.security.policy import Need, clinician_scope, require_role
from session_server.services import SYSTEM, Services, principal, services
from session_server.signed_notes import note_signed
from session_server.store import SessionInfo

log = logging.getLogger(__name__)
router = APIRouter()
Caller = Annotated[Principal, Depends(principal)]
VersionNo = Annotated[int, Path(ge=1, le=10_000)]


@router.get("/v1/reviews")
async def reviews(request: Request, who: Caller) -> list[dict[str, Any]]:
    """Ended sessions of the caller (and, for a supervisor, their supervisees), newest
    first, with their note's state: ``draft`` (awaiting review and signature) or
    ``signed`` (and whether a supervisor co-signed)."""
    require_role(who, "clinician", "supervisor")
    svc = services(request)
    sessions = await svc.db.run(svc.store.list_sessions, clinician_scope(who), who.practice_id)
    ended = [s for s in sessions if s.state == "ended"]
    states = await svc.db.run(svc.signed.states, [s.id for s in ended])
    labels = {
        c.id: c.label
        for c in await svc.db.run(svc.store.list_clients, clinician_scope(who), who.practice_id)
    }
    await svc.audit(who, "review.list", "sessions", "ok", f"{len(ended)} rows")
    out = []
    for s in sorted(ended, key=lambda s: s.created_at, reverse=True):
        state, cosigned = states.get(s.id, ("draft", False))
        out.append(
            {
                "session_id": s.id,
                "client_id": s.client_id,
                "client_label": labels.get(s.client_id, ""),
                "clinician_id": s.clinician_id,
                "mine": s.clinician_id == who.user_id,
                "started_at": s.created_at.isoformat(),
                "ended_at": s.ended_at.isoformat() if s.ended_at else None,
                "note_state": state,
                "cosigned": cosigned,
            }
        )
    return out


@router.put("/v1/sessions/{session_id}/note/waivers")
async def set_waivers(
    request: Request, who: Caller, session_id: str, body: WaiversIn
) -> dict[str, Any]:
    """The required elements the clinician deliberately did not assess (by name); they
    no longer block signing and the note says "not assessed" for them."""
    require_role(who, "clinician")
    svc = services(request)
    info = await _session(svc, who, session_id, Need.PHI, "note.waive")
    _treating(who, info)
    draft = await (await _notes(svc, session_id)).snapshot()
    known = set(draft.elements)
    unknown = sorted(set(body.elements) - known)
    if unknown:
        raise SessionStateError(f"unknown required element(s): {', '.join(unknown)[:200]}")
    record = await svc.db.run(svc.signed.set_waived, session_id, body.elements)
    return {**record.to_dict(), **review_state(draft, record.waived)}


@router.post("/v1/sessions/{session_id}/note/sign")
async def sign(request: Request, who: Caller, session_id: str, body: SignIn) -> dict[str, Any]:
    """Sign the note (treating clinician only, after the session ended)."""
    require_role(who, "clinician")
    svc = services(request)
    info = await _session(svc, who, session_id, Need.PHI, "note.sign")
    _treating(who, info)
    live = await svc.hub.get(session_id)
    if live.state != "ended":
        raise SessionStateError(f"session {session_id} is still running: end it, then sign")
    notes = await _notes(svc, session_id)
    record = await svc.db.run(svc.signed.record, session_id)
    if record.signed:
        raise note_signed(session_id)
    notes.locked = True  # no edit may slip in between the checks and the signature
    try:
        draft = await notes.snapshot()
        todo, missing = unreviewed(draft), blocking(draft, record.waived)
        if todo or missing:
            raise NoteIncompleteError(session_id, todo, missing)
        client = await svc.db.run(svc.store.get_client, info.client_id)
        content = signature_body(
            draft, body.format, record.waived, info, client.label, who.username
        )
        version = await svc.db.run(svc.signed.sign, session_id, who.user_id, who.role, content)
    except Exception as exc:
        # Unlocked again unless another request signed it meanwhile.
        notes.locked = (await svc.db.run(svc.signed.record, session_id)).signed
        outcome = "blocked" if isinstance(exc, NoteIncompleteError) else "error"
        await svc.audit(who, "note.sign", f"session:{session_id}", outcome)
        raise
    await svc.audit(
        who, "note.sign", f"session:{session_id}", "ok", f"v1 sha256:{version.content_hash[:16]}"
    )
    await _after_signing(svc, session_id)
    return await _signed_view(svc, session_id)


async def _after_signing(svc: Services, session_id: str) -> None:
    """Stored audio goes at signing; transcript and draft data too where the practice
    keeps the signed note only. Each deletion is audited."""
    resource = f"session:{session_id}"
    try:
        vault = svc.hub.vault
        if vault is not None and await svc.db.run(vault.delete_session, session_id):
            await svc.audit(SYSTEM, "audio.delete", resource, "ok", "note signed")
        if svc.settings.retention_after_signing == "note_only":
            counts = await svc.db.run(svc.signed.delete_working_data, session_id)
            detail = f"note signed: {counts['segments']} segments, {counts['events']} events"
            await svc.audit(SYSTEM, "retention.delete", resource, "ok", detail)
    except Exception:
        # The signature stands; the failed deletion is on record for the practice to redo.
        log.exception("deleting data after signing failed for session %s", session_id)
        await svc.audit(SYSTEM, "retention.delete", resource, "error", "after signing")


@router.post("/v1/sessions/{session_id}/note/addenda", status_code=201)
async def add_addendum(
    request: Request, who: Caller, session_id: str, body: AddendumIn
) -> dict[str, Any]:
    """A dated, signed addendum to a signed note (the treating clinician, or their
    supervisor)."""
    require_role(who, "clinician", "supervisor")
    svc = services(request)
    info = await _session(svc, who, session_id, Need.PHI, "note.addendum")
    if who.user_id != info.clinician_id and info.clinician_id not in who.supervisees:
        raise PermissionDeniedError("only the treating clinician or their supervisor adds to it")
    return await _append(svc, who, session_id, "addendum", body.text)


@router.post("/v1/sessions/{session_id}/note/cosign", status_code=201)
async def cosign(request: Request, who: Caller, session_id: str, body: CosignIn) -> dict[str, Any]:
    """The treating clinician's supervisor co-signs the signed note."""
    require_role(who, "supervisor")
    svc = services(request)
    info = await _session(svc, who, session_id, Need.PHI, "note.cosign")
    if info.clinician_id not in who.supervisees:
        raise PermissionDeniedError("only the treating clinician's supervisor co-signs")
    return await _append(svc, who, session_id, "cosignature", body.text or "")


@router.get("/v1/sessions/{session_id}/note/versions")
async def versions(request: Request, who: Caller, session_id: str) -> dict[str, Any]:
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "note.versions")
    record = await svc.db.run(svc.signed.record, session_id)
    return {"session_id": session_id, **record.to_dict(), "intact": record.intact}


@router.get("/v1/sessions/{session_id}/note/versions/{version}")
async def version(
    request: Request, who: Caller, session_id: str, version: VersionNo
) -> dict[str, Any]:
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "note.version.read")
    v = await svc.db.run(svc.signed.version, session_id, version)
    return {"session_id": session_id, **v.to_dict()}


@router.get("/v1/sessions/{session_id}/note/export.txt")
async def export_text(request: Request, who: Caller, session_id: str) -> Response:
    doc = await _document(request, who, session_id, "note.export.text")
    return Response(
        plain_text(doc),
        media_type="text/plain; charset=utf-8",
        headers=_disposition(doc, "txt", inline=True),
    )


@router.get("/v1/sessions/{session_id}/note/export.pdf")
async def export_pdf(request: Request, who: Caller, session_id: str) -> Response:
    doc = await _document(request, who, session_id, "note.export.pdf")
    return Response(pdf_bytes(doc), media_type="application/pdf", headers=_disposition(doc, "pdf"))


@router.get("/v1/sessions/{session_id}/note/export.fhir.json")
async def export_fhir(request: Request, who: Caller, session_id: str) -> Response:
    doc = await _document(request, who, session_id, "note.export.fhir")
    return Response(
        fhir_bundle(doc),
        media_type="application/fhir+json",
        headers=_disposition(doc, "fhir.json"),
    )


# -- helpers ----------------------------------------------------------------------------


def _treating(who: Principal, info: SessionInfo) -> None:
    if who.user_id != info.clinician_id:
        raise PermissionDeniedError("only the treating clinician may do this")


async def _append(
    svc: Services, who: Principal, session_id: str, kind: str, text: str
) -> dict[str, Any]:
    """A later version (addendum or co-signature), signed by the caller, audited."""
    content = {"text": text, "signer_name": who.username}
    version = await svc.db.run(svc.signed.append, session_id, kind, who.user_id, who.role, content)
    action = "note.addendum" if kind == "addendum" else "note.cosign"
    detail = f"v{version.version} sha256:{version.content_hash[:16]}"
    await svc.audit(who, action, f"session:{session_id}", "ok", detail)
    return version.to_dict()


async def _document(request: Request, who: Principal, session_id: str, action: str) -> NoteDocument:
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, action)
    record = await svc.db.run(svc.signed.record, session_id)
    return NoteDocument.of(record)


def _disposition(doc: NoteDocument, ext: str, inline: bool = False) -> dict[str, str]:
    name = f"note-{doc.session_id[:12]}-v{doc.latest.version}.{ext}"
    how = "inline" if inline else "attachment"
    return {"Content-Disposition": f'{how}; filename="{name}"', "Cache-Control": "no-store"}


async def _signed_view(svc: Services, session_id: str) -> dict[str, Any]:
    record = await svc.db.run(svc.signed.record, session_id)
    return signed_note(session_id, record)
