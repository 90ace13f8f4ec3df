"""Speakers over HTTP: the clinician's voice profile, role corrections, talk analytics.

A voice profile is biometric PHI: only its owner (a clinician) reaches it, the vector is
stored encrypted (``voice_place``) and no route returns it; reads, writes and deletions
are audited. The enrolment recording lives in memory only, for as long as the request.
"""

from __future__ import annotations

import asyncio
import io
from typing import Annotated, Any

import numpy as np
import soundfile as sf
import soxr
from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response

from companion.errors import AudioFormatError, SessionStateError
from companion.settings import TARGET_SAMPLE_RATE
from diarization.roles import MIN_PROFILE_SPEECH_S, profile_from_audio
from session_server.routes_sessions import _session
from session_server.schemas import SpeakerRoleIn
from session_server.security.accounts import Principal
from session_server.security.policy import Need, require_role
from session_server.services import Services, principal, services
from session_server.speakers import session_analytics
from session_server.store import VoiceProfileRecord
from streaming.audio import Samples

router = APIRouter()
Caller = Annotated[Principal, Depends(principal)]
Speaker = Annotated[str, Path(pattern=r"^S[1-9]$")]

ENROLMENT_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/flac", "application/octet-stream"})
ENROLMENT_FORMATS = frozenset({"WAV", "WAVEX", "FLAC"})  # libsndfile's major formats
MAX_ENROLMENT_S = 600.0  # a small FLAC can hold hours of silence: refuse before decoding
# The schema names one media type (the fuzzer serializes no audio/*); the others are alike.
ENROLMENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "A WAV or FLAC file, sent as audio/wav, audio/x-wav, audio/flac or "
        "application/octet-stream.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.put("/v1/me/voice-profile", openapi_extra=ENROLMENT_BODY)
async def put_voice_profile(request: Request, who: Caller) -> dict[str, Any]:
    """Enrol from a recording of the clinician alone (WAV or FLAC, 5 s of speech or more).
    Replaces any profile, also one learnt from sessions: enrolment is the explicit act."""
    require_role(who, "clinician")
    svc = services(request)
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in ENROLMENT_TYPES:
        raise HTTPException(415, "send a WAV or FLAC file (audio/wav or audio/flac)")
    data = await _read_body(request, svc.settings.max_enrolment_bytes)
    try:
        audio = await asyncio.to_thread(decode_enrolment, data)
    except AudioFormatError as exc:
        raise HTTPException(422, str(exc)) from None
    embedder = await asyncio.to_thread(svc.hub.embedder)  # loaded once per service
    profile = await asyncio.to_thread(profile_from_audio, audio, embedder)
    if profile is None:
        raise HTTPException(
            422, f"too little speech: a profile needs {MIN_PROFILE_SPEECH_S:g} s or more"
        )
    await svc.db.run(
        svc.store.put_voice_profile, who.user_id, profile.to_list(), profile.speech_s, "enrolment"
    )
    await svc.audit(who, "voice_profile.write", f"user:{who.user_id}", "ok", "enrolment")
    return await _profile_out(svc, who)


@router.get("/v1/me/voice-profile")
async def get_voice_profile(request: Request, who: Caller) -> dict[str, Any]:
    """Whether the caller has a profile, and of how much speech; never the vector."""
    require_role(who, "clinician")
    svc = services(request)
    out = await _profile_out(svc, who)
    await svc.audit(who, "voice_profile.read", f"user:{who.user_id}", "ok")
    return out


@router.delete("/v1/me/voice-profile", status_code=204)
async def delete_voice_profile(request: Request, who: Caller) -> Response:
    require_role(who, "clinician")
    svc = services(request)
    existed = await svc.db.run(svc.store.delete_voice_profile, who.user_id)
    detail = "" if existed else "no profile"
    await svc.audit(who, "voice_profile.delete", f"user:{who.user_id}", "ok", detail)
    return Response(status_code=204)


@router.put("/v1/sessions/{session_id}/speakers/{speaker}")
async def set_speaker_role(
    request: Request, who: Caller, session_id: str, speaker: Speaker, body: SpeakerRoleIn
) -> dict[str, str]:
    """The clinician's correction of a speaker's role in a live session (side-panel); it
    holds for the rest of the session. 404 for a speaker the session has not heard."""
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "speaker.role")
    live = await svc.hub.get(session_id)
    if live.state == "ended":
        raise SessionStateError(f"session {session_id} has ended")
    await live.speakers.set_role(body.track, speaker, body.role)
    return {"speaker": speaker, "role": body.role, "track": body.track}


@router.get("/v1/sessions/{session_id}/analytics")
async def analytics(request: Request, who: Caller, session_id: str) -> dict[str, Any]:
    """Talk time, turns, overlaps and silences by role, from the stored transcript."""
    svc = services(request)
    await _session(svc, who, session_id, Need.PHI, "analytics.read")
    segments = await svc.db.run(svc.store.segments, session_id)
    figures = await asyncio.to_thread(session_analytics, segments)
    return {"session_id": session_id, **figures}


# -- helpers ----------------------------------------------------------------------------


async def _profile_out(svc: Services, who: Principal) -> dict[str, Any]:
    record = await svc.db.run(svc.store.get_voice_profile, who.user_id)
    return profile_shape(record)


def profile_shape(record: VoiceProfileRecord | None) -> dict[str, Any]:
    """What a client may know of a profile: that it exists, its speech time and source."""
    if record is None:
        return {"enrolled": False}
    return {
        "enrolled": True,
        "speech_s": round(record.speech_s, 2),
        "source": record.source,
        "updated_at": record.updated_at.isoformat(),
    }


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to exceed ``limit`` bytes."""
    too_large = HTTPException(413, f"an enrolment recording is at most {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def decode_enrolment(data: bytes) -> Samples:
    """A WAV or FLAC file's audio as 16 kHz mono float32 (AudioFormatError otherwise)."""
    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            if f.format not in ENROLMENT_FORMATS:
                raise AudioFormatError("the recording must be a WAV or FLAC file")
            if f.frames <= 0 or f.samplerate <= 0:
                raise AudioFormatError("the recording holds no audio")
            if f.frames / f.samplerate > MAX_ENROLMENT_S:
                raise AudioFormatError(f"the recording is longer than {MAX_ENROLMENT_S:g} s")
            rate = f.samplerate
            frames = f.read(dtype="float32", always_2d=True)
    except AudioFormatError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        raise AudioFormatError("the recording is not a readable WAV or FLAC file") from None
    mono: Samples = frames.mean(axis=1, dtype=np.float32)
    if rate != TARGET_SAMPLE_RATE:
        mono = soxr.resample(mono, rate, TARGET_SAMPLE_RATE, quality="HQ").astype(np.float32)
    if not np.all(np.isfinite(mono)):
        raise AudioFormatError("the recording holds samples that are not numbers")
    return mono
