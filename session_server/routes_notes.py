"""The note draft over HTTP: read it (as data and as SOAP, DAP or BIRP text), decide on
suggested items, add the clinician's own. Every change is a ``note.patch`` event too,
so the side-panel and the stored event log agree."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from note_builder.render import render
from session_server.notes import SessionNotes
from session_server.review import review_state, signed_note, with_waivers
from session_server.routes_sessions import _session
from session_server.schemas import NoteItemEdit, NoteItemIn
from session_server.security.accounts import Principal
from session_server.security.policy import Need, require_role
from session_server.services import Services, principal, services
from session_server.signed_notes import note_signed

router = APIRouter()
Caller = Annotated[Principal, Depends(principal)]
ItemId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.~:-]{1,160}$")]


@router.get("/v1/sessions/{session_id}/note")
async def get_note(
    request: Request,
    who: Caller,
    session_id: str,
    format: Annotated[Literal["soap", "dap", "birp"], Query()] = "soap",
) -> dict[str, Any]:
    """The draft: items by section with their evidence, the required elements (what is
    still not assessed), the measured session facts, and the rendered text."""
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "note.read")
    record = await svc.db.run(svc.signed.record, session_id)
    if record.signed:
        return signed_note(session_id, record)
    draft = await (await _notes(svc, session_id)).snapshot()
    shown = with_waivers(draft, record.waived)
    return {
        "session_id": session_id,
        "format": format,
        **shown.to_dict(),
        "text": render(shown, format),
        **record.to_dict(),
        **review_state(draft, record.waived),
    }


@router.patch("/v1/sessions/{session_id}/note/items/{item_id}")
async def edit_item(
    request: Request, who: Caller, session_id: str, item_id: ItemId, body: NoteItemEdit
) -> dict[str, Any]:
    """Accept, reject or rewrite an item (a rewritten item keeps its evidence)."""
    require_role(who, "clinician")
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "note.write")
    await _open(svc, session_id)
    if body.status is None and body.text is None:
        raise HTTPException(422, "give a status, a text, or both")
    item = await (await _notes(svc, session_id)).edit(item_id, body.status, body.text)
    return item.to_dict()


@router.post("/v1/sessions/{session_id}/note/items", status_code=201)
async def add_item(
    request: Request, who: Caller, session_id: str, body: NoteItemIn
) -> dict[str, Any]:
    """An item the clinician writes; it is marked clinician-authored."""
    require_role(who, "clinician")
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "note.write")
    await _open(svc, session_id)
    item = await (await _notes(svc, session_id)).author(body.kind, body.text, body.section)
    return item.to_dict()


async def _open(svc: Services, session_id: str) -> None:
    """A signed note takes no edits (its later changes are addenda)."""
    record = await svc.db.run(svc.signed.record, session_id)
    if record.signed:
        raise note_signed(session_id)


async def _notes(svc: Services, session_id: str) -> SessionNotes:
    """The session's note (404 where the installation has the draft switched off)."""
    live = await svc.hub.get(session_id)
    if live.notes is None:
        raise HTTPException(404, "the note draft is switched off on this installation")
    return live.notes
