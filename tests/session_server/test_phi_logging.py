"""No transcript text (PHI) ever reaches a log record, an error event or a close reason."""

from __future__ import annotations

import asyncio
import logging
import uuid

from streaming.audio import Samples
from tests.conftest import JFK_TEXT, wer
from tests.session_server.helpers import (
    audio_path,
    capture_logs,
    close_of,
    collect_until_ended,
    finals_text,
    header,
    http_client,
    new_session,
    set_consent,
    stream_paced,
)

# Words of the JFK sentence that no log line has any other reason to contain.
PHI_WORDS = ("Americans", "fellow", "country")
# The test's own WebSocket client (not the service) logs what it receives at DEBUG.
CLIENT_LOGGERS = ("websockets.client",)


async def test_no_transcript_text_in_logs_or_close_reasons(server: str, jfk: Samples) -> None:
    reasons: list[str] = []
    with capture_logs(logging.DEBUG) as logs:
        sid = await new_session(server)
        collector = asyncio.create_task(collect_until_ended(server, sid))
        await asyncio.sleep(0.1)
        code, reason = await stream_paced(server, sid, jfk, speed=8.0)
        # Failures on the same session while it holds transcript text.
        for messages in [("not json",), (header(), b"\x00"), (header(), bytes(20000))]:
            reasons.append((await close_of(server, audio_path(sid), messages))[1])
        reasons.append((await close_of(server, audio_path(uuid.uuid4().hex)))[1])
        async with http_client(server, timeout=120) as http:
            bad = await http.post(f"/v1/sessions/{sid}/consent", json={"party": "x"})
            details = [bad.text]
            end = await asyncio.wait_for(http.post(f"/v1/sessions/{sid}/end"), 60)
            details.append(end.text)
            late = await set_consent(server, sid, "client", False)
            assert late.status_code == 409
            details.append(late.text)
        events = await asyncio.wait_for(collector, 120)
    # The session really was transcribed, so there was PHI to leak.
    assert code == 1000
    assert wer(JFK_TEXT, finals_text(events)) <= 0.15
    assert any(w.lower() in finals_text(events).lower() for w in PHI_WORDS)
    # Logging really was on, at DEBUG, for the server too.
    names = {r.name for r in logs.records}
    assert logs.records and any(r.levelno == logging.DEBUG for r in logs.records)
    assert any(n.startswith("uvicorn") for n in names), names
    leaks = {
        t.split(" ", 1)[0]: t[:200]
        for word in PHI_WORDS
        for t in logs.matching(word, skip=CLIENT_LOGGERS)
    }
    assert leaks == {}, "transcript text in the logs of: " + ", ".join(sorted(leaks))
    for word in PHI_WORDS:
        assert not [r for r in reasons if word.lower() in r.lower()]
        assert not [d for d in details if word.lower() in d.lower()]
    errors = [e for e in events if e["type"] == "error"]
    assert not [e for e in errors for w in PHI_WORDS if w.lower() in str(e).lower()]
    assert len(reasons) == 4 and all(reasons), "every error close carries a reason"
    assert not [w for w in PHI_WORDS if w.lower() in reason.lower()]
