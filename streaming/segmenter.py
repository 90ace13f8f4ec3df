"""VAD-gated segmentation: turns a 16 kHz stream into decode requests for speech only.

For every segment of speech the segmenter asks for

* ``PARTIAL`` decodes while speech goes on (every ``partial_interval_s`` of audio),
* one ``SPECULATIVE`` decode as soon as a short pause begins (``speculative_after_s``),
* one ``FINAL`` decode at the endpoint (``endpoint_silence_s`` of silence) or at the
  length cap, cut at the least speech-like frame.

The speculative and the final request of a pause cover exactly the same samples, so
a driver may answer the final with the speculative result and the final costs no
extra latency. Silence produces no request at all.

>>> seg = VadSegmenter(VadConfig())
>>> requests = seg.push(audio_16k)  # doctest: +SKIP
>>> requests += seg.flush()         # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from companion.settings import TARGET_SAMPLE_RATE, VadConfig
from streaming.audio import Samples
from streaming.vad import VAD_FRAME, SileroVad


class DecodeKind(StrEnum):
    PARTIAL = "partial"
    SPECULATIVE = "speculative"
    FINAL = "final"


@dataclass(frozen=True, slots=True, eq=False)
class SpeechSegment:
    """Audio of one segment (so far) and what kind of decode it asks for.

    ``start_sample`` counts 16 kHz samples from the track's first sample.
    """

    index: int
    kind: DecodeKind
    start_sample: int
    audio: Samples
    segment_start_sample: int  # a partial may cover only the phrase after a pause

    @property
    def end_sample(self) -> int:
        return self.start_sample + len(self.audio)


def _frames(seconds: float) -> int:
    return max(1, math.ceil(seconds * TARGET_SAMPLE_RATE / VAD_FRAME))


class VadSegmenter:
    """A pipeline stage: 16 kHz samples in, :class:`SpeechSegment` requests out."""

    def __init__(self, config: VadConfig, vad: SileroVad | None = None) -> None:
        self.config = config
        self._vad = vad or SileroVad()
        self._endpoint = _frames(config.endpoint_silence_s)
        self._post_pad = min(_frames(config.speculative_after_s), self._endpoint)
        self._max_frames = _frames(config.max_segment_s)
        self._min_voiced = _frames(config.min_speech_s)
        self._partial_every = _frames(config.partial_interval_s)
        self._pending = np.zeros(0, dtype=np.float32)
        self._frame_index = 0  # index of the next VAD frame in the track
        self._pre: deque[Samples] = deque(maxlen=_frames(config.pre_roll_s) + 1)
        self._index = 0
        # The speech probability of each frame the last push completed: another stage
        # on the same track (the diarizer) reuses them instead of running the VAD again.
        self.last_probs: list[float] = []
        self._reset_segment()

    def _reset_segment(self) -> None:
        self._frames: list[Samples] = []
        self._probs: list[float] = []
        self._start_frame = 0
        self._last_voiced = -1  # frame offset within the segment
        self._voiced = 0
        self._last_request = 0
        self._speculated_for = -1
        self._phrase = 0  # first frame after the last speculative decode's audio

    @property
    def in_speech(self) -> bool:
        return bool(self._frames)

    def push(self, samples: Samples) -> Sequence[SpeechSegment]:
        """Feed 16 kHz mono samples; returns the requests they complete."""
        buf = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        n = len(buf) // VAD_FRAME
        self._pending = buf[n * VAD_FRAME :].copy()
        out: list[SpeechSegment] = []
        self.last_probs = []
        for i in range(n):
            frame = buf[i * VAD_FRAME : (i + 1) * VAD_FRAME]
            prob = self._vad.prob(frame)
            self.last_probs.append(prob)
            out.extend(self._on_frame(frame, prob))
            self._frame_index += 1
        return out

    def flush(self) -> Sequence[SpeechSegment]:
        """End of input: the open segment, if it holds enough speech, becomes final."""
        if not self.in_speech:
            return []
        end = min(self._last_voiced + 1 + self._post_pad, len(self._frames))
        return self._finish(end)

    def _on_frame(self, frame: Samples, prob: float) -> list[SpeechSegment]:
        cfg = self.config
        if not self.in_speech:
            self._pre.append(frame)
            if prob < cfg.threshold:
                return []
            self._frames = list(self._pre)
            self._probs = [0.0] * (len(self._frames) - 1) + [prob]
            self._start_frame = self._frame_index - len(self._frames) + 1
            self._pre.clear()
            self._last_voiced = len(self._frames) - 1
            self._voiced = 1
            return []
        self._frames.append(frame)
        self._probs.append(prob)
        here = len(self._frames) - 1
        if prob >= cfg.neg_threshold:
            self._last_voiced = here
            self._voiced += 1
        silent = here - self._last_voiced
        if silent >= self._endpoint:
            return self._finish(self._last_voiced + 1 + self._post_pad)
        if silent >= self._post_pad and self._speculated_for != self._last_voiced:
            self._speculated_for = self._last_voiced
            self._last_request = len(self._frames)
            if self._voiced >= self._min_voiced:
                end = self._last_voiced + 1 + self._post_pad
                self._phrase = end
                return [self._request(DecodeKind.SPECULATIVE, 0, end)]
            return []
        if len(self._frames) >= self._max_frames:
            return self._cut()
        if silent == 0 and len(self._frames) - self._last_request >= self._partial_every:
            self._last_request = len(self._frames)
            # Only the phrase since the last pause is new: the speculative decode
            # already covers what came before it.
            # A phrase shorter than the interval decodes badly alone: take it all then.
            long_enough = len(self._frames) - self._phrase >= self._partial_every
            begin = self._phrase if long_enough else 0
            return [self._request(DecodeKind.PARTIAL, begin, len(self._frames))]
        return []

    def _request(self, kind: DecodeKind, begin: int, end: int) -> SpeechSegment:
        audio = np.concatenate(self._frames[begin:end])
        start = (self._start_frame + begin) * VAD_FRAME
        return SpeechSegment(self._index, kind, start, audio, self._start_frame * VAD_FRAME)

    def _finish(self, end: int) -> list[SpeechSegment]:
        out = []
        if self._voiced >= self._min_voiced:
            out.append(self._request(DecodeKind.FINAL, 0, end))
            self._index += 1
        self._pre.extend(self._frames[-self._pre.maxlen :] if self._pre.maxlen else [])
        self._reset_segment()
        return out

    def _cut(self) -> list[SpeechSegment]:
        """Length cap reached: cut at the least speech-like frame of the last third."""
        lo = len(self._frames) * 2 // 3
        cut = lo + int(np.argmin(self._probs[lo:]))
        final = self._request(DecodeKind.FINAL, 0, cut + 1)
        self._index += 1
        rest_frames, rest_probs = self._frames[cut + 1 :], self._probs[cut + 1 :]
        start = self._start_frame + cut + 1
        self._reset_segment()
        self._frames, self._probs, self._start_frame = rest_frames, rest_probs, start
        voiced = [i for i, p in enumerate(rest_probs) if p >= self.config.neg_threshold]
        self._last_voiced = voiced[-1] if voiced else -1
        self._voiced = len(voiced)
        if not self._frames:
            self._reset_segment()
        return [final]
