"""After the session, through the real server: review, sign, lock, addenda, exports.

A client's real (rendered) speech makes a draft; the treating clinician decides on its
items, is refused a signature while required elements are missing, marks them as not
assessed, signs, is refused any later edit, adds an addendum; the supervisor co-signs.
The exports are of the signed content, identical across calls, and the FHIR Bundle
validates. A second server keeps the signed note only and deletes the transcript and
draft data at signing (audited).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

import tests.conftest as conftest
from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from session_server.app import open_stores
from session_server.bootstrap import ensure_account
from session_server.security.audit import AuditLog
from tests.session_server import helpers
from tests.session_server.helpers import auth, end_session, http_client, new_session, spoken, stream

SAID = (
    "I have been feeling really down and I can't sleep at night.",
    "My work has been very stressful since the move.",
)


async def _ended_session(url: str) -> str:
    sid = await new_session(url)
    await stream(url, sid, spoken(SAID), track="client")
    await end_session(url, sid)
    return sid


def _items(note: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for section in note["sections"].values() for i in section]


async def _decide_all(http: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    """Accept every suggested item but the last, which is rejected."""
    note = (await http.get(f"/v1/sessions/{sid}/note")).json()
    todo = [i for i in _items(note) if i["status"] == "suggested"]
    assert todo, "the draft suggested nothing"
    for n, item in enumerate(todo):
        status = "rejected" if n == len(todo) - 1 and len(todo) > 1 else "accepted"
        r = await http.patch(f"/v1/sessions/{sid}/note/items/{item['id']}", json={"status": status})
        assert r.status_code == 200, r.text
    return todo[-1]


SUPERVISOR_PASSWORD = "supervisor password for tests"


def _token(url: str, username: str, password: str) -> str:
    r = httpx.post(
        f"{url}/v1/auth/token", json={"username": username, "password": password}, timeout=30
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def _supervised_clinician(url: str, settings: Settings) -> str:
    """A supervisor, and a clinician they supervise whom the test helpers act as (the
    clinician's token replaces the default one for this server); the supervisor's
    token is returned."""
    sup_name, name = f"sup-{settings.port}", f"supervised-{settings.port}"
    sup_id = ensure_account(settings, sup_name, "supervisor", SUPERVISOR_PASSWORD)
    store, accounts, _ = open_stores(settings)
    try:
        if accounts.find(name) is None:
            accounts.create_user(
                store.ensure_practice(), name, "clinician", conftest.CLINICIAN_PASSWORD, sup_id
            )
    finally:
        store.engine.dispose()
    helpers.TOKENS[url] = _token(url, name, conftest.CLINICIAN_PASSWORD)
    return _token(url, sup_name, SUPERVISOR_PASSWORD)


@pytest.fixture(scope="module")
def signing_server(
    tmp_path_factory: pytest.TempPathFactory, scheduler: InferenceScheduler
) -> Iterator[tuple[str, Settings, str]]:
    data = tmp_path_factory.mktemp("signing")
    settings = Settings(
        data_dir=data,
        port=conftest._free_port(),
        database_url=conftest.database_url(data),
        store_audio=True,
    )
    try:
        with conftest.serve(settings, scheduler) as url:
            yield url, settings, _supervised_clinician(url, settings)
    finally:
        conftest.drop_database(settings.database_url)


async def test_review_sign_lock_addendum_and_exports(
    signing_server: tuple[str, Settings, str],
) -> None:
    url, settings, sup_token = signing_server
    sid = await _ended_session(url)
    async with http_client(url) as http:
        note = (await http.get(f"/v1/sessions/{sid}/note")).json()
        assert note["state"] == "draft" and not note["can_sign"]
        assert note["unreviewed"] > 0 and "Risk assessment" in note["blocking"]

        blocked = await http.post(f"/v1/sessions/{sid}/note/sign", json={"format": "soap"})
        assert blocked.status_code == 409
        assert "suggested item" in blocked.json()["detail"]

        rejected = await _decide_all(http, sid)
        blocked = await http.post(f"/v1/sessions/{sid}/note/sign", json={"format": "soap"})
        assert blocked.status_code == 409
        detail = blocked.json()["detail"]
        assert "Risk assessment" in detail and "suggested item" not in detail
        for phrase in SAID:  # the refusal names elements, never what was said
            assert phrase.split()[-1] not in detail

        bad = await http.put(f"/v1/sessions/{sid}/note/waivers", json={"elements": ["karma"]})
        assert bad.status_code == 409
        missing = [e["name"] for e in note["required"] if e["status"] == "not_assessed"]
        assert "risk_assessment" in missing
        waived = await http.put(f"/v1/sessions/{sid}/note/waivers", json={"elements": missing})
        assert waived.status_code == 200 and waived.json()["can_sign"], waived.text

        draft_text = (await http.get(f"/v1/sessions/{sid}/note")).json()["text"]
        signed = await http.post(f"/v1/sessions/{sid}/note/sign", json={"format": "soap"})
        assert signed.status_code == 200, signed.text
        view = signed.json()
        assert view["state"] == "signed" and view["signature"]["version"] == 1
        assert len(view["signature"]["content_hash"]) == 64
        assert "Risk assessment: not assessed." in view["text"]
        assert "[suggested]" not in view["text"]
        assert rejected["text"] not in view["text"], "a rejected item was signed"
        assert draft_text.splitlines()[0] == view["text"].splitlines()[0]

        again = await http.post(f"/v1/sessions/{sid}/note/sign", json={"format": "soap"})
        assert again.status_code == 409
        item = _items(view)[0]
        edit = await http.patch(
            f"/v1/sessions/{sid}/note/items/{item['id']}", json={"text": "Changed later."}
        )
        assert edit.status_code == 409 and "addendum" in edit.json()["detail"]
        add = await http.post(
            f"/v1/sessions/{sid}/note/items", json={"kind": "plan", "text": "Added later."}
        )
        assert add.status_code == 409
        waive = await http.put(f"/v1/sessions/{sid}/note/waivers", json={"elements": []})
        assert waive.status_code == 409
        assert (await http.get(f"/v1/sessions/{sid}/note")).json()["text"] == view["text"]

        text1 = await http.get(f"/v1/sessions/{sid}/note/export.txt")
        assert text1.status_code == 200 and text1.headers["content-type"].startswith("text/plain")
        assert view["text"].strip() in text1.text
        assert view["signature"]["content_hash"] in text1.text
        assert (await http.get(f"/v1/sessions/{sid}/note/export.txt")).content == text1.content
        pdf1 = await http.get(f"/v1/sessions/{sid}/note/export.pdf")
        assert pdf1.headers["content-type"] == "application/pdf"
        assert (await http.get(f"/v1/sessions/{sid}/note/export.pdf")).content == pdf1.content
        pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf1.content)).pages)
        assert _words(item["text"]) <= _words(pdf_text)
        assert "Electronically signed by" in pdf_text

        addendum = await http.post(
            f"/v1/sessions/{sid}/note/addenda", json={"text": "Called the client on Friday."}
        )
        assert addendum.status_code == 201
        assert addendum.json()["version"] == 2
        assert addendum.json()["prev_hash"] == view["signature"]["content_hash"]
        text2 = (await http.get(f"/v1/sessions/{sid}/note/export.txt")).text
        assert "ADDENDUM 1" in text2 and "Called the client on Friday." in text2
        assert text2.startswith(text1.text.rsplit("\n", 1)[0].rsplit("SHA-256", 1)[0])

        fhir = await http.get(f"/v1/sessions/{sid}/note/export.fhir.json")
        assert fhir.headers["content-type"].startswith("application/fhir+json")
        bundle = Bundle.model_validate_json(fhir.content)
        resources = {e.resource.get_resource_type(): e.resource for e in bundle.entry}
        doc_ref, comp = resources["DocumentReference"], resources["Composition"]
        assert doc_ref.docStatus == "amended" and comp.status == "amended"
        assert doc_ref.subject.reference.startswith("Patient/")
        assert doc_ref.context.encounter[0].reference == f"Encounter/{sid}"
        assert comp.author[0].reference.startswith("Practitioner/")
        titles = [s.title for s in comp.section]
        assert titles[1:5] == ["Subjective", "Objective", "Assessment", "Plan"]
        assert titles[-1].startswith("Addendum 1")
        again_fhir = await http.get(f"/v1/sessions/{sid}/note/export.fhir.json")
        assert again_fhir.content == fhir.content

        versions = (await http.get(f"/v1/sessions/{sid}/note/versions")).json()
        assert [v["kind"] for v in versions["versions"]] == ["signature", "addendum"]
        assert versions["intact"] is True
        v1 = (await http.get(f"/v1/sessions/{sid}/note/versions/1")).json()
        assert v1["body"]["text"] == view["text"]
        assert (await http.get(f"/v1/sessions/{sid}/note/versions/9")).status_code == 404

        reviews = (await http.get("/v1/reviews")).json()
        mine = {r["session_id"]: r for r in reviews}
        assert mine[sid]["note_state"] == "signed" and not mine[sid]["cosigned"]

    sup = {"authorization": f"Bearer {sup_token}"}
    async with httpx.AsyncClient(base_url=url, headers=sup, timeout=60) as http:
        denied = await http.post(f"/v1/sessions/{sid}/note/sign", json={"format": "soap"})
        assert denied.status_code == 403
        cosign = await http.post(f"/v1/sessions/{sid}/note/cosign", json={})
        assert cosign.status_code == 201 and cosign.json()["kind"] == "cosignature"
        twice = await http.post(f"/v1/sessions/{sid}/note/cosign", json={})
        assert twice.status_code == 409
        bundle = Bundle.model_validate_json(
            (await http.get(f"/v1/sessions/{sid}/note/export.fhir.json")).content
        )
        comp = next(
            e.resource for e in bundle.entry if e.resource.get_resource_type() == "Composition"
        )
        assert [a.mode for a in comp.attester] == ["legal", "professional"]

    store, _accounts, _ = open_stores(settings)
    try:
        actions = _audit_actions(AuditLog(store.engine, store.keys), sid)
        assert store.segments(sid), "the default keeps the transcript"
    finally:
        store.engine.dispose()
    for action in (
        "note.sign",
        "note.addendum",
        "note.cosign",
        "note.export.text",
        "note.export.pdf",
        "note.export.fhir",
        "note.version.read",
        "audio.delete",
    ):
        assert action in actions, action
    assert not (settings.data_dir / "audio" / sid).exists(), "signing deletes stored audio"


def _words(text: str) -> set[str]:
    return {w.strip(".,;:!?\"'()").lower() for w in text.split() if w.strip(".,;:!?\"'()")}


def _audit_actions(log: AuditLog, sid: str) -> list[str]:
    return [e["action"] for e in log.entries(limit=100_000) if e["resource"] == f"session:{sid}"]


async def test_signing_is_refused_while_the_session_runs(server: str) -> None:
    sid = await new_session(server)
    async with http_client(server) as http:
        r = await http.post(f"/v1/sessions/{sid}/note/sign", json={"format": "soap"})
        assert r.status_code == 409 and "running" in r.json()["detail"]
        r = await http.post(f"/v1/sessions/{sid}/note/sign", json={"format": "html"})
        assert r.status_code == 422
        r = await http.get(f"/v1/sessions/{sid}/note/export.pdf")
        assert r.status_code == 409 and "not signed" in r.json()["detail"]
        r = await http.post("/v1/sessions/nope/note/sign", json={})
        assert r.status_code == 404
        r = await http.post(f"/v1/sessions/{sid}/note/addenda", json={"text": ""})
        assert r.status_code == 422
        r = await http.post(f"/v1/sessions/{sid}/note/addenda", json={"text": "x" * 10_001})
        assert r.status_code == 422
    await end_session(server, sid)


@pytest.fixture(scope="module")
def note_only_server(
    tmp_path_factory: pytest.TempPathFactory, scheduler: InferenceScheduler
) -> Iterator[tuple[str, Settings]]:
    data = tmp_path_factory.mktemp("note-only")
    settings = Settings(
        data_dir=data,
        port=conftest._free_port(),
        database_url=conftest.database_url(data),
        retention_after_signing="note_only",
    )
    try:
        with conftest.serve(settings, scheduler) as url:
            yield url, settings
    finally:
        conftest.drop_database(settings.database_url)


async def test_retention_deletes_transcript_and_draft_at_signing(
    note_only_server: tuple[str, Settings],
) -> None:
    url, settings = note_only_server
    sid = await _ended_session(url)
    async with http_client(url) as http:
        await _decide_all(http, sid)
        note = (await http.get(f"/v1/sessions/{sid}/note")).json()
        missing = [e["name"] for e in note["required"] if e["status"] == "not_assessed"]
        await http.put(f"/v1/sessions/{sid}/note/waivers", json={"elements": missing})
        signed = await http.post(f"/v1/sessions/{sid}/note/sign", json={"format": "birp"})
        assert signed.status_code == 200, signed.text
        transcript = (await http.get(f"/v1/sessions/{sid}/transcript")).json()
        assert transcript["segments"] == []
        after = (await http.get(f"/v1/sessions/{sid}/note")).json()
        assert after["text"] == signed.json()["text"] and "BEHAVIOR" in after["text"]
        export = await http.get(f"/v1/sessions/{sid}/note/export.txt", headers=auth(url))
        assert "BEHAVIOR" in export.text

    store, _accounts, _ = open_stores(settings)
    try:
        entries = AuditLog(store.engine, store.keys).entries(limit=100_000)
        deletions = [
            e for e in entries if e["action"] == "retention.delete" and sid in e["resource"]
        ]
        assert len(deletions) == 1
        assert "segments" in deletions[0]["detail"] and deletions[0]["actor"] == "system"
        assert store.events_since(sid, 0) == []
        assert not json.dumps(entries).count(SAID[0]), "no PHI in the audit log"
    finally:
        store.engine.dispose()
