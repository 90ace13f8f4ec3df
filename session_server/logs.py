"""Logging guards: frame dumps of the WebSocket library carry transcript text (PHI)."""

from __future__ import annotations

import logging

_FRAME_FORMATS = frozenset({"< %s", "> %s"})
_LOGGERS = ("uvicorn.error", "websockets.server", "websockets.protocol")


class DropFrameDumps(logging.Filter):
    """Drops the per-frame DEBUG records ("> TEXT '…'") that websockets emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in _FRAME_FORMATS


def install_log_guards() -> None:
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropFrameDumps) for f in logger.filters):
            logger.addFilter(DropFrameDumps())
