"""Speakers in the side-panel, in a real Chromium: a one-microphone therapy session (two
rendered voices on the fake microphone) is labelled Therapist / Client from the
clinician's enrolled voice, a role corrected in the Speakers card relabels the lines
already shown, and after the session the Talk time card and the refinement's status line
appear. The voice-profile card shows, records (20 s of the fake microphone) and deletes
the clinician's profile."""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from playwright.async_api import Dialog, Page, Playwright, expect

from benchmarks.sessions import ENROLMENT_TEXT, render_session, render_voice, session_ids
from tests.e2e.helpers import (
    ARTIFACTS,
    PageWatch,
    close_quietly,
    consent_both,
    launch,
    new_client_session,
    poll,
    screenshot,
    sign_in,
    speech_wav,
    transcript,
    wait_covered,
    wait_state,
    wait_tracks,
)
from tests.session_server.helpers import auth, http_client

PROFILE = "/v1/me/voice-profile"
RATE = 16_000

# Both roles among the finals shown (the page's own test hook).
BOTH_ROLES = """(() => {
  const roles = new Set(window.companion.transcript().map((f) => f.role));
  return roles.has('therapist') && roles.has('client');
})()"""

# Every line on the page, as shown: speaker id, role, label, corrected badge.
SHOWN_LINES = """(() => [...document.querySelectorAll('#transcript-finals > li')].map((li) => ({
  segment_id: li.dataset.segmentId,
  speaker: li.dataset.speaker ?? null,
  role: li.dataset.role,
  label: li.querySelector('.speaker').textContent,
  badge: li.querySelector('.corrected-badge')?.textContent ?? null,
})))()"""

LABELS = {"therapist": "Therapist", "client": "Client"}


def roles_are(want: dict[str, str]) -> str:
    """A page expression: the Speakers card says ``want`` (speaker → role) and every line
    of those speakers shows that role and its label."""
    labels = {s: LABELS.get(r, r) for s, r in want.items()}
    return f"""(() => {{
  const want = {json.dumps(want)}, labels = {json.dumps(labels)};
  const got = window.companion.speakers();
  if (!Object.entries(want).every(([s, r]) => got[s] === r)) return false;
  return [...document.querySelectorAll('#transcript-finals > li[data-speaker]')].every(
    (li) => !(li.dataset.speaker in want) || (li.dataset.role === want[li.dataset.speaker]
      && li.querySelector('.speaker').textContent === labels[li.dataset.speaker]));
}})()"""


def wav_bytes(audio: Any) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.asarray(audio, dtype=np.float32), RATE, format="WAV", subtype="PCM_16")
    return buf.getvalue()


async def enrol(url: str) -> dict[str, Any]:
    """The test clinician's voice profile from ~20 s of the rendered therapist voice."""
    async with http_client(url) as http:
        r = await http.put(
            PROFILE,
            content=wav_bytes(render_voice(ENROLMENT_TEXT, "therapist")),
            headers={**auth(url), "Content-Type": "audio/wav"},
        )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def profile(url: str) -> dict[str, Any]:
    async with http_client(url) as http:
        r = await http.get(PROFILE, headers=auth(url))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def forget(url: str) -> None:
    async with http_client(url) as http:
        r = await http.delete(PROFILE, headers=auth(url))
    assert r.status_code == 204, r.text


async def shown_lines(page: Page) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = await page.evaluate(SHOWN_LINES)
    return lines


def label_of(role: str, speaker: str | None) -> str:
    if role in LABELS:
        return LABELS[role]
    if role.startswith("participant-"):
        return f"Participant {role.split('-', 1)[1]}"
    return f"Speaker {speaker[1:]}" if speaker else "Speaker"


async def test_one_microphone_session_names_speakers_and_counts_talk_time(
    pw: Playwright, server: str, username: str, tmp_path: Path
) -> None:
    rendered = render_session(session_ids(4)[2], max_seconds=45.0)
    lead = 0.5
    speech = speech_wav(
        tmp_path / "mic.wav",
        [(np.asarray(rendered.mixed), " ".join(t.text for t in rendered.turns))],
        lead=lead,
        tail=3.0,
    )
    # Where each turn lies in the file: "covered" waits for finals into the last one.
    speech = replace(speech, spans=[(lead + t.start, lead + t.end) for t in rendered.turns])
    await enrol(server)
    context = await launch(pw, tmp_path / "profile", speech.path, server)
    try:
        page = context.pages[0] if context.pages else await context.new_page()
        watch = PageWatch()
        watch.attach(page)
        await page.goto(server)
        await sign_in(page, username)
        await expect(page.locator("#voice-status")).to_contain_text("Enrolled")

        sid = await new_client_session(page, "E2E speakers client")
        await consent_both(page)
        await expect(page.locator("#speakers-section")).to_be_hidden()
        await expect(page.locator("#talk-section")).to_be_hidden()
        await page.select_option("#source-select", "mixed")
        await page.click("#start-button")
        await wait_state(page, "live")
        await wait_tracks(server, sid, ["mixed"])

        # Finals of both voices, each labelled by the role the server gave its speaker.
        await poll(page, BOTH_ROLES, "therapist and client finals", speech.duration + 90)
        finals = await transcript(page)
        assert all(f["track"] == "mixed" for f in finals)
        assert all(f["speaker"] in ("S1", "S2") for f in finals if f["speaker"]), finals
        assert not any(f["corrected"] for f in finals)
        roles: dict[str, str] = await page.evaluate("window.companion.speakers()")
        assert sorted(roles) == ["S1", "S2"], roles
        assert sorted(roles.values()) == ["client", "therapist"], roles
        for f in finals:
            if f["speaker"]:
                assert f["role"] == roles[f["speaker"]], (f, roles)

        # The page shows it: labels on the lines, one row per speaker in the card.
        lines = await shown_lines(page)
        shown_labels = {line["label"] for line in lines}
        assert {"Therapist", "Client"} <= shown_labels, shown_labels
        for line in lines:
            if line["speaker"]:
                assert line["label"] == LABELS[roles[line["speaker"]]], line
        await expect(page.locator("#speakers-section")).to_be_visible()
        await expect(page.locator("#speakers-list > li")).to_have_count(2)
        for speaker, role in roles.items():
            select = page.get_by_label(f"Speaker {speaker[1:]}", exact=True)
            await expect(select).to_have_value(role)
            hint = page.locator(f"#speaker-role-{speaker}-hint")
            want = "Matched your voice profile" if role == "therapist" else "Not your voice"
            await expect(hint).to_contain_text(want)
        await screenshot(page, "speakers-live")

        # A refused change (here a stand-in 409) shows the server's message and reverts.
        client = next(s for s, r in roles.items() if r == "client")
        therapist = next(s for s, r in roles.items() if r == "therapist")
        refusal = {"detail": "session has ended"}
        route = f"**/v1/sessions/{sid}/speakers/{client}"
        await page.route(route, lambda r: r.fulfill(status=409, json=refusal))
        select = page.get_by_label(f"Speaker {client[1:]}", exact=True)
        await select.focus()  # as a keyboard user changing it: focus stays on the select
        await select.select_option("unknown")
        await expect(page.locator("#speakers-error")).to_have_text(
            f"Speaker {client[1:]}: session has ended"
        )
        await expect(page.locator(f"#speaker-role-{client}")).to_have_value("client")
        await expect(page.locator(f"#speaker-role-{client}")).to_be_focused()
        await page.unroute(route)
        assert await page.evaluate("window.companion.speakers()") == roles

        # The clinician says the client's speaker is the therapist: the server makes the
        # other speaker the client, and every line shown follows its speaker.roles event.
        await page.get_by_label(f"Speaker {client[1:]}", exact=True).select_option("therapist")
        swapped = {client: "therapist", therapist: "client"}
        await poll(page, roles_are(swapped), "the swapped roles on the card and the lines")
        await expect(page.locator(f"#speaker-role-{client}-hint")).to_have_text("Set by you")
        await expect(page.locator(f"#speaker-role-{therapist}")).to_have_value("client")
        await expect(page.locator("#speakers-error")).to_be_hidden()
        for f in await transcript(page):
            if f["speaker"] in swapped:
                assert f["role"] == swapped[f["speaker"]], f
        await screenshot(page, "speakers-swapped")

        # ... and back (two corrections: the server keeps a speaker the clinician named).
        await page.get_by_label(f"Speaker {therapist[1:]}", exact=True).select_option("therapist")
        await poll(page, f"window.companion.speakers().{therapist} === 'therapist'", "therapist")
        await page.get_by_label(f"Speaker {client[1:]}", exact=True).select_option("client")
        await poll(page, roles_are(roles), "the roles back on the card and the lines")

        # Everything said is transcribed; end: the refinement's status line, talk time.
        await wait_covered(page, {"mixed": speech}, timeout=speech.duration + 120, key="track")
        await page.click("#end-button")
        await wait_state(page, "ended", timeout=180)
        await expect(page.locator("#refine-status")).to_have_text(
            re.compile(r"^Speaker labels refined after the session: \d+ segments? changed\.$"),
            timeout=60_000,
        )
        await expect(page.locator("#talk-section")).to_be_visible(timeout=60_000)
        table = page.locator("#talk-table")
        await expect(table.locator("tbody tr[data-role='therapist'] th")).to_have_text("Therapist")
        await expect(table.locator("tbody tr[data-role='client'] th")).to_have_text("Client")
        headers = await table.locator("thead th").all_text_contents()
        assert [h.split()[0] for h in headers] == ["Role", "Share", "Time", "Turns", "WPM", "Int."]
        figures: dict[str, Any] = await page.evaluate("window.companion.analytics()")
        assert {"therapist", "client"} <= set(figures["roles"]), figures
        shares = [r["share"] for r in figures["roles"].values()]
        assert abs(sum(shares) - 1.0) < 0.01, figures
        for role, r in figures["roles"].items():
            cells = await table.locator(f"tbody tr[data-role='{role}'] td").all_text_contents()
            # (rounded half up, as the page's Math.round does)
            assert cells[0] == f"{math.floor(r['share'] * 100 + 0.5)}%", (role, cells, r)
            assert re.fullmatch(r"\d\d:\d\d", cells[1]), cells
            assert cells[2] == str(r["turns"]), cells
        summary = page.locator("#talk-summary")
        await expect(summary).to_contain_text("Therapist : client")
        await expect(summary).to_contain_text("Overlap")
        await expect(summary).to_contain_text("Longest silence")
        # The cards fit the 360 px panel: no horizontal scrolling.
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # Ended: roles can no longer change; corrected lines carry their badge, and every
        # line its speaker's role as it stands.
        for speaker in roles:
            await expect(page.locator(f"#speaker-role-{speaker}")).to_be_disabled()
        finals = await transcript(page)
        by_id = {line["segment_id"]: line for line in await shown_lines(page)}
        for f in finals:
            line = by_id[f["segment_id"]]
            assert (line["badge"] is not None) == f["corrected"], (f, line)
            if f["corrected"]:
                assert line["badge"] == "speaker corrected after the session", line
            assert line["label"] == label_of(f["role"], f["speaker"]), (f, line)

        # The roles are right: the therapist's speaker speaks the therapist's turns.
        score = role_accuracy(finals, rendered, lead)
        corrected = sum(f["corrected"] for f in finals)
        print(f"speakers: {len(finals)} finals, {corrected} corrected, roles {score:.0%} right")
        assert score >= 0.8, f"role right for {score:.0%} of final time"
        await screenshot(page, "speakers-ended")
        first = next((f for f in finals if f["corrected"]), None)
        if first is not None:  # the transcript card, scrolled to a corrected line
            await page.locator(
                f"#transcript-finals > li[data-segment-id='{first['segment_id']}']"
            ).scroll_into_view_if_needed()
            await page.locator("#transcript-section").screenshot(
                path=str(ARTIFACTS / "speakers-corrected.png")
            )
        watch.check()
    finally:
        await close_quietly(context)


def role_accuracy(finals: list[dict[str, Any]], rendered: Any, lead: float) -> float:
    """The share of final time whose role is the reference role at that time. The track's
    clock starts when capture did: the shift to file time is the one (within 2 s of the
    first final's) that best lines the finals up with speech, whoever speaks."""
    turns = rendered.turns
    first = min(finals, key=lambda f: f["start"])
    guess = first["start"] - (lead + turns[0].start)

    def speech_overlap(shift: float) -> float:
        total = 0.0
        for f in finals:
            a, b = f["start"] - shift - lead, f["end"] - shift - lead
            total += sum(max(0.0, min(b, t.end) - max(a, t.start)) for t in turns)
        return total

    shift = max((guess + d / 50 for d in range(-100, 101)), key=speech_overlap)
    right = total = 0.0
    for f in finals:
        a, b = f["start"] - shift - lead, f["end"] - shift - lead
        total += b - a
        right += (b - a) * (f["role"] == rendered.role_at(a, b))
    return right / total if total else 0.0


async def test_voice_profile_card_records_and_deletes(
    pw: Playwright, server: str, username: str, tmp_path: Path
) -> None:
    # The fake microphone plays the therapist's enrolment text: what "Record 20 s" hears.
    voice = render_voice(ENROLMENT_TEXT, "therapist")
    mic = speech_wav(tmp_path / "voice.wav", [(np.asarray(voice), ENROLMENT_TEXT)], tail=1.0)
    await enrol(server)
    context = await launch(pw, tmp_path / "profile", mic.path, server)
    try:
        page = context.pages[0] if context.pages else await context.new_page()
        watch = PageWatch()
        watch.attach(page)
        dialogs: list[str] = []

        async def accept(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            await dialog.accept()

        page.on("dialog", accept)
        await page.goto(server)
        await sign_in(page, username)
        card = page.locator("#voice-section")
        status = page.locator("#voice-status")
        await expect(card).to_be_visible()
        await expect(status).to_contain_text(re.compile(r"Enrolled: \d+\.\d s of speech"))
        await expect(status).to_contain_text("from your recording")
        await expect(page.locator("#voice-delete-button")).to_be_visible()

        # Delete (after the confirmation): not enrolled, here and on the server.
        await page.click("#voice-delete-button")
        await expect(status).to_contain_text("Not enrolled")
        await expect(page.locator("#voice-message")).to_have_text("Voice profile deleted.")
        await expect(page.locator("#voice-delete-button")).to_be_hidden()
        assert len(dialogs) == 1 and "Delete your voice profile" in dialogs[0]
        assert await profile(server) == {"enrolled": False}

        # Record 20 s of the (fake) microphone: a countdown, the text to read, then saved.
        record = page.locator("#voice-record-button")
        await expect(record).to_have_text("Record 20 s")
        await record.click()
        await expect(page.locator("#voice-reading")).to_be_visible()
        await expect(page.locator("#voice-countdown")).to_have_text(re.compile(r"^\d+ s left$"))
        await expect(page.locator("#voice-cancel-button")).to_be_focused()
        await expect(page.locator("#start-button")).to_be_disabled()
        await screenshot(page, "voice-profile-recording")
        await expect(status).to_contain_text("Enrolled", timeout=60_000)
        await expect(page.locator("#voice-message")).to_have_text("Voice profile saved.")
        await expect(page.locator("#voice-reading")).to_be_hidden()
        await expect(page.locator("#voice-error")).to_be_hidden()
        saved = await profile(server)
        assert saved["enrolled"] is True and saved["source"] == "enrolment", saved
        assert saved["speech_s"] >= 5.0, saved
        await screenshot(page, "voice-profile-enrolled")
        watch.check()
    finally:
        await close_quietly(context)
        await forget(server)  # later tests start without the clinician's profile
