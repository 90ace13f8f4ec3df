"""WebRTC ingest with a real aiortc sender, real speech and the real model."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import numpy as np
import pytest

from streaming.audio import Samples
from tests.conftest import silence, wer
from tests.session_server.helpers import (
    collect_until_ended,
    end_session,
    finals,
    finals_text,
    get_session,
    new_session,
    within,
)
from tests.session_server.rtc_client import (
    OpusChannelSender,
    SpeechTrack,
    connect,
    make_offer_pc,
    post_offer,
)


def _speech(librispeech: list[tuple[Samples, str]], picks: list[int]) -> tuple[Samples, str]:
    audio = np.concatenate([x for i in picks for x in (librispeech[i][0], silence(0.7))])
    return audio, " ".join(librispeech[i][1] for i in picks)


async def _until_track_done(track: SpeechTrack) -> None:
    await within(120, track.done.wait(), "sending the speech")
    await asyncio.sleep(1.0)  # trailing silence so the last utterance ends


async def test_two_labelled_tracks_are_transcribed_under_their_labels(
    server: str, librispeech: list[tuple[Samples, str]]
) -> None:
    therapist, t_ref = _speech(librispeech, [0, 1])
    client, c_ref = _speech(librispeech, [2, 3])
    sid = await new_session(server)
    tracks = {"therapist": SpeechTrack(therapist, speed=2), "client": SpeechTrack(client, speed=2)}
    sender = await connect(server, sid, tracks)
    try:
        assert "a=ptime:10" in sender.answer["sdp"]
        await asyncio.gather(*(_until_track_done(t) for t in tracks.values()))
        session = await get_session(server, sid)
        assert sorted(session["tracks"]) == ["client", "therapist"]
    finally:
        await sender.close()
    await within(60, end_session(server, sid), "ending the session")
    events = await collect_until_ended(server, sid)
    assert wer(t_ref, finals_text(events, "therapist")) < 0.25
    assert wer(c_ref, finals_text(events, "client")) < 0.25
    assert not finals(events, "mixed")
    assert all(isinstance(f["latency"], float) for f in finals(events))


async def test_a_new_offer_resumes_the_session_without_loss_or_repeats(
    server: str, librispeech: list[tuple[Samples, str]]
) -> None:
    """The connection drops mid-speech; a new offer continues where the audio stopped."""
    audio, ref = _speech(librispeech, [0, 1, 2])
    sid = await new_session(server)
    first = SpeechTrack(audio, speed=2)
    sender = await connect(server, sid, {"mixed": first})
    cut = len(audio) / 16_000 / 2
    while first.sent_seconds < cut:
        await asyncio.sleep(0.02)
    resumed_at = first.sent_seconds
    second = SpeechTrack(audio, speed=2, start_at=resumed_at)
    again = await connect(server, sid, {"mixed": second})  # replaces the dropped peer
    await sender.close()
    try:
        await _until_track_done(second)
    finally:
        await again.close()
    await within(60, end_session(server, sid), "ending the session")
    events = await collect_until_ended(server, sid)
    fs = finals(events)
    assert len({f["segment_id"] for f in fs}) == len(fs)
    ordered = sorted(fs, key=lambda f: f["start"])
    assert all(a["end"] <= b["start"] + 0.05 for a, b in itertools.pairwise(ordered))
    assert wer(ref, " ".join(f["text"] for f in ordered)) < 0.25


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("garbage", 422),
        ("unlabelled", 422),
        ("unknown-mid", 422),
        ("reused-label", 422),
    ],
)
async def test_bad_offers_are_refused_clearly(
    server: str, librispeech: list[tuple[Samples, str]], change: str, status: int
) -> None:
    from tests.session_server.rtc_client import labels, make_offer_pc, post_offer

    sid = await new_session(server)
    tracks = {"therapist": SpeechTrack(librispeech[0][0]), "client": SpeechTrack(librispeech[1][0])}
    pc = make_offer_pc(tracks)
    try:
        await pc.setLocalDescription(await pc.createOffer())
        sdp, mids = pc.localDescription.sdp, labels(pc, tracks)
        body: dict[str, Any] = {"garbage": ("v=0\r\nthis is not sdp", mids)}.get(
            change, (sdp, mids)
        )
        if change == "unlabelled":
            body = (sdp, dict(list(mids.items())[:1]))
        elif change == "unknown-mid":
            body = (sdp, {**mids, "7": "mixed"})
        elif change == "reused-label":
            body = (sdp, dict.fromkeys(mids, "client"))
        r = await post_offer(server, sid, *body)
        assert r.status_code == status, r.text
        assert "detail" in r.json()
        assert (await get_session(server, sid))["tracks"] == []
    finally:
        await pc.close()
    await end_session(server, sid)


async def test_an_offer_before_consent_is_refused(
    server: str, librispeech: list[tuple[Samples, str]]
) -> None:
    sid = await new_session(server, consent=False)
    with pytest.raises(AssertionError, match="409"):
        await connect(server, sid, {"mixed": SpeechTrack(librispeech[0][0])})
    session = await get_session(server, sid)
    assert session["state"] == "created" and session["tracks"] == []


@pytest.mark.parametrize("lose_every", [0, 25])
async def test_audio_on_data_channels_is_transcribed_with_losses_filled(
    server: str, librispeech: list[tuple[Samples, str]], lose_every: int
) -> None:
    """The low-latency path: 10 ms Opus packets on unordered data channels, one per role,
    beside a media track on the same peer connection. Lost packets (every 25th: 4 %)
    become silence, so the track's clock still matches its audio."""
    therapist, t_ref = _speech(librispeech, [0, 1])
    client, c_ref = _speech(librispeech, [2, 3])
    sid = await new_session(server)
    opus = OpusChannelSender(client, speed=2, lose_every=lose_every)
    track = SpeechTrack(therapist, speed=2)
    sender = await connect(server, sid, {"therapist": track}, {"client": opus})
    try:
        await within(120, opus.done.wait(), "sending on the data channel")
        await _until_track_done(track)
    finally:
        await sender.close()
    await within(60, end_session(server, sid), "ending the session")
    events = await collect_until_ended(server, sid)
    assert wer(c_ref, finals_text(events, "client")) < (0.25 if not lose_every else 0.35)
    assert wer(t_ref, finals_text(events, "therapist")) < 0.25
    assert opus.lost == (opus.sent // lose_every if lose_every else 0)
    # Audio time from sample counts, losses included: the last final ends near the
    # speech's end on the client's clock (its track opened with the first packet).
    last = finals(events, "client")[-1]
    assert last["end"] <= len(client) / 16_000 + 1.0


async def test_a_data_channel_must_be_declared_in_the_offer(
    server: str, librispeech: list[tuple[Samples, str]]
) -> None:
    sid = await new_session(server)
    pc = make_offer_pc({})
    OpusChannelSender(librispeech[0][0]).attach(pc, "client")
    try:
        await pc.setLocalDescription(await pc.createOffer())
        r = await post_offer(server, sid, pc.localDescription.sdp, {}, channels=None)
        assert r.status_code == 422  # neither a labelled track nor a declared channel
        r = await post_offer(server, sid, pc.localDescription.sdp, {}, channels=["client"] * 2)
        assert r.status_code == 422
    finally:
        await pc.close()
    await end_session(server, sid)
