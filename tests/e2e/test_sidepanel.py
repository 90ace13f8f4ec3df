"""The side-panel in a real Chromium: sign in, create a client and a session, record
consent, capture the (fake) microphone over WebRTC or the WebSocket fallback, and follow
the live transcript of real speech until the session is ended."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Playwright, expect

from streaming.audio import Samples
from tests.conftest import wer
from tests.e2e.helpers import (
    PageWatch,
    check_consistent,
    close_quietly,
    data_channels,
    launch,
    poll,
    screenshot,
    sign_in,
    speech_wav,
    text_of,
    transcript,
    wait_covered,
    wait_state,
    wait_tracks,
)
from tests.session_server.helpers import collect_until_ended, finals, get_session, within

# Count the tentative lines shown while speech is going on (they are replaced by finals).
WATCH_PARTIALS = """() => {
  window.e2ePartials = 0;
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (node.classList && node.classList.contains('partial')) window.e2ePartials += 1;
      }
    }
  }).observe(document.getElementById('transcript-partials'), { childList: true });
}"""


# (name, page query, transport): WebRTC sends Opus on data channels where the browser can
# encode it (Chromium can); '?webrtc=tracks' forces standard media tracks.
TRANSPORTS = [
    ("webrtc", "", "webrtc"),
    ("webrtc-tracks", "?webrtc=tracks", "webrtc"),
    ("websocket", "", "websocket"),
]


@pytest.mark.parametrize(("name", "query", "transport"), TRANSPORTS, ids=[t[0] for t in TRANSPORTS])
async def test_side_panel_transcribes_the_microphone_live(
    pw: Playwright,
    server: str,
    username: str,
    librispeech: list[tuple[Samples, str]],
    tmp_path: Path,
    name: str,
    query: str,
    transport: str,
) -> None:
    speech = speech_wav(tmp_path / "mic.wav", librispeech, lead=0.5, gap=0.7, tail=3.0)
    context = await launch(pw, tmp_path / "profile", speech.path, server)
    try:
        page = context.pages[0] if context.pages else await context.new_page()
        watch = PageWatch()
        watch.attach(page)
        await page.goto(f"{server}/{query}")
        await sign_in(page, username)

        # A new client and a new session, through the picker.
        label = f"E2E {name} client"
        await page.fill("#new-client-label", label)
        await page.click("#create-client-button")
        await expect(page.locator("#client-select option:checked")).to_have_text(label)
        await page.click("#create-session-button")
        sid = await poll(page, "window.companion.session()", "a session chosen")
        await expect(page.locator("#session-select")).to_have_value(sid)
        await expect(page.locator("#bridge-link")).to_have_attribute(
            "href", f"/bridge?session={sid}"
        )
        assert await page.is_hidden("#setup-error")

        # Capture is refused until both parties consent.
        await expect(page.locator("#start-button")).to_be_disabled()
        await expect(page.locator("#consent-status")).to_contain_text("needs consent")
        await page.check("#consent-therapist")
        await expect(page.locator("#consent-status")).to_contain_text("Client (pending)")
        await expect(page.locator("#start-button")).to_be_disabled()
        await page.check("#consent-client")
        await expect(page.locator("#consent-status")).to_contain_text("Both parties consented")
        assert (await get_session(server, sid))["consented"] is True

        assert await page.input_value("#source-select") == "mixed"
        await page.select_option("#transport-select", transport)
        assert await page.get_attribute("#transcript-finals", "aria-live") == "polite"
        await page.evaluate(WATCH_PARTIALS)

        await page.click("#start-button")
        await wait_state(page, "live")
        await expect(page.locator("#pause-button")).to_be_enabled()
        await wait_tracks(server, sid, ["mixed"])
        await poll(page, "window.companion.levels().mic > 0.01", "microphone level")
        channels = ["audio:mixed"] if name == "webrtc" else []
        assert await data_channels(page) == channels
        if transport == "webrtc":
            rtt = page.locator("#rtt")
            await expect(rtt).to_have_text(re.compile(r"RTT \d+ ms"), timeout=20_000)

        got = await wait_covered(page, {"mixed": speech}, timeout=speech.duration + 90, key="track")
        assert await page.evaluate("window.companion.state()") == "live"
        # One channel: each final names its speaker (one voice here) and that speaker's role.
        assert {f["track"] for f in got} == {"mixed"}
        assert {f["role"] for f in got} <= {"therapist", "client", "unknown"}, got
        assert all(f["speaker"] is None or re.fullmatch(r"S[1-9]", f["speaker"]) for f in got)
        assert not any(f["corrected"] for f in got)
        check_consistent(got, key="track")
        score = wer(speech.reference, text_of(got))
        print(f"side-panel {name}: WER {score:.3f} over {len(got)} finals")
        assert score < 0.25, text_of(got)
        assert await page.evaluate("window.e2ePartials") > 0, "no partial was ever shown"
        shown = page.locator("#transcript-finals > li")
        await expect(shown).to_have_count(len(got))
        assert [t.strip() for t in await shown.locator(".utterance-text").all_text_contents()] == [
            f["text"].strip() for f in got
        ]
        await expect(page.locator("#latency")).to_have_text(re.compile(r"Delay \d+\.\d s"))
        await screenshot(page, f"sidepanel-{name}-live")

        # End: the page and the server agree the session ended, with the same finals.
        await page.click("#end-button")
        await wait_state(page, "ended", timeout=90)
        await expect(page.locator("#status-line")).to_have_text("The session has ended.")
        await expect(page.locator("#start-button")).to_be_disabled()
        await expect(page.locator("#end-button")).to_be_disabled()
        assert (await get_session(server, sid))["state"] == "ended"
        events = await within(60, collect_until_ended(server, sid), "the session's events")
        on_server = {(f["segment_id"], f["text"]) for f in finals(events)}
        on_page = {(f["segment_id"], f["text"]) for f in await transcript(page)}
        assert on_page == on_server
        await screenshot(page, f"sidepanel-{name}-ended")
        watch.check()
    finally:
        await close_quietly(context)
