"""Whole-file transcription (``companion transcribe``): faster-whisper's own long-form path."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from faster_whisper import WhisperModel

from asr.recognizer import Word
from companion.errors import AudioFormatError
from companion.settings import TARGET_SAMPLE_RATE
from streaming.audio import Samples


@dataclass(frozen=True, slots=True)
class FileSegment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...]


def load_audio(path: Path) -> Samples:
    """Any file libsndfile reads, as 16 kHz mono float32."""
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioFormatError(f"cannot read audio file {path.name}") from exc
    mono: Samples = data.mean(axis=1, dtype=np.float32)
    if rate != TARGET_SAMPLE_RATE:
        mono = soxr.resample(mono, rate, TARGET_SAMPLE_RATE, quality="HQ").astype(np.float32)
    return mono


def transcribe_file(
    model: WhisperModel,
    audio: Samples,
    beam_size: int = 5,
    progress: Callable[[float], None] | None = None,
) -> Iterator[FileSegment]:
    """Segments as they are decoded; ``progress`` gets the seconds done so far."""
    segments, _ = model.transcribe(
        audio,
        language="en",
        beam_size=beam_size,
        word_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    for s in segments:
        words = tuple(
            Word(w.word.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 4))
            for w in s.words or ()
        )
        if progress:
            progress(s.end)
        yield FileSegment(round(s.start, 3), round(s.end, 3), s.text.strip(), words)


def _clock(t: float, sep: str) -> str:
    ms = round(t * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render(segments: list[FileSegment], fmt: str) -> str:
    if fmt == "txt":
        return "\n".join(s.text for s in segments) + "\n"
    if fmt == "json":
        return json.dumps({"segments": [asdict(s) for s in segments]}, indent=2) + "\n"
    if fmt == "srt":
        return "\n".join(
            f"{i}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text}\n"
            for i, s in enumerate(segments, 1)
        )
    if fmt == "vtt":
        return "WEBVTT\n\n" + "\n".join(
            f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text}\n" for s in segments
        )
    raise ValueError(f"unknown format {fmt}")
