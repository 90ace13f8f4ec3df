"""VadSegmenter on real speech: JFK and LibriSpeech with silence around them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest

from asr.recognizer import WhisperRecognizer, Word
from companion.settings import VadConfig
from streaming.audio import Samples
from streaming.segmenter import DecodeKind, SpeechSegment, VadSegmenter
from streaming.vad import VAD_FRAME
from tests.conftest import JFK_TEXT, silence, wer

SR = 16000
LEAD = 1.0  # seconds of silence before the speech


@dataclass
class Run:
    pushed: list[SpeechSegment]  # requests returned by push(), in order
    flushed: list[SpeechSegment]  # requests returned by flush()
    first_request_at: float | None  # seconds of input pushed when the first request came

    @property
    def all(self) -> list[SpeechSegment]:
        return self.pushed + self.flushed

    def finals(self) -> list[SpeechSegment]:
        return [r for r in self.all if r.kind is DecodeKind.FINAL]


def run(audio: Samples, config: VadConfig | None = None, chunk: int = 1600) -> Run:
    seg = VadSegmenter(config or VadConfig())
    pushed: list[SpeechSegment] = []
    first = None
    for i in range(0, len(audio), chunk):
        out = seg.push(audio[i : i + chunk])
        if out and first is None:
            first = (i + chunk) / SR
        pushed.extend(out)
    return Run(pushed, list(seg.flush()), first)


def with_silence(speech: Samples, after: float = 1.5) -> Samples:
    return np.concatenate([silence(LEAD), speech, silence(after)])


@pytest.fixture(scope="module")
def jfk_words(jfk: Samples, recognizer: WhisperRecognizer) -> list[Word]:
    """Word times of the whole JFK clip, from the offline recognizer, shifted by LEAD."""
    words = recognizer.recognize(jfk, final=True).words
    assert len(words) >= 20
    return [Word(w.text, w.start + LEAD, w.end + LEAD, w.probability) for w in words]


def uncovered(words: list[Word], segments: list[SpeechSegment]) -> list[str]:
    """Words that overlap no segment (Whisper's word times absorb pauses, so a word's
    interval may reach into a gap between segments; it must still touch one)."""
    spans = [(s.start_sample / SR, s.end_sample / SR) for s in segments]
    return [w.text for w in words if not any(a < w.end and w.start < b for a, b in spans)]


def transcribe(recognizer: WhisperRecognizer, segments: list[SpeechSegment]) -> str:
    return " ".join(recognizer.recognize(s.audio, final=True).text for s in segments)


def test_pure_silence_asks_for_nothing() -> None:
    r = run(silence(5.0))
    assert r.all == []


def test_quiet_noise_asks_for_nothing() -> None:
    noise = np.random.default_rng(3).standard_normal(5 * SR).astype(np.float32) * 0.003
    assert run(noise).all == []


def test_jfk_finals_cover_the_speech(
    jfk: Samples, jfk_words: list[Word], recognizer: WhisperRecognizer
) -> None:
    audio = with_silence(jfk)
    r = run(audio)
    finals = r.finals()
    assert len(finals) >= 2
    # No request before speech begins.
    assert r.first_request_at is not None and r.first_request_at > jfk_words[0].start
    assert uncovered(jfk_words, finals) == []
    # Decoding only the finals' audio gives the whole sentence: no speech was left out.
    assert wer(JFK_TEXT, transcribe(recognizer, finals)) <= 0.1
    # Finals are numbered in order, do not overlap, and stay inside the input.
    assert [f.index for f in finals] == list(range(len(finals)))
    for a, b in itertools.pairwise(finals):
        assert a.end_sample <= b.start_sample
    assert finals[0].start_sample >= (LEAD - 0.5) * SR
    assert finals[-1].end_sample <= len(audio)
    # Only a little silence is kept around the speech.
    assert finals[0].start_sample / SR >= jfk_words[0].start - 0.6
    assert finals[-1].end_sample / SR <= jfk_words[-1].end + 0.8
    # The trailing silence ends the last segment: flush has nothing left.
    assert r.flushed == []


def test_request_audio_is_the_input_audio(jfk: Samples) -> None:
    audio = with_silence(jfk)
    for req in run(audio).all:
        assert req.audio.dtype == np.float32
        assert len(req.audio) % VAD_FRAME == 0
        np.testing.assert_array_equal(req.audio, audio[req.start_sample : req.end_sample])
        assert req.segment_start_sample <= req.start_sample


def test_a_speculative_request_precedes_each_silence_endpoint(jfk: Samples) -> None:
    r = run(with_silence(jfk))
    finals = [q for q in r.pushed if q.kind is DecodeKind.FINAL]
    assert len(finals) >= 2
    for final in finals:
        pos = r.pushed.index(final)
        earlier = [
            q for q in r.pushed[:pos] if q.kind is DecodeKind.SPECULATIVE and q.index == final.index
        ]
        assert earlier, f"segment {final.index} has no speculative decode"
        spec = earlier[-1]
        assert spec.end_sample == final.end_sample
        assert spec.start_sample == final.start_sample
        np.testing.assert_array_equal(spec.audio, final.audio)


def test_partials_come_while_speech_goes_on(jfk: Samples) -> None:
    r = run(with_silence(jfk))
    for final in r.finals():
        partials = [q for q in r.pushed if q.kind is DecodeKind.PARTIAL and q.index == final.index]
        for p in partials:
            assert final.start_sample <= p.start_sample < p.end_sample <= final.end_sample + SR
        if (final.end_sample - final.start_sample) / SR > 1.5:
            assert partials, f"a {final.end_sample - final.start_sample} sample segment had none"


def test_flush_finishes_speech_cut_off_by_the_end_of_input(jfk: Samples) -> None:
    # JFK is mid-word at 4 s ("ask not what").
    r = run(np.concatenate([silence(LEAD), jfk[: 4 * SR]]))
    assert len(r.flushed) == 1
    last = r.flushed[0]
    assert last.kind is DecodeKind.FINAL
    assert last.end_sample <= (LEAD + 4) * SR
    assert last.start_sample < (LEAD + 4) * SR - SR // 2
    assert all(last.index > q.index for q in r.finals() if q is not last)


def test_segmenting_does_not_depend_on_chunk_size(jfk: Samples) -> None:
    audio = with_silence(jfk)

    def spans(chunk: int) -> list[tuple[int, int]]:
        return [(f.start_sample, f.end_sample) for f in run(audio, chunk=chunk).finals()]

    assert spans(1600) == spans(160) == spans(16000)


@pytest.mark.parametrize("clip", ["jfk", "librispeech"])
def test_segments_never_exceed_max_segment_s(
    clip: str,
    jfk: Samples,
    librispeech: list[tuple[Samples, str]],
    recognizer: WhisperRecognizer,
) -> None:
    speech = jfk if clip == "jfk" else librispeech[0][0]  # 10.4 s with few pauses
    config = VadConfig(max_segment_s=4)
    r = run(with_silence(speech), config)
    assert r.all
    for req in r.all:
        assert len(req.audio) <= config.max_segment_s * SR, (req.kind, len(req.audio) / SR)
    finals = r.finals()
    # Nothing is lost at a cut: the finals' audio still holds the whole utterance.
    reference = JFK_TEXT if clip == "jfk" else librispeech[0][1]
    # A cut inside a word makes both halves harder to hear, and tiny.en's decode of the
    # last piece varies between otherwise identical runs (0.04 in most, 0.18 in some full
    # suite runs: "flour-ffff…" for "flour-fattened sauce"). A lost segment would cost far
    # more (a third of this utterance).
    assert wer(reference, transcribe(recognizer, finals)) <= 0.2
    if clip == "librispeech":
        # The cap forced at least one cut; the next segment starts where the cut ended.
        cuts = [(a, b) for a, b in itertools.pairwise(finals) if a.end_sample == b.start_sample]
        assert cuts, "a 10 s utterance must be cut at 4 s"
