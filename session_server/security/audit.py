"""The append-only, hash-chained audit log on the database.

Every entry links to the one before it (:mod:`audit_chain`). The head (last seq and
hash) is kept with an HMAC under a key derived from the data key, so truncating the
log, which the chain alone cannot reveal, is detected too. Entries never hold PHI:
actor and resource are ids, detail is a short reason.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from session_server.models import AuditAnchor, AuditRow
from session_server.security.audit_chain import (
    FIELDS,
    GENESIS,
    ChainReport,
    entry_hash,
    verify_chain,
)
from session_server.security.crypto import KeyRing

ANCHOR_ID, HEAD_ID, MAC_ID = 1, 2, 3  # rows of audit_anchor
APPEND_ATTEMPTS = 20


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class AuditLog:
    def __init__(self, engine: Engine, keys: KeyRing) -> None:
        self.engine = engine
        self.keys = keys

    def _mac(self, seq: int, digest: str) -> str:
        key = hashlib.sha256(b"audit-head|" + self.keys.keys[self.keys.active]).digest()
        return hmac.new(key, f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()

    def append(
        self,
        *,
        actor: str,
        role: str,
        action: str,
        resource: str,
        request_id: str,
        outcome: str,
        detail: str = "",
    ) -> int:
        """Append an entry; its ``seq`` is returned.

        Another process (``companion admin …`` beside the service) may append at the same
        moment: SQLite takes no lock on the head as it is read, so both may claim the same
        ``seq``. The primary key refuses the second, which then retries on the new head.
        """
        fields = {
            "actor": actor[:64],
            "role": role[:16],
            "action": action[:48],
            "resource": resource[:96],
            "request_id": request_id[:64],
            "outcome": outcome[:16],
            "detail": detail[:200],
        }
        for attempt in range(APPEND_ATTEMPTS):
            try:
                return self._append(fields)
            except IntegrityError:
                if attempt == APPEND_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
        raise AssertionError("unreachable")

    def _append(self, fields: dict[str, str]) -> int:
        with Session(self.engine) as db, db.begin():
            head = db.get(AuditAnchor, HEAD_ID, with_for_update=True)
            anchor = db.get(AuditAnchor, ANCHOR_ID)
            if head is not None:
                prev_seq, prev_hash = head.seq, head.hash
            elif anchor is not None:
                prev_seq, prev_hash = anchor.seq, anchor.hash
            else:
                prev_seq, prev_hash = 0, GENESIS
            entry: dict[str, Any] = {"seq": prev_seq + 1, "at": _now(), **fields}
            digest = entry_hash(prev_hash, entry)
            db.add(AuditRow(**entry, prev_hash=prev_hash, hash=digest))
            if head is None:
                head = AuditAnchor(id=HEAD_ID, seq=0, hash="")
                db.add(head)
            head.seq, head.hash = entry["seq"], digest
            self._store_mac(db, self._mac(entry["seq"], digest))
            return int(entry["seq"])

    def _store_mac(self, db: Session, mac: str) -> None:
        row = db.get(AuditAnchor, MAC_ID)
        if row is None:
            db.add(AuditAnchor(id=MAC_ID, seq=0, hash=mac))
        else:
            row.hash = mac

    def entries(self, limit: int = 1000, after: int = 0) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            rows = db.scalars(
                select(AuditRow).where(AuditRow.seq > after).order_by(AuditRow.seq).limit(limit)
            )
            return [{k: getattr(r, k) for k in (*FIELDS, "prev_hash", "hash")} for r in rows]

    def verify(self) -> ChainReport:
        """Check the chain, the head and the head's authentication code.

        The service may append while this runs, and each read is its own statement, so
        they are ordered: the highest ``seq`` first, then the anchor, head and code (one
        statement), then the entries up to that head. Whatever was appended before the
        first read is covered by the head read after it: an entry above the head is an
        addition, not a race.
        """
        with Session(self.engine) as db:
            last = db.scalar(select(func.max(AuditRow.seq)))
            ends = {a.id: (a.seq, a.hash) for a in db.scalars(select(AuditAnchor))}
            anchor, head, mac = (ends.get(i) for i in (ANCHOR_ID, HEAD_ID, MAC_ID))
            query = select(AuditRow).order_by(AuditRow.seq)
            if head is not None:
                query = query.where(AuditRow.seq <= head[0])
            seen: list[tuple[int, str]] = []

            def entries() -> Iterator[dict[str, Any]]:
                for r in db.scalars(query):
                    seen[:] = [(r.seq, r.hash)]
                    yield {k: getattr(r, k) for k in (*FIELDS, "prev_hash", "hash")}

            report = verify_chain(entries(), *(anchor or (0, GENESIS)))
        if not report.ok:
            return report
        if head is None:
            if last is None:
                return report
            return ChainReport(False, report.checked, None, "the log head is missing")
        if last is None or last > head[0] or seen != [head]:
            return ChainReport(
                False,
                report.checked,
                head[0],
                "entries after the recorded head are missing or added",
            )
        if mac is None or not hmac.compare_digest(mac[1], self._mac(*head)):
            return ChainReport(
                False,
                report.checked,
                head[0],
                "the log head's authentication code does not match",
            )
        return report

    def remac(self) -> None:
        """After a key rotation: authenticate the head under the new key."""
        with Session(self.engine) as db, db.begin():
            head = db.get(AuditAnchor, HEAD_ID)
            if head is not None:
                self._store_mac(db, self._mac(head.seq, head.hash))

    def prune(self, retention_days: int) -> int:
        """Delete entries older than the retention period; the anchor moves past them."""
        cutoff = (datetime.now(UTC) - timedelta(days=retention_days)).isoformat()
        with Session(self.engine) as db, db.begin():
            last = db.scalars(
                select(AuditRow).where(AuditRow.at < cutoff).order_by(AuditRow.seq.desc()).limit(1)
            ).first()
            if last is None:
                return 0
            n = db.scalar(select(func.count()).where(AuditRow.seq <= last.seq)) or 0
            db.execute(delete(AuditRow).where(AuditRow.seq <= last.seq))
            anchor = db.get(AuditAnchor, ANCHOR_ID)
            if anchor is None:
                db.add(AuditAnchor(id=ANCHOR_ID, seq=last.seq, hash=last.hash))
            else:
                anchor.seq, anchor.hash = last.seq, last.hash
            return int(n)
