"""The Doxy.me bridge in a real Chromium: the therapist's (fake) microphone and a real
call tab's audio, captured through the screen-share picker, sent as two labelled tracks;
and a reconnect in the middle of speech."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Page, Playwright, expect

from asr.offline import load_audio
from streaming.audio import Samples
from tests.conftest import JFK_TEXT, wer
from tests.e2e.helpers import (
    CALL_TAB_TITLE,
    PageWatch,
    Speech,
    call_tab_server,
    check_consistent,
    close_quietly,
    data_channels,
    launch,
    of_role,
    poll,
    screenshot,
    sign_in,
    speech_wav,
    text_of,
    transcript,
    wait_covered,
    wait_state,
)
from tests.session_server.helpers import (
    collect_until_ended,
    end_session,
    finals,
    get_session,
    new_session,
    within,
)


@dataclass
class Bridge:
    page: Page  # the bridge
    tab: Page  # the call tab
    sid: str
    watch: PageWatch

    async def play_call(self) -> None:
        """Start the call tab's speech (its <audio>) and check the bridge hears it."""
        await self.tab.evaluate("() => document.getElementById('speech').play()")
        await poll(self.page, "window.companion.levels().client > 0.01", "call tab level")


@asynccontextmanager
async def bridge(
    pw: Playwright, server: str, username: str, tmp_path: Path, mic: Speech, call: Speech
) -> AsyncIterator[Bridge]:
    """A consented session (made through the API) open in the bridge, signed in through
    its form, with the call tab open beside it; capture not started yet."""
    folder = tmp_path / "call"
    folder.mkdir()
    context = await launch(pw, tmp_path / "profile", mic.path, server, tab_title=CALL_TAB_TITLE)
    try:
        with call_tab_server(folder, call.path) as call_url:
            tab = context.pages[0] if context.pages else await context.new_page()
            await tab.goto(call_url)
            assert await tab.title() == CALL_TAB_TITLE
            await poll(tab, "document.getElementById('speech').readyState >= 4", "call audio")
            sid = await new_session(server)
            page = await context.new_page()
            watch = PageWatch()
            watch.attach(page)
            await page.goto(f"{server}/bridge?session={sid}")
            await sign_in(page, username)
            await poll(page, f"window.companion.session() === {sid!r}", "the session chosen")
            await expect(page.locator("#session-select")).to_have_value(sid)
            await expect(page.locator("#session-info")).to_contain_text("both parties consented")
            await expect(page.locator("#bridge-start")).to_be_enabled()
            await expect(page.locator("#bridge-reconnect")).to_be_disabled()
            yield Bridge(page, tab, sid, watch)
    finally:
        await close_quietly(context)


async def end_and_compare(server: str, b: Bridge) -> list[dict[str, Any]]:
    """End the session through the API; the page shows it ended and holds exactly the
    server's finals. Returns the server's finals."""
    await within(90, end_session(server, b.sid), "ending the session")
    await wait_state(b.page, "ended", timeout=60)
    events = await within(60, collect_until_ended(server, b.sid), "the session's events")
    on_server = finals(events)
    on_page = await transcript(b.page)
    assert {(f["segment_id"], f["track"], f["text"]) for f in on_server} == {
        (f["segment_id"], f["track"], f["text"]) for f in on_page
    }
    return on_server


async def test_bridge_labels_the_microphone_therapist_and_the_call_tab_client(
    pw: Playwright,
    server: str,
    username: str,
    librispeech: list[tuple[Samples, str]],
    tmp_path: Path,
) -> None:
    # Different utterances on each side, the client's starting ~5 s after the therapist's.
    therapist = speech_wav(tmp_path / "mic.wav", librispeech[2:4], lead=0.5, tail=3.0)
    client = speech_wav(tmp_path / "call.wav", librispeech[0:2], lead=5.0, tail=3.0)
    async with bridge(pw, server, username, tmp_path, therapist, client) as b:
        await b.page.click("#bridge-start")
        await wait_state(b.page, "live")
        assert await b.page.is_hidden("#capture-error")
        assert sorted((await get_session(server, b.sid))["tracks"]) == ["client", "therapist"]
        await poll(b.page, "window.companion.levels().therapist > 0.01", "microphone level")
        assert sorted(await data_channels(b.page)) == ["audio:client", "audio:therapist"]
        await b.play_call()

        timeout = max(therapist.duration, client.duration) + 90
        got = await wait_covered(b.page, {"therapist": therapist, "client": client}, timeout)
        check_consistent(got)
        assert {f["role"] for f in got} == {"therapist", "client"}
        assert all(f["track"] == f["role"] for f in got)
        said_t, said_c = text_of(of_role(got, "therapist")), text_of(of_role(got, "client"))
        t_wer, c_wer = wer(therapist.reference, said_t), wer(client.reference, said_c)
        print(f"bridge: therapist WER {t_wer:.3f}, client WER {c_wer:.3f}")
        assert t_wer < 0.35, said_t
        assert c_wer < 0.35, said_c
        # Not swapped: each side's text is far from the other side's reference.
        assert wer(client.reference, said_t) > 0.7
        assert wer(therapist.reference, said_c) > 0.7
        # Shown with speaker labels.
        items = b.page.locator("#transcript-finals > li")
        await expect(items).to_have_count(len(got))
        labels = await items.locator(".speaker").all_text_contents()
        assert labels == [f["role"].capitalize() for f in got]
        await expect(b.page.locator("#transcript-finals > li.speaker-client")).to_have_count(
            len(of_role(got, "client"))
        )
        await screenshot(b.page, "bridge-live")

        await end_and_compare(server, b)
        await expect(b.page.locator("#status-line")).to_have_text("The session has ended.")
        await expect(b.page.locator("#bridge-start")).to_be_disabled()
        await expect(b.page.locator("#session-info")).to_contain_text("Session ended")
        await screenshot(b.page, "bridge-ended")
        b.watch.check()


async def test_bridge_reconnect_mid_speech_loses_and_repeats_nothing(
    pw: Playwright,
    server: str,
    username: str,
    librispeech: list[tuple[Samples, str]],
    testdata: Path,
    tmp_path: Path,
) -> None:
    therapist = speech_wav(tmp_path / "mic.wav", librispeech, lead=0.5, tail=3.0)
    jfk = load_audio(testdata / "asr" / "jfk" / "jfk.flac")
    client = speech_wav(tmp_path / "call.wav", [(jfk, JFK_TEXT)], lead=1.0, tail=3.0)
    async with bridge(pw, server, username, tmp_path, therapist, client) as b:
        await b.page.click("#bridge-start")
        await wait_state(b.page, "live")
        await b.play_call()

        # Both sides are mid-utterance once the therapist's first partial shows (or, if the
        # server skipped partials, once the therapist's first final has come).
        await poll(
            b.page,
            """() => document.querySelector('#transcript-partials .speaker-therapist') !== null
              || window.companion.transcript().some((f) => f.role === 'therapist')""",
            "the therapist speaking",
        )
        during = await b.page.evaluate(
            """() => {
              window.e2eReconnect = window.companion.reconnect().then(() => 'ok', String);
              return window.companion.state();
            }"""
        )
        assert during == "reconnecting"
        assert await b.page.evaluate("window.e2eReconnect") == "ok"
        await wait_state(b.page, "live")
        assert sorted((await get_session(server, b.sid))["tracks"]) == ["client", "therapist"]
        # A new peer connection: both channels opened again.
        assert sorted(await data_channels(b.page)) == ["audio:client"] * 2 + ["audio:therapist"] * 2

        timeout = max(therapist.duration, client.duration) + 90
        got = await wait_covered(b.page, {"therapist": therapist, "client": client}, timeout)
        check_consistent(got)
        said_t, said_c = text_of(of_role(got, "therapist")), text_of(of_role(got, "client"))
        t_wer, c_wer = wer(therapist.reference, said_t), wer(client.reference, said_c)
        print(f"reconnect: therapist WER {t_wer:.3f}, client WER {c_wer:.3f}")
        assert t_wer < 0.3, said_t
        assert c_wer < 0.3, said_c
        await screenshot(b.page, "bridge-reconnected")

        on_server = await end_and_compare(server, b)
        check_consistent([{**f, "role": f["track"]} for f in on_server])
        b.watch.check()
