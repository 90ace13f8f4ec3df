"""WebRTC signalling: the browser's offer in, the service's answer out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from session_server.routes_sessions import _session
from session_server.security.accounts import Principal
from session_server.security.policy import Need, require_role
from session_server.services import principal, services
from session_server.webrtc import WebRtcOffer

router = APIRouter()
Caller = Annotated[Principal, Depends(principal)]


@router.get("/v1/webrtc/config")
async def webrtc_config(request: Request, who: Caller) -> dict[str, Any]:
    """ICE servers and packet time for the browser's peer connection."""
    require_role(who, "clinician", "supervisor")
    return services(request).webrtc.browser_config()


@router.post("/v1/sessions/{session_id}/webrtc")
async def webrtc_offer(
    request: Request, who: Caller, session_id: str, body: WebRtcOffer
) -> dict[str, str]:
    """Answer an SDP offer whose audio tracks are labelled by mid; replaces any earlier
    peer of the session (a reconnect resumes the session where it stopped)."""
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "audio.stream")
    live = await svc.hub.get(session_id)
    sdp = await svc.webrtc.answer(live, body)  # refuses an ended or unconsented session
    return {"type": "answer", "sdp": sdp}
