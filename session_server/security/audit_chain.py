"""The hash chain of the audit log: each entry commits to the one before it.

``hash = SHA-256(prev_hash | seq | canonical JSON of the entry's fields)``. Verifying
walks the entries in ``seq`` order from the anchor (the genesis, or the last entry that
retention pruned): an edited entry breaks its own hash, an inserted or deleted one
breaks the sequence or the link. Entries hold ids, roles and actions — never PHI.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
FIELDS = ("seq", "at", "actor", "role", "action", "resource", "request_id", "outcome", "detail")


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    body = json.dumps(
        {k: entry.get(k) for k in FIELDS}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain(
    entries: Iterable[Mapping[str, Any]], anchor_seq: int = 0, anchor_hash: str = GENESIS
) -> ChainReport:
    prev_seq, prev_hash, n = anchor_seq, anchor_hash, 0
    for e in entries:
        n += 1
        if e["seq"] != prev_seq + 1:
            return ChainReport(
                False, n, int(e["seq"]), f"sequence jumps from {prev_seq} to {e['seq']}"
            )
        if e["prev_hash"] != prev_hash:
            return ChainReport(False, n, int(e["seq"]), "link to the previous entry is broken")
        if entry_hash(prev_hash, e) != e["hash"]:
            return ChainReport(False, n, int(e["seq"]), "entry content does not match its hash")
        prev_seq, prev_hash = int(e["seq"]), str(e["hash"])
    return ChainReport(True, n)
