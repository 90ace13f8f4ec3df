"""Users, roles, login with lockout, TOTP, and server-side tokens.

Tokens are random (256 bits); only their SHA-256 is stored, so a database dump holds no
usable credential. Kinds: ``bearer`` (API clients, short-lived), ``cookie`` (browser
session, ends after ``idle_timeout`` without use) and ``ticket`` (one WebSocket
connection, single use, 30 s).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from companion.errors import AuthenticationError, PermissionDeniedError
from session_server.models import AuthToken, User, totp_place, utcnow
from session_server.security.crypto import KeyRing
from session_server.security.passwords import hash_password, verify_password

ROLES = ("clinician", "supervisor", "biller", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: str
    username: str
    role: str
    practice_id: str
    supervisees: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return self.user_id


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    max_failures: int = 5
    lockout_minutes: int = 15
    idle_timeout_minutes: int = 15
    bearer_minutes: int = 60
    ticket_seconds: int = 30
    require_totp: bool = False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, engine: Engine, keys: KeyRing, policy: AccountPolicy) -> None:
        self.engine = engine
        self.keys = keys
        self.policy = policy

    # -- administration -------------------------------------------------------------

    def create_user(
        self,
        practice_id: str,
        username: str,
        role: str,
        password: str,
        supervisor_id: str | None = None,
    ) -> Principal:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not username.isascii() or not 1 <= len(username) <= 64:
            raise ValueError("usernames are 1-64 ASCII characters")
        pw = hash_password(password)
        with Session(self.engine) as db, db.begin():
            if db.scalar(select(User).where(User.username == username)) is not None:
                raise ValueError("a user with this name exists")
            user = User(
                id=secrets.token_hex(16),
                practice_id=practice_id,
                username=username,
                role=role,
                password_hash=pw,
                supervisor_id=supervisor_id,
            )
            db.add(user)
            return self._principal(db, user)

    def list_users(self, practice_id: str) -> list[dict[str, object]]:
        with Session(self.engine) as db:
            rows = db.scalars(
                select(User).where(User.practice_id == practice_id).order_by(User.username)
            )
            return [
                {
                    "id": u.id,
                    "username": u.username,
                    "role": u.role,
                    "disabled": u.disabled,
                    "totp_enabled": u.totp_enabled,
                    "supervisor_id": u.supervisor_id,
                }
                for u in rows
            ]

    def find(self, username: str) -> str | None:
        with Session(self.engine) as db:
            return db.scalar(select(User.id).where(User.username == username))

    def set_disabled(self, user_id: str, disabled: bool) -> None:
        with Session(self.engine) as db, db.begin():
            user = self._user(db, user_id)
            user.disabled = disabled
            if disabled:
                for t in db.scalars(select(AuthToken).where(AuthToken.user_id == user_id)):
                    db.delete(t)

    def reset_password(self, user_id: str, password: str) -> None:
        pw = hash_password(password)
        with Session(self.engine) as db, db.begin():
            user = self._user(db, user_id)
            user.password_hash, user.failed_logins, user.locked_until = pw, 0, None
            for t in db.scalars(select(AuthToken).where(AuthToken.user_id == user_id)):
                db.delete(t)

    # -- login --------------------------------------------------------------------------

    def login(self, username: str, password: str, totp_code: str | None) -> Principal:
        """Check credentials; repeated failures lock the account for a while."""
        now = utcnow()
        with Session(self.engine) as db, db.begin():
            user = db.scalar(select(User).where(User.username == username))
            ok = verify_password(user.password_hash if user else None, password)
            if user is None:
                raise AuthenticationError("invalid credentials")
            if user.locked_until and user.locked_until > now:
                # Same answer as a wrong password: a lock must not confirm the username.
                raise AuthenticationError("invalid credentials")
            # An enrolment begun by an admin (`companion admin totp NAME`) completes with
            # the first code, so a practice requiring TOTP never needs a password-only login.
            pending = self.policy.require_totp and user.totp_secret_enc is not None
            if ok and (user.totp_enabled or pending):
                ok = bool(totp_code) and self._totp(user).verify(totp_code or "", valid_window=1)
                user.totp_enabled = user.totp_enabled or ok
            if ok and not user.disabled:
                if self.policy.require_totp and not user.totp_enabled:
                    raise AuthenticationError(
                        "this practice requires a second factor: an admin must enrol you"
                    )
                user.failed_logins, user.locked_until = 0, None
                return self._principal(db, user)
            # Count the failure: it must be committed, so it is raised after the transaction.
            user.failed_logins += 1
            if user.failed_logins >= self.policy.max_failures:
                user.locked_until = now + timedelta(minutes=self.policy.lockout_minutes)
                user.failed_logins = 0
        raise AuthenticationError("invalid credentials")

    def begin_totp(self, user_id: str, replace: bool = False) -> str:
        """A new secret (returned once, as a provisioning URI) awaiting confirmation.

        An enabled second factor is only replaced from the server host (``replace``), so
        a stolen token cannot switch it off.
        """
        secret = pyotp.random_base32()
        with Session(self.engine) as db, db.begin():
            user = self._user(db, user_id)
            if user.totp_enabled and not replace:
                raise PermissionDeniedError("a second factor is already enabled")
            user.totp_secret_enc = self.keys.encrypt(secret, totp_place(user_id))
            user.totp_enabled = False
            return pyotp.TOTP(secret).provisioning_uri(
                name=user.username, issuer_name="Session companion"
            )

    def confirm_totp(self, user_id: str, code: str) -> None:
        with Session(self.engine) as db, db.begin():
            user = self._user(db, user_id)
            if not user.totp_secret_enc or not self._totp(user).verify(code, valid_window=1):
                raise AuthenticationError("invalid code")
            user.totp_enabled = True

    def _totp(self, user: User) -> pyotp.TOTP:
        secret = self.keys.decrypt(user.totp_secret_enc or "", totp_place(user.id))
        return pyotp.TOTP(secret)

    # -- tokens -------------------------------------------------------------------------

    def issue(self, user_id: str, kind: str) -> tuple[str, int]:
        """A new token of this kind and its lifetime in seconds."""
        p = self.policy
        ttl = {"bearer": p.bearer_minutes * 60, "cookie": 12 * 3600, "ticket": p.ticket_seconds}[
            kind
        ]
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with Session(self.engine) as db, db.begin():
            db.add(
                AuthToken(
                    token_hash=token_hash(token),
                    user_id=user_id,
                    kind=kind,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(seconds=ttl),
                )
            )
        return token, ttl

    def resolve(self, token: str, kinds: tuple[str, ...]) -> Principal:
        """The principal of a live token; a ticket is consumed, a cookie's idle clock reset."""
        now = utcnow()
        with Session(self.engine) as db, db.begin():
            row = db.get(AuthToken, token_hash(token))
            if row is None or row.kind not in kinds:
                raise AuthenticationError("invalid or expired credentials")
            idle = timedelta(minutes=self.policy.idle_timeout_minutes)
            expired = row.expires_at <= now or (
                row.kind in ("cookie", "bearer") and now - row.last_seen_at > idle
            )
            if expired or row.used:
                db.delete(row)
                raise AuthenticationError("invalid or expired credentials")
            if row.kind == "ticket":
                row.used = True
            row.last_seen_at = now
            user = self._user(db, row.user_id)
            if user.disabled:
                raise AuthenticationError("invalid or expired credentials")
            return self._principal(db, user)

    def revoke(self, token: str) -> None:
        with Session(self.engine) as db, db.begin():
            row = db.get(AuthToken, token_hash(token))
            if row is not None:
                db.delete(row)

    def purge_expired(self) -> int:
        with Session(self.engine) as db, db.begin():
            rows = list(db.scalars(select(AuthToken).where(AuthToken.expires_at <= utcnow())))
            for r in rows:
                db.delete(r)
            return len(rows)

    # -- helpers ------------------------------------------------------------------------

    def _user(self, db: Session, user_id: str) -> User:
        user = db.get(User, user_id)
        if user is None:
            raise PermissionDeniedError("unknown user", hide=True)
        return user

    def _principal(self, db: Session, user: User) -> Principal:
        supervisees: frozenset[str] = frozenset()
        if user.role == "supervisor":
            supervisees = frozenset(
                db.scalars(select(User.id).where(User.supervisor_id == user.id))
            )
        return Principal(user.id, user.username, user.role, user.practice_id, supervisees)
