"""The review page in a real Chromium, on a replayed AnnoMI session.

The first minute of a real motivational-interviewing session is rendered in two voices
(espeak-ng), streamed as the therapist's and the client's tracks through the real
server and models, and ended. The clinician then opens the review page and, with the
page's own controls: shows an item's evidence in the transcript (the quoted words are
marked), edits one item, rejects another, tries to sign while required elements are
missing (refused, with the reason shown), completes the note (an item of their own and
"deliberately not assessed" marks), signs with the keyboard, cannot edit the signed
note, and adds an addendum. The exports of the signed note are fetched from the page.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import soundfile as sf
from playwright.async_api import Page, Playwright, expect

from benchmarks.sessions import render_session, session_ids
from tests.conftest import silence
from tests.e2e.helpers import ARTIFACTS, PageWatch, close_quietly, launch, poll, screenshot, sign_in
from tests.session_server.helpers import end_session, http_client, new_session, stream

SECONDS = 60.0
EDITED = "Client described feeling stuck about their drinking."
ADDENDUM = "Client called after the session to confirm the next appointment."


async def _replayed_session(url: str) -> str:
    rendered = render_session(session_ids(1)[0], max_seconds=SECONDS)
    sid = await new_session(url)
    await asyncio.gather(
        stream(url, sid, rendered.therapist, track="therapist"),
        stream(url, sid, rendered.client, track="client"),
    )
    await end_session(url, sid)
    return sid


# Controls a screen reader could not name: form fields without a label, buttons and links
# without text or aria-label (hidden ones aside).
UNLABELLED = """[...document.querySelectorAll('input, select, textarea, button, a[href]')]
  .filter((n) => n.getClientRects().length > 0)
  .filter((n) => {
    if (n.getAttribute('aria-label') || n.getAttribute('aria-labelledby')) return false;
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(n.tagName)) return !(n.labels?.length);
    return !n.textContent.trim();
  })
  .map((n) => n.outerHTML.slice(0, 80))"""


async def _keep_exports(url: str, sid: str) -> None:
    """The signed note's exports, beside the screenshots (samples for the record)."""
    ARTIFACTS.mkdir(exist_ok=True)
    async with http_client(url) as http:
        for ext in ("txt", "pdf", "fhir.json"):
            r = await http.get(f"/v1/sessions/{sid}/note/export.{ext}")
            assert r.status_code == 200, r.text
            (ARTIFACTS / f"review-export.{ext}").write_bytes(r.content)


async def _review(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = await page.evaluate("window.companion.review()")
    return state


async def test_review_edit_reject_sign_and_addendum(
    pw: Playwright, server: str, username: str, tmp_path: Path
) -> None:
    sid = await _replayed_session(server)
    async with http_client(server) as http:
        note = (await http.get(f"/v1/sessions/{sid}/note")).json()
    suggested = [i for s in note["sections"].values() for i in s if i["status"] == "suggested"]
    assert len(suggested) >= 2, "the replayed session should give a draft to review"

    mic = tmp_path / "silence.wav"
    sf.write(mic, silence(1.0), 16_000, subtype="PCM_16")
    context = await launch(pw, tmp_path / "profile", mic, server)
    watch = PageWatch()
    try:
        page = await context.new_page()
        watch.attach(page)
        await page.set_viewport_size({"width": 1280, "height": 1000})
        await page.goto(f"{server}/review?session={sid}")
        await sign_in(page, username)
        entry = page.locator(f"#awaiting-list button[data-session-id='{sid}']")
        await expect(entry).to_have_attribute("aria-current", "true")
        items = page.locator("#note-draft .note-item")
        await expect(items.first).to_be_visible()

        # Evidence: the item's quote is marked in the transcript, and focus moves there.
        first = items.first
        first_id = await first.get_attribute("data-item-id")
        await first.locator("button[data-action='evidence']").click()
        marked = page.locator("#review-transcript .evidence-highlight mark")
        await expect(marked.first).to_be_visible()
        item = next(i for i in suggested if i["id"] == first_id)
        assert await marked.first.text_content() == item["evidence"][0]["quote"]
        focused = await page.evaluate("document.activeElement.dataset.segmentId")
        assert focused == item["evidence"][0]["segment_id"]
        await screenshot(page, "review-evidence")

        # Edit the first item (its evidence stays), reject the second.
        await first.locator("button[data-action='edit']").click()
        await first.locator("textarea").fill(EDITED)
        await first.locator("button[type='submit']").click()
        edited = page.locator(f"#note-draft .note-item[data-item-id='{first_id}']")
        await expect(edited).to_have_attribute("data-status", "edited")
        await expect(edited.locator(".note-text")).to_have_text(EDITED)
        second = items.nth(1)
        second_id = await second.get_attribute("data-item-id")
        await second.locator("button[data-action='reject']").click()
        await expect(page.locator("#note-rejected-list li")).to_have_count(1)

        # Every other suggestion accepted: only the missing elements stand in the way.
        await page.click("#accept-rest-button")
        await poll(page, "window.companion.review().unreviewed === 0", "all decided")
        state = await _review(page)
        assert state["blocking"], "the replayed minute leaves required elements missing"
        await page.click("#sign-button")
        error = page.locator("#review-error")
        await expect(error).to_contain_text("not documented")
        assert (await _review(page))["state"] == "draft"

        # Complete it: the next appointment as the clinician's own item, the rest marked
        # as deliberately not assessed.
        plan = page.locator("#note-draft section[data-section='plan']")
        await plan.locator("summary").click()
        await plan.locator("select[name='kind']").select_option("next_appointment")
        await plan.locator("textarea[name='text']").fill("Next session in one week.")
        await plan.locator("button[type='submit']").click()
        await expect(
            page.locator("#review-required li[data-element='next_appointment']")
        ).to_have_attribute("data-present", "true")
        boxes = page.locator("#review-required input[type='checkbox']")
        for n in range(await boxes.count()):
            await boxes.nth(n).check()
        await poll(page, "window.companion.review().blocking.length === 0", "nothing missing")
        await expect(page.locator("#sign-blockers")).to_have_attribute("data-ready", "true")
        await screenshot(page, "review-ready")
        assert await page.evaluate(UNLABELLED) == [], "every control has an accessible name"

        # Sign with the keyboard.
        await page.focus("#sign-button")
        await page.keyboard.press("Enter")
        await poll(page, "window.companion.review().state === 'signed'", "signed")
        await expect(page.locator("#signature-line")).to_contain_text("Signed by")
        preview = await page.text_content("#note-preview")
        assert preview and EDITED in preview and "not assessed" in preview
        rejected = next(i for i in suggested if i["id"] == second_id)
        assert rejected["text"] not in preview

        # A signed note takes no edits: the buttons are off and the server refuses.
        assert await page.locator("#note-draft button[data-action='edit']").first.is_disabled()
        assert await page.locator("#sign-block").is_hidden()
        status = await page.evaluate(
            """async ([sid, id]) => (await fetch(`/v1/sessions/${sid}/note/items/${id}`, {
                method: 'PATCH', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({text: 'changed after signing'})})).status""",
            [sid, first_id],
        )
        assert status == 409

        # An addendum, signed and dated: a second version.
        await page.fill("#addendum-text", ADDENDUM)
        await page.click("#addendum-button")
        await expect(page.locator("#versions-list li")).to_have_count(2)
        assert (await _review(page))["versions"] == ["signature", "addendum"]
        await page.locator("#versions-list li").nth(1).locator("button").click()
        await expect(page.locator("#version-view")).to_contain_text(ADDENDUM)
        exported = await page.evaluate(
            "async (sid) => (await fetch(`/v1/sessions/${sid}/note/export.txt`)).text()", sid
        )
        assert EDITED in exported and ADDENDUM in exported and "ADDENDUM 1" in exported
        for link in ("#export-text", "#export-pdf", "#export-fhir"):
            href = await page.get_attribute(link, "href")
            assert href and href.startswith(f"/v1/sessions/{sid}/note/export.")
        await expect(page.locator(f"#signed-list button[data-session-id='{sid}']")).to_be_visible()
        await screenshot(page, "review-signed")
        await _keep_exports(server, sid)
        watch.check()
    finally:
        await close_quietly(context)
