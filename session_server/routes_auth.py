"""Login, tokens, WebSocket tickets, TOTP enrolment and user administration."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from companion.errors import AuthenticationError, PermissionDeniedError
from session_server.security.accounts import ROLES, Principal
from session_server.security.policy import require_role
from session_server.services import COOKIE, Services, principal, services

router = APIRouter()
Caller = Annotated[Principal, Depends(principal)]


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    totp: str | None = Field(default=None, max_length=12)


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=6, max_length=12)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    role: Literal["clinician", "supervisor", "biller", "admin"]
    password: str = Field(min_length=12, max_length=1024)
    supervisor_id: str | None = Field(default=None, max_length=32)


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=12, max_length=1024)


def _me(p: Principal) -> dict[str, Any]:
    return {"id": p.user_id, "username": p.username, "role": p.role}


async def _login(request: Request, body: Credentials) -> Principal:
    svc = services(request)
    try:
        who = await svc.db.run(svc.accounts.login, body.username, body.password, body.totp)
    except AuthenticationError as exc:
        await svc.audit(None, "auth.login", "user", "denied", str(exc)[:60])
        raise
    await svc.audit(who, "auth.login", f"user:{who.user_id}", "ok")
    return who


@router.post("/v1/auth/login")
async def login(request: Request, response: Response, body: Credentials) -> dict[str, Any]:
    """Browser sign-in: an HttpOnly, SameSite=Strict session cookie."""
    svc = services(request)
    who = await _login(request, body)
    token, _ = await svc.db.run(svc.accounts.issue, who.user_id, "cookie")
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", secure=svc.settings.tls, path="/"
    )
    return _me(who)


@router.post("/v1/auth/logout")
async def logout(request: Request, response: Response, who: Caller) -> dict[str, str]:
    svc = services(request)
    token = request.cookies.get(COOKIE) or request.headers.get("authorization", "")[7:]
    await svc.db.run(svc.accounts.revoke, token)
    response.delete_cookie(COOKIE, path="/")
    await svc.audit(who, "auth.logout", f"user:{who.user_id}", "ok")
    return {"status": "signed out"}


@router.post("/v1/auth/token")
async def token(request: Request, body: Credentials) -> dict[str, Any]:
    """API clients: a short-lived bearer token."""
    svc = services(request)
    who = await _login(request, body)
    value, ttl = await svc.db.run(svc.accounts.issue, who.user_id, "bearer")
    return {"access_token": value, "token_type": "bearer", "expires_in": ttl}


@router.post("/v1/auth/ws-ticket")
async def ws_ticket(request: Request, who: Caller) -> dict[str, Any]:
    """A single-use ticket for one WebSocket connection (``?ticket=``), valid 30 s."""
    svc = services(request)
    value, ttl = await svc.db.run(svc.accounts.issue, who.user_id, "ticket")
    await svc.audit(who, "auth.ws_ticket", f"user:{who.user_id}", "ok")
    return {"ticket": value, "expires_in": ttl}


@router.get("/v1/auth/me")
async def me(who: Caller) -> dict[str, Any]:
    return _me(who)


@router.post("/v1/auth/totp/enroll")
async def totp_enroll(request: Request, who: Caller) -> dict[str, str]:
    svc = services(request)
    uri = await svc.db.run(svc.accounts.begin_totp, who.user_id)
    await svc.audit(who, "auth.totp_enroll", f"user:{who.user_id}", "ok")
    return {"provisioning_uri": uri}


@router.post("/v1/auth/totp/confirm")
async def totp_confirm(request: Request, who: Caller, body: CodeIn) -> dict[str, str]:
    svc = services(request)
    try:
        await svc.db.run(svc.accounts.confirm_totp, who.user_id, body.code)
    except AuthenticationError:
        await svc.audit(who, "auth.totp_confirm", f"user:{who.user_id}", "denied")
        raise
    await svc.audit(who, "auth.totp_confirm", f"user:{who.user_id}", "ok")
    return {"status": "second factor enabled"}


@router.get("/v1/users")
async def list_users(request: Request, who: Caller) -> list[dict[str, object]]:
    require_role(who, "admin")
    svc = services(request)
    return await svc.db.run(svc.accounts.list_users, who.practice_id)


@router.post("/v1/users", status_code=201)
async def create_user(request: Request, who: Caller, body: UserIn) -> dict[str, Any]:
    require_role(who, "admin")
    svc = services(request)
    if body.supervisor_id is not None:
        users = await svc.db.run(svc.accounts.list_users, who.practice_id)
        if not any(u["id"] == body.supervisor_id and u["role"] == "supervisor" for u in users):
            raise HTTPException(422, "supervisor_id must be a supervisor of this practice")
    try:
        user = await svc.db.run(
            svc.accounts.create_user,
            who.practice_id,
            body.username,
            body.role,
            body.password,
            body.supervisor_id,
        )
    except ValueError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    await svc.audit(who, "user.create", f"user:{user.user_id}", "ok", body.role)
    return _me(user)


@router.post("/v1/users/{user_id}/disable")
async def disable_user(request: Request, who: Caller, user_id: str) -> dict[str, str]:
    return await _set_disabled(request, who, user_id, True)


@router.post("/v1/users/{user_id}/enable")
async def enable_user(request: Request, who: Caller, user_id: str) -> dict[str, str]:
    return await _set_disabled(request, who, user_id, False)


async def _set_disabled(
    request: Request, who: Principal, user_id: str, disabled: bool
) -> dict[str, str]:
    require_role(who, "admin")
    svc = services(request)
    await _of_practice(svc, who, user_id)
    await svc.db.run(svc.accounts.set_disabled, user_id, disabled)
    await svc.audit(who, "user.disable" if disabled else "user.enable", f"user:{user_id}", "ok")
    return {"status": "disabled" if disabled else "enabled"}


@router.post("/v1/users/{user_id}/password")
async def reset_password(
    request: Request, who: Caller, user_id: str, body: PasswordIn
) -> dict[str, str]:
    require_role(who, "admin")
    svc = services(request)
    await _of_practice(svc, who, user_id)
    await svc.db.run(svc.accounts.reset_password, user_id, body.password)
    await svc.audit(who, "user.reset_password", f"user:{user_id}", "ok")
    return {"status": "password reset"}


async def _of_practice(svc: Services, who: Principal, user_id: str) -> None:
    """An admin manages their own practice's users; any other user is not found."""
    users = await svc.db.run(svc.accounts.list_users, who.practice_id)
    if user_id not in {u["id"] for u in users}:
        raise PermissionDeniedError("unknown user", hide=True)


__all__ = ["ROLES", "router"]
