"""WebRTC ingest at its edges: a machine with only loopback, mDNS host candidates,
consent revoked mid-stream, ending a session, a WebSocket and a WebRTC sender on the
same session, two sessions at once, and oversized or malformed signalling.

A real aiortc sender talks to the real server (same process, its own thread), with real
speech and the real model.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import aioice.ice
import ifaddr
import numpy as np
import pytest
import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription

from streaming.audio import Samples
from tests.conftest import JFK_TEXT, silence, wer
from tests.session_server.helpers import (
    collect_events,
    collect_until_ended,
    end_session,
    finals,
    finals_text,
    get_session,
    http_client,
    new_session,
    set_consent,
    stream,
    stream_paced,
    within,
    ws_url,
)
from tests.session_server.rtc_client import (
    RtcSender,
    SpeechTrack,
    connect,
    labels,
    make_offer_pc,
    post_offer,
)

CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) (\d+) typ (\S+)", re.M)
IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


def _speech(librispeech: list[tuple[Samples, str]], picks: list[int]) -> tuple[Samples, str]:
    audio = np.concatenate([x for i in picks for x in (librispeech[i][0], silence(0.7))])
    return audio, " ".join(librispeech[i][1] for i in picks)


def _candidate_hosts(sdp: str) -> list[str]:
    return [m.group(1) for m in CANDIDATE.finditer(sdp)]


async def _until(check: Callable[[], Any], seconds: float, what: str, every: float = 0.05) -> None:
    """Poll ``check`` (sync or async) until it is true; fails plainly after ``seconds``."""

    async def poll() -> None:
        while True:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return
            await asyncio.sleep(every)

    await within(seconds, poll(), what)


async def _tracks(url: str, sid: str) -> list[str]:
    tracks: list[str] = (await get_session(url, sid))["tracks"]
    return tracks


async def _has_track(url: str, sid: str, track: str) -> bool:
    return track in await _tracks(url, sid)


async def _until_sent(track: SpeechTrack) -> None:
    await within(60, track.done.wait(), "sending the speech")
    await asyncio.sleep(1.0)  # trailing silence, so the last utterance ends


async def _connect_rewritten(
    url: str, sid: str, tracks: dict[str, SpeechTrack], rewrite: Callable[[str], str]
) -> tuple[RtcSender, str, float]:
    """Like ``connect``, with the offer's SDP rewritten before it is posted; returns the
    sender, the SDP as posted and the seconds the POST took."""
    pc = make_offer_pc(tracks)
    await pc.setLocalDescription(await pc.createOffer())
    sdp = rewrite(pc.localDescription.sdp)
    t0 = time.perf_counter()
    r = await post_offer(url, sid, sdp, labels(pc, tracks))
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        await pc.close()
        raise AssertionError(f"offer refused: {r.status_code} {r.text}")
    answer = r.json()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    return RtcSender(pc, tracks, answer), sdp, elapsed


def _closed(pc: RTCPeerConnection) -> Callable[[], bool]:
    return lambda: pc.connectionState in ("closed", "failed")


def _connected(pc: RTCPeerConnection) -> Callable[[], bool]:
    def check() -> bool:
        if pc.connectionState in ("closed", "failed"):
            raise AssertionError(f"the peer connection went {pc.connectionState}")
        return pc.connectionState == "connected"

    return check


def _check_latencies(events: list[dict[str, Any]]) -> None:
    fs = finals(events)
    assert fs, "no transcript.final at all"
    for f in fs:
        assert isinstance(f["latency"], float), f
        assert 0.0 <= f["latency"] < 60.0, f


# --- a. a machine whose only interface is loopback ----------------------------------


def _loopback_only() -> list[ifaddr.Adapter]:
    return [
        ifaddr.Adapter(
            "lo",
            "lo",
            [ifaddr.IP("127.0.0.1", 8, "lo"), ifaddr.IP(("::1", 0, 0), 128, "lo")],
            index=1,
        )
    ]


async def test_on_a_loopback_only_machine_offer_loopback_makes_the_connection(
    server: str, jfk: Samples, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapped = aioice.ice.get_host_addresses
    assert getattr(wrapped, "offers_loopback", False), "the server installs offer_loopback"
    original = inspect.getclosurevars(wrapped).nonlocals["gather"]
    # The wrapped aioice function reads the interfaces through ifaddr.get_adapters (the
    # module aioice.ice imported) at call time; the server (in its own thread) and this
    # sender (here) both gather through it.
    monkeypatch.setattr(ifaddr, "get_adapters", _loopback_only)
    assert original(use_ipv4=True, use_ipv6=True) == []
    assert wrapped(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]

    # Without offer_loopback (both sides gathering with aioice's own function) there is
    # no candidate at all on either side: nothing connects, no audio arrives.
    without = await new_session(server)
    with monkeypatch.context() as m:
        m.setattr(aioice.ice, "get_host_addresses", original)
        track = SpeechTrack(jfk, speed=2)
        failed, offered, _ = await _connect_rewritten(server, without, {"mixed": track}, str)
        try:
            assert _candidate_hosts(offered) == []
            assert _candidate_hosts(failed.answer["sdp"]) == []
            await asyncio.sleep(3.0)
            assert failed.pc.connectionState != "connected", failed.pc.connectionState
            assert await _tracks(server, without) == []
        finally:
            await failed.close()
    await within(60, end_session(server, without), "ending the session")

    # With it, both sides offer 127.0.0.1 and the speech is transcribed.
    sid = await new_session(server)
    track = SpeechTrack(jfk, speed=2)
    sender, offered, _ = await _connect_rewritten(server, sid, {"mixed": track}, str)
    try:
        assert set(_candidate_hosts(offered)) == {"127.0.0.1"}
        answer_hosts = _candidate_hosts(sender.answer["sdp"])
        assert "127.0.0.1" in answer_hosts
        assert set(answer_hosts) == {"127.0.0.1"}, "only loopback exists on this machine"
        await _until(_connected(sender.pc), 15, "connecting over loopback")
        await _until_sent(track)
        assert await _tracks(server, sid) == ["mixed"]
    finally:
        await sender.close()
    await within(60, end_session(server, sid), "ending the session")
    events = await within(30, collect_until_ended(server, sid), "the session's events")
    assert wer(JFK_TEXT, finals_text(events)) < 0.3


# --- b. mDNS host candidates ----------------------------------------------------------


def _hide_ips_with_mdns(sdp: str, *, end_of_candidates: bool) -> str:
    """Every host candidate's address replaced by a random ``<uuid>.local`` name that
    nobody answers, as a browser hiding its local IPs does; ``c=`` lines say 0.0.0.0."""
    names: dict[str, str] = {}

    def hide(m: re.Match[str]) -> str:
        name = names.setdefault(m.group(2), f"{uuid.uuid4()}.local")
        return f"{m.group(1)}{name}{m.group(3)}"

    sdp = re.sub(r"^(a=candidate:\S+ \d+ \S+ \d+ )(\S+)( \d+ typ host)", hide, sdp, flags=re.M)
    sdp = re.sub(r"^c=IN IP[46] \S+", "c=IN IP4 0.0.0.0", sdp, flags=re.M)
    if not end_of_candidates:
        sdp = sdp.replace("a=end-of-candidates\r\n", "")
    return sdp


async def _mdns_session(
    server: str, jfk: Samples, *, end_of_candidates: bool
) -> tuple[RtcSender, str, float, str, SpeechTrack]:
    sid = await new_session(server)
    track = SpeechTrack(jfk, speed=2)

    def rewrite(sdp: str) -> str:
        return _hide_ips_with_mdns(sdp, end_of_candidates=end_of_candidates)

    sender, offered, elapsed = await _connect_rewritten(server, sid, {"mixed": track}, rewrite)
    return sender, offered, elapsed, sid, track


async def _check_mdns_connects(
    server: str, sender: RtcSender, offered: str, elapsed: float, sid: str, track: SpeechTrack
) -> None:
    hosts = _candidate_hosts(offered)
    assert hosts and all(h.endswith(".local") for h in hosts)
    assert not any(IPV4.search(h) for h in hosts)
    assert elapsed < 5.0, f"the offer took {elapsed:.1f} s to answer (unanswered mDNS names)"
    assert _candidate_hosts(sender.answer["sdp"]), "the answer offers no candidate to check"
    try:
        # The server cannot resolve the names: it learns the sender's address from the
        # sender's connectivity checks (a peer-reflexive candidate).
        await _until(_connected(sender.pc), 15, "connecting with mDNS candidates")
        await _until_sent(track)
        assert await _tracks(server, sid) == ["mixed"]
    finally:
        await sender.close()
    await within(60, end_session(server, sid), "ending the session")
    events = await within(30, collect_until_ended(server, sid), "the session's events")
    assert wer(JFK_TEXT, finals_text(events)) < 0.3


async def test_mdns_host_candidates_connect_through_peer_reflexive_checks(
    server: str, jfk: Samples
) -> None:
    """An offer without ``a=end-of-candidates`` (candidates may still trickle)."""
    sender, offered, elapsed, sid, track = await _mdns_session(server, jfk, end_of_candidates=False)
    await _check_mdns_connects(server, sender, offered, elapsed, sid, track)


async def test_mdns_host_candidates_connect_even_with_end_of_candidates(
    server: str, jfk: Samples
) -> None:
    """The same, with ``a=end-of-candidates`` in the offer, as aiortc (and a browser that
    sends its offer once gathering is complete) writes it."""
    sender, offered, elapsed, sid, track = await _mdns_session(server, jfk, end_of_candidates=True)
    try:
        await _check_mdns_connects(server, sender, offered, elapsed, sid, track)
    finally:
        await sender.close()
        await within(60, end_session(server, sid), "ending the session")


# --- c. consent revoked mid-stream ------------------------------------------------------


async def test_revoking_consent_closes_the_peer_and_stops_transcription(
    server: str, librispeech: list[tuple[Samples, str]]
) -> None:
    audio, _ = _speech(librispeech, [0, 1, 2, 3])
    sid = await new_session(server)
    first_final = asyncio.create_task(
        collect_events(server, sid, lambda e: e["type"] == "transcript.final")
    )
    await asyncio.sleep(0.1)
    track = SpeechTrack(audio, speed=2)
    sender = await connect(server, sid, {"mixed": track})
    offer = (sender.pc.localDescription.sdp, labels(sender.pc, sender.tracks))
    try:
        await within(60, first_final, "the first final")
        assert not track.done.is_set(), "the speech must still be streaming"
        r = await set_consent(server, sid, "client", False)
        assert r.status_code == 200, r.text
        assert r.json()["tracks"] == []
        await _until(_closed(sender.pc), 15, "the server closing the peer")
        assert await _tracks(server, sid) == []

        again = await post_offer(server, sid, *offer)
        assert again.status_code == 409, again.text
        assert "consent" in again.json()["detail"]

        # Nothing reopens the track: the peer is gone, not merely its pipeline.
        await asyncio.sleep(2.0)
        assert await _tracks(server, sid) == []
    finally:
        await sender.close()
    await within(60, end_session(server, sid), "ending the session")
    events = await within(30, collect_until_ended(server, sid), "the session's events")
    revoked = [
        e for e in events if e["type"] == "session.state" and e["state"] == "consent_revoked"
    ]
    assert len(revoked) == 1
    fs = finals(events)
    assert any(f["seq"] < revoked[0]["seq"] for f in fs)
    assert not [f for f in fs if f["seq"] > revoked[0]["seq"]]


# --- d. ending a session ----------------------------------------------------------------


async def test_ending_the_session_closes_its_peer_and_keeps_the_finals(
    server: str, jfk: Samples
) -> None:
    sid = await new_session(server)
    track = SpeechTrack(jfk, speed=2)
    sender = await connect(server, sid, {"mixed": track})
    offer = (sender.pc.localDescription.sdp, labels(sender.pc, sender.tracks))
    try:
        await _until_sent(track)
        assert await _tracks(server, sid) == ["mixed"]
        async with http_client(server, timeout=120) as http:
            r = await within(60, http.post(f"/v1/sessions/{sid}/end"), "ending the session")
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "ended"
        assert await _tracks(server, sid) == []
        await _until(_closed(sender.pc), 15, "the server closing the peer")
    finally:
        await sender.close()
    events = await within(30, collect_until_ended(server, sid), "the session's events")
    assert events[-1]["type"] == "session.state" and events[-1]["state"] == "ended"
    assert wer(JFK_TEXT, finals_text(events)) < 0.3
    _check_latencies(events)  # finals fed through TrackPipeline.offer
    r = await post_offer(server, sid, *offer)
    assert r.status_code == 409, r.text
    assert "ended" in r.json()["detail"]


async def _events_for(url: str, sid: str, seconds: float) -> list[dict[str, Any]]:
    """Every event of the session from the start, and whatever comes within ``seconds``
    of quiet (unlike ``collect_until_ended``, this does not stop at ``ended``)."""
    events: list[dict[str, Any]] = []
    async with websockets.connect(ws_url(url, f"/v1/sessions/{sid}/events?since=0")) as ws:
        try:
            while True:
                events.append(json.loads(await asyncio.wait_for(ws.recv(), seconds)))
        except TimeoutError:
            pass
    return events


async def test_an_offer_while_the_session_is_ending_is_refused(
    server: str, librispeech: list[tuple[Samples, str]]
) -> None:
    audio = np.concatenate([librispeech[0][0], librispeech[3][0]])
    sid = await new_session(server)
    track = SpeechTrack(audio, speed=2)
    sender = await connect(server, sid, {"mixed": track})
    late: RtcSender | None = None
    try:
        await _until(lambda: track.sent_seconds >= 9.0, 30, "sending 9 s of speech")
        # Ending now finishes a long open utterance: that takes a while.
        ending = asyncio.create_task(end_session(server, sid))
        await asyncio.sleep(0.05)
        late_tracks = {"mixed": SpeechTrack(librispeech[3][0], speed=2)}
        pc = make_offer_pc(late_tracks)
        late = RtcSender(pc, late_tracks)
        await pc.setLocalDescription(await pc.createOffer())
        r = await post_offer(server, sid, pc.localDescription.sdp, labels(pc, late_tracks))
        if r.status_code == 200:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=r.json()["sdp"], type="answer"))
        await within(60, ending, "ending the session")
        assert not ending.exception()
        await asyncio.sleep(3.0)  # whatever the late peer sends, it has sent some by now
        session = await get_session(server, sid)
        assert session["state"] == "ended"
        assert session["tracks"] == [], "a track is open on an ended session"
        events = await within(30, _events_for(server, sid, 2.0), "the session's events")
        ended = [e for e in events if e["type"] == "session.state" and e["state"] == "ended"]
        assert len(ended) == 1
        after = [e for e in events if e["seq"] > ended[0]["seq"]]
        assert after == [], f"events after the end: {[e['type'] for e in after]}"
        assert r.status_code == 409, r.text
    finally:
        await sender.close()
        if late is not None:
            await late.close()


# --- e. a WebSocket and a WebRTC sender on one session -----------------------------------


async def test_a_track_held_by_a_websocket_cannot_be_offered_but_another_can(
    server: str, librispeech: list[tuple[Samples, str]]
) -> None:
    ws_audio, ws_ref = _speech(librispeech, [0])
    rtc_audio, rtc_ref = _speech(librispeech, [3])
    sid = await new_session(server)
    ws = asyncio.create_task(
        stream_paced(server, sid, np.concatenate([ws_audio, silence(1.0)]), track="therapist")
    )
    try:
        await _until(
            lambda: _has_track(server, sid, "therapist"), 15, "the WebSocket track opening"
        )
        for wanted in (["therapist"], ["therapist", "client"]):  # one busy label is enough
            tracks = {role: SpeechTrack(rtc_audio) for role in wanted}
            pc = make_offer_pc(tracks)
            try:
                await pc.setLocalDescription(await pc.createOffer())
                r = await post_offer(server, sid, pc.localDescription.sdp, labels(pc, tracks))
            finally:
                await pc.close()
            assert r.status_code == 409, r.text
            assert "therapist" in r.json()["detail"]
            assert await _tracks(server, sid) == ["therapist"]

        track = SpeechTrack(rtc_audio, speed=2)
        sender = await connect(server, sid, {"client": track})
        try:
            await _until(_connected(sender.pc), 15, "connecting the client track")
            await _until_sent(track)
            assert sorted(await _tracks(server, sid)) == ["client", "therapist"]
        finally:
            await sender.close()
        code, _ = await within(60, ws, "the WebSocket stream")
        assert code == 1000
    finally:
        ws.cancel()
    await within(60, end_session(server, sid), "ending the session")
    events = await within(30, collect_until_ended(server, sid), "the session's events")
    assert wer(ws_ref, finals_text(events, "therapist")) < 0.3
    assert wer(rtc_ref, finals_text(events, "client")) < 0.3
    assert not finals(events, "mixed")


# --- f. two sessions at once --------------------------------------------------------------


async def test_two_sessions_over_webrtc_each_get_only_their_own_speech(
    server: str, jfk: Samples, librispeech: list[tuple[Samples, str]]
) -> None:
    other, other_ref = _speech(librispeech, [0, 1])
    refs = {"jfk": JFK_TEXT, "other": other_ref}
    audios = {"jfk": jfk, "other": other}
    sids = {name: await new_session(server) for name in refs}
    tracks = {name: SpeechTrack(audio, speed=2) for name, audio in audios.items()}
    senders = await asyncio.gather(*(connect(server, sids[n], {"mixed": tracks[n]}) for n in refs))
    try:
        await asyncio.gather(*(_until_sent(t) for t in tracks.values()))
        for name in refs:
            assert await _tracks(server, sids[name]) == ["mixed"]
    finally:
        for sender in senders:
            await sender.close()
    await within(
        60, asyncio.gather(*(end_session(server, s) for s in sids.values())), "ending both"
    )
    texts = {}
    for name, sid in sids.items():
        events = await within(30, collect_until_ended(server, sid), "the session's events")
        texts[name] = finals_text(events)
    assert wer(refs["jfk"], texts["jfk"]) < 0.3
    assert wer(refs["other"], texts["other"]) < 0.3
    assert "americans" not in texts["other"].lower()
    assert "stew" not in texts["jfk"].lower()
    assert wer(refs["other"], texts["jfk"]) > 0.8
    assert wer(refs["jfk"], texts["other"]) > 0.8


# --- g. malformed signalling -----------------------------------------------------------


async def test_an_oversized_sdp_and_a_body_that_is_not_json_are_refused(server: str) -> None:
    sid = await new_session(server)
    big = "v=0\r\n" + "a=x-filler:" + "y" * 65_600 + "\r\n"
    assert len(big) > 65_536
    r = await post_offer(server, sid, big, {"0": "mixed"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
    async with http_client(server) as http:
        for content in (b"this is not json", b'{"sdp": ', b"\xff\xfe"):
            r = await http.post(
                f"/v1/sessions/{sid}/webrtc",
                content=content,
                headers={"content-type": "application/json"},
            )
            assert r.status_code == 422, (content, r.text)
            assert r.json()["detail"]
    assert await _tracks(server, sid) == []
    await end_session(server, sid)


# --- latency through the WebSocket path (TrackPipeline.put) ------------------------------


async def test_every_final_of_a_websocket_stream_carries_its_latency(
    server: str, jfk: Samples
) -> None:
    sid = await new_session(server)
    await stream(server, sid, np.concatenate([jfk, silence(1.0)]))
    await within(60, end_session(server, sid), "ending the session")
    events = await within(30, collect_until_ended(server, sid), "the session's events")
    assert wer(JFK_TEXT, finals_text(events)) < 0.3
    _check_latencies(events)
