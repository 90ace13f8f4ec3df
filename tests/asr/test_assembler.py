"""TranscriptAssembler: from requests and recognitions to partial and final updates."""

from __future__ import annotations

import numpy as np

from asr.assembler import TranscriptAssembler, TranscriptUpdate
from asr.recognizer import Recognition, WhisperRecognizer, Word
from companion.settings import VadConfig
from streaming.audio import Samples
from streaming.segmenter import DecodeKind, SpeechSegment, VadSegmenter
from tests.conftest import JFK_TEXT, silence, wer

SR = 16000


def req(
    kind: DecodeKind, index: int, start_s: float, end_s: float, segment_start_s: float
) -> SpeechSegment:
    audio = np.zeros(round((end_s - start_s) * SR), dtype=np.float32)
    return SpeechSegment(index, kind, round(start_s * SR), audio, round(segment_start_s * SR))


def rec(text: str, words: tuple[Word, ...] = ()) -> Recognition:
    return Recognition(text, words, no_speech_prob=0.01, avg_logprob=-0.2, compression_ratio=1.1)


HELLO = (Word(" hello", 0.1, 0.4, 0.9), Word(" there", 0.5, 0.9, 0.8))


def test_speculative_shows_a_partial_then_final_moves_words_onto_the_track_clock() -> None:
    asm = TranscriptAssembler()
    spec = req(DecodeKind.SPECULATIVE, 0, 1.0, 3.0, 1.0)
    final = req(DecodeKind.FINAL, 0, 1.0, 3.0, 1.0)
    result = rec("Hello there.", HELLO)
    assert asm.accept(spec, result) == [TranscriptUpdate(0, False, 1.0, 3.0, "Hello there.", ())]
    [update] = asm.accept(final, result)
    assert update.final
    assert (update.segment_index, update.start, update.end) == (0, 1.0, 3.0)
    assert update.text == "Hello there."
    assert [(w.text, w.start, w.end) for w in update.words] == [
        ("hello", 1.1, 1.4),
        ("there", 1.5, 1.9),
    ]
    assert [w.probability for w in update.words] == [0.9, 0.8]


def test_word_offset_uses_the_request_start_not_the_segment_start() -> None:
    asm = TranscriptAssembler()
    # A final that begins later than its segment (e.g. after a length cut).
    [update] = asm.accept(req(DecodeKind.FINAL, 3, 12.5, 14.0, 12.0), rec("Hello there.", HELLO))
    assert update.start == 12.0 and update.end == 14.0
    assert [(w.start, w.end) for w in update.words] == [(12.6, 12.9), (13.0, 13.4)]


def test_a_phrase_partial_is_composed_with_the_speculative_text_before_it() -> None:
    asm = TranscriptAssembler()
    asm.accept(req(DecodeKind.SPECULATIVE, 2, 5.0, 6.5, 5.0), rec("Ask not"))
    # Speech resumed after the pause: the partial covers only the new phrase.
    [update] = asm.accept(req(DecodeKind.PARTIAL, 2, 6.5, 7.5, 5.0), rec("what your country"))
    assert update == TranscriptUpdate(2, False, 5.0, 7.5, "Ask not what your country", ())
    # A whole-segment partial is shown as it is.
    [whole] = asm.accept(req(DecodeKind.PARTIAL, 2, 5.0, 8.0, 5.0), rec("Ask not what"))
    assert whole.text == "Ask not what"


def test_phrase_partial_without_a_speculative_stands_alone() -> None:
    asm = TranscriptAssembler()
    [update] = asm.accept(req(DecodeKind.PARTIAL, 0, 2.0, 3.0, 1.0), rec("can do"))
    assert update.text == "can do" and update.start == 1.0 and not update.final


def test_segments_do_not_share_speculative_text() -> None:
    asm = TranscriptAssembler()
    asm.accept(req(DecodeKind.SPECULATIVE, 0, 0.0, 1.0, 0.0), rec("first"))
    [update] = asm.accept(req(DecodeKind.PARTIAL, 1, 3.0, 4.0, 2.0), rec("second"))
    assert update.text == "second"


def test_an_empty_final_withdraws_a_shown_partial() -> None:
    asm = TranscriptAssembler()
    asm.accept(req(DecodeKind.PARTIAL, 4, 1.0, 2.0, 1.0), rec("uh"))
    assert asm.accept(req(DecodeKind.FINAL, 4, 1.0, 2.5, 1.0), rec("")) == [
        TranscriptUpdate(4, False, 1.0, 2.5, "", ())
    ]
    # Withdrawn once: a repeated empty final has nothing left to withdraw.
    assert asm.accept(req(DecodeKind.FINAL, 4, 1.0, 2.5, 1.0), rec("")) == []


def test_an_empty_final_with_nothing_shown_emits_nothing() -> None:
    asm = TranscriptAssembler()
    assert asm.accept(req(DecodeKind.FINAL, 0, 1.0, 2.0, 1.0), rec("")) == []
    assert asm.accept(req(DecodeKind.PARTIAL, 1, 3.0, 4.0, 3.0), rec("")) == []
    assert asm.accept(req(DecodeKind.SPECULATIVE, 1, 3.0, 4.0, 3.0), rec("")) == []
    assert asm.accept(req(DecodeKind.FINAL, 1, 3.0, 4.0, 3.0), rec("")) == []


def test_real_segments_and_recognitions_give_the_jfk_sentence(
    jfk: Samples, recognizer: WhisperRecognizer
) -> None:
    """The synchronous stages chained by hand: segmenter → recognizer → assembler."""
    audio = np.concatenate([jfk, silence(1.0)])
    seg, asm = VadSegmenter(VadConfig()), TranscriptAssembler()
    updates: list[TranscriptUpdate] = []
    requests = []
    for i in range(0, len(audio), 1600):
        requests.extend(seg.push(audio[i : i + 1600]))
    requests.extend(seg.flush())
    cache: dict[int, tuple[int, Recognition]] = {}
    for r in requests:
        hit = cache.get(r.index)
        if r.kind is DecodeKind.FINAL and hit and hit[0] == r.end_sample:
            result = hit[1]  # the driver answers the final with the speculative decode
        else:
            result = recognizer.recognize(r.audio, final=r.kind is not DecodeKind.PARTIAL)
        if r.kind is DecodeKind.SPECULATIVE:
            cache[r.index] = (r.end_sample, result)
        updates.extend(asm.accept(r, result))
    finals = [u for u in updates if u.final]
    assert wer(JFK_TEXT, " ".join(u.text for u in finals)) <= 0.15
    assert any(not u.final and u.text for u in updates)
    for u in finals:
        assert u.words
        assert all(u.start - 0.3 <= w.start <= w.end <= u.end + 0.3 for w in u.words)
        assert all(w.text == w.text.strip() for w in u.words)
    assert [u.segment_index for u in finals] == sorted({u.segment_index for u in finals})
