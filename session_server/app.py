"""The FastAPI application: HTTP API, audio and event WebSockets.

Error mapping lives here only: ``SessionNotFoundError`` → 404 / close 4404,
``ConsentRequiredError`` → 409 / close 4403, ``SessionStateError`` → 409 / close 4409,
``AudioFormatError`` → close 1007, ``FrameTooLargeError`` → close 1009.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect, WebSocketState

from asr.model import load_model
from asr.recognizer import WhisperRecognizer
from asr.scheduler import InferenceScheduler
from companion.errors import (
    AudioFormatError,
    ConsentRequiredError,
    FrameTooLargeError,
    SessionError,
    SessionNotFoundError,
    SessionStateError,
)
from companion.settings import Settings
from session_server.bus import InProcessBus
from session_server.db import Database
from session_server.live import TRACKS, SessionHub
from session_server.logs import install_log_guards
from session_server.schemas import ConsentIn, SessionOut
from session_server.store import Store, make_engine
from streaming.audio import PcmDecoder, Resampler, StreamFormat
from streaming.vad import load_vad_model

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 10.0
WS_CODES: dict[type[SessionError], int] = {
    SessionNotFoundError: 4404,
    ConsentRequiredError: 4403,
    SessionStateError: 4409,
}
HTTP_CODES: dict[type[SessionError], int] = {
    SessionNotFoundError: 404,
    ConsentRequiredError: 409,
    SessionStateError: 409,
}


def create_app(
    settings: Settings | None = None, scheduler: InferenceScheduler | None = None
) -> FastAPI:
    """Build the service. A scheduler may be passed in to share one model across apps."""
    settings = settings or Settings()
    install_log_guards()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        load_vad_model()  # once, before any session needs it
        db = Database(Store(make_engine(settings.resolved_database_url())))
        sched = scheduler
        if sched is None:
            asr = settings.asr_config()
            sched = InferenceScheduler(WhisperRecognizer(load_model(asr), asr))
        sched.start()
        app.state.hub = SessionHub(settings, db, InProcessBus(settings.subscriber_queue), sched)
        yield
        await app.state.hub.shutdown()
        if scheduler is None:
            sched.stop()
        db.close()

    app = FastAPI(title="Session companion", version="0.1.0", lifespan=lifespan)

    @app.exception_handler(SessionError)
    async def session_error(_: Request, exc: SessionError) -> JSONResponse:
        status = next((c for t, c in HTTP_CODES.items() if isinstance(exc, t)), 400)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    def hub(request: Request | WebSocket) -> SessionHub:
        h: SessionHub = request.app.state.hub
        return h

    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, Any]:
        st = hub(request).scheduler.stats
        return {"status": "ok", "asr_jobs": st.jobs, "asr_backlog": hub(request).scheduler.backlog}

    @app.post("/v1/sessions", status_code=201)
    async def create_session(request: Request) -> SessionOut:
        h = hub(request)
        info = await h.db.run(h.db.store.create_session)
        return SessionOut.of(info)

    @app.get("/v1/sessions/{session_id}")
    async def get_session(session_id: str, request: Request) -> SessionOut:
        h = hub(request)
        info = await h.db.run(h.db.store.get_session, session_id)
        live = await h.get(session_id)
        return SessionOut.of(info, live.state, sorted(live.tracks))

    @app.post("/v1/sessions/{session_id}/consent")
    async def consent(session_id: str, body: ConsentIn, request: Request) -> SessionOut:
        h = hub(request)
        live = await h.get(session_id)
        if live.state == "ended":
            raise SessionStateError(f"session {session_id} has ended")
        info = await h.db.run(
            h.db.store.add_consent,
            session_id,
            body.party,
            body.granted,
            body.method,
            body.text_version,
        )
        if body.granted:
            await live.grant(info)
        else:
            await live.revoke()
        return SessionOut.of(info, live.state, sorted(live.tracks))

    @app.post("/v1/sessions/{session_id}/end")
    async def end_session(session_id: str, request: Request) -> SessionOut:
        h = hub(request)
        live = await h.get(session_id)
        if live.state != "ended":
            await live.end()
        info = await h.db.run(h.db.store.get_session, session_id)
        return SessionOut.of(info)

    @app.get("/v1/sessions/{session_id}/transcript")
    async def transcript(session_id: str, request: Request) -> dict[str, Any]:
        h = hub(request)
        await h.db.run(h.db.store.get_session, session_id)
        return {
            "session_id": session_id,
            "segments": await h.db.run(h.db.store.segments, session_id),
        }

    @app.websocket("/v1/sessions/{session_id}/audio")
    async def audio(ws: WebSocket, session_id: str, track: str = "mixed") -> None:
        await ws.accept()
        if track not in TRACKS:
            await ws.close(1008, f"track must be one of {', '.join(TRACKS)}")
            return
        h = hub(ws)
        try:
            live = await h.get(session_id)
            live.check_audio_allowed()
        except SessionError as exc:
            await _close_for(ws, exc)
            return
        try:
            first = await asyncio.wait_for(ws.receive(), HEADER_TIMEOUT_S)
            if first.get("text") is None:
                raise AudioFormatError("first message must be the JSON stream header")
            fmt = StreamFormat.model_validate_json(first["text"])
        except (AudioFormatError, ValueError, TimeoutError) as exc:
            await ws.close(1007, _reason("bad stream header", exc))
            return
        decoder = PcmDecoder(fmt, settings.max_frame_ms)
        resampler = Resampler(fmt.sample_rate)

        async def close_socket(code: int, reason: str) -> None:
            # After our close frame the client's queued frames can still be received.
            if (
                ws.application_state is WebSocketState.CONNECTED
                and ws.client_state is WebSocketState.CONNECTED
            ):
                await ws.close(code, reason)

        try:
            pipeline = await live.open_track(track, close_socket)
        except SessionError as exc:
            await _close_for(ws, exc)
            return
        try:
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                if msg.get("bytes") is None:
                    raise AudioFormatError("after the header only binary audio frames are accepted")
                samples = resampler.push(decoder.decode(msg["bytes"]))
                if len(samples):
                    await pipeline.ingress.put(samples)
        except FrameTooLargeError as exc:
            await close_socket(1009, _reason("frame too large", exc))
        except AudioFormatError as exc:
            await close_socket(1007, _reason("bad audio frame", exc))
        except (WebSocketDisconnect, RuntimeError):
            pass  # the peer left, or consent revocation closed the socket
        finally:
            tail = resampler.flush()
            if len(tail) and live.tracks.get(track) is pipeline:
                await pipeline.ingress.put(tail)
            await live.close_track(track, pipeline)
        await close_socket(1000, "stream complete")

    @app.websocket("/v1/sessions/{session_id}/events")
    async def events(ws: WebSocket, session_id: str, since: str = "0") -> None:
        await ws.accept()
        h = hub(ws)
        try:
            last = int(since)
            if last < 0:
                raise ValueError
        except ValueError:
            await ws.close(1007, "since must be a non-negative integer")
            return
        try:
            await h.get(session_id)
        except SessionError as exc:
            await _close_for(ws, exc)
            return
        reader = asyncio.create_task(_drain(ws))
        try:
            await _stream_events(ws, h, session_id, last, reader)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            reader.cancel()

    return app


async def _stream_events(
    ws: WebSocket, h: SessionHub, session_id: str, last: int, reader: asyncio.Task[None]
) -> None:
    """Replay from the store after ``last``, then follow live; never a duplicate."""
    while not reader.done():
        sub = h.bus.subscribe(session_id)
        try:
            for event in await h.db.run(h.db.store.events_since, session_id, last):
                await ws.send_json(event)
                last = event["seq"]
            while not sub.lagged and not reader.done():
                getter = asyncio.create_task(sub.queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    return
                event = getter.result()
                if event["seq"] > last:
                    await ws.send_json(event)
                    last = event["seq"]
        finally:
            h.bus.unsubscribe(sub)


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) what an events subscriber sends, until it disconnects."""
    while True:
        msg = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            return


async def _close_for(ws: WebSocket, exc: SessionError) -> None:
    code = next((c for t, c in WS_CODES.items() if isinstance(exc, t)), 1008)
    await ws.close(code, _reason(type(exc).__name__, exc))


def _reason(prefix: str, exc: BaseException) -> str:
    # Close reasons are limited to 123 bytes; error messages carry no PHI.
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{prefix}: {text}"[:120]
