"""Client helpers for the server tests: sessions, consent, streaming, collecting events."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import numpy as np
import uvicorn
import websockets
from websockets.exceptions import ConnectionClosed

from asr.scheduler import InferenceScheduler
from benchmarks.sessions import render_voice
from companion.settings import Settings
from session_server.app import create_app
from session_server.client import to_pcm

T = TypeVar("T")
TOKENS: dict[str, str] = {}  # base URL -> bearer token of the test clinician (conftest)
_CLIENTS: dict[str, str] = {}


def auth(url: str) -> dict[str, str]:
    return {"authorization": f"Bearer {TOKENS[url]}"}


def http_client(url: str, timeout: float = 60) -> httpx.AsyncClient:
    """An HTTP client signed in as the test clinician."""
    return httpx.AsyncClient(base_url=url, headers=auth(url), timeout=timeout)


async def client_id(url: str) -> str:
    if url not in _CLIENTS:
        async with http_client(url) as http:
            r = await http.post("/v1/clients", json={"label": "Test Client"})
            r.raise_for_status()
            _CLIENTS[url] = r.json()["id"]
    return _CLIENTS[url]


async def new_session(url: str, consent: bool = True) -> str:
    cid = await client_id(url)
    async with http_client(url) as http:
        r = await http.post("/v1/sessions", json={"client_id": cid})
        r.raise_for_status()
        sid: str = r.json()["id"]
        if consent:
            for party in ("therapist", "client"):
                (await set_consent(url, sid, party, True)).raise_for_status()
        return sid


async def set_consent(url: str, sid: str, party: str, granted: bool) -> httpx.Response:
    async with http_client(url) as http:
        return await http.post(
            f"/v1/sessions/{sid}/consent",
            json={"party": party, "granted": granted, "method": "verbal", "text_version": "v1"},
        )


async def end_session(url: str, sid: str) -> None:
    async with http_client(url, timeout=120) as http:
        (await http.post(f"/v1/sessions/{sid}/end")).raise_for_status()


async def get_session(url: str, sid: str) -> dict[str, Any]:
    async with http_client(url) as http:
        r = await http.get(f"/v1/sessions/{sid}")
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body


def ticket(url: str) -> str:
    r = httpx.post(f"{url}/v1/auth/ws-ticket", headers=auth(url), timeout=30)
    r.raise_for_status()
    value: str = r.json()["ticket"]
    return value


def ws_url(url: str, path: str, signed_in: bool = True) -> str:
    """The WebSocket URL, with a fresh single-use ticket unless ``signed_in`` is False."""
    if signed_in:
        path += ("&" if "?" in path else "?") + f"ticket={ticket(url)}"
    return "ws" + url[4:] + path


def audio_path(sid: str, track: str = "mixed") -> str:
    return f"/v1/sessions/{sid}/audio?track={track}"


def header(rate: int = 16000, channels: int = 1, fmt: str = "s16le") -> str:
    return json.dumps({"format": fmt, "sample_rate": rate, "channels": channels})


async def collect_until_ended(url: str, sid: str, since: int = 0) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with websockets.connect(ws_url(url, f"/v1/sessions/{sid}/events?since={since}")) as ws:
        async for raw in ws:
            ev = json.loads(raw)
            events.append(ev)
            if ev["type"] == "session.state" and ev["state"] == "ended":
                break
    return events


async def collect_events(
    url: str, sid: str, until: Callable[[dict[str, Any]], bool], since: int = 0
) -> list[dict[str, Any]]:
    """Events of a session from ``since`` on, up to and including the first ``until`` one."""
    events: list[dict[str, Any]] = []
    async with websockets.connect(ws_url(url, f"/v1/sessions/{sid}/events?since={since}")) as ws:
        async for raw in ws:
            events.append(json.loads(raw))
            if until(events[-1]):
                break
    return events


async def close_of(
    url: str, path: str, messages: Sequence[str | bytes] = (), timeout: float = 15.0
) -> tuple[int | None, str]:
    """Connect, send ``messages``, and wait for the server to close: (code, reason).

    Raises if the server sends anything but a close.
    """
    async with websockets.connect(ws_url(url, path), max_size=1 << 22) as ws:
        try:
            for m in messages:
                await ws.send(m)
            extra = await asyncio.wait_for(ws.recv(), timeout)
        except ConnectionClosed:
            return ws.close_code, ws.close_reason or ""
        raise AssertionError(f"expected a close, got a message of {len(extra)} characters")


async def stream(
    url: str,
    sid: str,
    audio: Any,
    track: str = "mixed",
    rate: int = 16000,
    frame_ms: int = 100,
    realtime: bool = False,
) -> None:
    step = rate * frame_ms // 1000
    async with websockets.connect(ws_url(url, audio_path(sid, track))) as ws:
        await ws.send(header(rate))
        for i in range(0, len(audio) - step // 2, step):
            await ws.send(to_pcm(audio[i : i + step]))
            if realtime:
                await asyncio.sleep(frame_ms / 1000)


async def stream_paced(
    url: str,
    sid: str,
    audio: Any,
    track: str = "mixed",
    speed: float = 1.0,
    frame_ms: int = 100,
    on_sent: Callable[[float], None] | None = None,
) -> tuple[int | None, str]:
    """Stream 16 kHz audio at ``speed`` × real time (drift-free); returns the close code and
    reason. Stops early, without raising, if the server closes the socket."""
    step = 16000 * frame_ms // 1000
    async with websockets.connect(ws_url(url, audio_path(sid, track))) as ws:
        try:
            await ws.send(header())
            t0 = time.perf_counter()
            for i in range(0, len(audio) - step // 2, step):
                await ws.send(to_pcm(audio[i : i + step]))
                sent = (i + step) / 16000
                if on_sent:
                    on_sent(sent)
                delay = t0 + sent / speed - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            await ws.close()
        except ConnectionClosed:
            pass
        return ws.close_code, ws.close_reason or ""


def finals(events: list[dict[str, Any]], track: str | None = None) -> list[dict[str, Any]]:
    return [
        e
        for e in events
        if e["type"] == "transcript.final" and (track is None or e["track"] == track)
    ]


def finals_text(events: list[dict[str, Any]], track: str | None = None) -> str:
    return " ".join(e["text"] for e in finals(events, track))


class LogCapture(logging.Handler):
    """Keeps every record it sees, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []
        self._formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.texts.append(self._formatter.format(record))

    def matching(self, word: str, skip: tuple[str, ...] = ()) -> list[str]:
        return [
            t
            for r, t in zip(self.records, self.texts, strict=True)
            if word.lower() in t.lower() and not r.name.startswith(skip)
        ]


@contextmanager
def capture_logs(level: int = logging.DEBUG) -> Iterator[LogCapture]:
    """Capture every logger at ``level``: the root, and each logger that does not
    propagate (uvicorn's own loggers do not), whatever levels they were set to."""
    handler = LogCapture()
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "websockets"]
    names += [n for n in logging.root.manager.loggerDict if n not in names]
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    attached = [lg for lg in loggers if lg is logging.root or not lg.propagate]
    for lg in loggers:
        lg.setLevel(level)
        lg.disabled = False
    for lg in attached:
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg in attached:
            lg.removeHandler(handler)
        for lg, lvl, disabled in saved:
            lg.setLevel(lvl)
            lg.disabled = disabled


async def within(seconds: float, aw: Awaitable[T], what: str) -> T:
    """Await ``aw``; a hang fails the test with a plain message instead of a timeout."""
    try:
        return await asyncio.wait_for(aw, seconds)
    except TimeoutError:
        raise AssertionError(f"{what} did not complete within {seconds} s (hung)") from None


@contextmanager
def serving(settings: Settings, scheduler: InferenceScheduler) -> Iterator[str]:
    """Run the app on ``settings.port`` in a thread, with no account provisioned (unlike
    the ``serve`` of conftest, whose test clinician may not be able to sign in, e.g. when
    a second factor is required); yields its base URL."""
    config = uvicorn.Config(
        create_app(settings, scheduler),
        host="127.0.0.1",
        port=settings.port,
        log_level="warning",
        ws_max_size=1 << 20,
        timeout_graceful_shutdown=5,
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)


@dataclass(frozen=True, slots=True)
class Transcribed:
    client_id: str
    session_id: str
    events: list[dict[str, Any]]


async def transcribed_session(url: str, audio: Any, label: str) -> Transcribed:
    """A new client called ``label``, and a consented session of it into which ``audio`` was
    streamed and which then ended; with every event of that session."""
    async with http_client(url) as http:
        r = await http.post("/v1/clients", json={"label": label})
        r.raise_for_status()
        cid: str = r.json()["id"]
        r = await http.post("/v1/sessions", json={"client_id": cid})
        r.raise_for_status()
        sid: str = r.json()["id"]
    for party in ("therapist", "client"):
        (await set_consent(url, sid, party, True)).raise_for_status()
    collector = asyncio.create_task(collect_until_ended(url, sid))
    await asyncio.sleep(0.1)
    await stream(url, sid, audio)
    await end_session(url, sid)
    events = await within(120, collector, "the session's events")
    return Transcribed(cid, sid, events)


def spoken(lines: Sequence[str], role: str = "client") -> np.ndarray:
    """``lines`` in ``role``'s rendered voice, each followed by 1 s of silence (and 1 s
    before the first)."""
    pause = np.zeros(16000, dtype=np.float32)
    parts: list[np.ndarray] = [pause]
    for line in lines:
        parts += [render_voice(line, role), pause]
    return np.concatenate(parts)
