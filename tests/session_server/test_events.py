"""The events WebSocket: replay from the store, resume after a seq, and live fan-out."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from typing import Any

import pytest
import websockets

from streaming.audio import Samples
from tests.conftest import JFK_TEXT, wer
from tests.session_server.helpers import (
    close_of,
    collect_events,
    collect_until_ended,
    end_session,
    finals,
    finals_text,
    http_client,
    new_session,
    stream,
    stream_paced,
    ws_url,
)

Events = list[dict[str, Any]]


def persisted(events: Events) -> Events:
    return [e for e in events if e["type"] != "transcript.partial"]


def assert_strictly_increasing(events: Events) -> None:
    seqs = [e["seq"] for e in events]
    assert all(a < b for a, b in itertools.pairwise(seqs)), seqs


@pytest.fixture(scope="module")
async def finished(server: str, jfk: Samples) -> tuple[str, Events, Events]:
    """A JFK session followed live by two subscribers at once, then ended."""
    sid = await new_session(server)
    a = asyncio.create_task(collect_until_ended(server, sid))
    b = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.2)
    await stream(server, sid, jfk)
    await end_session(server, sid)
    ea, eb = await asyncio.wait_for(asyncio.gather(a, b), 120)
    return sid, ea, eb


async def test_two_live_subscribers_get_identical_finals(
    finished: tuple[str, Events, Events],
) -> None:
    _, ea, eb = finished
    assert finals(ea) and finals(ea) == finals(eb)
    assert persisted(ea) == persisted(eb)
    assert_strictly_increasing(ea)
    assert_strictly_increasing(eb)
    assert wer(JFK_TEXT, finals_text(ea)) <= 0.15


async def test_replay_after_the_session_gives_every_persisted_event(
    server: str, finished: tuple[str, Events, Events]
) -> None:
    sid, live, _ = finished
    replay = await collect_until_ended(server, sid, since=0)
    assert_strictly_increasing(replay)
    speakers = {"speaker.roles", "speaker.correction", "transcript.refined", "analytics.update"}
    notes = {"note.patch", "note.required", "risk.alert"}
    assert {"session.state", "transcript.final"} <= {e["type"] for e in replay}
    kinds = {"session.state", "transcript.final", *speakers, *notes}
    assert {e["type"] for e in replay} <= kinds
    assert replay == persisted(live)
    states = [e["state"] for e in replay if e["type"] == "session.state"]
    assert states == ["active", "ended"]
    assert replay[-1]["type"] == "session.state" and replay[-1]["state"] == "ended"
    assert wer(JFK_TEXT, finals_text(replay)) <= 0.15


async def test_replay_since_k_resumes_after_k_without_duplicates(
    server: str, finished: tuple[str, Events, Events]
) -> None:
    sid, _, _ = finished
    full = await collect_until_ended(server, sid, since=0)
    for k in (full[0]["seq"], finals(full)[0]["seq"], full[-2]["seq"]):
        tail = await collect_until_ended(server, sid, since=k)
        assert tail == [e for e in full if e["seq"] > k]
        assert all(e["seq"] > k for e in tail)
        assert len({e["seq"] for e in tail}) == len(tail)


async def test_since_the_last_seq_gives_nothing(
    server: str, finished: tuple[str, Events, Events]
) -> None:
    sid, live, _ = finished
    last = live[-1]["seq"]
    async with websockets.connect(ws_url(server, f"/v1/sessions/{sid}/events?since={last}")) as ws:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.5)


async def test_the_transcript_matches_the_final_events(
    server: str, finished: tuple[str, Events, Events]
) -> None:
    sid, live, _ = finished
    async with http_client(server) as http:
        body = (await http.get(f"/v1/sessions/{sid}/transcript")).json()
    keys = ("segment_id", "track", "start", "end", "speaker", "role", "text", "words")
    expected = {e["segment_id"]: {k: e[k] for k in keys} for e in finals(live)}
    for c in (e for e in live if e["type"] == "speaker.correction"):  # after the session
        expected[c["segment_id"]].update(speaker=c["speaker"], role=c["role"], words=c["words"])
    assert body["segments"] == list(expected.values())


async def test_a_late_subscriber_catches_up_then_follows_live(server: str, jfk: Samples) -> None:
    sid = await new_session(server)
    early = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.1)
    sender = asyncio.create_task(stream_paced(server, sid, jfk, speed=3.0))
    # Join once the first final is out: it must come from the store, the rest live.
    await asyncio.wait_for(
        collect_events(server, sid, lambda e: e["type"] == "transcript.final"), 60
    )
    late = asyncio.create_task(collect_until_ended(server, sid))
    await sender
    await end_session(server, sid)
    e_early, e_late = await asyncio.wait_for(asyncio.gather(early, late), 120)
    assert_strictly_increasing(e_late)
    assert persisted(e_late) == persisted(e_early)
    assert len(finals(e_early)) >= 2


async def test_partials_are_live_only(server: str, jfk: Samples) -> None:
    sid = await new_session(server)
    live_task = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.1)
    await stream(server, sid, jfk)
    await end_session(server, sid)
    live = await asyncio.wait_for(live_task, 120)
    partials = [e for e in live if e["type"] == "transcript.partial"]
    assert partials, "partials are shown while speech goes on"
    replay = await collect_until_ended(server, sid)
    assert not [e for e in replay if e["type"] == "transcript.partial"]
    replayed = {e["seq"] for e in replay}
    assert not replayed & {e["seq"] for e in partials}
    final_ids = {f["segment_id"] for f in finals(live)}
    for p in partials:
        assert p["words"] == [] and p["track"] == "mixed"
    # Every segment shown as a partial gets its final (JFK has no empty segment).
    assert {p["segment_id"] for p in partials if p["text"]} <= final_ids


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", "", "0x10"])
async def test_bad_since_is_refused(server: str, since: str) -> None:
    sid = await new_session(server)
    code, reason = await close_of(server, f"/v1/sessions/{sid}/events?since={since}")
    assert code == 1007
    assert "since" in reason


async def test_events_of_an_unknown_session_are_refused(server: str) -> None:
    code, reason = await close_of(server, f"/v1/sessions/{uuid.uuid4().hex}/events?since=0")
    assert code == 4404
    assert reason


async def test_events_carry_json_objects_with_seq_and_type(server: str) -> None:
    sid = await new_session(server)
    await end_session(server, sid)
    async with websockets.connect(ws_url(server, f"/v1/sessions/{sid}/events")) as ws:
        raw = await asyncio.wait_for(ws.recv(), 5)
    event = json.loads(raw)
    assert event == {"seq": 1, "type": "session.state", "state": "ended"}
