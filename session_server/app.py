"""The FastAPI application: middleware, error mapping, audio and event WebSockets.

Error mapping lives here only: ``AuthenticationError`` → 401 / close 4401,
``PermissionDeniedError`` → 404 when hidden, else 403 / close 4404 or 4403,
``SessionNotFoundError`` and ``SpeakerNotFoundError`` → 404 / 4404,
``ConsentRequiredError`` → 409 / 4403,
``SessionStateError`` → 409 / 4409, ``AudioFormatError`` → 1007,
``FrameTooLargeError`` → 1009.
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

import web_client
from asr.model import load_model
from asr.recognizer import WhisperRecognizer
from asr.scheduler import InferenceScheduler
from companion.errors import (
    AudioFormatError,
    AuthenticationError,
    AuthError,
    ConsentRequiredError,
    FrameTooLargeError,
    NoteItemNotFoundError,
    PermissionDeniedError,
    SessionError,
    SessionNotFoundError,
    SessionStateError,
    SignalingError,
    SpeakerNotFoundError,
    not_found,
)
from companion.settings import Settings
from note_builder.engine import warm_up as warm_up_notes
from session_server.bus import InProcessBus
from session_server.db import Database
from session_server.http_security import SecurityHeaders
from session_server.live import TRACKS, SessionHub
from session_server.logs import install_log_guards
from session_server.routes_auth import router as auth_router
from session_server.routes_notes import router as notes_router
from session_server.routes_review import router as review_router
from session_server.routes_sessions import router as sessions_router
from session_server.routes_speakers import router as speakers_router
from session_server.routes_webrtc import router as webrtc_router
from session_server.security.accounts import AccountPolicy, Accounts, Principal
from session_server.security.audio_vault import AudioVault
from session_server.security.audit import AuditLog
from session_server.security.crypto import load_key_ring
from session_server.security.policy import Need, check_record
from session_server.services import SYSTEM, Services, services
from session_server.signed_notes import SignedNotes
from session_server.store import Store, make_engine
from session_server.webrtc import WebRtcIngest
from streaming.audio import PcmDecoder, Resampler, StreamFormat
from streaming.vad import load_vad_model

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 10.0
WS_CODES: list[tuple[type[Exception], int]] = [
    (AuthenticationError, 4401),
    (SessionNotFoundError, 4404),
    (SpeakerNotFoundError, 4404),
    (ConsentRequiredError, 4403),
    (SessionStateError, 4409),
    (PermissionDeniedError, 4403),
]
HTTP_CODES: list[tuple[type[Exception], int]] = [
    (AuthenticationError, 401),
    (SessionNotFoundError, 404),
    (SpeakerNotFoundError, 404),
    (NoteItemNotFoundError, 404),
    (ConsentRequiredError, 409),
    (SessionStateError, 409),
    (PermissionDeniedError, 403),
]


def open_stores(settings: Settings) -> tuple[Store, Accounts, AuditLog]:
    """The database (migrated), key ring, accounts and audit log of this installation."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keys = load_key_ring(settings.resolved_key_file(), settings.data_key, create=True)
    store = Store(make_engine(settings.resolved_database_url()), keys)
    policy = AccountPolicy(
        max_failures=settings.max_failed_logins,
        lockout_minutes=settings.lockout_minutes,
        idle_timeout_minutes=settings.idle_timeout_minutes,
        bearer_minutes=settings.bearer_minutes,
        require_totp=settings.require_totp,
    )
    return store, Accounts(store.engine, keys, policy), AuditLog(store.engine, keys)


def build_services(settings: Settings, scheduler: InferenceScheduler) -> Services:
    store, accounts, audit_log = open_stores(settings)
    db = Database(store)
    hub = SessionHub(settings, db, InProcessBus(settings.subscriber_queue), scheduler)
    if settings.store_audio:
        hub.vault = AudioVault(
            settings.data_dir / "audio", store.keys, settings.audio_retention_days
        )
    svc = Services(
        settings, db, store, accounts, audit_log, hub, WebRtcIngest(settings), SignedNotes(store)
    )

    async def system_audit(action: str, resource: str) -> None:
        await svc.audit(SYSTEM, action, resource, "ok")

    hub.audit = system_audit
    return svc


async def _retention(svc: Services) -> None:
    """Delete stored audio past its retention now and every hour (audited)."""
    vault = svc.hub.vault
    while vault is not None:
        for session_id in await svc.db.run(vault.purge):
            await svc.audit(SYSTEM, "audio.purge", f"session:{session_id}", "ok", "retention")
        await asyncio.sleep(3600)


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
        sched = scheduler
        if sched is None:
            asr = settings.asr_config()
            sched = InferenceScheduler(WhisperRecognizer(load_model(asr), asr))
        sched.start()
        svc = build_services(settings, sched)
        app.state.services = svc
        await svc.db.run(svc.audit_log.prune, settings.audit_retention_days)
        retention = asyncio.create_task(_retention(svc), name="retention")
        # The speaker encoder loads in the background (~2 s): a one-channel track that
        # opens later does not wait for it, and start-up does not either.
        warm = asyncio.create_task(_warm_models(svc), name="warm-models")
        app.state.warm = warm
        yield
        retention.cancel()
        await asyncio.gather(warm, return_exceptions=True)
        await svc.webrtc.shutdown()
        await svc.hub.shutdown()
        if scheduler is None:
            sched.stop()
        svc.db.close()

    async def _warm_models(svc: Services) -> bool:
        """Load the models and compile the note's rules; False if any could not load.
        ``/healthz`` says ``models: loading`` until this is done (tens of seconds on a
        slow machine): a session started before then waits for it on its first steps."""
        ok = True
        if settings.diarization:
            try:
                await asyncio.to_thread(svc.hub.embedder)
            except Exception:
                ok = False
                log.exception("speaker encoder unavailable: one-channel sessions cannot start")
        if settings.notes:
            # On the note thread, so a session's first step finds the models loaded.
            try:
                await asyncio.get_running_loop().run_in_executor(svc.hub.notes, warm_up_notes)
            except Exception:
                ok = False
                log.exception("note models unavailable: the draft will not update")
        return ok

    app = FastAPI(title="Session companion", version="0.2.0", lifespan=lifespan)
    app.add_middleware(SecurityHeaders, hsts=settings.tls)
    app.include_router(auth_router)
    app.include_router(sessions_router)
    app.include_router(webrtc_router)
    app.include_router(speakers_router)
    app.include_router(notes_router)
    app.include_router(review_router)
    web_client.mount(app)

    @app.exception_handler(SessionError)
    @app.exception_handler(AuthError)
    async def mapped_error(request: Request, exc: Exception) -> JSONResponse:
        status = next((c for t, c in HTTP_CODES if isinstance(exc, t)), 400)
        detail = str(exc)
        if isinstance(exc, PermissionDeniedError):
            who: Principal | None = getattr(request.state, "principal", None)
            await services(request).audit(
                who, f"{request.method} {_route(request)}"[:48], request.url.path[:96], "denied"
            )
            if exc.hide:  # worded as for a missing record (see check_record)
                status = 404
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)

    @app.exception_handler(SignalingError)
    async def signaling_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, Any]:
        sched = services(request).hub.scheduler
        warm: asyncio.Task[bool] = request.app.state.warm
        models = "loading" if not warm.done() else "ready" if warm.result() else "unavailable"
        return {
            "status": "ok",
            "models": models,
            "asr_jobs": sched.stats.jobs,
            "asr_backlog": sched.backlog,
        }

    @app.websocket("/v1/sessions/{session_id}/audio")
    async def audio(ws: WebSocket, session_id: str, track: str = "mixed", ticket: str = "") -> None:
        connected = asyncio.get_running_loop().time()  # the track's clock starts here
        await ws.accept()
        if track not in TRACKS:
            await ws.close(1008, f"track must be one of {', '.join(TRACKS)}")
            return
        svc = services(ws)
        try:
            await _authorize_ws(svc, ticket, session_id, "audio.stream")
            live = await svc.hub.get(session_id)
            live.check_audio_allowed()
        except (SessionError, AuthError) as exc:
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
            pipeline = await live.open_track(track, close_socket, started_at=connected)
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
                    await pipeline.put(samples)
        except FrameTooLargeError as exc:
            await close_socket(1009, _reason("frame too large", exc))
        except AudioFormatError as exc:
            await close_socket(1007, _reason("bad audio frame", exc))
        except (WebSocketDisconnect, RuntimeError):
            pass  # the peer left, or consent withdrawal closed the socket
        finally:
            tail = resampler.flush()
            if len(tail) and live.tracks.get(track) is pipeline:
                await pipeline.put(tail)
            await live.close_track(track, pipeline)
        await close_socket(1000, "stream complete")

    @app.websocket("/v1/sessions/{session_id}/events")
    async def events(ws: WebSocket, session_id: str, since: str = "0", ticket: str = "") -> None:
        await ws.accept()
        svc = services(ws)
        try:
            last = int(since)
            if last < 0:
                raise ValueError
        except ValueError:
            await ws.close(1007, "since must be a non-negative integer")
            return
        try:
            await _authorize_ws(svc, ticket, session_id, "events.subscribe")
            await svc.hub.get(session_id)
        except (SessionError, AuthError) as exc:
            await _close_for(ws, exc)
            return
        reader = asyncio.create_task(_drain(ws))
        try:
            await _stream_events(ws, svc, session_id, last, reader)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            reader.cancel()

    return app


async def _authorize_ws(svc: Services, ticket: str, session_id: str, action: str) -> None:
    """A valid single-use ticket of a caller who may reach this session's PHI."""
    if not ticket:
        await svc.audit(None, action, f"session:{session_id[:32]}", "denied", "no ticket")
        raise AuthenticationError("a ticket from POST /v1/auth/ws-ticket is required")
    try:
        who = await svc.db.run(svc.accounts.resolve, ticket, ("ticket",))
    except AuthenticationError:
        await svc.audit(None, action, f"session:{session_id[:32]}", "denied", "bad ticket")
        raise
    try:
        info = await svc.db.run(svc.store.get_session, session_id)
        check_record(who, info.practice_id, info.clinician_id, Need.PHI)
    except (PermissionDeniedError, SessionNotFoundError) as exc:
        await svc.audit(who, action, f"session:{session_id[:32]}", "denied")
        if isinstance(exc, PermissionDeniedError) and exc.hide:
            raise not_found("session", session_id) from None
        raise
    await svc.audit(who, action, f"session:{session_id}", "ok")


async def _stream_events(
    ws: WebSocket, svc: Services, session_id: str, last: int, reader: asyncio.Task[None]
) -> None:
    """Replay from the store after ``last``, then follow live; never a duplicate."""
    bus = svc.hub.bus
    while not reader.done():
        sub = bus.subscribe(session_id)
        try:
            for event in await svc.db.run(svc.store.events_since, session_id, last):
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
            bus.unsubscribe(sub)


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) what an events subscriber sends, until it disconnects."""
    while True:
        msg = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            return


async def _close_for(ws: WebSocket, exc: Exception) -> None:
    code = next((c for t, c in WS_CODES if isinstance(exc, t)), 1008)
    await ws.close(code, _reason(type(exc).__name__, exc))


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


def _reason(prefix: str, exc: BaseException) -> str:
    # Close reasons are limited to 123 bytes; error messages carry no PHI.
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{prefix}: {text}"[:120]
