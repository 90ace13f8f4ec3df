"""Audio over a WebRTC data channel: the low-latency path for Chromium browsers.

aiortc's media path holds each received audio packet until four newer ones have arrived
(a fixed jitter buffer: 40 ms with 10 ms packets, 80 ms with the usual 20 ms). A browser
with WebCodecs can instead encode Opus itself and send each 10 ms packet on an
unordered data channel without retransmissions (UDP semantics, as RTP has), on the same
peer connection; this module decodes each packet with aiortc's Opus decoder as it arrives.

A message is a 4-byte big-endian sequence number followed by one Opus packet. A gap in
the sequence (packets lost) becomes silence of the same length, so audio time stays
exact; a packet older than the newest one seen is dropped (it arrived out of order).
Messages wait in a bounded queue (policy: drop the newest, counted in ``dropped``).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import AsyncIterator

import av
import numpy as np
from aiortc import RTCDataChannel
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterFrame

from streaming.audio import Samples
from streaming.frames import frame_to_mono

log = logging.getLogger(__name__)

LABEL_PREFIX = "audio:"
SEQUENCE = struct.Struct(">I")
OPUS_RATE = 48_000
MAX_MESSAGE_BYTES = 4_000  # an Opus packet of 10-60 ms is a few hundred bytes
MAX_FILLED_GAP = 300  # packets (3 s at 10 ms); a longer jump is a discontinuity, not loss
QUEUE_MESSAGES = 200  # 2 s of 10 ms packets


class ChannelAudio:
    """One data channel's audio, as 48 kHz mono chunks with losses filled by silence."""

    def __init__(self, channel: RTCDataChannel, max_queue: int = QUEUE_MESSAGES) -> None:
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(max_queue)
        self.dropped = 0  # messages refused because the queue was full
        self.malformed = 0  # messages that were not a sequence number and an Opus packet
        self.lost = 0  # packets missing from the sequence
        channel.on("message", self._on_message)
        channel.on("close", self._on_close)

    def _on_message(self, message: bytes | str) -> None:
        if not isinstance(message, bytes) or not SEQUENCE.size < len(message) <= MAX_MESSAGE_BYTES:
            self.malformed += 1
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1

    def _on_close(self) -> None:
        while True:
            try:
                self._queue.put_nowait(None)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()  # the end must get in; the oldest audio gives way
                self.dropped += 1

    async def chunks(self) -> AsyncIterator[tuple[int, Samples]]:
        """(sample rate, mono samples) per packet, until the channel closes."""
        decoder = OpusDecoder()
        expected: int | None = None
        packet_samples = OPUS_RATE // 100
        while (message := await self._queue.get()) is not None:
            (seq,) = SEQUENCE.unpack_from(message)
            if expected is not None:
                gap = (seq - expected) & 0xFFFFFFFF
                if gap >= 1 << 31:
                    continue  # older than what was already played out
                if gap:
                    self.lost += gap
                    if gap <= MAX_FILLED_GAP:
                        yield OPUS_RATE, np.zeros(gap * packet_samples, np.float32)
            expected = (seq + 1) & 0xFFFFFFFF
            try:
                frames = decoder.decode(JitterFrame(message[SEQUENCE.size :], 0))
            except Exception:  # not Opus: count it and treat it as lost
                self.malformed += 1
                yield OPUS_RATE, np.zeros(packet_samples, np.float32)
                continue
            for frame in frames:
                assert isinstance(frame, av.AudioFrame)
                packet_samples = frame.samples
                yield frame.sample_rate, frame_to_mono(frame)
