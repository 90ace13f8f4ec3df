"""Authorization matrix: every route of the application × every kind of caller.

The routes are read from the application's own route table, so a route added later fails
``test_every_route_is_in_the_matrix`` until its expectations are written below. Each cell
calls the route against the records of clinician A ("owner") on a server of its own,
and every denial must have left a 'denied' row in the audit log, found by the request id
the cell sent (``X-Request-ID``).

Policy (``session_server.security.policy``): a clinician reaches their own clients and
sessions; a supervisor also their supervisees'; a biller only metadata (session get and
list, claim, client get and list without the label); an admin manages users only and
sees no clinical record. A record the caller may not know about answers 404 (WebSocket
close 4404), any other denial 403 (4403), no or bad credentials 401 (4401). A voice
profile (``/v1/me/voice-profile``) is the caller's own and only a clinician has one.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import secrets
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import pyotp
import pytest
import soundfile as sf
import websockets
from fastapi.routing import iter_route_contexts
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from starlette.routing import WebSocketRoute
from websockets.exceptions import ConnectionClosed

import tests.conftest as conftest
from asr.scheduler import InferenceScheduler
from benchmarks.sessions import ENROLMENT_TEXT, render_voice
from companion.settings import Settings
from session_server.app import create_app, open_stores
from session_server.bootstrap import ensure_account
from session_server.models import AuditRow, Practice
from tests.session_server.helpers import header
from tests.session_server.rtc_client import SpeechTrack, make_offer_pc

Outcome = int | str

# What a cell may answer besides a plain status or close code.
SEES = "SEES"  # 200, a list that holds the owner's record (with the client's label)
MISS = "MISS"  # 200, a list without the owner's record
META = "META"  # 200, the owner's client (or a list holding it) without its label: no PHI
OPEN = "OPEN"  # the WebSocket was accepted and stayed open until the caller closed it
# 404 from the session's speakers, not its access check: the caller reached the session,
# which has no speaker S9 (the matrix streams no one-channel audio with nine voices).
NO_SPEAKER = "NO_SPEAKER"
# The owner's edit of an item that the session's draft does not hold: 404 naming the item.
NO_ITEM = "NO_ITEM"
# A version of a note that is not signed yet: 404 naming the note version.
NO_VERSION = "NO_VERSION"

# anon: no credentials; owner: clinician A, who owns the records; peer: clinician B;
# sup: A's supervisor; other_sup: a supervisor of nobody here; biller; admin: the
# practice's admin; foreign: the admin of another practice on the same installation.
CALLERS = ("anon", "owner", "peer", "sup", "other_sup", "biller", "admin", "foreign")


def row(*outcomes: Outcome) -> dict[str, Outcome]:
    assert len(outcomes) == len(CALLERS)
    return dict(zip(CALLERS, outcomes, strict=True))


# fmt: off
EXPECTED: dict[str, dict[str, Outcome]] = {
    #                                           anon  owner peer  sup   o.sup biller admin foreign
    "GET /healthz":                         row(200,  200,  200,  200,  200,  200,  200,  200),
    "GET /openapi.json":                    row(200,  200,  200,  200,  200,  200,  200,  200),
    "GET /docs":                            row(200,  200,  200,  200,  200,  200,  200,  200),
    "GET /docs/oauth2-redirect":            row(200,  200,  200,  200,  200,  200,  200,  200),
    "GET /redoc":                           row(200,  200,  200,  200,  200,  200,  200,  200),
    "GET /":                                row(200,  200,  200,  200,  200,  200,  200,  200),
    "GET /bridge":                          row(200,  200,  200,  200,  200,  200,  200,  200),
    "GET /review":                          row(200,  200,  200,  200,  200,  200,  200,  200),
    "Mount /static":                        row(200,  200,  200,  200,  200,  200,  200,  200),
    "POST /v1/auth/login":                  row(401,  200,  200,  200,  200,  200,  200,  200),
    "POST /v1/auth/token":                  row(401,  200,  200,  200,  200,  200,  200,  200),
    "POST /v1/auth/logout":                 row(401,  200,  200,  200,  200,  200,  200,  200),
    "POST /v1/auth/ws-ticket":              row(401,  200,  200,  200,  200,  200,  200,  200),
    "GET /v1/auth/me":                      row(401,  200,  200,  200,  200,  200,  200,  200),
    "POST /v1/auth/totp/enroll":            row(401,  200,  200,  200,  200,  200,  200,  200),
    "POST /v1/auth/totp/confirm":           row(401,  200,  200,  200,  200,  200,  200,  200),
    "GET /v1/users":                        row(401,  403,  403,  403,  403,  403,  SEES, MISS),
    "POST /v1/users":                       row(401,  403,  403,  403,  403,  403,  201,  201),
    "POST /v1/users/{user_id}/disable":     row(401,  403,  403,  403,  403,  403,  200,  404),
    "POST /v1/users/{user_id}/enable":      row(401,  403,  403,  403,  403,  403,  200,  404),
    "POST /v1/users/{user_id}/password":    row(401,  403,  403,  403,  403,  403,  200,  404),
    "POST /v1/clients":                     row(401,  201,  403,  201,  403,  403,  403,  403),
    "GET /v1/clients":                      row(401,  SEES, MISS, SEES, MISS, META, 403,  403),
    "GET /v1/clients/{client_id}":          row(401,  200,  404,  200,  404,  META, 403,  404),
    "POST /v1/sessions":                    row(401,  201,  404,  201,  404,  403,  403,  403),
    "GET /v1/sessions":                     row(401,  SEES, MISS, SEES, MISS, SEES, 403,  403),
    "GET /v1/sessions/{session_id}":        row(401,  200,  404,  200,  404,  200,  403,  404),
    "GET /v1/sessions/{session_id}/claim":  row(401,  200,  404,  200,  404,  200,  403,  404),
    "POST /v1/sessions/{session_id}/consent": row(401, 200, 404,  200,  404,  403,  403,  404),
    "GET /v1/sessions/{session_id}/consents": row(401, 200, 404,  200,  404,  403,  403,  404),
    "POST /v1/sessions/{session_id}/end":   row(401,  200,  404,  200,  404,  403,  403,  404),
    "GET /v1/sessions/{session_id}/transcript": row(401, 200, 404, 200, 404,  403,  403,  404),
    "POST /v1/sessions/{session_id}/webrtc": row(401, 200,  404,  200,  404,  403,  403,  404),
    "GET /v1/webrtc/config":                row(401,  200,  200,  200,  200,  403,  403,  403),
    "WS /v1/sessions/{session_id}/audio":   row(4401, OPEN, 4404, OPEN, 4404, 4403, 4403, 4404),
    "WS /v1/sessions/{session_id}/events":  row(4401, OPEN, 4404, OPEN, 4404, 4403, 4403, 4404),
    "GET /v1/sessions/{session_id}/analytics": row(401, 200, 404, 200, 404,  403,  403,  404),
    # Probed with speaker S9, which no session of the matrix has: see NO_SPEAKER.
    "PUT /v1/sessions/{session_id}/speakers/{speaker}":
                                     row(401, NO_SPEAKER, 404, NO_SPEAKER, 404, 403, 403, 404),
    "GET /v1/sessions/{session_id}/note":   row(401,  200,  404,  200,  404,  403,  403,  404),
    # Deciding on the draft is the clinician's: a supervisor reads it, never edits it.
    # Probed with an item id no draft has: see NO_ITEM.
    "PATCH /v1/sessions/{session_id}/note/items/{item_id}":
                                     row(401, NO_ITEM, 404, 403, 403, 403, 403, 403),
    "POST /v1/sessions/{session_id}/note/items":
                                     row(401, 201,  404,  403,  403,  403,  403,  403),
    # After the session (probed on the running session, whose note is not signed: 409
    # where the caller got past the access check). Only the treating clinician waives
    # and signs; a supervisor adds addenda and co-signs; reading needs PHI access.
    "GET /v1/reviews":                      row(401,  SEES, MISS, SEES, MISS, 403,  403,  403),
    "PUT /v1/sessions/{session_id}/note/waivers":
                                     row(401, 200,  404,  403,  403,  403,  403,  403),
    "POST /v1/sessions/{session_id}/note/sign":
                                     row(401, 409,  404,  403,  403,  403,  403,  403),
    "POST /v1/sessions/{session_id}/note/addenda":
                                     row(401, 409,  404,  409,  404,  403,  403,  403),
    "POST /v1/sessions/{session_id}/note/cosign":
                                     row(401, 403,  403,  409,  404,  403,  403,  403),
    "GET /v1/sessions/{session_id}/note/versions":
                                     row(401, 200,  404,  200,  404,  403,  403,  404),
    "GET /v1/sessions/{session_id}/note/versions/{version}":
                                     row(401, NO_VERSION, 404, NO_VERSION, 404, 403, 403, 404),
    "GET /v1/sessions/{session_id}/note/export.txt":
                                     row(401, 409,  404,  409,  404,  403,  403,  404),
    "GET /v1/sessions/{session_id}/note/export.pdf":
                                     row(401, 409,  404,  409,  404,  403,  403,  404),
    "GET /v1/sessions/{session_id}/note/export.fhir.json":
                                     row(401, 409,  404,  409,  404,  403,  403,  404),
    # The caller's own voice profile: clinicians only (the PUT enrols a real recording).
    "PUT /v1/me/voice-profile":             row(401,  200,  200,  403,  403,  403,  403,  403),
    "GET /v1/me/voice-profile":             row(401,  200,  200,  403,  403,  403,  403,  403),
    "DELETE /v1/me/voice-profile":          row(401,  204,  204,  403,  403,  403,  403,  403),
}

# Beyond the matrix: one caller, one situation. name: (route, caller, expected, a denial
# that must be audited).
CONSENT = "POST /v1/sessions/{session_id}/consent"
AUDIO = "WS /v1/sessions/{session_id}/audio"
WEBRTC = "POST /v1/sessions/{session_id}/webrtc"
EVENTS = "WS /v1/sessions/{session_id}/events"
SPEAKERS = "PUT /v1/sessions/{session_id}/speakers/{speaker}"
VOICE = "PUT /v1/me/voice-profile"
EDGES: dict[str, tuple[str, str, Outcome, bool]] = {
    "consent on an ended session":    (CONSENT, "owner", 409, False),
    "invalid consent body":           (CONSENT, "owner", 422, False),
    "invalid body, no credentials":   (CONSENT, "anon", 401, True),
    "duplicate username":             ("POST /v1/users", "admin", 409, False),
    "unknown user":                   ("POST /v1/users/{user_id}/disable", "admin", 404, True),
    "supervisor from elsewhere":      ("POST /v1/users", "foreign", 422, False),
    "unknown supervisor":             ("POST /v1/users", "admin", 422, False),
    "supervisor of this practice":    ("POST /v1/users", "admin", 201, False),
    "unknown session":                ("GET /v1/sessions/{session_id}", "peer", 404, False),
    "disabled user's token":          ("GET /v1/auth/me", "victim", 401, True),
    "ticket used as a bearer token":  ("GET /v1/auth/me", "owner", 401, True),
    "wrong password":                 ("POST /v1/auth/token", "victim", 401, True),
    "audio before consent":           (AUDIO, "owner", 4403, False),
    "audio after the end":            (AUDIO, "owner", 4409, False),
    "webrtc before consent":          (WEBRTC, "owner", 409, False),
    "webrtc after the end":           (WEBRTC, "owner", 409, False),
    "webrtc, malformed SDP":          (WEBRTC, "owner", 422, False),
    "events, bad ticket":             (EVENTS, "owner", 4401, True),
    "events, reused ticket":          (EVENTS, "owner", 4401, True),
    "events, bearer token as ticket": (EVENTS, "owner", 4401, True),
    "speaker role, unknown role":     (SPEAKERS, "owner", 422, False),
    "speaker role, bad speaker id":   (SPEAKERS, "owner", 422, False),
    "speaker role, ended session":    (SPEAKERS, "owner", 409, False),
    "speaker role, no credentials":   (SPEAKERS, "anon", 401, True),
    "voice profile, not audio":       (VOICE, "owner", 422, False),
    "voice profile, wrong type":      (VOICE, "owner", 415, False),
    "voice profile, too large":       (VOICE, "owner", 413, False),
    "voice profile, no credentials":  (VOICE, "anon", 401, True),
}
# fmt: on

DENIALS = {401, 403, 404, 4401, 4403, 4404}
CLINICAL = ("/v1/clients", "/v1/sessions")
QUIET_S = 1.0  # a socket that says nothing for this long (and is not closed) stayed open


def new_rid() -> str:
    return f"mx-{uuid.uuid4().hex}"


# -- the installation --------------------------------------------------------------------


@dataclass
class Account:
    name: str
    role: str
    password: str
    id: str = ""
    token: str = ""
    totp: str = ""  # the TOTP secret, once enrolled


@dataclass
class Cell:
    route: str
    caller: str
    expected: Outcome
    actual: Outcome
    rid: str
    denial: bool


@dataclass
class World:
    url: str
    settings: Settings
    accounts: dict[str, Account] = field(default_factory=dict)
    label: str = field(default_factory=lambda: f"Matrix Client {secrets.token_hex(4)}")
    client_id: str = ""
    session_id: str = ""  # consented by both parties
    end_id: str = ""  # ended by the matrix
    ended_id: str = ""  # ended before the matrix
    unconsented_id: str = ""
    bodies: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def user(self, caller: str) -> Account:
        return self.accounts[caller]

    async def http(
        self,
        caller: str,
        method: str,
        path: str,
        rid: str,
        json_body: Any = None,
        token: str | None = None,
        content: tuple[str, bytes] | None = None,
    ) -> httpx.Response:
        """One request as ``caller`` (a new client each time: no cookie carries over);
        ``content`` is a raw body and its media type, instead of ``json_body``."""
        headers = {"x-request-id": rid}
        if token is None and caller != "anon":
            token = self.user(caller).token
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = None
        if content is not None:
            headers["content-type"], data = content
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as http:
            r = await http.request(method, path, json=json_body, content=data, headers=headers)
        self.bodies[caller].append(r.text)
        return r

    def credentials(self, caller: str) -> dict[str, str]:
        u = self.user(caller)
        body = {"username": u.name, "password": u.password}
        if u.totp:
            body["totp"] = pyotp.TOTP(u.totp).now()
        return body

    async def fresh_token(self, caller: str) -> str:
        r = await self.http("anon", "POST", "/v1/auth/token", new_rid(), self.credentials(caller))
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token

    async def ticket(self, caller: str) -> str:
        r = await self.http(caller, "POST", "/v1/auth/ws-ticket", new_rid())
        assert r.status_code == 200, r.text
        value: str = r.json()["ticket"]
        return value

    def fill(self, path: str) -> str:
        return (
            path.replace("{session_id}", self.session_id)
            .replace("{client_id}", self.client_id)
            .replace("{user_id}", self.user("victim").id)
        )

    async def socket(
        self,
        path: str,
        rid: str,
        ticket: str | None,
        audio_track: str | None = None,
    ) -> Outcome:
        """Connect; OPEN if the socket stays open (for audio: its track streams)."""
        query = f"ticket={ticket}" if ticket is not None else ""
        if audio_track:
            query = f"track={audio_track}&{query}"
        uri = "ws" + self.url[4:] + path + (f"?{query}" if query else "")
        async with websockets.connect(uri, additional_headers={"x-request-id": rid}) as ws:
            try:
                if audio_track:
                    await ws.send(header())
                while True:  # an events socket first replays the session's events
                    await asyncio.wait_for(ws.recv(), QUIET_S)
            except ConnectionClosed:
                return ws.close_code or 1005
            except TimeoutError:
                pass
            outcome: Outcome = OPEN
            if audio_track:
                sid = path.split("/")[3]
                r = await self.http("owner", "GET", f"/v1/sessions/{sid}", new_rid())
                if audio_track not in r.json()["tracks"]:
                    outcome = f"open, but track {audio_track} is not streaming"
            await ws.close()
            return outcome


def _create_users(w: World) -> None:
    """The callers' accounts: A is supervised by S; ``foreign`` is in another practice."""
    store, accounts, _ = open_stores(w.settings)
    try:
        practice = store.ensure_practice()
        elsewhere = uuid.uuid4().hex
        with Session(store.engine) as db, db.begin():
            db.add(Practice(id=elsewhere, name="Another practice"))
        for caller, role in [
            ("sup", "supervisor"),
            ("owner", "clinician"),
            ("peer", "clinician"),
            ("other_sup", "supervisor"),
            ("biller", "biller"),
            ("admin", "admin"),
            ("foreign", "admin"),
            ("victim", "clinician"),  # the target of the user-management routes
        ]:
            acct = Account(f"mx-{caller}", role, f"{caller} password for the matrix")
            if caller == "owner":
                acct.id = accounts.create_user(
                    practice, acct.name, role, acct.password, w.user("sup").id
                ).user_id
            elif caller == "foreign":
                acct.id = accounts.create_user(elsewhere, acct.name, role, acct.password).user_id
            else:
                acct.id = ensure_account(w.settings, acct.name, role, acct.password)
            w.accounts[caller] = acct
    finally:
        store.engine.dispose()


async def _setup(w: World) -> None:
    _create_users(w)
    for caller in w.accounts:
        w.user(caller).token = await w.fresh_token(caller)
    r = await w.http("owner", "POST", "/v1/clients", new_rid(), {"label": w.label})
    assert r.status_code == 201, r.text
    w.client_id = r.json()["id"]

    async def session(consent: bool, end: bool) -> str:
        r = await w.http("owner", "POST", "/v1/sessions", new_rid(), {"client_id": w.client_id})
        assert r.status_code == 201, r.text
        sid: str = r.json()["id"]
        for party in ("therapist", "client") if consent else ():
            body = {"party": party, "granted": True, "method": "verbal", "text_version": "v1"}
            r = await w.http("owner", "POST", f"/v1/sessions/{sid}/consent", new_rid(), body)
            assert r.status_code == 200, r.text
        if end:
            r = await w.http("owner", "POST", f"/v1/sessions/{sid}/end", new_rid())
            assert r.status_code == 200, r.text
        return sid

    w.session_id = await session(consent=True, end=False)
    w.end_id = await session(consent=True, end=False)
    w.ended_id = await session(consent=True, end=True)
    w.unconsented_id = await session(consent=False, end=False)


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, scheduler: InferenceScheduler
) -> AsyncIterator[World]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("authz"), port=conftest._free_port())
    with conftest.serve(settings, scheduler) as url:
        w = World(url, settings)
        await _setup(w)
        yield w


# -- the probes: one per route -------------------------------------------------------------

Probe = Callable[[World, str, str], Awaitable[Outcome]]
PROBES: dict[str, Probe] = {}


def probe(*routes: str) -> Callable[[Probe], Probe]:
    def register(fn: Probe) -> Probe:
        for route in routes:
            PROBES[route] = fn
        return fn

    return register


def plain(route: str, body: Callable[[World, str], Any] | None = None) -> None:
    """A probe whose outcome is the status code of one call to ``route``."""

    async def run(w: World, caller: str, rid: str) -> Outcome:
        method, path = route.split(" ", 1)
        payload = body(w, caller) if body else None
        return (await w.http(caller, method, w.fill(path), rid, payload)).status_code

    PROBES[route] = run


def _consent(w: World, caller: str) -> dict[str, Any]:
    return {"party": "therapist", "granted": True, "method": "verbal", "text_version": "v2"}


for _route in ["GET /healthz", "GET /openapi.json", "GET /docs", "GET /docs/oauth2-redirect"]:
    plain(_route)
plain("GET /redoc")
plain("GET /")
plain("GET /bridge")
plain("GET /review")


@probe("Mount /static")
async def _static(w: World, caller: str, rid: str) -> Outcome:
    return (await w.http(caller, "GET", "/static/sidepanel.js", rid)).status_code


plain("POST /v1/auth/ws-ticket")
plain("POST /v1/sessions", lambda w, _: {"client_id": w.client_id})
plain("POST /v1/clients", lambda w, _: {"label": w.label, "clinician_id": w.user("owner").id})
plain(CONSENT, _consent)
plain("GET /v1/sessions/{session_id}/consents")
plain("GET /v1/sessions/{session_id}/transcript")
plain("GET /v1/sessions/{session_id}/analytics")
plain("GET /v1/me/voice-profile")
plain("DELETE /v1/me/voice-profile")


@functools.cache
def _enrolment_wav() -> bytes:
    """About 20 s of one synthetic voice, as a WAV file."""
    buf = io.BytesIO()
    sf.write(buf, render_voice(ENROLMENT_TEXT, "therapist"), 16_000, format="WAV")
    return buf.getvalue()


@probe(VOICE)
async def _enrol(w: World, caller: str, rid: str) -> Outcome:
    body = ("audio/wav", _enrolment_wav())
    r = await w.http(caller, "PUT", "/v1/me/voice-profile", rid, content=body)
    if r.status_code == 200 and "vector" in r.text:
        return "200, with the vector"
    return r.status_code


async def _set_role(
    w: World, caller: str, rid: str, session_id: str, speaker: str = "S9", role: str = "client"
) -> Outcome:
    path = f"/v1/sessions/{session_id}/speakers/{speaker}"
    r = await w.http(caller, "PUT", path, rid, {"role": role, "track": "mixed"})
    if r.status_code == 404 and "speaker" in r.json().get("detail", ""):
        return NO_SPEAKER
    return r.status_code


@probe(SPEAKERS)
async def _speakers(w: World, caller: str, rid: str) -> Outcome:
    return await _set_role(w, caller, rid, w.session_id)


plain("GET /v1/sessions/{session_id}/note")
plain(
    "POST /v1/sessions/{session_id}/note/items",
    lambda w, _: {"kind": "plan", "text": "Continue weekly sessions."},
)


@probe("PATCH /v1/sessions/{session_id}/note/items/{item_id}")
async def _edit_item(w: World, caller: str, rid: str) -> Outcome:
    path = f"/v1/sessions/{w.session_id}/note/items/report-none-0"
    r = await w.http(caller, "PATCH", path, rid, {"status": "accepted"})
    if r.status_code == 404 and "note item" in r.json().get("detail", ""):
        return NO_ITEM
    return r.status_code


plain("GET /v1/webrtc/config")
plain(
    "PUT /v1/sessions/{session_id}/note/waivers",
    lambda w, _: {"elements": ["next_appointment"]},
)
plain("POST /v1/sessions/{session_id}/note/sign", lambda w, _: {"format": "soap"})
plain("POST /v1/sessions/{session_id}/note/addenda", lambda w, _: {"text": "Late entry."})
plain("POST /v1/sessions/{session_id}/note/cosign", lambda w, _: {})
plain("GET /v1/sessions/{session_id}/note/versions")
for _export in ("txt", "pdf", "fhir.json"):
    plain(f"GET /v1/sessions/{{session_id}}/note/export.{_export}")


@probe("GET /v1/sessions/{session_id}/note/versions/{version}")
async def _version(w: World, caller: str, rid: str) -> Outcome:
    r = await w.http(caller, "GET", f"/v1/sessions/{w.session_id}/note/versions/1", rid)
    if r.status_code == 404 and "note version" in r.json().get("detail", ""):
        return NO_VERSION
    return r.status_code


@probe("GET /v1/reviews")
async def _reviews(w: World, caller: str, rid: str) -> Outcome:
    r = await w.http(caller, "GET", "/v1/reviews", rid)
    if r.status_code != 200:
        return r.status_code
    return SEES if w.ended_id in {s["session_id"] for s in r.json()} else MISS


async def _offer(w: World, session_id: str, caller: str, rid: str, sdp: str = "") -> Outcome:
    """A real browser-like offer (aiortc) with one labelled audio track."""
    pc = make_offer_pc({"mixed": SpeechTrack(np.zeros(16_000, np.float32))})
    try:
        await pc.setLocalDescription(await pc.createOffer())
        body = {
            "type": "offer",
            "sdp": sdp or pc.localDescription.sdp,
            "tracks": {str(t.mid): "mixed" for t in pc.getTransceivers()},
        }
        path = f"/v1/sessions/{session_id}/webrtc"
        return (await w.http(caller, "POST", path, rid, body)).status_code
    finally:
        await pc.close()


@probe(WEBRTC)
async def _webrtc(w: World, caller: str, rid: str) -> Outcome:
    return await _offer(w, w.session_id, caller, rid)


plain("POST /v1/users/{user_id}/enable")
plain(
    "POST /v1/users",
    lambda _, caller: {
        "username": f"mx-new-{caller}-{secrets.token_hex(3)}",
        "role": "clinician",
        "password": "a long enough password",
    },
)


def sign_in(route: str) -> None:
    """Each caller signs in with their own credentials; anon with an unknown user's."""

    async def run(w: World, caller: str, rid: str) -> Outcome:
        creds = (
            {"username": "mx-nobody", "password": "no such user here"}
            if caller == "anon"
            else w.credentials(caller)
        )
        return (await w.http("anon", "POST", route.split(" ", 1)[1], rid, creds)).status_code

    PROBES[route] = run


sign_in("POST /v1/auth/login")
sign_in("POST /v1/auth/token")


@probe("POST /v1/auth/logout")
async def _logout(w: World, caller: str, rid: str) -> Outcome:
    if caller == "anon":
        return (await w.http(caller, "POST", "/v1/auth/logout", rid)).status_code
    token = await w.fresh_token(caller)
    r = await w.http(caller, "POST", "/v1/auth/logout", rid, token=token)
    after = await w.http(caller, "GET", "/v1/auth/me", new_rid(), token=token)
    return r.status_code if after.status_code == 401 else f"{r.status_code}, token still valid"


@probe("GET /v1/auth/me")
async def _me(w: World, caller: str, rid: str) -> Outcome:
    r = await w.http(caller, "GET", "/v1/auth/me", rid)
    if r.status_code == 200 and r.json()["id"] != w.user(caller).id:
        return "200, someone else"
    return r.status_code


@probe("POST /v1/auth/totp/enroll")
async def _enroll(w: World, caller: str, rid: str) -> Outcome:
    r = await w.http(caller, "POST", "/v1/auth/totp/enroll", rid)
    if r.status_code == 200:
        w.user(caller).totp = pyotp.parse_uri(r.json()["provisioning_uri"]).secret
    return r.status_code


@probe("POST /v1/auth/totp/confirm")
async def _confirm(w: World, caller: str, rid: str) -> Outcome:
    secret = w.user(caller).totp if caller != "anon" else ""
    code = pyotp.TOTP(secret).now() if secret else "000000"
    return (await w.http(caller, "POST", "/v1/auth/totp/confirm", rid, {"code": code})).status_code


@probe("GET /v1/users")
async def _users(w: World, caller: str, rid: str) -> Outcome:
    r = await w.http(caller, "GET", "/v1/users", rid)
    if r.status_code != 200:
        return r.status_code
    return SEES if w.user("victim").id in {u["id"] for u in r.json()} else MISS


@probe("POST /v1/users/{user_id}/disable")
async def _disable(w: World, caller: str, rid: str) -> Outcome:
    r = await w.http(caller, "POST", w.fill("/v1/users/{user_id}/disable"), rid)
    if r.status_code == 200:  # put the victim back for the next cell
        back = await w.http("admin", "POST", w.fill("/v1/users/{user_id}/enable"), new_rid())
        assert back.status_code == 200, back.text
    return r.status_code


@probe("POST /v1/users/{user_id}/password")
async def _password(w: World, caller: str, rid: str) -> Outcome:
    password = f"reset by {caller} {secrets.token_hex(4)}"
    body = {"password": password}
    r = await w.http(caller, "POST", w.fill("/v1/users/{user_id}/password"), rid, body)
    if r.status_code == 200:
        w.user("victim").password = password
    return r.status_code


def listing(route: str) -> None:
    """SEES, MISS or META: whether the list holds the owner's record, and its label."""

    async def run(w: World, caller: str, rid: str) -> Outcome:
        path = route.split(" ", 1)[1]
        r = await w.http(caller, "GET", path, rid)
        if r.status_code != 200:
            return r.status_code
        wanted = w.client_id if path == "/v1/clients" else w.session_id
        found = [item for item in r.json() if item["id"] == wanted]
        if not found:
            return MISS
        return META if found[0].get("label", "") is None else SEES

    PROBES[route] = run


listing("GET /v1/clients")
listing("GET /v1/sessions")


@probe("GET /v1/clients/{client_id}")
async def _client(w: World, caller: str, rid: str) -> Outcome:
    r = await w.http(caller, "GET", w.fill("/v1/clients/{client_id}"), rid)
    if r.status_code != 200:
        return r.status_code
    label = r.json()["label"]
    if label is None:
        return META
    return 200 if label == w.label else f"200, label {label!r}"


@probe("GET /v1/sessions/{session_id}")
async def _session(w: World, caller: str, rid: str) -> Outcome:
    r = await w.http(caller, "GET", w.fill("/v1/sessions/{session_id}"), rid)
    if r.status_code == 200 and r.json()["id"] != w.session_id:
        return "200, another session"
    return r.status_code


CLAIM_FIELDS = {
    "session_id",
    "client_id",
    "clinician_id",
    "date",
    "start",
    "end",
    "duration_minutes",
    "modality",
    "state",
}


@probe("GET /v1/sessions/{session_id}/claim")
async def _claim(w: World, caller: str, rid: str) -> Outcome:
    r = await w.http(caller, "GET", w.fill("/v1/sessions/{session_id}/claim"), rid)
    if r.status_code == 200 and set(r.json()) != CLAIM_FIELDS:
        return f"200, fields {sorted(r.json())}"
    return r.status_code


@probe("POST /v1/sessions/{session_id}/end")
async def _end(w: World, caller: str, rid: str) -> Outcome:
    path = f"/v1/sessions/{w.end_id}/end"
    return (await w.http(caller, "POST", path, rid)).status_code


TRACK_OF = {"owner": "therapist", "sup": "client"}  # two permitted callers, two tracks


@probe("WS /v1/sessions/{session_id}/audio")
async def _audio(w: World, caller: str, rid: str) -> Outcome:
    ticket = None if caller == "anon" else await w.ticket(caller)
    track = TRACK_OF.get(caller, "mixed")
    return await w.socket(w.fill("/v1/sessions/{session_id}/audio"), rid, ticket, track)


@probe("WS /v1/sessions/{session_id}/events")
async def _events(w: World, caller: str, rid: str) -> Outcome:
    ticket = None if caller == "anon" else await w.ticket(caller)
    return await w.socket(w.fill("/v1/sessions/{session_id}/events"), rid, ticket)


# -- the edge cases -------------------------------------------------------------------------

EdgeProbe = Callable[[World, str], Awaitable[Outcome]]
EDGE_PROBES: dict[str, EdgeProbe] = {}


def edge(name: str) -> Callable[[EdgeProbe], EdgeProbe]:
    def register(fn: EdgeProbe) -> EdgeProbe:
        EDGE_PROBES[name] = fn
        return fn

    return register


@edge("consent on an ended session")
async def _consent_ended(w: World, rid: str) -> Outcome:
    path = f"/v1/sessions/{w.ended_id}/consent"
    return (await w.http("owner", "POST", path, rid, _consent(w, "owner"))).status_code


@edge("invalid consent body")
async def _consent_invalid(w: World, rid: str) -> Outcome:
    path = w.fill("/v1/sessions/{session_id}/consent")
    body = {"party": "everyone", "granted": "maybe"}
    return (await w.http("owner", "POST", path, rid, body)).status_code


@edge("invalid body, no credentials")
async def _consent_invalid_anon(w: World, rid: str) -> Outcome:
    path = w.fill("/v1/sessions/{session_id}/consent")
    return (await w.http("anon", "POST", path, rid, {"party": "everyone"})).status_code


@edge("duplicate username")
async def _duplicate(w: World, rid: str) -> Outcome:
    body = {"username": w.user("peer").name, "role": "clinician", "password": "x" * 16}
    return (await w.http("admin", "POST", "/v1/users", rid, body)).status_code


@edge("supervisor from elsewhere")
async def _foreign_supervisor(w: World, rid: str) -> Outcome:
    """A user of another practice cannot be made anyone's supervisor."""
    body = {
        "username": f"mx-supervised-{secrets.token_hex(3)}",
        "role": "clinician",
        "password": "x" * 16,
        "supervisor_id": w.user("sup").id,
    }
    return (await w.http("foreign", "POST", "/v1/users", rid, body)).status_code


@edge("unknown supervisor")
async def _unknown_supervisor(w: World, rid: str) -> Outcome:
    body = {
        "username": f"mx-supervised-{secrets.token_hex(3)}",
        "role": "clinician",
        "password": "x" * 16,
        "supervisor_id": uuid.uuid4().hex,
    }
    return (await w.http("admin", "POST", "/v1/users", rid, body)).status_code


@edge("supervisor of this practice")
async def _own_supervisor(w: World, rid: str) -> Outcome:
    body = {
        "username": f"mx-supervised-{secrets.token_hex(3)}",
        "role": "clinician",
        "password": "x" * 16,
        "supervisor_id": w.user("sup").id,
    }
    return (await w.http("admin", "POST", "/v1/users", rid, body)).status_code


@edge("unknown user")
async def _unknown_user(w: World, rid: str) -> Outcome:
    path = f"/v1/users/{uuid.uuid4().hex}/disable"
    return (await w.http("admin", "POST", path, rid)).status_code


@edge("unknown session")
async def _unknown_session(w: World, rid: str) -> Outcome:
    path = f"/v1/sessions/{uuid.uuid4().hex}"
    return (await w.http("peer", "GET", path, rid)).status_code


@edge("disabled user's token")
async def _disabled(w: World, rid: str) -> Outcome:
    token = await w.fresh_token("victim")
    path = w.fill("/v1/users/{user_id}/disable")
    assert (await w.http("admin", "POST", path, new_rid())).status_code == 200
    try:
        return (await w.http("victim", "GET", "/v1/auth/me", rid, token=token)).status_code
    finally:
        path = w.fill("/v1/users/{user_id}/enable")
        assert (await w.http("admin", "POST", path, new_rid())).status_code == 200


@edge("ticket used as a bearer token")
async def _ticket_as_bearer(w: World, rid: str) -> Outcome:
    ticket = await w.ticket("owner")
    return (await w.http("owner", "GET", "/v1/auth/me", rid, token=ticket)).status_code


@edge("wrong password")
async def _wrong_password(w: World, rid: str) -> Outcome:
    body = {"username": w.user("victim").name, "password": "not the password at all"}
    return (await w.http("anon", "POST", "/v1/auth/token", rid, body)).status_code


@edge("audio before consent")
async def _audio_unconsented(w: World, rid: str) -> Outcome:
    path = f"/v1/sessions/{w.unconsented_id}/audio"
    return await w.socket(path, rid, await w.ticket("owner"), "mixed")


@edge("audio after the end")
async def _audio_ended(w: World, rid: str) -> Outcome:
    path = f"/v1/sessions/{w.ended_id}/audio"
    return await w.socket(path, rid, await w.ticket("owner"), "mixed")


@edge("webrtc before consent")
async def _webrtc_unconsented(w: World, rid: str) -> Outcome:
    return await _offer(w, w.unconsented_id, "owner", rid)


@edge("webrtc after the end")
async def _webrtc_ended(w: World, rid: str) -> Outcome:
    return await _offer(w, w.ended_id, "owner", rid)


@edge("webrtc, malformed SDP")
async def _webrtc_malformed(w: World, rid: str) -> Outcome:
    return await _offer(w, w.session_id, "owner", rid, sdp="v=0\r\nm=audio nonsense")


@edge("events, bad ticket")
async def _bad_ticket(w: World, rid: str) -> Outcome:
    path = w.fill("/v1/sessions/{session_id}/events")
    return await w.socket(path, rid, secrets.token_urlsafe(32))


@edge("events, reused ticket")
async def _reused_ticket(w: World, rid: str) -> Outcome:
    path = w.fill("/v1/sessions/{session_id}/events")
    ticket = await w.ticket("owner")
    first = await w.socket(path, new_rid(), ticket)
    assert first == OPEN, first
    return await w.socket(path, rid, ticket)


@edge("events, bearer token as ticket")
async def _bearer_as_ticket(w: World, rid: str) -> Outcome:
    path = w.fill("/v1/sessions/{session_id}/events")
    return await w.socket(path, rid, w.user("owner").token)


@edge("speaker role, unknown role")
async def _role_unknown(w: World, rid: str) -> Outcome:
    return await _set_role(w, "owner", rid, w.session_id, role="boss")


@edge("speaker role, bad speaker id")
async def _role_bad_speaker(w: World, rid: str) -> Outcome:
    return await _set_role(w, "owner", rid, w.session_id, speaker="S0")


@edge("speaker role, ended session")
async def _role_ended(w: World, rid: str) -> Outcome:
    return await _set_role(w, "owner", rid, w.ended_id, speaker="S1")


@edge("speaker role, no credentials")
async def _role_anon(w: World, rid: str) -> Outcome:
    return await _set_role(w, "anon", rid, w.session_id, role="boss")


@edge("voice profile, not audio")
async def _voice_garbage(w: World, rid: str) -> Outcome:
    body = ("application/octet-stream", secrets.token_bytes(4096))
    return (await w.http("owner", "PUT", "/v1/me/voice-profile", rid, content=body)).status_code


@edge("voice profile, wrong type")
async def _voice_type(w: World, rid: str) -> Outcome:
    body = ("text/plain", _enrolment_wav())
    return (await w.http("owner", "PUT", "/v1/me/voice-profile", rid, content=body)).status_code


@edge("voice profile, too large")
async def _voice_large(w: World, rid: str) -> Outcome:
    body = ("audio/wav", bytes(w.settings.max_enrolment_bytes + 1))
    return (await w.http("owner", "PUT", "/v1/me/voice-profile", rid, content=body)).status_code


@edge("voice profile, no credentials")
async def _voice_anon(w: World, rid: str) -> Outcome:
    body = ("audio/wav", secrets.token_bytes(64))
    return (await w.http("anon", "PUT", "/v1/me/voice-profile", rid, content=body)).status_code


# -- running it -------------------------------------------------------------------------------


async def _run_matrix(w: World) -> list[Cell]:
    cells = []
    for route, row_ in EXPECTED.items():
        for caller, expected in row_.items():
            rid = new_rid()
            actual = await PROBES[route](w, caller, rid)
            cells.append(Cell(route, caller, expected, actual, rid, expected in DENIALS))
    return cells


async def _run_edges(w: World) -> list[Cell]:
    cells = []
    for name, (_route, caller, expected, denial) in EDGES.items():
        rid = new_rid()
        actual = await EDGE_PROBES[name](w, rid)
        cells.append(Cell(name, caller, expected, actual, rid, denial))
    return cells


@pytest.fixture(scope="module")
async def matrix(world: World) -> list[Cell]:
    return await _run_matrix(world)


@pytest.fixture(scope="module")
async def edges(world: World, matrix: list[Cell]) -> list[Cell]:
    return await _run_edges(world)


def app_routes() -> set[str]:
    """Every route of the application as 'METHOD /path' ('WS /path' for a WebSocket).

    Routers included into the app are expanded (``iter_route_contexts``); HEAD beside GET
    is the same handler. Anything that is neither an HTTP nor a WebSocket route (a mount,
    a host) shows up under its type's name, and so is never in the table.
    """
    app = create_app(Settings())
    keys: set[str] = set()
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, WebSocketRoute):
            keys.add(f"WS {ctx.path}")
        elif ctx.methods:
            methods = set(ctx.methods) - ({"HEAD"} if "GET" in ctx.methods else set())
            keys |= {f"{m} {ctx.path}" for m in methods}
        else:
            keys.add(f"{type(route).__name__} {getattr(route, 'path', '?')}")
    return keys


def audit_rows(settings: Settings) -> list[tuple[str, str, str]]:
    """(request id, action, outcome) of every audit entry, read from the server's DB."""
    engine = create_engine(settings.resolved_database_url())
    try:
        with Session(engine) as db:
            rows = db.execute(select(AuditRow.request_id, AuditRow.action, AuditRow.outcome))
            return [(r[0], r[1], r[2]) for r in rows]
    finally:
        engine.dispose()


def render(cells: list[Cell]) -> str:
    routes = list(dict.fromkeys(c.route for c in cells))
    width = max(len(r) for r in routes)
    lines = [" " * width + "".join(f"{c[:9]:>10}" for c in CALLERS)]
    for route in routes:
        got = {c.caller: c for c in cells if c.route == route}
        marks = [
            f"{got[c].actual!s:>9}{'!' if got[c].actual != got[c].expected else ' '}"
            for c in CALLERS
        ]
        lines.append(f"{route:<{width}}" + "".join(marks))
    return "\n".join(lines)


# -- the tests --------------------------------------------------------------------------------


def test_every_route_is_in_the_matrix() -> None:
    routes = app_routes()
    missing = sorted(routes - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - routes)
    assert not missing, f"routes with no row in the authorization matrix: {missing}"
    assert not stale, f"rows of the matrix for routes the app does not have: {stale}"
    assert PROBES.keys() == EXPECTED.keys()
    assert EDGE_PROBES.keys() == EDGES.keys()
    assert {route for route, *_ in EDGES.values()} <= routes
    assert all(set(r) == set(CALLERS) for r in EXPECTED.values())


def test_the_matrix_covers_every_route_and_caller(matrix: list[Cell]) -> None:
    routes = app_routes()
    covered = {(c.route, c.caller) for c in matrix}
    assert covered == {(r, c) for r in routes for c in CALLERS}
    assert len(matrix) == len(routes) * len(CALLERS)
    print(f"\nauthorization matrix: {len(routes)} routes × {len(CALLERS)} callers")
    print(render(matrix))


@pytest.mark.parametrize("route", list(EXPECTED))
def test_route(route: str, matrix: list[Cell]) -> None:
    wrong = {
        c.caller: f"expected {c.expected}, got {c.actual}"
        for c in matrix
        if c.route == route and c.actual != c.expected
    }
    assert not wrong, f"{route}: {wrong}"


@pytest.mark.parametrize("name", list(EDGES))
def test_edge_case(name: str, edges: list[Cell]) -> None:
    (cell,) = [c for c in edges if c.route == name]
    assert cell.actual == cell.expected, f"{name}: expected {cell.expected}, got {cell.actual}"


def test_every_denial_is_audited(world: World, matrix: list[Cell], edges: list[Cell]) -> None:
    denied = {rid for rid, _, outcome in audit_rows(world.settings) if outcome == "denied"}
    cells = [c for c in [*matrix, *edges] if c.denial and c.actual == c.expected]
    unaudited = [f"{c.route} as {c.caller} ({c.actual})" for c in cells if c.rid not in denied]
    assert len(cells) > 100
    assert not unaudited, f"denials with no 'denied' audit entry: {unaudited}"
    # 403 and 404 are what the policy decided; each has its entry.
    assert any(c.actual in (403, 4403) for c in cells)
    assert any(c.actual in (404, 4404) for c in cells)


def test_every_clinical_access_is_audited(world: World, matrix: list[Cell]) -> None:
    ok = {rid for rid, _, outcome in audit_rows(world.settings) if outcome == "ok"}
    granted = [
        c
        for c in matrix
        if c.actual == c.expected and not c.denial and c.route.split(" ", 1)[1].startswith(CLINICAL)
    ]
    assert granted
    unaudited = [f"{c.route} as {c.caller}" for c in granted if c.rid not in ok]
    assert not unaudited, f"clinical access with no 'ok' audit entry: {unaudited}"


def test_no_client_label_reaches_a_caller_without_phi_access(
    world: World, matrix: list[Cell], edges: list[Cell]
) -> None:
    for caller in ("anon", "peer", "other_sup", "biller", "admin", "foreign", "victim"):
        leaks = [body[:80] for body in world.bodies[caller] if world.label in body]
        assert not leaks, f"{caller} received the client's label: {leaks}"


async def test_a_hidden_record_looks_like_a_missing_one(world: World) -> None:
    """404 for another clinician's record must not tell it apart from an unknown id."""
    w = world
    fake = uuid.uuid4().hex
    for template, real in [
        ("/v1/sessions/{}", w.session_id),
        ("/v1/sessions/{}/transcript", w.session_id),
        ("/v1/sessions/{}/analytics", w.session_id),
        ("/v1/clients/{}", w.client_id),
    ]:
        hidden = await w.http("peer", "GET", template.format(real), new_rid())
        missing = await w.http("peer", "GET", template.format(fake), new_rid())
        assert hidden.status_code == missing.status_code == 404
        assert json.loads(hidden.text.replace(real, "ID")) == json.loads(
            missing.text.replace(fake, "ID")
        ), template
    hidden = await w.http("peer", "POST", "/v1/sessions", new_rid(), {"client_id": w.client_id})
    missing = await w.http("peer", "POST", "/v1/sessions", new_rid(), {"client_id": fake})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(w.client_id, "ID") == missing.text.replace(fake, "ID")
    reasons = []
    for sid in (w.session_id, fake):
        uri = "ws" + w.url[4:] + f"/v1/sessions/{sid}/events?ticket={await w.ticket('peer')}"
        async with websockets.connect(uri) as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            reasons.append((ws.close_code, (ws.close_reason or "").replace(sid, "ID")))
    assert reasons[0] == reasons[1] and reasons[0][0] == 4404
