"""Log guards: no WebSocket frame dumps, no usable ticket in access-log lines."""

from __future__ import annotations

import logging

from session_server.logs import DropFrameDumps, RedactTickets


def record(msg: str, args: tuple[object, ...]) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, msg, args, None)


def test_tickets_are_masked_in_access_lines() -> None:
    r = record(
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5000", "/v1/sessions/abc/audio?track=client&ticket=Zx_9-k&since=3"),
    )
    assert RedactTickets().filter(r)
    line = r.getMessage()
    assert "Zx_9-k" not in line and "ticket=***" in line and "since=3" in line


def test_frame_dumps_are_dropped_and_other_records_kept() -> None:
    assert not DropFrameDumps().filter(record("> %s", ('TEXT \'{"text":"…"}\'',)))
    assert DropFrameDumps().filter(record("connection open", ()))
