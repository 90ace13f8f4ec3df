"""The consent gate: audio only after both parties granted; revocation stops everything."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from streaming.audio import Samples
from tests.conftest import JFK_TEXT, normalize, silence, wer
from tests.session_server.helpers import (
    audio_path,
    close_of,
    collect_events,
    collect_until_ended,
    end_session,
    finals,
    finals_text,
    get_session,
    header,
    http_client,
    new_session,
    set_consent,
    stream,
    stream_paced,
)

Events = list[dict[str, Any]]


def is_state(state: str) -> Any:
    return lambda e: e["type"] == "session.state" and e["state"] == state


async def test_audio_needs_both_parties_in_any_order(server: str, jfk: Samples) -> None:
    for first, second in (("therapist", "client"), ("client", "therapist")):
        sid = await new_session(server, consent=False)
        assert (await close_of(server, audio_path(sid), (header(),)))[0] == 4403
        assert (await set_consent(server, sid, first, True)).json()["consented"] is False
        code, reason = await close_of(server, audio_path(sid), (header(),))
        assert code == 4403 and "consent" in reason
        assert (await set_consent(server, sid, second, True)).json()["consented"] is True
        collector = asyncio.create_task(collect_until_ended(server, sid))
        await asyncio.sleep(0.1)
        await stream(server, sid, jfk[: 3 * 16000])
        await end_session(server, sid)
        events = await asyncio.wait_for(collector, 60)
        assert "fellow americans" in normalize(finals_text(events))


async def test_a_refusal_is_not_consent(server: str) -> None:
    sid = await new_session(server, consent=False)
    await set_consent(server, sid, "therapist", True)
    await set_consent(server, sid, "client", False)
    info = await get_session(server, sid)
    assert not info["consented"]
    assert (await close_of(server, audio_path(sid), (header(),)))[0] == 4403


async def test_revocation_mid_stream_stops_transcription_at_once(
    server: str, librispeech: list[tuple[Samples, str]]
) -> None:
    short, short_text = librispeech[2]  # 2.1 s: "HE COULD WAIT NO LONGER"
    long_, _ = librispeech[0]  # 10.4 s of "stew for dinner, turnips and carrots..."
    audio = np.concatenate([silence(0.3), short, silence(0.8), long_, silence(1.0)])
    long_starts = 0.3 + len(short) / 16000 + 0.8
    sid = await new_session(server)
    follower = asyncio.create_task(collect_events(server, sid, is_state("consent_revoked")))
    await asyncio.sleep(0.1)
    sent = [0.0]
    sender = asyncio.create_task(
        stream_paced(server, sid, audio, on_sent=lambda s: sent.__setitem__(0, s))
    )
    # Revoke ~1.5 s into the long utterance, in real time.
    while sent[0] < long_starts + 1.5:
        await asyncio.sleep(0.02)
    revoked_at = sent[0]
    r = await set_consent(server, sid, "client", False)
    assert r.status_code == 200
    assert r.json()["state"] == "consent_revoked" and not r.json()["consented"]
    code, reason = await asyncio.wait_for(sender, 10)
    assert code == 4403 and reason == "consent revoked"
    assert sent[0] < revoked_at + 1.0, "the sender was stopped right after the revocation"
    events = await asyncio.wait_for(follower, 10)
    # Nothing is transcribed after the revocation, even with time to finish.
    await asyncio.sleep(1.5)
    info = await get_session(server, sid)
    assert info["state"] == "consent_revoked" and info["tracks"] == []
    replay = await collect_events(server, sid, is_state("consent_revoked"))
    revoked = next(e for e in replay if e.get("state") == "consent_revoked")
    assert finals(replay) == finals(events)
    assert all(e["seq"] < revoked["seq"] for e in finals(replay))
    # What was said before the revocation was transcribed ...
    assert wer(short_text, finals_text(replay)) <= 0.2
    # ... and no final covers audio after it.
    for f in finals(replay):
        assert f["end"] <= revoked_at + 0.3, (f["end"], revoked_at)
    text = normalize(finals_text(replay))
    assert not {"turnips", "carrots", "mutton", "sauce"} & set(text.split())
    async with http_client(server) as http:
        segments = (await http.get(f"/v1/sessions/{sid}/transcript")).json()["segments"]
    assert [s["segment_id"] for s in segments] == [f["segment_id"] for f in finals(replay)]
    # A new audio socket is refused until consent is granted again.
    code, reason = await close_of(server, audio_path(sid), (header(),))
    assert code == 4403 and reason
    await end_session(server, sid)


async def test_regranting_allows_audio_again(server: str, jfk: Samples) -> None:
    sid = await new_session(server)
    r = await set_consent(server, sid, "therapist", False)
    assert r.json()["state"] == "consent_revoked"
    assert (await close_of(server, audio_path(sid), (header(),)))[0] == 4403
    r = await set_consent(server, sid, "therapist", True)
    assert r.json()["consented"] and r.json()["state"] == "created"
    collector = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.1)
    await stream(server, sid, jfk)
    await end_session(server, sid)
    events = await asyncio.wait_for(collector, 120)
    states = [e["state"] for e in events if e["type"] == "session.state"]
    assert states == ["consent_revoked", "created", "active", "ended"]
    assert wer(JFK_TEXT, finals_text(events)) <= 0.15


async def test_revoke_then_regrant_mid_session_resumes_on_a_new_socket(
    server: str, jfk: Samples, librispeech: list[tuple[Samples, str]]
) -> None:
    sid = await new_session(server)
    collector = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.1)
    sender = asyncio.create_task(stream_paced(server, sid, librispeech[0][0], speed=2.0))
    await asyncio.sleep(1.0)
    await set_consent(server, sid, "therapist", False)
    assert (await asyncio.wait_for(sender, 10))[0] == 4403
    await set_consent(server, sid, "therapist", True)
    await stream(server, sid, jfk)
    await end_session(server, sid)
    events = await asyncio.wait_for(collector, 120)
    revoked = next(e for e in events if e.get("state") == "consent_revoked")
    after = [f for f in finals(events) if f["seq"] > revoked["seq"]]
    assert wer(JFK_TEXT, finals_text(after)) <= 0.15
