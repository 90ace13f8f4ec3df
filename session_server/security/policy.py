"""Who may reach what: minimum-necessary access by role.

* clinician: their own clients and those clients' sessions, transcripts and notes;
* supervisor: their own and their supervisees';
* biller: what a claim needs (session dates and times, client ids), no transcript;
* admin: users and settings; no PHI.

A denial on a resource the caller may not know exists is ``hide`` (answered 404);
otherwise 403. Both are audited by the server.
"""

from __future__ import annotations

from enum import Enum

from companion.errors import PermissionDeniedError
from session_server.security.accounts import Principal


class Need(Enum):
    META = "meta"  # dates, times, ids, states
    PHI = "phi"  # transcript, events, consent actions, client labels


def clinician_scope(p: Principal) -> set[str] | None:
    """Clinician ids whose data the caller may list; None = the whole practice."""
    if p.role == "clinician":
        return {p.user_id}
    if p.role == "supervisor":
        return {p.user_id, *p.supervisees}
    if p.role == "biller":
        return None
    raise PermissionDeniedError(f"role {p.role} has no access to clinical records")


def check_record(
    p: Principal, practice_id: str, clinician_id: str, need: Need, missing: str = "not found"
) -> None:
    """May ``p`` reach a client or session of this clinician in this practice?

    ``missing`` is what the caller is told when the record is hidden: the message of a
    record that does not exist, so that the two cannot be told apart.
    """
    if practice_id != p.practice_id:
        raise PermissionDeniedError(missing, hide=True)
    if p.role in ("clinician", "supervisor"):
        scope = clinician_scope(p)
        if scope is not None and clinician_id not in scope:
            raise PermissionDeniedError(missing, hide=True)
        return
    if p.role == "biller" and need is Need.META:
        return
    raise PermissionDeniedError(f"role {p.role} may not access this {need.value} data")


def require_role(p: Principal, *roles: str) -> None:
    if p.role not in roles:
        raise PermissionDeniedError(f"this action needs one of the roles {', '.join(roles)}")
