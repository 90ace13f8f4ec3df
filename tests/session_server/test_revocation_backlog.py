"""Consent revoked while decoding lags behind the audio (the usual state under load).

These run on their own server with a short decode queue per track
(``max_pending_finals=2``), so that the lagging state is reached at once and for sure;
a busy shared decoder reaches it the same way with the default queue of 8.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import tests.conftest as conftest
from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from streaming.audio import Samples
from tests.conftest import silence
from tests.session_server.helpers import (
    capture_logs,
    collect_events,
    collect_until_ended,
    end_session,
    finals,
    get_session,
    new_session,
    set_consent,
    stream,
    stream_paced,
    within,
)


@pytest.fixture(scope="module")
def lagging_server(
    tmp_path_factory: pytest.TempPathFactory, scheduler: InferenceScheduler
) -> Iterator[str]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("lagging"),
        port=conftest._free_port(),
        max_pending_finals=2,
    )
    with conftest.serve(settings, scheduler) as url:
        yield url


@pytest.fixture(scope="module")
def speech(librispeech: list[tuple[Samples, str]]) -> Samples:
    """All four LibriSpeech utterances with pauses: 23 s."""
    return np.concatenate([x for a, _ in librispeech for x in (a, silence(0.6))])


def is_revoked(e: dict[str, object]) -> bool:
    return e["type"] == "session.state" and e["state"] == "consent_revoked"


async def test_revoking_while_decoding_lags_behind_an_open_socket(
    lagging_server: str, speech: Samples
) -> None:
    """Audio arrives far faster than it is decoded and the socket is still open: the
    revocation answers promptly, closes the socket with 4403, stops the work, and the
    session can still be ended."""
    url = lagging_server
    # Another session's backlog occupies the shared decoder first, so this one lags.
    load = await new_session(url)
    await stream(url, load, np.concatenate([speech] * 2))
    try:
        await _revoke_while_lagging(url, speech)
    finally:
        await within(60, end_session(url, load), "ending the load session")


async def _revoke_while_lagging(url: str, speech: Samples) -> None:
    sid = await new_session(url)
    follower = asyncio.create_task(collect_events(url, sid, is_revoked))
    await asyncio.sleep(0.1)
    # Far more audio than can be decoded before the revocation lands, even on a slow,
    # busy machine: the sender must still be sending (pushed back) when consent goes.
    audio = np.tile(speech, 16)  # about 6 minutes
    sender = asyncio.create_task(stream_paced(url, sid, audio, speed=1e3))
    try:
        await _check_revocation(url, sid, sender, follower)
    finally:
        sender.cancel()
        follower.cancel()


async def _check_revocation(
    url: str, sid: str, sender: asyncio.Task[Any], follower: asyncio.Task[Any]
) -> None:
    await asyncio.sleep(1.0)
    assert not sender.done(), "the ingress pushes back on a sender that is too fast"
    with capture_logs(logging.WARNING) as logs:
        r = await within(8, set_consent(url, sid, "therapist", False), "the revocation request")
        assert r.status_code == 200 and r.json()["state"] == "consent_revoked"
        code, reason = await within(10, sender, "closing the audio socket")
    assert (code, reason) == (4403, "consent revoked")
    events = await asyncio.wait_for(follower, 10)
    assert all(f["seq"] < events[-1]["seq"] for f in finals(events))
    assert [t for r, t in zip(logs.records, logs.texts, strict=True) if r.levelno >= 30] == []
    await within(8, end_session(url, sid), "ending the revoked session")
    replay = await asyncio.wait_for(collect_until_ended(url, sid), 8)
    assert [e["state"] for e in replay if e["type"] == "session.state"][-2:] == [
        "consent_revoked",
        "ended",
    ]


async def test_revoking_while_a_closed_track_is_still_transcribing(
    lagging_server: str, speech: Samples
) -> None:
    """The sender is done and has closed its socket; the server is still decoding the
    backlog when consent is withdrawn: decoding stops, nothing fails, the session ends."""
    url = lagging_server
    sid = await new_session(url)
    follower = asyncio.create_task(collect_events(url, sid, is_revoked))
    try:
        await _revoke_after_close(url, sid, speech, follower)
    finally:
        follower.cancel()


async def _revoke_after_close(
    url: str, sid: str, speech: Samples, follower: asyncio.Task[Any]
) -> None:
    await asyncio.sleep(0.1)
    with capture_logs(logging.WARNING) as logs:
        await stream(url, sid, np.concatenate([speech] * 2))  # returns with a backlog left
        for _ in range(300):  # the server has read the whole socket: the track is closed
            if not (await get_session(url, sid))["tracks"]:
                break
            await asyncio.sleep(0.05)
        assert (await get_session(url, sid))["tracks"] == []
        r = await within(8, set_consent(url, sid, "client", False), "the revocation request")
        assert r.status_code == 200 and r.json()["state"] == "consent_revoked"
        events = await asyncio.wait_for(follower, 10)
        await asyncio.sleep(1.0)  # time enough for work that should not happen
    revoked = events[-1]["seq"]
    replay = await collect_events(url, sid, is_revoked)
    assert finals(replay) == finals(events)
    assert all(e["seq"] <= revoked for e in replay)
    assert not [e for e in replay if e["type"] == "error"]
    assert [t for r, t in zip(logs.records, logs.texts, strict=True) if r.levelno >= 30] == []
    # Ending the session must not wait for the cancelled work.
    await within(8, end_session(url, sid), "ending the revoked session")
    assert (await get_session(url, sid))["state"] == "ended"
