"""Incoming PCM: the stream header, frame validation and resampling to 16 kHz mono.

>>> fmt = StreamFormat(format="s16le", sample_rate=48000, channels=2)
>>> decoder = PcmDecoder(fmt, max_frame_ms=200)
>>> mono16k = Resampler(fmt.sample_rate).push(decoder.decode(frame_bytes))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import soxr
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from companion.errors import AudioFormatError, FrameTooLargeError
from companion.settings import TARGET_SAMPLE_RATE

Samples = NDArray[np.float32]

MIN_FRAME_MS = 10


class StreamFormat(BaseModel):
    """The first (text) message of an audio socket."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["s16le"]
    sample_rate: Literal[8000, 16000, 24000, 44100, 48000]
    channels: Literal[1, 2]


class PcmDecoder:
    """Validates binary frames against the declared format and returns mono float32.

    A frame must hold whole sample frames (all channels) and last between 10 ms and
    ``max_frame_ms``; anything else raises :class:`AudioFormatError` or
    :class:`FrameTooLargeError`.
    """

    def __init__(self, fmt: StreamFormat, max_frame_ms: int = 200) -> None:
        self.fmt = fmt
        self._bytes_per_frame = 2 * fmt.channels
        # 44.1 kHz has no whole number of samples per 10 ms: allow the floor.
        self._min_samples = fmt.sample_rate * MIN_FRAME_MS // 1000
        self._max_samples = fmt.sample_rate * max_frame_ms // 1000
        self.max_bytes = self._max_samples * self._bytes_per_frame

    def decode(self, data: bytes) -> Samples:
        if len(data) > self.max_bytes:
            raise FrameTooLargeError(f"frame of {len(data)} bytes exceeds {self.max_bytes} bytes")
        if len(data) % self._bytes_per_frame:
            raise AudioFormatError(
                f"frame of {len(data)} bytes is not a whole number of "
                f"{self._bytes_per_frame}-byte sample frames"
            )
        n = len(data) // self._bytes_per_frame
        if n < self._min_samples:
            raise AudioFormatError(f"frame of {n} samples is shorter than {MIN_FRAME_MS} ms")
        pcm = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
        if self.fmt.channels == 2:
            pcm = pcm.reshape(-1, 2).mean(axis=1, dtype=np.float32)
        return pcm


class Decimator:
    """Decimation by a whole factor with a linear-phase FIR: about 2 ms of delay.

    soxr's streaming resampler holds back about 30 ms at 48 kHz → 16 kHz; for the rates
    browsers and WebRTC deliver (48 and 32 kHz) this filter does the same job with a
    fraction of the delay. Kaiser-windowed sinc, cut-off at 0.45 of the output rate,
    about 80 dB of stop-band attenuation. Output sample k is input sample ``factor * k``
    (the filter's delay is compensated), so audio time stays exact.
    """

    def __init__(self, factor: int) -> None:
        self.factor = factor
        half = 32 * factor
        n = np.arange(-half, half + 1)
        cutoff = 0.45 / factor  # cycles per input sample
        taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(len(n), 8.0)
        self._taps = (taps / taps.sum()).astype(np.float32)
        self._history = np.zeros(2 * half, dtype=np.float32)
        self._skip = half  # the first kept output is centred on input sample 0

    def push(self, samples: Samples) -> Samples:
        buf = np.concatenate([self._history, samples.astype(np.float32, copy=False)])
        # Only the kept outputs are computed: one window of the input per output sample
        # (the taps are symmetric, so no reversal is needed).
        windows = np.lib.stride_tricks.sliding_window_view(buf, len(self._taps))
        out = windows[self._skip :: self.factor] @ self._taps
        self._skip = (self._skip - len(windows)) % self.factor
        self._history = buf[len(buf) - len(self._history) :]
        return np.ascontiguousarray(out, dtype=np.float32)

    def flush(self) -> Samples:
        return self.push(np.zeros(len(self._history) // 2, dtype=np.float32))


class Resampler:
    """Streaming resampler to 16 kHz; identity at 16 kHz.

    A stage: ``push`` returns the output made available by the input, ``flush``
    what the filter still holds. Whole-factor rates (48 and 32 kHz: WebRTC and most
    browsers) go through the low-delay :class:`Decimator`; others through soxr (HQ).
    """

    def __init__(self, in_rate: int, out_rate: int = TARGET_SAMPLE_RATE) -> None:
        factor, rest = divmod(in_rate, out_rate)
        self._decimator = Decimator(factor) if factor > 1 and not rest else None
        self._stream = (
            None
            if in_rate == out_rate or self._decimator is not None
            else soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality="HQ")
        )

    def push(self, samples: Samples) -> Samples:
        if self._decimator is not None:
            return self._decimator.push(samples)
        if self._stream is None:
            return samples
        return np.asarray(self._stream.resample_chunk(samples), dtype=np.float32)

    def flush(self) -> Samples:
        if self._decimator is not None:
            return self._decimator.flush()
        if self._stream is None:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(
            self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True),
            dtype=np.float32,
        )
