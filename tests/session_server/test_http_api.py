"""The HTTP API: sessions, consent records, and its error statuses."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.session_server.helpers import (
    client_id,
    end_session,
    http_client,
    new_session,
    set_consent,
)

GOOD = {"party": "client", "granted": True, "method": "verbal", "text_version": "v1"}


def unknown() -> str:
    return uuid.uuid4().hex


async def test_create_and_get_a_session(server: str) -> None:
    cid = await client_id(server)
    async with http_client(server) as http:
        r = await http.post("/v1/sessions", json={"client_id": cid})
        assert r.status_code == 201
        created = r.json()
        assert created["state"] == "created" and not created["consented"]
        assert {p["state"] for p in created["consents"].values()} == {"pending"}
        assert created["tracks"] == [] and created["client_id"] == cid
        got = (await http.get(f"/v1/sessions/{created['id']}")).json()
        assert got["id"] == created["id"] and got["state"] == "created"


async def test_consent_is_recorded_per_party(server: str) -> None:
    sid = await new_session(server, consent=False)
    r = await set_consent(server, sid, "therapist", True)
    assert r.status_code == 200
    body = r.json()
    assert body["consents"]["therapist"]["granted"] is True
    assert body["consents"]["therapist"]["method"] == "verbal"
    assert not body["consented"]
    body = (await set_consent(server, sid, "client", True)).json()
    assert body["consented"]
    body = (await set_consent(server, sid, "client", False)).json()
    assert not body["consented"] and body["state"] == "consent_revoked"
    assert body["consents"]["client"]["granted"] is False


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/sessions/{id}", None),
        ("POST", "/v1/sessions/{id}/consent", GOOD),
        ("POST", "/v1/sessions/{id}/end", None),
        ("GET", "/v1/sessions/{id}/transcript", None),
    ],
)
async def test_unknown_session_is_404(
    server: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    sid = unknown()
    async with http_client(server) as http:
        r = await http.request(method, path.format(id=sid), json=body)
    assert r.status_code == 404
    assert "unknown session" in r.json()["detail"]


async def test_consent_for_an_unknown_session_records_nothing(server: str) -> None:
    sid = unknown()
    async with http_client(server) as http:
        assert (await http.post(f"/v1/sessions/{sid}/consent", json=GOOD)).status_code == 404
        assert (await http.get(f"/v1/sessions/{sid}")).status_code == 404


@pytest.mark.parametrize(
    "content",
    [
        {**GOOD, "party": "supervisor"},
        {**GOOD, "extra": "field"},
        {**GOOD, "method": "telepathy"},
        {**GOOD, "text_version": ""},
        {**GOOD, "text_version": "v" * 65},
        {**GOOD, "granted": "perhaps"},
        {k: v for k, v in GOOD.items() if k != "granted"},
        "{not json",
        "",
        "[]",
    ],
    ids=[
        "wrong party",
        "extra field",
        "wrong method",
        "empty text_version",
        "long text_version",
        "granted not bool",
        "granted missing",
        "malformed json",
        "empty body",
        "json array",
    ],
)
async def test_bad_consent_body_is_422_and_records_nothing(
    server: str, content: dict[str, Any] | str
) -> None:
    sid = await new_session(server, consent=False)
    async with http_client(server) as http:
        if isinstance(content, str):
            r = await http.post(
                f"/v1/sessions/{sid}/consent",
                content=content,
                headers={"content-type": "application/json"},
            )
        else:
            r = await http.post(f"/v1/sessions/{sid}/consent", json=content)
        assert r.status_code == 422
        assert r.json()["detail"]
        info = (await http.get(f"/v1/sessions/{sid}")).json()
    assert {p["state"] for p in info["consents"].values()} == {"pending"}
    assert info["state"] == "created"


async def test_ending_is_idempotent_and_blocks_consent(server: str) -> None:
    sid = await new_session(server)
    await end_session(server, sid)
    async with http_client(server) as http:
        r = await http.post(f"/v1/sessions/{sid}/end")
        assert r.status_code == 200
        assert r.json()["state"] == "ended" and r.json()["ended_at"]
        r = await http.post(f"/v1/sessions/{sid}/consent", json=GOOD)
        assert r.status_code == 409
        assert r.json()["detail"]
        r = await http.get(f"/v1/sessions/{sid}/transcript")
        assert r.status_code == 200 and r.json() == {"session_id": sid, "segments": []}


async def test_healthz(server: str) -> None:
    async with http_client(server) as http:
        body = (await http.get("/healthz")).json()
    assert body["status"] == "ok"
    assert body["asr_jobs"] >= 0 and body["asr_backlog"] >= 0
    assert body["models"] in ("loading", "ready")
    async with http_client(server) as http:  # the test server's models do load
        for _ in range(600):
            if (models := (await http.get("/healthz")).json()["models"]) != "loading":
                break
            await asyncio.sleep(0.5)
    assert models == "ready"
