"""Speakers end to end: the real server, the real models, rendered two-voice sessions.

One channel: every final carries a speaker and (with the clinician's enrolled voice) a
role; the side-panel's role correction and the post-session refinement arrive as events
about segments already shown. Two tracks: words the therapist's microphone picked up
from the loudspeakers are not transcribed a second time under the therapist.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import numpy as np
import soundfile as sf
import websockets

from benchmarks.sessions import ENROLMENT_TEXT, render_session, render_voice, session_ids
from session_server.client import to_pcm
from tests.session_server.helpers import (
    audio_path,
    auth,
    collect_events,
    collect_until_ended,
    end_session,
    finals,
    header,
    http_client,
    new_session,
    stream,
    ws_url,
)


async def stream_together(url: str, sid: str, tracks: dict[str, Any], frame_ms: int = 100) -> None:
    """Both tracks' sockets connect at once, then their frames go out in lockstep, faster
    than real time: like the bridge, which starts both tracks together. (The session clock
    aligns each track to when its socket connected.)"""
    step = 16000 * frame_ms // 1000
    names = list(tracks)
    opened = await asyncio.gather(
        *(websockets.connect(ws_url(url, audio_path(sid, name))) for name in names)
    )
    sockets = dict(zip(names, opened, strict=True))
    try:
        for ws in sockets.values():
            await ws.send(header())
        length = max(len(a) for a in tracks.values())
        for i in range(0, length - step // 2, step):
            for name, ws in sockets.items():
                await ws.send(to_pcm(np.asarray(tracks[name][i : i + step])))
    finally:
        for ws in sockets.values():
            await ws.close()


async def _enrol(url: str) -> None:
    buf = io.BytesIO()
    sf.write(buf, render_voice(ENROLMENT_TEXT, "therapist"), 16000, format="WAV")
    async with http_client(url) as http:
        r = await http.put(
            "/v1/me/voice-profile",
            content=buf.getvalue(),
            headers={**auth(url), "Content-Type": "audio/wav"},
        )
        assert r.status_code == 200, r.text


async def test_one_channel_speakers_roles_refinement_and_analytics(server: str) -> None:
    await _enrol(server)
    session = render_session(session_ids(4)[2], max_seconds=60.0)
    sid = await new_session(server)
    collector = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.2)
    await stream(server, sid, np.asarray(session.mixed))
    await end_session(server, sid)
    events = await asyncio.wait_for(collector, 240)

    shown = finals(events, "mixed")
    assert len(shown) >= 5
    assert all(f["speaker"] in ("S1", "S2") for f in shown)
    assert all(w.get("speaker") in ("S1", "S2") for f in shown for w in f["words"])
    roles = [e for e in events if e["type"] == "speaker.roles"]
    assert roles and sorted(roles[-1]["roles"].values()) == ["client", "therapist"]
    mapping = roles[-1]["roles"]
    refined = [e for e in events if e["type"] == "transcript.refined"]
    assert len(refined) == 1
    final_ids = {f["segment_id"] for f in shown}
    corrections = [e for e in events if e["type"] == "speaker.correction"]
    assert all(c["segment_id"] in final_ids for c in corrections), "corrections name shown finals"
    by_id = {s["segment_id"]: s for s in refined[0]["segments"]}
    right = total = 0.0
    for f in shown:
        speaker = by_id[f["segment_id"]]["speaker"]
        dur = f["end"] - f["start"]
        total += dur
        right += dur * (mapping.get(speaker) == session.role_at(f["start"], f["end"]))
    assert right / total >= 0.9, f"role right for {right / total:.0%} of final time"

    updates = [e for e in events if e["type"] == "analytics.update"]
    assert updates and set(updates[-1]["roles"]) >= {"therapist", "client"}
    async with http_client(server) as http:
        r = await http.get(f"/v1/sessions/{sid}/analytics", headers=auth(server))
        assert r.status_code == 200
        assert set(r.json()["roles"]) >= {"therapist", "client"}
        transcript = (await http.get(f"/v1/sessions/{sid}/transcript", headers=auth(server))).json()
    stored = {s["segment_id"]: s for s in transcript["segments"]}
    for seg_id, seg in by_id.items():
        assert stored[seg_id]["speaker"] == seg["speaker"], "corrections reach the store"


async def test_role_correction_from_the_side_panel(server: str) -> None:
    session = render_session(session_ids(4)[3], max_seconds=30.0)
    sid = await new_session(server)
    collector = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.2)
    await stream(server, sid, np.asarray(session.mixed))
    labelled = await asyncio.wait_for(
        collect_events(
            server, sid, lambda e: e["type"] == "transcript.final" and e["speaker"] == "S1"
        ),
        120,
    )
    assert labelled[-1]["role"] in ("therapist", "client", "unknown")
    async with http_client(server) as http:
        r = await http.put(
            f"/v1/sessions/{sid}/speakers/S1",
            json={"role": "client", "track": "mixed"},
            headers=auth(server),
        )
        assert r.status_code == 200, r.text
        r = await http.put(
            f"/v1/sessions/{sid}/speakers/S7",
            json={"role": "client", "track": "mixed"},
            headers=auth(server),
        )
        assert r.status_code == 404
    await end_session(server, sid)
    events = await asyncio.wait_for(collector, 240)
    roles = [e for e in events if e["type"] == "speaker.roles" and e["source"] == "clinician"]
    assert roles and roles[0]["roles"]["S1"] == "client"


async def test_two_tracks_with_leakage_do_not_repeat_words(server: str) -> None:
    session = render_session(session_ids(4)[0], max_seconds=60.0)
    therapist = np.asarray(session.therapist_with_leak(-18.0, 80.0))
    sid = await new_session(server)
    collector = asyncio.create_task(collect_until_ended(server, sid))
    await asyncio.sleep(0.2)
    await stream_together(server, sid, {"therapist": therapist, "client": session.client})
    await end_session(server, sid)
    events = await asyncio.wait_for(collector, 240)
    words = [w for f in finals(events, "therapist") for w in f["words"]]
    assert words, "the therapist's own words are kept"
    assert all(f["speaker"] == f["role"] == "therapist" for f in finals(events, "therapist"))
    misplaced = [w for w in words if session.role_at(w["start"], w["end"]) == "client"]
    dropped = sum(e.get("leak_dropped", 0) for e in events if e.get("track") == "therapist")
    client_words = [w for f in finals(events, "client") for w in f["words"]]
    assert client_words and all(f["role"] == "client" for f in finals(events, "client"))
    # The quiet copy is often transcribed too (22 words of 33 in this session), then dropped.
    assert len(misplaced) <= 0.05 * len(client_words), (len(misplaced), dropped)
