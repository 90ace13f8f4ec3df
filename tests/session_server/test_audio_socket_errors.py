"""Every malformed input on the audio WebSocket closes that socket with its own code,
and never disturbs another session on the same server."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass

import numpy as np
import pytest
import websockets

from session_server.client import to_pcm
from streaming.audio import Samples
from tests.conftest import JFK_TEXT, wer
from tests.session_server.helpers import (
    audio_path,
    close_of,
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
    ws_url,
)

TONE = (0.1 * np.sin(np.arange(1600) * 2 * np.pi * 440 / 16000)).astype(np.float32)
GOOD_FRAME = to_pcm(TONE)  # 100 ms at 16 kHz mono


@dataclass(frozen=True)
class Case:
    name: str
    consent: str  # "both", "none", "therapist", or "unknown" (no such session)
    messages: tuple[str | bytes, ...]
    code: int
    track: str = "mixed"


CASES = [
    Case("unknown session", "unknown", (), 4404),
    Case("no consent", "none", (), 4403),
    Case("only the therapist consented", "therapist", (), 4403),
    Case("unknown track", "both", (), 1008, track="supervisor"),
    Case("header not json", "both", ("hello",), 1007),
    Case(
        "header with unsupported rate",
        "both",
        (json.dumps({"format": "s16le", "sample_rate": 22050, "channels": 1}),),
        1007,
    ),
    Case(
        "header with wrong format",
        "both",
        (json.dumps({"format": "f32le", "sample_rate": 16000, "channels": 1}),),
        1007,
    ),
    Case(
        "header with an extra field",
        "both",
        (json.dumps({"format": "s16le", "sample_rate": 16000, "channels": 1, "x": 1}),),
        1007,
    ),
    Case("binary first message", "both", (GOOD_FRAME,), 1007),
    Case("odd byte count", "both", (header(), GOOD_FRAME, GOOD_FRAME[:-1]), 1007),
    Case("stereo frame with half a sample frame", "both", (header(channels=2), bytes(642)), 1007),
    Case("frame shorter than 10 ms", "both", (header(), bytes(2 * 159)), 1007),
    Case("frame longer than 200 ms", "both", (header(), bytes(2 * 3201)), 1009),
    Case("48 kHz frame longer than 200 ms", "both", (header(48000), bytes(2 * 9601)), 1009),
    Case("text after the header", "both", (header(), GOOD_FRAME, '{"more": 1}'), 1007),
]


async def prepare(url: str, consent: str) -> str:
    if consent == "unknown":
        return uuid.uuid4().hex
    sid = await new_session(url, consent=consent == "both")
    if consent == "therapist":
        (await set_consent(url, sid, "therapist", True)).raise_for_status()
    return sid


async def run_case(url: str, case: Case) -> tuple[int | None, str]:
    sid = await prepare(url, case.consent)
    return await close_of(url, audio_path(sid, case.track), case.messages)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_malformed_audio_input_closes_with_its_code(server: str, case: Case) -> None:
    code, reason = await run_case(server, case)
    assert code == case.code, reason
    assert reason.strip(), "a close reason explains the code"
    assert len(reason.encode()) <= 123


async def test_close_reasons_say_what_was_wrong(server: str) -> None:
    by_name = {c.name: c for c in CASES}
    _, reason = await run_case(server, by_name["frame shorter than 10 ms"])
    assert "10 ms" in reason
    _, reason = await run_case(server, by_name["frame longer than 200 ms"])
    assert "too large" in reason
    _, reason = await run_case(server, by_name["unknown track"])
    assert "therapist" in reason and "client" in reason
    _, reason = await run_case(server, by_name["header not json"])
    assert "header" in reason


async def test_ended_session_refuses_audio(server: str) -> None:
    sid = await new_session(server)
    await end_session(server, sid)
    code, reason = await close_of(server, audio_path(sid), ())
    assert code == 4409 and reason


async def test_a_track_streams_on_one_socket_at_a_time(server: str) -> None:
    sid = await new_session(server)
    async with websockets.connect(ws_url(server, audio_path(sid, "client"))) as first:
        await first.send(header())
        await first.send(GOOD_FRAME)
        for _ in range(50):  # the first socket's track is open once the server read a frame
            if "client" in (await get_session(server, sid))["tracks"]:
                break
            await asyncio.sleep(0.02)
        code, reason = await close_of(server, audio_path(sid, "client"), (header(),))
        assert code == 4409 and reason
        # Another track of the same session is fine meanwhile.
        await first.send(GOOD_FRAME)
        other = await close_of(server, audio_path(sid, "therapist"), (header(), b"x"))
        assert other[0] == 1007
    await end_session(server, sid)


async def test_a_bad_frame_ends_the_socket_but_not_the_session(server: str, jfk: Samples) -> None:
    sid = await new_session(server)
    collector = asyncio.create_task(collect_until_ended(server, sid))
    code, _ = await close_of(server, audio_path(sid), (header(), GOOD_FRAME, b"\x00"))
    assert code == 1007
    info = await get_session(server, sid)
    assert info["consented"] and info["state"] == "active" and info["tracks"] == []
    await stream(server, sid, jfk)  # the same track again, on a new socket
    await end_session(server, sid)
    events = await asyncio.wait_for(collector, 120)
    assert wer(JFK_TEXT, finals_text(events)) <= 0.15
    assert not [e for e in events if e["type"] == "error"]


async def test_failures_do_not_disturb_a_concurrent_session(server: str, jfk: Samples) -> None:
    """Every failure case, repeatedly, while a healthy session streams JFK."""
    healthy = await new_session(server)
    collector = asyncio.create_task(collect_until_ended(server, healthy))
    await asyncio.sleep(0.1)
    sender = asyncio.create_task(stream_paced(server, healthy, jfk, speed=4.0))
    rounds = 0
    while not sender.done() or rounds == 0:
        for case in CASES:
            code, _ = await run_case(server, case)
            assert code == case.code, case.name
        rounds += 1
    assert await sender == (1000, "")
    await end_session(server, healthy)
    events = await asyncio.wait_for(collector, 120)
    assert wer(JFK_TEXT, finals_text(events)) <= 0.15
    assert not [e for e in events if e["type"] == "error"]
    assert {e["track"] for e in finals(events)} == {"mixed"}
    # And a session started after all those failures works as well.
    after = await new_session(server)
    collector = asyncio.create_task(collect_until_ended(server, after))
    await asyncio.sleep(0.1)
    await stream(server, after, jfk)
    await end_session(server, after)
    assert wer(JFK_TEXT, finals_text(await asyncio.wait_for(collector, 120))) <= 0.15
    async with http_client(server) as http:
        assert (await http.get("/healthz")).json()["status"] == "ok"
