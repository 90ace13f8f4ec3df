"""Turns segment requests and recognitions into partial and final transcript updates.

A pure object (no I/O, no clock): it remembers the speculative result of each open
segment, composes a phrase partial (audio after a pause) with the text before it,
withdraws a shown partial whose final came out empty, and moves word times from the
decoded audio onto the track's clock.

>>> asm = TranscriptAssembler()
>>> updates = asm.accept(request, recognizer.recognize(request.audio))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from asr.recognizer import Recognition, Word
from companion.settings import TARGET_SAMPLE_RATE
from streaming.segmenter import DecodeKind, SpeechSegment


@dataclass(frozen=True, slots=True)
class TranscriptUpdate:
    """Text of one segment; times in seconds from the track's first sample."""

    segment_index: int
    final: bool
    start: float
    end: float
    text: str
    words: tuple[Word, ...]


class TranscriptAssembler:
    def __init__(self) -> None:
        self._speculative: dict[int, tuple[int, Recognition]] = {}
        self._shown: set[int] = set()

    def accept(self, request: SpeechSegment, rec: Recognition) -> list[TranscriptUpdate]:
        i = request.index
        start = request.segment_start_sample / TARGET_SAMPLE_RATE
        end = request.end_sample / TARGET_SAMPLE_RATE
        if request.kind is DecodeKind.FINAL:
            self._speculative.pop(i, None)
            shown = i in self._shown
            self._shown.discard(i)
            if not rec.text:
                # An empty partial withdraws what the screen shows for this segment.
                return [TranscriptUpdate(i, False, start, end, "", ())] if shown else []
            offset = request.start_sample / TARGET_SAMPLE_RATE
            words = tuple(
                replace(
                    w,
                    text=w.text.strip(),
                    start=round(w.start + offset, 3),
                    end=round(w.end + offset, 3),
                )
                for w in rec.words
            )
            return [TranscriptUpdate(i, True, start, end, rec.text, words)]
        text = rec.text
        if request.kind is DecodeKind.SPECULATIVE:
            self._speculative[i] = (request.end_sample, rec)
        elif request.start_sample > request.segment_start_sample:
            before = self._speculative.get(i)
            text = f"{before[1].text} {text}".strip() if before else text
        if not text:
            return []
        self._shown.add(i)
        return [TranscriptUpdate(i, False, start, end, text, ())]
