"""Signed notes in the store: one signature, a hash chain of later versions that detects
tampering, concurrent signatures, retention, encryption, and exports that are a pure
function of the stored versions."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import tests.conftest as conftest
from companion.errors import SessionNotFoundError, SessionStateError
from session_server.exports import NoteDocument, fhir_bundle, pdf_bytes, plain_text
from session_server.models import NoteVersionRow
from session_server.security.accounts import AccountPolicy, Accounts
from session_server.security.crypto import KeyRing
from session_server.signed_notes import GENESIS, SignedNotes, content_hash
from session_server.store import Store, make_engine

TEXT = (
    "Date: 2026-11-27\nModality: telehealth\n\nSUBJECTIVE\nClient reported “poor sleep” – "
    "two weeks.\n\nOBJECTIVE\nSession length: 50 min.\n\nASSESSMENT\n"
    "Risk assessment: not assessed.\n\nPLAN\nNext session in one week.\n"
)


def _body(info: Any) -> dict[str, Any]:
    return {
        "format": "soap",
        "text": TEXT,
        "headings": ["Subjective", "Objective", "Assessment", "Plan"],
        "note": {"sections": {}, "required": [], "missing": [], "facts": {}},
        "waived": ["risk_assessment"],
        "session": {
            "id": info.id,
            "client_id": info.client_id,
            "clinician_id": info.clinician_id,
            "practice_id": info.practice_id,
            "started_at": "2026-11-27T14:00:00Z",
            "ended_at": "2026-11-27T14:50:00Z",
        },
        "client_label": "J. Doe",
        "signer_name": "dr-sign",
    }


@pytest.fixture
def notes(tmp_path: Path) -> Iterator[tuple[SignedNotes, str, str]]:
    """SQLite, or a fresh PostgreSQL database on the suite's PostgreSQL pass."""
    keys = KeyRing.generate()
    url = conftest.database_url(tmp_path) or f"sqlite:///{tmp_path / 'signed.db'}"
    store = Store(make_engine(url), keys)
    practice = store.ensure_practice()
    accounts = Accounts(store.engine, keys, AccountPolicy())
    uid = accounts.create_user(practice, "dr-sign", "clinician", "a password for tests").user_id
    client = store.create_client(practice, uid, "J. Doe")
    info = store.create_session(client.id)
    try:
        yield SignedNotes(store), uid, info.id
    finally:
        store.engine.dispose()
        conftest.drop_database(url if url.startswith("postgresql") else "")


def test_signature_then_a_chain_of_versions(notes: tuple[SignedNotes, str, str]) -> None:
    signed, uid, sid = notes
    info = signed.store.get_session(sid)
    assert signed.record(sid).state == "draft"
    v1 = signed.sign(sid, uid, "clinician", _body(info))
    assert v1.version == 1 and v1.prev_hash == GENESIS
    assert v1.content_hash == content_hash(v1.hashed_fields())
    with pytest.raises(SessionStateError, match="signed and read-only"):
        signed.sign(sid, uid, "clinician", _body(info))
    with pytest.raises(SessionStateError):
        signed.set_waived(sid, ["plan"])
    v2 = signed.append(sid, "addendum", uid, "clinician", {"text": "Late entry."})
    v3 = signed.append(sid, "cosignature", uid, "supervisor", {"text": ""})
    assert (v2.version, v2.prev_hash) == (2, v1.content_hash)
    assert (v3.version, v3.prev_hash) == (3, v2.content_hash)
    record = signed.record(sid)
    assert record.signed and record.cosigned
    assert [v.kind for v in record.versions] == ["signature", "addendum", "cosignature"]
    assert signed.verify(sid)
    assert signed.version(sid, 2).body == {"text": "Late entry."}
    with pytest.raises(SessionNotFoundError):
        signed.version(sid, 4)
    with pytest.raises(ValueError):
        signed.append(sid, "signature", uid, "clinician", {})


def test_tampering_breaks_the_chain(notes: tuple[SignedNotes, str, str]) -> None:
    signed, uid, sid = notes
    info = signed.store.get_session(sid)
    signed.sign(sid, uid, "clinician", _body(info))
    signed.append(sid, "addendum", uid, "clinician", {"text": "Late entry."})
    assert signed.verify(sid)
    # A changed body re-encrypted with the right key (an insider with the key) still
    # fails: its hash no longer matches.
    forged = dict(_body(info), text=TEXT.replace("poor sleep", "good sleep"))
    place = f"note_versions:{sid}:1"
    with Session(signed.engine) as db, db.begin():
        db.execute(
            update(NoteVersionRow)
            .where(NoteVersionRow.session_id == sid, NoteVersionRow.version == 1)
            .values(body_enc=signed.keys.encrypt(json.dumps(forged), place))
        )
    assert not signed.verify(sid)


def test_addenda_need_a_signed_note(notes: tuple[SignedNotes, str, str]) -> None:
    signed, uid, sid = notes
    with pytest.raises(SessionStateError, match="not signed"):
        signed.append(sid, "addendum", uid, "clinician", {"text": "x"})
    with pytest.raises(SessionStateError, match="not signed"):
        signed.delete_working_data(sid)
    with pytest.raises(SessionNotFoundError):
        signed.record("no-such-session")


def test_two_signatures_at_once_make_one(notes: tuple[SignedNotes, str, str]) -> None:
    signed, uid, sid = notes
    info = signed.store.get_session(sid)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        barrier.wait()
        try:
            signed.sign(sid, uid, "clinician", _body(info))
            outcomes.append("signed")
        except SessionStateError:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "refused", "refused", "signed"]
    assert len(signed.record(sid).versions) == 1


def test_bodies_are_encrypted_and_rotate(notes: tuple[SignedNotes, str, str]) -> None:
    signed, uid, sid = notes
    signed.sign(sid, uid, "clinician", _body(signed.store.get_session(sid)))
    with Session(signed.engine) as db:
        raw = db.scalars(select(NoteVersionRow.body_enc)).one()
    assert "poor sleep" not in raw and "J. Doe" not in raw
    signed.keys.rotate()
    assert signed.store.reencrypt_all()["note_versions"] == 1
    assert signed.verify(sid)


def test_retention_deletes_segments_and_events(notes: tuple[SignedNotes, str, str]) -> None:
    signed, uid, sid = notes
    store = signed.store
    final = {
        "segment_id": "s1",
        "track": "client",
        "start": 0.0,
        "end": 1.0,
        "text": "poor sleep",
        "words": [],
    }
    store.append_event(sid, 1, "transcript.final", final)
    store.append_event(sid, 2, "note.patch", {"section": "subjective", "items": []})
    signed.sign(sid, uid, "clinician", _body(store.get_session(sid)))
    with pytest.raises(SessionStateError, match="signed"):
        store.update_segment(sid, "s1", speaker="S1", role="client")
    assert signed.delete_working_data(sid) == {"segments": 1, "events": 2}
    assert store.segments(sid) == [] and store.events_since(sid, 0) == []
    assert signed.verify(sid), "the signed note itself stays"


def test_exports_are_a_function_of_the_versions(notes: tuple[SignedNotes, str, str]) -> None:
    signed, uid, sid = notes
    info = signed.store.get_session(sid)
    with pytest.raises(SessionStateError, match="not signed"):
        NoteDocument.of(signed.record(sid))
    signed.sign(sid, uid, "clinician", _body(info))
    doc = NoteDocument.of(signed.record(sid))
    text = plain_text(doc)
    assert text.startswith("PROGRESS NOTE (SOAP)\nClient: J. Doe\n")
    assert TEXT.strip() in text and doc.signature.content_hash in text
    assert plain_text(NoteDocument.of(signed.record(sid))) == text
    pdf = pdf_bytes(doc)
    assert pdf_bytes(NoteDocument.of(signed.record(sid))) == pdf
    pages = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "“poor sleep” – two weeks" in pages and "Electronically signed by dr-sign" in pages
    fhir = fhir_bundle(doc)
    assert fhir_bundle(NoteDocument.of(signed.record(sid))) == fhir
    bundle = Bundle.model_validate_json(fhir)
    ref, comp = (e.resource for e in bundle.entry)
    assert ref.get_resource_type() == "DocumentReference" and ref.docStatus == "final"
    assert comp.get_resource_type() == "Composition" and comp.status == "final"
    assert [s.title for s in comp.section] == [
        "Session",
        "Subjective",
        "Objective",
        "Assessment",
        "Plan",
    ]
    assert comp.section[1].code.coding[0].code == "61150-9"
    assert ref.content[0].attachment.contentType.startswith("text/plain")
    assert ref.content[1].attachment.contentType == "application/pdf"
    assert ref.context.related[0].reference == f"urn:uuid:{comp.id}"
    assert ref.subject.reference == f"Patient/{info.client_id}"

    signed.append(
        sid, "addendum", uid, "clinician", {"text": "Late entry <b>.", "signer_name": "dr-sign"}
    )
    amended = NoteDocument.of(signed.record(sid))
    bundle = Bundle.model_validate_json(fhir_bundle(amended))
    comp = next(e.resource for e in bundle.entry if e.resource.get_resource_type() == "Composition")
    assert comp.status == "amended" and comp.section[-1].title.startswith("Addendum 1")
    assert "&lt;b&gt;" in comp.section[-1].text.div, "addendum text is escaped in XHTML"
    assert "ADDENDUM 1" in plain_text(amended) and plain_text(amended).startswith(text[:200])
