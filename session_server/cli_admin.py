"""``companion admin|keys|audit|db``: administration from the practice's own machine.

These commands open the database and key ring directly (as the service does), so they
run on the server host by whoever may read its data folder. Each is audited as the
``system`` actor.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid

from companion.settings import Settings
from session_server.security.accounts import Accounts
from session_server.security.audit import AuditLog
from session_server.store import Store


def _stores() -> tuple[Store, Accounts, AuditLog]:
    from session_server.app import open_stores

    return open_stores(Settings())


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("passwords differ")
    return first


def _audit(audit_log: AuditLog, action: str, resource: str, outcome: str = "ok") -> None:
    audit_log.append(
        actor="system",
        role="system",
        action=action,
        resource=resource,
        request_id=uuid.uuid4().hex,
        outcome=outcome,
    )


def create_user(args: argparse.Namespace) -> int:
    store, accounts, audit_log = _stores()
    practice = store.ensure_practice()
    supervisor = accounts.find(args.supervisor) if args.supervisor else None
    if args.supervisor and supervisor is None:
        raise SystemExit(f"no user named {args.supervisor}")
    try:
        user = accounts.create_user(practice, args.name, args.role, _password(args), supervisor)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    _audit(audit_log, "user.create", f"user:{user.user_id}")
    print(f"created {args.role} {args.name} ({user.user_id})")
    return 0


def list_users(args: argparse.Namespace) -> int:
    store, accounts, _ = _stores()
    for u in accounts.list_users(store.ensure_practice()):
        flags = " disabled" if u["disabled"] else ""
        flags += " totp" if u["totp_enabled"] else ""
        print(f"{u['username']:<24} {u['role']:<11} {u['id']}{flags}")
    return 0


def _user_id(accounts: Accounts, name: str) -> str:
    uid = accounts.find(name)
    if uid is None:
        raise SystemExit(f"no user named {name}")
    return str(uid)


def set_disabled(args: argparse.Namespace) -> int:
    _, accounts, audit_log = _stores()
    uid = _user_id(accounts, args.name)
    accounts.set_disabled(uid, args.disable)
    _audit(audit_log, "user.disable" if args.disable else "user.enable", f"user:{uid}")
    print(("disabled " if args.disable else "enabled ") + args.name)
    return 0


def reset_password(args: argparse.Namespace) -> int:
    _, accounts, audit_log = _stores()
    uid = _user_id(accounts, args.name)
    accounts.reset_password(uid, _password(args))
    _audit(audit_log, "user.reset_password", f"user:{uid}")
    print(f"password reset for {args.name}")
    return 0


def enrol_totp(args: argparse.Namespace) -> int:
    _, accounts, audit_log = _stores()
    uid = _user_id(accounts, args.name)
    uri = accounts.begin_totp(uid, replace=True)
    _audit(audit_log, "auth.totp_enroll", f"user:{uid}")
    print("Scan or enter in the user's authenticator app; their first sign-in with a code")
    print("completes the enrolment:")
    print(uri)
    return 0


def rotate_keys(args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.data_key:
        raise SystemExit("the key comes from COMPANION_DATA_KEY: rotate it with a key file")
    store, _, audit_log = _stores()
    keys = store.keys
    new = keys.rotate()
    counts = store.reencrypt_all()
    audit_log.remac()
    keys.save(settings.resolved_key_file())
    _audit(audit_log, "keys.rotate", f"key:{new}")
    print(f"active key {new}; re-encrypted " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def verify_audit(args: argparse.Namespace) -> int:
    _, _, audit_log = _stores()
    report = audit_log.verify()
    if report.ok:
        print(f"audit log intact: {report.checked} entries verified")
        return 0
    print(f"AUDIT LOG TAMPERED at entry {report.first_bad_seq}: {report.problem}")
    return 1


def db_upgrade(args: argparse.Namespace) -> int:
    _stores()  # opening migrates to the newest schema
    print("database schema is current")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = sub.add_parser("admin", help="user accounts").add_subparsers(
        dest="admin", required=True
    )
    c = admin.add_parser("create-user", help="create an account")
    c.add_argument("name")
    c.add_argument("--role", required=True, choices=["clinician", "supervisor", "biller", "admin"])
    c.add_argument("--supervisor", help="username of the supervisor of this clinician")
    c.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    c.set_defaults(run=create_user)
    admin.add_parser("list-users").set_defaults(run=list_users)
    for verb, flag in (("disable-user", True), ("enable-user", False)):
        d = admin.add_parser(verb)
        d.add_argument("name")
        d.set_defaults(run=set_disabled, disable=flag)
    t = admin.add_parser("totp", help="start second-factor enrolment for a user")
    t.add_argument("name")
    t.set_defaults(run=enrol_totp)
    r = admin.add_parser("reset-password")
    r.add_argument("name")
    r.add_argument("--password-stdin", action="store_true")
    r.set_defaults(run=reset_password)
    keys = sub.add_parser("keys", help="encryption keys").add_subparsers(dest="keys", required=True)
    keys.add_parser("rotate", help="new active key; re-encrypt stored PHI").set_defaults(
        run=rotate_keys
    )
    audit = sub.add_parser("audit", help="audit log").add_subparsers(dest="audit", required=True)
    audit.add_parser("verify", help="check the hash chain").set_defaults(run=verify_audit)
    db = sub.add_parser("db", help="database").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply schema migrations").set_defaults(run=db_upgrade)
