"""WhisperRecognizer on real speech segments, as the live path cuts them."""

from __future__ import annotations

import numpy as np
import pytest

from asr.recognizer import WhisperRecognizer
from companion.settings import VadConfig
from streaming.audio import Samples
from streaming.segmenter import DecodeKind, VadSegmenter
from tests.conftest import JFK_TEXT, normalize, silence, wer


def final_texts(recognizer: WhisperRecognizer, audio: Samples) -> list[str]:
    seg = VadSegmenter(VadConfig())
    requests = [r for i in range(0, len(audio), 1600) for r in seg.push(audio[i : i + 1600])]
    requests += seg.flush()
    return [
        recognizer.recognize(r.audio, final=True).text
        for r in requests
        if r.kind is DecodeKind.FINAL
    ]


def test_jfk_whole_clip(jfk: Samples, recognizer: WhisperRecognizer) -> None:
    result = recognizer.recognize(jfk, final=True)
    assert wer(JFK_TEXT, result.text) <= 0.1
    assert result.rejected == ""
    assert [w.start for w in result.words] == sorted(w.start for w in result.words)


@pytest.mark.parametrize("lead_s", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_leading_silence_does_not_change_the_transcript(
    lead_s: float, jfk: Samples, recognizer: WhisperRecognizer
) -> None:
    """A speaker who starts talking a moment after the stream opens is the common case;
    the first segment must not come out with its phrase repeated."""
    audio = np.concatenate([silence(lead_s), jfk, silence(1.0)])
    texts = final_texts(recognizer, audio)
    first = normalize(texts[0])
    assert first.count("fellow americans") <= 1, f"repeated output: {texts[0]!r}"
    assert wer(JFK_TEXT, " ".join(texts)) <= 0.15
