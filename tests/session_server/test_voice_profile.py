"""Voice profiles and speakers over HTTP, on a real server with the real speaker model.

A clinician enrols from a recording of their voice alone; the profile (a 256-d vector) is
stored encrypted and is never returned or logged. Sessions take an expected number of
speakers; the clinician corrects a speaker's role on a live session; the stored transcript
carries speaker and role and gives the session's talk analytics.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf
import soxr
from sqlalchemy import select
from sqlalchemy.orm import Session

from asr.scheduler import InferenceScheduler
from benchmarks.sessions import ENROLMENT_TEXT, render_voice
from companion.errors import SessionNotFoundError
from companion.settings import Settings
from session_server.app import open_stores
from session_server.bootstrap import ensure_account
from session_server.models import AuditRow, VoiceProfileRow
from session_server.security.accounts import AccountPolicy, Accounts
from session_server.security.crypto import KeyRing
from session_server.store import Store, make_engine
from tests.conftest import _free_port, database_url, drop_database, serve, silence
from tests.session_server.helpers import (
    TOKENS,
    capture_logs,
    collect_events,
    end_session,
    new_session,
    stream,
    within,
)

PROFILE = "/v1/me/voice-profile"
PASSWORD = "a long enough password"
SHAPE = {"enrolled", "speech_s", "source", "updated_at"}


# -- audio ----------------------------------------------------------------------------------


@functools.cache
def enrolment_audio() -> np.ndarray:
    """About 20 s of the therapist's (synthetic) voice alone, 16 kHz mono."""
    return np.asarray(render_voice(ENROLMENT_TEXT, "therapist"), dtype=np.float32)


def encode(audio: np.ndarray, rate: int = 16_000, fmt: str = "WAV") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, audio, rate, format=fmt, subtype="PCM_16")
    return buf.getvalue()


def stereo_44k(audio: np.ndarray) -> np.ndarray:
    """The same voice as a 44.1 kHz stereo recording: the service downmixes and resamples."""
    up = soxr.resample(audio, 16_000, 44_100).astype(np.float32)
    return np.stack([up, 0.5 * up], axis=1)


# -- the server -----------------------------------------------------------------------------


@dataclass
class Site:
    url: str
    settings: Settings
    tokens: dict[str, str]
    clinician_id: str = ""

    def headers(self, who: str = "clinician", content_type: str | None = None) -> dict[str, str]:
        h = {"authorization": f"Bearer {self.tokens[who]}"} if who != "anon" else {}
        if content_type:
            h["content-type"] = content_type
        return h

    async def put(
        self, data: Any, who: str = "clinician", content_type: str = "audio/wav"
    ) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.url, timeout=120) as http:
            return await http.put(PROFILE, content=data, headers=self.headers(who, content_type))

    async def call(
        self, method: str, path: str, who: str = "clinician", body: Any = None
    ) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.url, timeout=120) as http:
            return await http.request(method, path, json=body, headers=self.headers(who))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, scheduler: InferenceScheduler) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("voice")
    settings = Settings(data_dir=data, port=_free_port(), database_url=database_url(data))
    try:
        with serve(settings, scheduler) as url:
            tokens = {"clinician": TOKENS[url]}
            for role in ("supervisor", "biller"):
                ensure_account(settings, f"voice-{role}", role, PASSWORD)
                body = {"username": f"voice-{role}", "password": PASSWORD}
                r = httpx.post(f"{url}/v1/auth/token", json=body, timeout=30)
                r.raise_for_status()
                tokens[role] = r.json()["access_token"]
            me = httpx.get(f"{url}/v1/auth/me", headers={"authorization": f"Bearer {TOKENS[url]}"})
            yield Site(url, settings, tokens, me.json()["id"])
    finally:
        drop_database(settings.database_url)


@pytest.fixture
def store(site: Site) -> Iterator[Store]:
    """The server's own database and key ring, opened beside it."""
    s, _, _ = open_stores(site.settings)
    try:
        yield s
    finally:
        s.engine.dispose()


def stored_ciphertext(store: Store, user_id: str) -> str | None:
    with Session(store.engine) as db:
        return db.scalar(
            select(VoiceProfileRow.vector_enc).where(VoiceProfileRow.user_id == user_id)
        )


def value_strings(vector: list[float]) -> list[str]:
    """How the vector's values read as text (JSON, as stored before encryption): long
    enough (0.012345) that no ciphertext or log line holds one by chance."""
    return [s for s in (json.dumps(v) for v in vector) if len(s.lstrip("-")) >= 7]


def audit_actions(store: Store, actor: str) -> list[tuple[str, str]]:
    with Session(store.engine) as db:
        rows = db.execute(
            select(AuditRow.action, AuditRow.outcome).where(AuditRow.actor == actor)
        ).all()
        return [(a, o) for a, o in rows]


# -- enrolment --------------------------------------------------------------------------------


async def test_enrolment_is_stored_encrypted_and_never_returned_or_logged(
    site: Site, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with capture_logs(logging.DEBUG) as logs:
        r = await site.put(encode(stereo_44k(enrolment_audio()), 44_100))
        got = await site.call("GET", PROFILE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == SHAPE and body["enrolled"] is True and body["source"] == "enrolment"
    assert body["speech_s"] >= 5.0
    assert got.status_code == 200 and got.json() == body

    record = store.get_voice_profile(site.clinician_id)
    assert record is not None and record.source == "enrolment"
    assert len(record.vector) == 256
    assert abs(float(np.linalg.norm(record.vector)) - 1.0) < 1e-3
    values = value_strings(record.vector)
    assert len(values) >= 100  # the encoder's ReLU leaves the rest at 0.0

    # At rest: one AES-GCM token, no JSON, none of the values.
    raw = stored_ciphertext(store, site.clinician_id)
    assert raw is not None and raw.startswith("v1.") and raw.count(".") == 3
    assert "[" not in raw and "," not in raw
    assert not [v for v in values if v in raw]
    if not site.settings.database_url:  # SQLite: the files themselves
        db_file = site.settings.data_dir / "companion.db"
        blob = b"".join(p.read_bytes() for p in (db_file, Path(f"{db_file}-wal")) if p.exists())
        assert not [v for v in values if v.encode() in blob]

    # Not in a response, not in any log record, at DEBUG.
    assert not [v for v in values if v in r.text + got.text]
    assert logs.records, "logging was captured"
    text = "\n".join(logs.texts) + caplog.text
    assert not [v for v in values if v in text]
    assert "voice_profile.write" in {a for a, o in audit_actions(store, site.clinician_id)}


async def test_an_enrolment_replaces_a_profile_learnt_from_sessions(
    site: Site, store: Store
) -> None:
    learnt = [1.0] + [0.0] * 255
    store.put_voice_profile(site.clinician_id, learnt, 300.0, "sessions")
    before = (await site.call("GET", PROFILE)).json()
    assert before["source"] == "sessions" and before["speech_s"] == 300.0
    r = await site.put(encode(enrolment_audio(), fmt="FLAC"), content_type="audio/flac")
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "enrolment" and 5.0 <= r.json()["speech_s"] < 60.0
    record = store.get_voice_profile(site.clinician_id)
    assert record is not None and record.vector != learnt and record.source == "enrolment"


async def test_too_little_speech_is_refused(site: Site, store: Store) -> None:
    before = store.get_voice_profile(site.clinician_id)
    short = np.asarray(render_voice("Hello, can you hear me?", "therapist"), dtype=np.float32)
    for audio in (short, silence(10.0)):
        r = await site.put(encode(audio))
        assert r.status_code == 422, r.text
        assert "too little speech" in r.json()["detail"]
    assert store.get_voice_profile(site.clinician_id) == before


async def test_undecodable_recordings_are_refused(site: Site, store: Store) -> None:
    before = store.get_voice_profile(site.clinician_id)
    rng = np.random.default_rng(7)
    wav = encode(enrolment_audio())
    ogg = io.BytesIO()
    sf.write(ogg, enrolment_audio()[:16_000], 16_000, format="OGG", subtype="VORBIS")
    for data in (
        rng.bytes(50_000),
        b"",
        b"RIFF\x00\x00\x00\x00WAVEfmt ",
        wav[:40],  # a header and no audio
        ogg.getvalue(),  # readable, but not WAV or FLAC
    ):
        r = await site.put(data, content_type="application/octet-stream")
        assert r.status_code == 422, r.text
        assert "WAV or FLAC" in r.json()["detail"] or "no audio" in r.json()["detail"]
    r = await site.put(rng.bytes(1000), content_type="text/plain")
    assert r.status_code == 415, r.text
    assert store.get_voice_profile(site.clinician_id) == before


async def test_an_oversized_recording_is_refused(site: Site) -> None:
    limit = site.settings.max_enrolment_bytes
    assert limit == 8 * 1024 * 1024
    r = await site.put(bytes(limit + 1))
    assert r.status_code == 413, r.text

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(9):
            yield bytes(1024 * 1024)

    r = await site.put(chunks())
    assert r.status_code == 413, r.text


async def test_only_a_clinician_has_a_voice_profile(site: Site, store: Store) -> None:
    wav = encode(enrolment_audio())
    for who in ("supervisor", "biller"):
        assert (await site.put(wav, who=who)).status_code == 403
        assert (await site.call("GET", PROFILE, who)).status_code == 403
        assert (await site.call("DELETE", PROFILE, who)).status_code == 403
    assert (await site.put(wav, who="anon")).status_code == 401
    assert (await site.call("GET", PROFILE, "anon")).status_code == 401
    assert (await site.call("DELETE", PROFILE, "anon")).status_code == 401


async def test_delete_removes_the_profile(site: Site, store: Store) -> None:
    store.put_voice_profile(site.clinician_id, [0.0, 1.0] + [0.0] * 254, 12.0, "both")
    assert (await site.call("GET", PROFILE)).json()["enrolled"] is True
    r = await site.call("DELETE", PROFILE)
    assert r.status_code == 204 and r.content == b""
    assert (await site.call("GET", PROFILE)).json() == {"enrolled": False}
    assert store.get_voice_profile(site.clinician_id) is None
    assert stored_ciphertext(store, site.clinician_id) is None
    assert (await site.call("DELETE", PROFILE)).status_code == 204  # idempotent
    actions = audit_actions(store, site.clinician_id)
    for action in ("voice_profile.read", "voice_profile.delete"):
        assert (action, "ok") in actions, action


# -- sessions: expected speakers, role corrections, analytics ---------------------------------


async def test_a_session_takes_its_expected_speakers(site: Site) -> None:
    sid = await new_session(site.url, consent=False)
    r = await site.call("GET", f"/v1/sessions/{sid}")
    assert r.json()["expected_speakers"] is None  # the server's setting applies
    cid = r.json()["client_id"]
    r = await site.call("POST", "/v1/sessions", body={"client_id": cid, "expected_speakers": 4})
    assert r.status_code == 201 and r.json()["expected_speakers"] == 4
    got = await site.call("GET", f"/v1/sessions/{r.json()['id']}")
    assert got.json()["expected_speakers"] == 4
    for bad in (0, 7, "two"):
        body = {"client_id": cid, "expected_speakers": bad}
        assert (await site.call("POST", "/v1/sessions", body=body)).status_code == 422


async def test_a_role_correction_needs_a_known_speaker_of_a_live_session(site: Site) -> None:
    sid = await new_session(site.url)
    path = f"/v1/sessions/{sid}/speakers"
    r = await site.call("PUT", f"{path}/S9", body={"role": "client", "track": "mixed"})
    assert r.status_code == 404 and "speaker" in r.json()["detail"], r.text
    for speaker, body in [
        ("S0", {"role": "client"}),
        ("S10", {"role": "client"}),
        ("S1", {"role": "boss"}),
        ("S1", {"role": "participant-0"}),
        ("S1", {"role": "client", "track": "therapist"}),
        ("S1", {"role": "client", "extra": 1}),
    ]:
        r = await site.call("PUT", f"{path}/{speaker}", body=body)
        assert r.status_code == 422, (speaker, body, r.text)
    await end_session(site.url, sid)
    r = await site.call("PUT", f"{path}/S1", body={"role": "client", "track": "mixed"})
    assert r.status_code == 409, r.text
    assert (await site.call("GET", f"/v1/sessions/{sid}/analytics", "biller")).status_code == 403


async def test_analytics_and_transcript_carry_speaker_and_role(site: Site, store: Store) -> None:
    sid = await new_session(site.url, consent=False)
    turns = [
        ("S1", "therapist", 0.0, 4.0, "how have you been this week"),
        ("S2", "client", 4.5, 9.0, "better than last week I think"),
        ("S1", "therapist", 9.5, 11.0, "tell me more"),
    ]
    for i, (speaker, role, start, end, text) in enumerate(turns):
        words = [
            {"text": w, "start": start + j * 0.3, "end": start + j * 0.3 + 0.25, "prob": 0.9}
            for j, w in enumerate(text.split())
        ]
        payload = {
            "type": "transcript.final",
            "segment_id": f"mixed-test-{i}",
            "track": "mixed",
            "start": start,
            "end": end,
            "text": text,
            "words": words,
            "speaker": speaker,
            "role": role,
        }
        store.append_event(sid, 1000 + i, "transcript.final", payload)
    transcript = (await site.call("GET", f"/v1/sessions/{sid}/transcript")).json()
    assert [(s["speaker"], s["role"]) for s in transcript["segments"]] == [
        (t[0], t[1]) for t in turns
    ]
    r = await site.call("GET", f"/v1/sessions/{sid}/analytics")
    assert r.status_code == 200, r.text
    figures = r.json()
    assert figures["session_id"] == sid
    assert set(figures["roles"]) == {"therapist", "client"}
    assert figures["roles"]["therapist"]["talk_seconds"] == pytest.approx(5.5, abs=0.01)
    assert figures["roles"]["client"]["turns"] == 1


async def test_the_clinician_corrects_a_speaker_on_a_live_mixed_track(site: Site) -> None:
    """End to end: the live diarizer names a speaker, the clinician renames its role."""
    sid = await new_session(site.url)

    def labelled(e: dict[str, Any]) -> bool:
        return e["type"] == "transcript.final" and bool(e.get("speaker"))

    first = asyncio.create_task(collect_events(site.url, sid, labelled))
    await asyncio.sleep(0.1)
    await stream(site.url, sid, np.concatenate([enrolment_audio(), silence(2.0)]))
    events = await within(180, first, "a final with a speaker")
    speaker = events[-1]["speaker"]
    body = {"role": "participant-2", "track": "mixed"}
    r = await site.call("PUT", f"/v1/sessions/{sid}/speakers/{speaker}", body=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"speaker": speaker, "role": "participant-2", "track": "mixed"}

    def corrected(e: dict[str, Any]) -> bool:
        return e["type"] == "speaker.roles" and e.get("source") == "clinician"

    roles = await within(30, collect_events(site.url, sid, corrected), "the roles event")
    assert roles[-1]["roles"][speaker] == "participant-2"
    await end_session(site.url, sid)
    segments = (await site.call("GET", f"/v1/sessions/{sid}/transcript")).json()["segments"]
    assert any(s["speaker"] == speaker for s in segments), segments


# -- the store ------------------------------------------------------------------------------


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[tuple[Store, str, str]]:
    """A store of its own (SQLite): a clinician and a session of theirs."""
    keys = KeyRing.generate()
    s = Store(make_engine(f"sqlite:///{tmp_path / 'bare.db'}"), keys)
    practice = s.ensure_practice()
    accounts = Accounts(s.engine, keys, AccountPolicy())
    uid = accounts.create_user(practice, "dr-bare", "clinician", PASSWORD).user_id
    client = s.create_client(practice, uid, "Bare Client")
    info = s.create_session(client.id, expected_speakers=3)
    try:
        yield s, uid, info.id
    finally:
        s.engine.dispose()


def test_key_rotation_reencrypts_voice_profiles(bare: tuple[Store, str, str]) -> None:
    s, uid, _ = bare
    vector = [float(x) for x in np.linspace(-0.1, 0.1, 256)]
    s.put_voice_profile(uid, vector, 42.0, "enrolment")
    old = s.keys.active
    assert KeyRing.key_id(stored_ciphertext(s, uid) or "") == old
    new = s.keys.rotate()
    counts = s.reencrypt_all()
    assert counts["voice_profiles"] == 1
    raw = stored_ciphertext(s, uid) or ""
    assert KeyRing.key_id(raw) == new
    s.keys = KeyRing({new: s.keys.keys[new]}, new)  # the old key retired
    record = s.get_voice_profile(uid)
    assert record is not None and record.vector == vector and record.speech_s == 42.0


def test_voice_profile_upsert_and_validation(bare: tuple[Store, str, str]) -> None:
    s, uid, _ = bare
    assert s.get_voice_profile(uid) is None and s.delete_voice_profile(uid) is False
    s.put_voice_profile(uid, [0.5] * 256, 10.0, "sessions")
    first = s.get_voice_profile(uid)
    s.put_voice_profile(uid, [0.25] * 256, 20.0, "both")
    second = s.get_voice_profile(uid)
    assert first is not None and second is not None
    assert (second.vector[0], second.speech_s, second.source) == (0.25, 20.0, "both")
    assert second.updated_at >= first.updated_at
    for vector, speech_s, source in [
        ([0.5] * 256, 10.0, "guess"),
        ([], 10.0, "sessions"),
        ([float("nan")] * 256, 10.0, "sessions"),
        ([0.5] * 256, -1.0, "sessions"),
    ]:
        with pytest.raises(ValueError) as err:
            s.put_voice_profile(uid, vector, speech_s, source)
        assert "0.5" not in str(err.value)  # no values in messages
    assert s.delete_voice_profile(uid) is True and s.get_voice_profile(uid) is None


def test_segments_keep_speaker_and_role_and_can_be_corrected(
    bare: tuple[Store, str, str],
) -> None:
    s, uid, sid = bare
    assert s.get_session(sid).expected_speakers == 3 and s.clinician_of(sid) == uid
    with pytest.raises(SessionNotFoundError):
        s.clinician_of(uuid.uuid4().hex)
    words = [{"text": "hello", "start": 0.0, "end": 0.4, "prob": 0.9}]
    base = {"track": "mixed", "start": 0.0, "end": 0.5, "text": "hello", "words": words}
    s.append_event(sid, 1, "transcript.final", {**base, "segment_id": "a"})
    s.append_event(
        sid, 2, "transcript.final", {**base, "segment_id": "b", "speaker": "S2", "role": "client"}
    )
    segs = {x["segment_id"]: x for x in s.segments(sid)}
    assert (segs["a"]["speaker"], segs["a"]["role"]) == (None, None)
    assert (segs["b"]["speaker"], segs["b"]["role"]) == ("S2", "client")

    s.update_segment(sid, "b", speaker="S1", role="therapist")
    fixed = {x["segment_id"]: x for x in s.segments(sid)}["b"]
    assert (fixed["speaker"], fixed["role"], fixed["text"], fixed["words"]) == (
        "S1",
        "therapist",
        "hello",
        words,
    )
    new_words = [{**words[0], "speaker": "S1"}]
    s.update_segment(sid, "a", speaker="S1", role="therapist", words=new_words, text="hullo")
    fixed = {x["segment_id"]: x for x in s.segments(sid)}["a"]
    assert (fixed["text"], fixed["words"], fixed["role"]) == ("hullo", new_words, "therapist")
    with pytest.raises(SessionNotFoundError):
        s.update_segment(sid, "missing", speaker=None, role=None)
    with pytest.raises(SessionNotFoundError):
        s.update_segment(uuid.uuid4().hex, "a", speaker=None, role=None)
    with pytest.raises(ValueError):
        s.create_session(s.get_session(sid).client_id, expected_speakers=7)
