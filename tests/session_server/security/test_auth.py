"""Sign-in, tokens, WebSocket tickets, lockout, TOTP, idle logoff and user administration,
against a real server whose database the tests reach directly (to age tokens and locks)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
import sqlalchemy
import websockets
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from websockets.exceptions import ConnectionClosed

from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from session_server.app import open_stores
from session_server.bootstrap import ensure_account
from session_server.models import AuthToken, User, utcnow
from session_server.security.accounts import token_hash
from session_server.services import COOKIE
from tests.conftest import CLINICIAN_PASSWORD, _free_port, database_url, serve
from tests.session_server.helpers import end_session, new_session, serving, ticket

ADMIN = "auth-admin"
ADMIN_PASSWORD = "admin password for the auth tests"
PASSWORD = "a long enough password"


@dataclass(frozen=True, slots=True)
class Site:
    url: str
    settings: Settings
    engine: Engine

    @property
    def clinician(self) -> str:
        return f"clinician-{self.settings.port}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, scheduler: InferenceScheduler) -> Iterator[Site]:
    """A server of this module's own, its settings, and an engine on its database."""
    data = tmp_path_factory.mktemp("auth")
    settings = Settings(data_dir=data, port=_free_port(), database_url=database_url(data))
    with serve(settings, scheduler) as url:
        ensure_account(settings, ADMIN, "admin", ADMIN_PASSWORD)
        engine = sqlalchemy.create_engine(settings.resolved_database_url())
        try:
            yield Site(url, settings, engine)
        finally:
            engine.dispose()


def token_for(url: str, username: str, password: str, totp: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"username": username, "password": password}
    if totp is not None:
        body["totp"] = totp
    return httpx.post(f"{url}/v1/auth/token", json=body, timeout=30)


def bearer(url: str, username: str, password: str) -> dict[str, str]:
    r = token_for(url, username, password)
    assert r.status_code == 200, r.text
    return {"authorization": f"Bearer {r.json()['access_token']}"}


def me(url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{url}/v1/auth/me", headers=headers, timeout=30)


@pytest.fixture(scope="module")
def admin(site: Site) -> dict[str, str]:
    return bearer(site.url, ADMIN, ADMIN_PASSWORD)


def new_user(site: Site, admin: dict[str, str], name: str, role: str = "clinician") -> str:
    r = httpx.post(
        f"{site.url}/v1/users",
        json={"username": name, "role": role, "password": PASSWORD},
        headers=admin,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    assert r.json()["username"] == name and r.json()["role"] == role
    user_id: str = r.json()["id"]
    return user_id


def set_token(site: Site, token: str, **values: datetime) -> None:
    with site.engine.begin() as db:
        n = db.execute(
            update(AuthToken).where(AuthToken.token_hash == token_hash(token)).values(**values)
        ).rowcount
    assert n == 1, "the token is in the database"


def cookie_header(token: str) -> dict[str, str]:
    return {"cookie": f"{COOKIE}={token}"}


# -- browser sessions and bearer tokens ------------------------------------------------


def test_browser_login_sets_a_strict_httponly_cookie_that_logout_ends(site: Site) -> None:
    r = httpx.post(
        f"{site.url}/v1/auth/login",
        json={"username": site.clinician, "password": CLINICIAN_PASSWORD},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["username"] == site.clinician and r.json()["role"] == "clinician"
    [set_cookie] = [c for c in r.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}=")]
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in set_cookie.split(";")[1:]}
    assert "httponly" in attributes, set_cookie
    assert attributes.get("samesite", "").lower() == "samesite=strict", set_cookie
    assert attributes.get("path") == "Path=/", set_cookie
    token = r.cookies[COOKIE]
    assert len(token) >= 40, "a random token of 256 bits"

    who = me(site.url, cookie_header(token))
    assert who.status_code == 200
    assert who.json()["username"] == site.clinician
    assert me(site.url, {}).status_code == 401

    out = httpx.post(f"{site.url}/v1/auth/logout", headers=cookie_header(token), timeout=30)
    assert out.status_code == 200
    assert any(
        c.startswith(f"{COOKIE}=") and ("max-age=0" in c.lower() or "expires=" in c.lower())
        for c in out.headers.get_list("set-cookie")
    ), "logout tells the browser to drop the cookie"
    assert me(site.url, cookie_header(token)).status_code == 401, "the session ended server-side"


def test_token_endpoint_issues_a_bearer_token(site: Site) -> None:
    r = token_for(site.url, site.clinician, CLINICIAN_PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == site.settings.bearer_minutes * 60
    who = me(site.url, {"authorization": f"Bearer {body['access_token']}"})
    assert who.status_code == 200
    assert who.json() == {
        "id": who.json()["id"],
        "username": site.clinician,
        "role": "clinician",
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer garbage"},
        {"authorization": "Bearer"},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"cookie": f"{COOKIE}=garbage"},
    ],
    ids=["none", "garbage-bearer", "empty-bearer", "basic", "garbage-cookie"],
)
def test_missing_or_garbage_credentials_are_401(site: Site, headers: dict[str, str]) -> None:
    for path in ("/v1/auth/me", "/v1/sessions", "/v1/clients"):
        r = httpx.get(f"{site.url}{path}", headers=headers, timeout=30)
        assert r.status_code == 401, (path, r.text)
        assert r.headers.get("www-authenticate") == "Bearer"


def test_wrong_password_unknown_user_and_ticket_as_bearer_are_401(site: Site) -> None:
    wrong = token_for(site.url, site.clinician, "not the password at all")
    unknown = token_for(site.url, "nobody-by-this-name", CLINICIAN_PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json(), "the answer does not tell which usernames exist"
    # A WebSocket ticket is not an API credential.
    assert me(site.url, {"authorization": f"Bearer {ticket(site.url)}"}).status_code == 401


# -- WebSocket tickets --------------------------------------------------------------------


async def first_message_or_close(url: str, path: str) -> tuple[int | None, dict[str, Any] | None]:
    """Connect; (None, first message) if the server sends one, else (close code, None)."""
    async with websockets.connect("ws" + url[4:] + path) as ws:
        try:
            raw = await asyncio.wait_for(ws.recv(), 15)
        except ConnectionClosed:
            return ws.close_code, None
        message: dict[str, Any] = json.loads(raw)
        return None, message


async def test_ws_ticket_is_single_use_and_expires(site: Site) -> None:
    sid = await new_session(site.url)
    await end_session(site.url, sid)  # so that the events socket has an event to replay
    events = f"/v1/sessions/{sid}/events?since=0"

    once = ticket(site.url)
    code, message = await first_message_or_close(site.url, f"{events}&ticket={once}")
    assert code is None and message is not None, "a fresh ticket opens the socket"
    assert message["type"] == "session.state" and message["state"] == "ended"
    code, _ = await first_message_or_close(site.url, f"{events}&ticket={once}")
    assert code == 4401, "the second use of a ticket is refused"
    code, _ = await first_message_or_close(site.url, f"/v1/sessions/{sid}/audio?ticket={once}")
    assert code == 4401, "on the audio socket too"

    stale = ticket(site.url)
    set_token(site, stale, expires_at=utcnow() - timedelta(seconds=1))
    code, _ = await first_message_or_close(site.url, f"{events}&ticket={stale}")
    assert code == 4401, "an expired ticket is refused"

    assert (await first_message_or_close(site.url, events))[0] == 4401, "no ticket"
    bearer_token = token_for(site.url, site.clinician, CLINICIAN_PASSWORD).json()["access_token"]
    code, _ = await first_message_or_close(site.url, f"{events}&ticket={bearer_token}")
    assert code == 4401, "a bearer token is not a ticket"


# -- lockout, second factor, idle logoff, disabled accounts -------------------------------


def test_lockout_after_five_failures_refuses_the_right_password(
    site: Site, admin: dict[str, str]
) -> None:
    user_id = new_user(site, admin, "lockout-user")
    assert site.settings.max_failed_logins == 5
    for _ in range(5):
        assert token_for(site.url, "lockout-user", "wrong password, again").status_code == 401
    refused = token_for(site.url, "lockout-user", PASSWORD)
    assert refused.status_code == 401, "locked: even the right password is refused"
    with site.engine.connect() as db:
        locked_until = db.scalar(select(User.locked_until).where(User.id == user_id))
    assert locked_until is not None and locked_until > utcnow() + timedelta(minutes=10)

    with site.engine.begin() as db:
        db.execute(
            update(User)
            .where(User.id == user_id)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    assert token_for(site.url, "lockout-user", PASSWORD).status_code == 200, "lock expired"


def test_totp_enrolment_then_login_needs_the_code(site: Site, admin: dict[str, str]) -> None:
    user_id = new_user(site, admin, "totp-user")
    headers = bearer(site.url, "totp-user", PASSWORD)
    r = httpx.post(f"{site.url}/v1/auth/totp/enroll", headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    otp = pyotp.parse_uri(r.json()["provisioning_uri"])
    assert isinstance(otp, pyotp.TOTP)
    # Until confirmed, the second factor is not required.
    assert token_for(site.url, "totp-user", PASSWORD).status_code == 200
    r = httpx.post(
        f"{site.url}/v1/auth/totp/confirm", json={"code": otp.now()}, headers=headers, timeout=30
    )
    assert r.status_code == 200, r.text

    without = token_for(site.url, "totp-user", PASSWORD)
    assert without.status_code == 401
    assert token_for(site.url, "totp-user", PASSWORD, totp="12345x").status_code == 401
    with_code = token_for(site.url, "totp-user", PASSWORD, totp=otp.now())
    assert with_code.status_code == 200, with_code.text
    # The secret is stored encrypted.
    with site.engine.connect() as db:
        stored = db.scalar(select(User.totp_secret_enc).where(User.id == user_id))
    assert stored is not None and stored.startswith("v1.") and otp.secret not in stored


def test_a_token_alone_cannot_turn_an_enabled_second_factor_off(
    site: Site, admin: dict[str, str]
) -> None:
    """Whoever holds a (stolen) bearer token must not be able to drop the second factor by
    starting a new enrolment: until a new one is confirmed, the old one still applies."""
    new_user(site, admin, "reenrol-user")
    headers = bearer(site.url, "reenrol-user", PASSWORD)
    enroll = f"{site.url}/v1/auth/totp/enroll"
    otp = pyotp.parse_uri(httpx.post(enroll, headers=headers).json()["provisioning_uri"])
    r = httpx.post(f"{site.url}/v1/auth/totp/confirm", json={"code": otp.now()}, headers=headers)
    assert r.status_code == 200, r.text
    assert token_for(site.url, "reenrol-user", PASSWORD).status_code == 401

    httpx.post(enroll, headers=headers, timeout=30)  # refused, or a pending enrolment
    assert token_for(site.url, "reenrol-user", PASSWORD).status_code == 401, (
        "a password alone signs in again after an unconfirmed re-enrolment"
    )


def test_a_server_that_requires_totp_refuses_a_clinician_without_it(
    tmp_path: Path, scheduler: InferenceScheduler
) -> None:
    settings = Settings(data_dir=tmp_path, port=_free_port(), require_totp=True)
    with serving(settings, scheduler) as url:
        clinician = ensure_account(settings, "no-second-factor", "clinician", PASSWORD)
        refused = token_for(url, "no-second-factor", PASSWORD)
        assert refused.status_code == 401
        assert "second factor" in refused.json()["detail"]
        cookie = httpx.post(
            f"{url}/v1/auth/login",
            json={"username": "no-second-factor", "password": PASSWORD},
            timeout=30,
        )
        assert cookie.status_code == 401 and COOKIE not in cookie.cookies

        # Once the clinician has a second factor (enrolled on the host), the code lets them in.
        store, accounts, _ = open_stores(settings)
        try:
            otp = pyotp.parse_uri(accounts.begin_totp(clinician))
            accounts.confirm_totp(clinician, otp.now())
        finally:
            store.engine.dispose()
        assert token_for(url, "no-second-factor", PASSWORD).status_code == 401
        assert token_for(url, "no-second-factor", PASSWORD, totp=otp.now()).status_code == 200


def test_idle_browser_session_is_logged_off(site: Site, admin: dict[str, str]) -> None:
    new_user(site, admin, "idle-user")
    r = httpx.post(
        f"{site.url}/v1/auth/login",
        json={"username": "idle-user", "password": PASSWORD},
        timeout=30,
    )
    token = r.cookies[COOKIE]
    assert site.settings.idle_timeout_minutes == 15
    set_token(site, token, last_seen_at=utcnow() - timedelta(minutes=14))
    assert me(site.url, cookie_header(token)).status_code == 200, "14 minutes idle is fine"
    set_token(site, token, last_seen_at=utcnow() - timedelta(minutes=15, seconds=30))
    assert me(site.url, cookie_header(token)).status_code == 401, "over 15 minutes idle"
    assert me(site.url, cookie_header(token)).status_code == 401, "and it stays signed out"


def test_disabled_user_token_stops_working(site: Site, admin: dict[str, str]) -> None:
    user_id = new_user(site, admin, "leaver")
    headers = bearer(site.url, "leaver", PASSWORD)
    assert me(site.url, headers).status_code == 200
    r = httpx.post(f"{site.url}/v1/users/{user_id}/disable", headers=admin, timeout=30)
    assert r.status_code == 200, r.text
    assert me(site.url, headers).status_code == 401
    assert token_for(site.url, "leaver", PASSWORD).status_code == 401


# -- administration ------------------------------------------------------------------------


def test_admin_routes_work_for_admin_and_are_403_for_a_clinician(
    site: Site, admin: dict[str, str]
) -> None:
    users = f"{site.url}/v1/users"
    clinician = bearer(site.url, site.clinician, CLINICIAN_PASSWORD)
    body = {"username": "new-hire", "role": "clinician", "password": PASSWORD}

    r = httpx.post(users, json=body, headers=clinician, timeout=30)
    assert r.status_code == 403, r.text
    r = httpx.post(users, json=body, headers=admin, timeout=30)
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    assert httpx.post(users, json=body, headers=admin, timeout=30).status_code == 409
    short = {**body, "username": "short-password", "password": "short"}
    assert httpx.post(users, json=short, headers=admin, timeout=30).status_code == 422

    assert httpx.get(users, headers=clinician, timeout=30).status_code == 403
    listed = httpx.get(users, headers=admin, timeout=30)
    assert listed.status_code == 200
    row = next(u for u in listed.json() if u["username"] == "new-hire")
    assert row == {
        "id": user_id,
        "username": "new-hire",
        "role": "clinician",
        "disabled": False,
        "totp_enabled": False,
        "supervisor_id": None,
    }
    assert all("password" not in json.dumps(u) for u in listed.json())

    fresh = {"password": "a different long password"}
    reset = f"{users}/{user_id}/password"
    assert httpx.post(reset, json=fresh, headers=clinician, timeout=30).status_code == 403
    assert token_for(site.url, "new-hire", PASSWORD).status_code == 200, "unchanged by the 403"
    assert httpx.post(reset, json=fresh, headers=admin, timeout=30).status_code == 200
    assert token_for(site.url, "new-hire", PASSWORD).status_code == 401
    assert token_for(site.url, "new-hire", fresh["password"]).status_code == 200

    disable = f"{users}/{user_id}/disable"
    assert httpx.post(disable, headers=clinician, timeout=30).status_code == 403
    assert token_for(site.url, "new-hire", fresh["password"]).status_code == 200
    assert httpx.post(disable, headers=admin, timeout=30).status_code == 200
    listed = httpx.get(users, headers=admin, timeout=30).json()
    assert next(u for u in listed if u["id"] == user_id)["disabled"] is True
    enable = f"{users}/{user_id}/enable"
    assert httpx.post(enable, headers=clinician, timeout=30).status_code == 403
    assert token_for(site.url, "new-hire", fresh["password"]).status_code == 401


def test_passwords_are_stored_as_argon2id_hashes(site: Site, admin: dict[str, str]) -> None:
    new_user(site, admin, "hash-check")
    with site.engine.connect() as db:
        hashes = {n: h for n, h in db.execute(select(User.username, User.password_hash))}
    assert {ADMIN, site.clinician, "hash-check"} <= set(hashes)
    for name, stored in hashes.items():
        assert stored.startswith("$argon2id$"), name
        assert PASSWORD not in stored and CLINICIAN_PASSWORD not in stored
