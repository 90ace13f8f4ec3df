"""Browser helpers for the end-to-end tests: Chromium with fake media, speech files, a
static "call tab" server, sign-in, polling the page's test hook, transcript checks."""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from playwright.async_api import BrowserContext, ConsoleMessage, Error, Page, Playwright

from streaming.audio import Samples
from tests.conftest import CLINICIAN_PASSWORD, silence
from tests.session_server.helpers import get_session

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright's own download is never used
ARTIFACTS = Path(__file__).parent / "artifacts"
RATE = 16_000
CALL_TAB_TITLE = "Doxy.me - Patient"

_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-device-for-media-stream",
    # aiortc cannot resolve the browser's mDNS host candidates: offer plain addresses.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


# Records the labels of the data channels the page opens (the WebRTC low-latency path
# sends each track as Opus on a channel 'audio:<role>'; the media-track path opens none).
_WATCH_CHANNELS = """(() => {
  const made = (window.e2eChannels = []);
  const create = RTCPeerConnection.prototype.createDataChannel;
  RTCPeerConnection.prototype.createDataChannel = function (label, options) {
    made.push(label);
    return create.call(this, label, options);
  };
})();"""


# ---- speech -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Speech:
    """A speech file: where each utterance lies (seconds into the file) and what it says."""

    path: Path
    spans: list[tuple[float, float]]
    texts: list[str]
    duration: float

    @property
    def reference(self) -> str:
        return " ".join(self.texts)


def speech_wav(
    path: Path,
    utterances: Sequence[tuple[Samples, str]],
    lead: float = 0.5,
    gap: float = 0.7,
    tail: float = 2.5,
) -> Speech:
    """Write ``lead`` s of silence, the utterances ``gap`` s apart and ``tail`` s of silence
    as 16-bit PCM at 16 kHz (the fake microphone and the call tab play it)."""
    parts: list[Samples] = [silence(lead)]
    spans: list[tuple[float, float]] = []
    at = lead
    for i, (audio, _) in enumerate(utterances):
        if i:
            parts.append(silence(gap))
            at += gap
        parts.append(audio)
        spans.append((at, at + len(audio) / RATE))
        at += len(audio) / RATE
    parts.append(silence(tail))
    audio = np.concatenate(parts)
    sf.write(path, audio, RATE, subtype="PCM_16")
    return Speech(path, spans, [t for _, t in utterances], len(audio) / RATE)


# ---- the call tab ---------------------------------------------------------------------------


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def call_tab_server(folder: Path, speech: Path, title: str = CALL_TAB_TITLE) -> Iterator[str]:
    """Serve a stand-in for the Doxy.me call tab from ``folder`` on a free port: a page
    titled ``title`` with an <audio id="speech"> playing ``speech`` once the test starts
    it (not autoplay: the test starts it when capture is live, so the timing is known);
    yields the page's URL."""
    (folder / "speech.wav").write_bytes(speech.read_bytes())
    (folder / "call.html").write_text(
        f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title>"
        '<link rel="icon" href="data:,"></head><body><p>Patient</p>'
        '<audio id="speech" src="speech.wav" preload="auto" controls></audio></body></html>'
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=folder))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/call.html"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


# ---- the browser ----------------------------------------------------------------------------


async def launch(
    pw: Playwright,
    profile: Path,
    mic: Path,
    origin: str,
    tab_title: str | None = None,
) -> BrowserContext:
    """Chromium with a fresh profile whose microphone plays ``mic`` once (then silence).

    With ``tab_title``, getDisplayMedia() picks the tab of that title, with its real
    audio. That needs Chromium's real picker (auto-selecting): --use-fake-ui-for-media-stream
    replaces it and then the "tab audio" is the fake microphone again (or, without
    --use-fake-device-for-media-stream, getDisplayMedia fails with NotReadableError), so
    the microphone is granted through the permission API instead.
    """
    args = [*_FLAGS, f"--use-file-for-fake-audio-capture={mic}%noloop"]
    if tab_title is not None:
        args.append(f"--auto-select-tab-capture-source-by-title={tab_title}")
    else:
        args.append("--use-fake-ui-for-media-stream")
    context = await pw.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=args,
        # Playwright mutes audio by default: the call tab's audio must be heard.
        ignore_default_args=["--mute-audio"],
        viewport={"width": 360, "height": 800},
        timeout=60_000,
    )
    await context.add_init_script(script=_WATCH_CHANNELS)
    await context.grant_permissions(["microphone"], origin=origin)
    context.set_default_timeout(30_000)
    return context


@dataclass
class PageWatch:
    """Uncaught page errors, console errors (a failed event handler, say) and
    Content-Security-Policy violations of a page. Failed requests are left out: before
    sign-in the page asks /v1/auth/me and gets the expected 401."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "content security policy" in text.lower():
            self.errors.append(f"CSP: {text}")
        elif message.type == "error" and not text.startswith("Failed to load resource"):
            self.errors.append(f"console.error: {text}")

    def check(self) -> None:
        assert not self.errors, "\n".join(self.errors)


async def sign_in(page: Page, username: str) -> None:
    """Sign in through the page's own form."""
    await page.locator("#login-section").wait_for(state="visible")
    await page.fill("#login-username", username)
    await page.fill("#login-password", CLINICIAN_PASSWORD)
    await page.click("#login-submit")
    await page.locator("#app-section").wait_for(state="visible")
    assert await page.locator("#login-section").is_hidden()
    assert await page.text_content("#user-name") == username


async def poll(page: Page, expression: str, what: str, timeout: float = 30.0) -> Any:
    """Evaluate ``expression`` in the page until it is truthy; returns that value.

    (Playwright's wait_for_function compiles its predicate with eval, which the pages'
    strict CSP forbids; page.evaluate is not subject to it, so the CSP stays on.)
    """
    deadline = time.monotonic() + timeout
    while True:
        value = await page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s (last value {value!r})")
        await asyncio.sleep(0.2)


async def state(page: Page) -> str:
    value: str = await page.evaluate("window.companion.state()")
    return value


async def wait_state(page: Page, wanted: str, timeout: float = 30.0) -> None:
    await poll(page, f"window.companion.state() === {wanted!r}", f"state {wanted}", timeout)
    assert await page.get_attribute("#connection-state", "data-state") == wanted
    assert (await page.text_content("#connection-state") or "").strip() == wanted


async def transcript(page: Page) -> list[dict[str, Any]]:
    finals: list[dict[str, Any]] = await page.evaluate("window.companion.transcript()")
    return finals


def covered(finals: list[dict[str, Any]], speech: Speech) -> bool:
    """Whether ``finals`` (of one track) reach into the last utterance of ``speech``.

    Track time is file time shifted by when capture began; the shift is estimated from
    the first final (which starts about where the first utterance does)."""
    if not finals:
        return False
    shift = finals[0]["start"] - speech.spans[0][0]
    return any(f["end"] >= speech.spans[-1][0] + shift + 1.0 for f in finals)


async def wait_covered(
    page: Page, speeches: dict[str, Speech], timeout: float, key: str = "role"
) -> list[dict[str, Any]]:
    """Poll companion.transcript() until every role's (or, with ``key="track"``, every
    track's) finals cover its speech."""
    deadline = time.monotonic() + timeout
    while True:
        finals = await transcript(page)
        if all(covered(of_role(finals, r, key), s) for r, s in speeches.items()):
            return finals
        if time.monotonic() > deadline:
            got = {r: text_of(of_role(finals, r, key)) for r in speeches}
            raise AssertionError(f"finals did not cover the speech within {timeout} s: {got}")
        await asyncio.sleep(0.25)


def of_role(finals: list[dict[str, Any]], role: str, key: str = "role") -> list[dict[str, Any]]:
    return [f for f in finals if f[key] == role]


def text_of(finals: list[dict[str, Any]]) -> str:
    return " ".join(f["text"] for f in finals)


def check_consistent(finals: list[dict[str, Any]], key: str = "role") -> None:
    """No segment twice, no two finals of a role (or ``key="track"``: of a track)
    overlapping in time (> 0.1 s), no identical text twice in a row within one."""
    ids = [f["segment_id"] for f in finals]
    assert len(ids) == len(set(ids)), f"duplicate segment ids: {ids}"
    for role in {f[key] for f in finals}:
        mine = sorted(of_role(finals, role, key), key=lambda f: f["start"])
        for a, b in itertools.pairwise(mine):
            assert b["start"] >= a["end"] - 0.1, f"{role} finals overlap: {a} / {b}"
            assert a["text"].strip() != b["text"].strip(), f"{role} final repeated: {a} / {b}"


async def data_channels(page: Page) -> list[str]:
    """Labels of the data channels the page has opened so far (see _WATCH_CHANNELS)."""
    labels: list[str] = await page.evaluate("window.e2eChannels")
    return labels


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # From the top: the sticky status bar otherwise sits wherever the last click scrolled.
    await page.evaluate("() => window.scrollTo(0, 0)")
    await page.screenshot(path=str(path), full_page=True)
    return path


async def close_quietly(context: BrowserContext) -> None:
    with suppress(Error):
        await context.close()


async def new_client_session(page: Page, label: str) -> str:
    """Create a client labelled ``label`` and a new session of it through the page's
    picker; returns the session id."""
    await page.fill("#new-client-label", label)
    await page.click("#create-client-button")
    await page.locator("#client-select option:checked", has_text=label).wait_for(state="attached")
    await page.click("#create-session-button")
    sid: str = await poll(page, "window.companion.session()", "a session chosen")
    return sid


async def consent_both(page: Page) -> None:
    """Record both parties' verbal consent through the page's checkboxes."""
    await page.check("#consent-therapist")
    await poll(page, "!document.getElementById('consent-client').disabled", "client consent")
    await page.check("#consent-client")
    await poll(
        page,
        "document.getElementById('consent-status').textContent.includes('Both parties')",
        "both parties consented",
    )


async def wait_tracks(url: str, sid: str, tracks: list[str], timeout: float = 20.0) -> None:
    """Wait until the server lists ``tracks`` (sorted) as streaming in session ``sid``.

    The page is live once its transport connects; the server opens a media track at its
    first decoded audio, and a one-channel track only once the speaker encoder is loaded
    (seconds, the first time), so the two need not agree at once."""
    deadline = time.monotonic() + timeout
    while True:
        got = sorted((await get_session(url, sid))["tracks"])
        if got == sorted(tracks):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"tracks {got}, not {sorted(tracks)}, after {timeout} s")
        await asyncio.sleep(0.2)
