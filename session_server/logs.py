"""Logging guards: frame dumps of the WebSocket library carry transcript text (PHI)."""

from __future__ import annotations

import logging
import re

_FRAME_FORMATS = frozenset({"< %s", "> %s"})
_TICKET = re.compile(r"(ticket=)[^&\s\"]+")
_LOGGERS = ("uvicorn.error", "websockets.server", "websockets.protocol")


class DropFrameDumps(logging.Filter):
    """Drops the per-frame DEBUG records ("> TEXT '…'") that websockets emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in _FRAME_FORMATS


class RedactTickets(logging.Filter):
    """Access-log lines name the WebSocket URL: its single-use ticket is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _TICKET.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def install_log_guards() -> None:
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropFrameDumps) for f in logger.filters):
            logger.addFilter(DropFrameDumps())
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTickets) for f in logger.filters):
            logger.addFilter(RedactTickets())
