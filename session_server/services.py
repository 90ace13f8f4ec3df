"""What the request handlers share: settings, stores, the live-session hub, auditing."""

from __future__ import annotations

import contextvars
import logging
import uuid
from dataclasses import dataclass

from fastapi import Request, WebSocket

from companion.errors import AuthenticationError
from companion.settings import Settings
from session_server.db import Database
from session_server.live import SessionHub
from session_server.security.accounts import Accounts, Principal
from session_server.security.audit import AuditLog
from session_server.signed_notes import SignedNotes
from session_server.store import Store
from session_server.webrtc import WebRtcIngest

log = logging.getLogger(__name__)
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
COOKIE = "companion_session"
SYSTEM = Principal("system", "system", "system", "")


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    store: Store
    accounts: Accounts
    audit_log: AuditLog
    hub: SessionHub
    webrtc: WebRtcIngest
    signed: SignedNotes

    async def audit(
        self, who: Principal | None, action: str, resource: str, outcome: str, detail: str = ""
    ) -> None:
        """Append to the audit log (ids and actions only, never PHI)."""
        who = who or Principal("anonymous", "anonymous", "none", "")
        await self.db.run(
            self.audit_log.append,
            actor=who.user_id,
            role=who.role,
            action=action,
            resource=resource,
            request_id=request_id.get() or uuid.uuid4().hex,
            outcome=outcome,
            detail=detail,
        )


def services(conn: Request | WebSocket) -> Services:
    svc: Services = conn.app.state.services
    return svc


def bearer_or_cookie(conn: Request | WebSocket) -> str | None:
    auth = conn.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return conn.cookies.get(COOKIE)


async def principal(request: Request) -> Principal:
    """The authenticated caller (FastAPI dependency); 401 otherwise, audited."""
    svc = services(request)
    token = bearer_or_cookie(request)
    try:
        if not token:
            raise AuthenticationError("authentication required")
        who = await svc.db.run(svc.accounts.resolve, token, ("bearer", "cookie"))
    except AuthenticationError:
        await svc.audit(None, "auth.token", request.url.path[:96], "denied")
        raise
    request.state.principal = who
    return who
