"""Consent as a per-party state machine: pause and resume, history, one-party law."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from streaming.audio import Samples
from tests.conftest import JFK_TEXT, serve, wer
from tests.session_server.helpers import (
    audio_path,
    close_of,
    collect_until_ended,
    end_session,
    finals_text,
    header,
    http_client,
    new_session,
    stream,
    stream_paced,
)


async def record(url: str, sid: str, party: str, state: str) -> dict[str, object]:
    async with http_client(url) as http:
        r = await http.post(
            f"/v1/sessions/{sid}/consent",
            json={
                "party": party,
                "granted": state == "granted",
                "state": state,
                "method": "written",
                "text_version": "2026-01",
            },
        )
        r.raise_for_status()
        body: dict[str, object] = r.json()
        return body


async def test_pause_stops_capture_and_a_new_grant_resumes_it(server: str, jfk: Samples) -> None:
    sid = await new_session(server)
    body = await record(server, sid, "client", "paused")
    assert body["consented"] is False and body["state"] == "consent_paused"
    code, reason = await close_of(server, audio_path(sid), (header(),))
    assert code == 4403 and "consent" in reason
    body = await record(server, sid, "client", "granted")
    assert body["consented"] is True
    collector = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.2)
    await stream(server, sid, jfk)
    await end_session(server, sid)
    assert wer(JFK_TEXT, finals_text(await asyncio.wait_for(collector, 120))) <= 0.15


async def test_pause_mid_stream_closes_the_socket(server: str, jfk: Samples) -> None:
    sid = await new_session(server)
    sender = asyncio.create_task(stream_paced(server, sid, jfk, speed=1.0))
    await asyncio.sleep(2.0)
    await record(server, sid, "therapist", "paused")
    code, reason = await asyncio.wait_for(sender, 10)
    assert code == 4403 and reason == "consent paused"


async def test_history_keeps_every_decision_with_who_and_when(server: str) -> None:
    sid = await new_session(server)
    await record(server, sid, "client", "revoked")
    await record(server, sid, "client", "granted")
    async with http_client(server) as http:
        me = (await http.get("/v1/auth/me")).json()
        history = (await http.get(f"/v1/sessions/{sid}/consents")).json()
    assert [(h["party"], h["state"]) for h in history] == [
        ("therapist", "granted"),
        ("client", "granted"),
        ("client", "revoked"),
        ("client", "granted"),
    ]
    assert all(h["recorded_by"] == me["id"] and h["recorded_at"] for h in history)
    assert history[-1]["method"] == "written" and history[-1]["text_version"] == "2026-01"


@pytest.fixture(scope="module")
def one_party_server(
    tmp_path_factory: pytest.TempPathFactory, scheduler: InferenceScheduler
) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    data: Path = tmp_path_factory.mktemp("one-party")
    with serve(Settings(data_dir=data, port=port, all_party_consent=False), scheduler) as url:
        yield url


async def test_one_party_jurisdiction_needs_the_therapist_and_no_withdrawal(
    one_party_server: str,
) -> None:
    url = one_party_server
    sid = await new_session(url, consent=False)
    assert (await close_of(url, audio_path(sid), (header(),)))[0] == 4403
    body = await record(url, sid, "therapist", "granted")
    assert body["state"] == "created"
    # accepted: the socket stays open after the header until we close it
    with pytest.raises(TimeoutError):
        await close_of(url, audio_path(sid), (header(),), timeout=1.0)
    await record(url, sid, "client", "revoked")
    assert (await close_of(url, audio_path(sid), (header(),)))[0] == 4403
