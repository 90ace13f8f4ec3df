"""The note draft in the side-panel, in a real Chromium: a client's rendered voice says
something note-worthy and something risky; the panel shows note items with the quoted
evidence, a risk alert with its quote and time, and the required-elements checklist.
The clinician's decisions (accept, reject, edit, undo, an item of their own) go through
the panel's buttons and survive a reload (the panel reads GET .../note first)."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from playwright.async_api import Page, Playwright, expect

from benchmarks.sessions import render_voice
from tests.e2e.helpers import (
    PageWatch,
    close_quietly,
    consent_both,
    launch,
    new_client_session,
    poll,
    screenshot,
    sign_in,
    speech_wav,
    wait_state,
    wait_tracks,
)
from tests.session_server.helpers import (
    collect_events,
    http_client,
    new_session,
    stream,
    within,
)

CLIENT_LINES = [
    "I have been feeling really down and I can't sleep at night.",
    "Lately I have been thinking about killing myself.",
    "My PHQ nine score was fourteen.",
]
TIME = re.compile(r"^\d\d:\d\d$")

# The Risk assessment row agrees with the draft: present exactly when a live risk item is.
RISK_ROW_CONSISTENT = """(() => {
  const note = window.companion.note();
  const risk = note.items.some((i) => i.kind === 'risk'
    && !['rejected', 'retracted'].includes(i.status));
  const row = document.querySelector("#required-list li[data-name='risk_assessment']");
  if (!row) return false;
  const missing = note.missing.includes('Risk assessment');
  return risk === !missing && row.dataset.status === (risk ? 'present' : 'not_assessed');
})()"""


# The checklist as shown: [status, label, text] of each row.
SHOWN_CHECKLIST = """[...document.querySelectorAll('#required-list > li')].map((li) => [
  li.dataset.status, li.querySelector('.required-label').textContent, li.textContent.trim()])"""


def client_speech() -> list[tuple[Any, str]]:
    """Each line in the client's voice (espeak-ng)."""
    return [(np.asarray(render_voice(line, "client")), line) for line in CLIENT_LINES]


async def note_of(page: Page) -> dict[str, Any]:
    note: dict[str, Any] = await page.evaluate("window.companion.note()")
    return note


async def get_note(url: str, sid: str) -> dict[str, Any]:
    async with http_client(url) as http:
        r = await http.get(f"/v1/sessions/{sid}/note")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def items_of(note: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The live items of a GET .../note answer, by id."""
    return {i["id"]: i for items in note["sections"].values() for i in items}


async def settled_note(url: str, sid: str, timeout: float) -> dict[str, Any]:
    """The draft once it has two suggested items and stays the same for two polls."""
    deadline = time.monotonic() + timeout
    last: dict[str, int] | None = None
    while True:
        note = await get_note(url, sid)
        items = items_of(note)
        versions = {i: item["version"] for i, item in items.items()}
        suggested = [i for i in items.values() if i["status"] == "suggested"]
        if len(suggested) >= 2 and versions == last:
            return note
        last = versions
        if time.monotonic() > deadline:
            got = [(i["kind"], i["status"]) for i in items.values()]
            raise AssertionError(f"no settled draft with two suggestions in {timeout} s: {got}")
        await asyncio.sleep(2.0)


async def test_live_note_shows_items_with_evidence_and_a_risk_alert(
    pw: Playwright, server: str, username: str, tmp_path: Path
) -> None:
    speech = speech_wav(tmp_path / "mic.wav", client_speech(), lead=0.5, gap=0.8, tail=3.0)
    context = await launch(pw, tmp_path / "profile", speech.path, server)
    try:
        page = context.pages[0] if context.pages else await context.new_page()
        watch = PageWatch()
        watch.attach(page)
        await page.goto(server)
        await sign_in(page, username)
        sid = await new_client_session(page, "E2E notes client")
        await consent_both(page)
        await expect(page.locator("#note-empty")).to_be_visible()
        await expect(page.locator("#risk-empty")).to_be_visible()

        await page.click("#start-button")
        await wait_state(page, "live")
        await wait_tracks(server, sid, ["mixed"])

        # The risk alert: its kind, the quoted words and when, and no conclusion drawn.
        await poll(
            page,
            "window.companion.note().alerts.some((a) => a.kind === 'suicidal_ideation')",
            "a suicidal-ideation alert",
            speech.duration + 90,
        )
        alerts = page.locator("#risk-alerts > li[role='alert'][data-kind='suicidal_ideation']")
        alert = alerts.first
        await expect(alert).to_be_visible()
        await expect(alert.locator(".risk-title")).to_have_text("Possible suicidal ideation")
        await expect(alert.locator(".evidence-quote").first).to_contain_text(
            re.compile(r"killing myself", re.IGNORECASE)
        )
        await expect(alert.locator(".evidence-time").first).to_have_text(TIME)
        await expect(alert).to_contain_text("for you to assess")
        await expect(alert).to_contain_text("draws no conclusion")
        await expect(page.locator("#risk-empty")).to_be_hidden()

        # A note item (from a note.patch) whose evidence, collapsed at first, shows the quote.
        await poll(
            page,
            "window.companion.note().items.some((i) => i.kind === 'risk')",
            "a risk item in the draft",
            60,
        )
        note = await note_of(page)
        risk = next(i for i in note["items"] if i["kind"] == "risk")
        assert risk["section"] == "assessment" and risk["author"] == "companion", risk
        assert risk["status"] == "suggested" and risk["version"] >= 1, risk
        item = page.locator(f"#note-draft li[data-item-id='{risk['id']}']")
        await expect(item).to_be_visible()
        await expect(item.locator(".note-kind")).to_have_text("Risk")
        await expect(item.locator(".note-status")).to_have_text("suggested")
        await expect(item.locator(".note-badge")).to_have_count(0)
        quote = item.locator(".evidence-quote").first
        await expect(quote).to_be_hidden()
        await item.locator(".note-evidence summary").click()
        await expect(quote).to_be_visible()
        await expect(quote).to_contain_text(re.compile(r"killing myself", re.IGNORECASE))
        await expect(item.locator(".evidence-time").first).to_have_text(TIME)
        for action in ("Accept", "Edit", "Reject"):
            await expect(item.get_by_role("button", name=action)).to_be_enabled()
        await expect(page.locator("#note-empty")).to_be_hidden()

        # The checklist agrees with the draft: a live risk item, so risk is assessed.
        await poll(page, RISK_ROW_CONSISTENT, "the Risk assessment row matching the draft", 30)
        row = page.locator("#required-list li[data-name='risk_assessment']")
        await expect(row).to_contain_text("Risk assessment")
        await expect(row).to_have_attribute("data-status", "present")
        missing = (await note_of(page))["missing"]
        assert "Risk assessment" not in missing
        rows: list[list[str]] = await page.evaluate(SHOWN_CHECKLIST)
        assert {label for status, label, _ in rows if status == "not_assessed"} == set(missing)
        for status, label, text in rows:
            assert text.endswith("not yet assessed") == (status == "not_assessed"), (label, text)
        await expect(page.locator("#required-summary")).to_contain_text(
            re.compile(r"not yet documented|Every required element")
        )
        # The measured facts: duration, talk share and speech rate.
        facts = page.locator("#note-facts")
        await expect(facts).to_contain_text(re.compile(r"Duration\s*\d+(\.\d)? min"))
        await expect(facts).to_contain_text(re.compile(r"Talk share.*\d+%"))
        await expect(facts).to_contain_text(re.compile(r"Speech rate.*\d+ wpm"))

        note = await note_of(page)
        assert all(a["severity"] in ("high", "moderate", "low") for a in note["alerts"]), note
        print(f"notes live: {[(i['kind'], i['status']) for i in note['items']]}")
        # The cards fit the 360 px panel: no horizontal scrolling.
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await screenshot(page, "notes-live")
        watch.check()
    finally:
        await close_quietly(context)


async def test_note_decisions_persist_across_a_reload(
    pw: Playwright, server: str, username: str, tmp_path: Path
) -> None:
    # The client's track of a consented session, streamed in; the draft settles.
    sid = await new_session(server)
    speech = speech_wav(tmp_path / "client.wav", client_speech(), lead=0.5, gap=0.8, tail=3.0)
    audio = np.asarray(sf.read(speech.path, dtype="float32")[0])
    # Finals reaching into the last line (the track's clock is the file's: streamed from 0).
    into_last = speech.spans[-1][0] + 1.0
    finals = asyncio.create_task(
        collect_events(
            server, sid, lambda e: e["type"] == "transcript.final" and e["end"] >= into_last
        )
    )
    await asyncio.sleep(0.1)
    await stream(server, sid, audio, track="client")
    await within(120, finals, "the finals of the client's speech")
    note = await settled_note(server, sid, timeout=60)
    suggested = [i for i in items_of(note).values() if i["status"] == "suggested"]
    accepted, rejected = suggested[0], suggested[1]

    mic = speech_wav(tmp_path / "quiet.wav", [], lead=0.5, tail=0.5)
    context = await launch(pw, tmp_path / "profile", mic.path, server)
    try:
        page = context.pages[0] if context.pages else await context.new_page()
        watch = PageWatch()
        watch.attach(page)
        await page.goto(f"{server}/?session={sid}")
        await sign_in(page, username)
        await poll(page, f"window.companion.session() === {sid!r}", "the session chosen")
        draft = page.locator("#note-draft")
        a = draft.locator(f"li[data-item-id='{accepted['id']}']")
        b = draft.locator(f"li[data-item-id='{rejected['id']}']")
        await expect(a).to_be_visible()
        await expect(b).to_be_visible()
        await expect(a.locator(".note-text")).to_have_text(accepted["text"])

        # Accept one, reject the other, through their buttons.
        await a.get_by_role("button", name="Accept").click()
        await expect(a).to_have_attribute("data-status", "accepted")
        await expect(a.locator(".note-status")).to_have_text("accepted")
        await expect(a.get_by_role("button", name="Accept")).to_be_disabled()
        await b.get_by_role("button", name="Reject").click()
        await expect(b).to_have_count(0)
        await expect(page.locator("#note-rejected")).to_be_visible()
        await expect(page.locator("#note-rejected-count")).to_have_text("1")
        await expect(page.locator("#note-error")).to_be_hidden()
        on_server = items_of(await get_note(server, sid))
        assert on_server[accepted["id"]]["status"] == "accepted", on_server[accepted["id"]]
        assert rejected["id"] not in on_server

        # Reload: the panel reads GET .../note, and shows the same decisions.
        async with page.expect_response(
            lambda r: f"/v1/sessions/{sid}/note" in r.url and r.request.method == "GET"
        ) as answer:
            await page.reload()
        response = await answer.value
        assert response.ok
        fetched = items_of(await response.json())
        assert fetched[accepted["id"]]["status"] == "accepted"
        assert rejected["id"] not in fetched
        await poll(page, f"window.companion.session() === {sid!r}", "the session chosen again")
        await expect(a).to_have_attribute("data-status", "accepted")
        await expect(b).to_have_count(0)
        await expect(page.locator("#note-rejected-count")).to_have_text("1")
        shown = {i["id"]: i for i in (await note_of(page))["items"]}
        assert shown[accepted["id"]]["status"] == "accepted", shown
        assert shown[rejected["id"]]["status"] == "rejected", shown

        # Undo the rejection: suggested again, in the draft.
        rejected_list = page.locator("#note-rejected")
        await rejected_list.locator("summary").click()
        undo = rejected_list.locator(f"li[data-item-id='{rejected['id']}']")
        await undo.get_by_role("button", name="Undo").click()
        await expect(b).to_have_attribute("data-status", "suggested")
        await expect(rejected_list).to_be_hidden()

        # Edit the accepted item's text inline.
        await a.get_by_role("button", name="Edit").click()
        await a.get_by_label("Item text").fill("Client reported passive suicidal thoughts.")
        await a.get_by_role("button", name="Save").click()
        await expect(a).to_have_attribute("data-status", "edited")
        await expect(a.locator(".note-text")).to_have_text(
            "Client reported passive suicidal thoughts."
        )
        await expect(a.get_by_role("button", name="Accept")).to_be_disabled()

        # An item of the clinician's own: marked with the clinician badge.
        plan = page.locator("#note-draft section[data-section='plan']")
        await plan.locator("summary", has_text="Add item").click()
        await plan.get_by_label("Kind").select_option("homework")
        await plan.get_by_label("Text").fill("Keep a sleep diary until the next session.")
        await plan.get_by_role("button", name="Add", exact=True).click()
        mine = plan.locator("li[data-author='clinician']")
        await expect(mine).to_have_count(1)
        await expect(mine.locator(".note-badge")).to_have_text("clinician")
        await expect(mine.locator(".note-kind")).to_have_text("Homework")
        await expect(mine.locator(".note-text")).to_have_text(
            "Keep a sleep diary until the next session."
        )
        await screenshot(page, "notes-decided")

        # All of it holds after another reload.
        await page.reload()
        await poll(page, f"window.companion.session() === {sid!r}", "the session chosen again")
        await expect(mine.locator(".note-badge")).to_have_text("clinician")
        await expect(a).to_have_attribute("data-status", "edited")
        await expect(b).to_have_attribute("data-status", "suggested")
        on_server = items_of(await get_note(server, sid))
        assert on_server[accepted["id"]]["status"] == "edited"
        assert on_server[rejected["id"]]["status"] == "suggested"
        authored = [i for i in on_server.values() if i["author"] == "clinician"]
        assert [(i["kind"], i["section"], i["status"]) for i in authored] == [
            ("homework", "plan", "accepted")
        ]
        watch.check()

        # The checklist follows the clinician's items too: the homework documents the Plan
        # (note.required is sent whenever an element changes).
        assert "Plan" not in (await get_note(server, sid))["missing"]
        plan_row = page.locator("#required-list li[data-name='plan']")
        await expect(plan_row).to_have_attribute("data-status", "present")
        assert "Plan" not in (await note_of(page))["missing"]
    finally:
        await close_quietly(context)
