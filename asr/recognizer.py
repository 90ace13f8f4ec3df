"""Segment recognition with faster-whisper's CTranslate2 model, tuned for the live path.

Differences from ``WhisperModel.transcribe`` and why:

* the encoder sees ``max(min_window_s, audio + window_pad_s)`` seconds, not a padded
  30 s window: on tiny.en the shorter window is as accurate and several times cheaper
  (see ``benchmarks/bench_window.py``);
* temperature 0 with no fallback: fallback made some live steps take seconds;
* the prompt holds committed text only (never text of the audio being decoded);
* guards drop what Whisper produces from silence and noise: high no-speech
  probability with low confidence, very low confidence, or repetitive output.

>>> rec = WhisperRecognizer(load_model(AsrConfig()), AsrConfig())  # doctest: +SKIP
>>> rec.recognize(audio_16k, prompt="", final=True).text           # doctest: +SKIP
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens

from companion.errors import RecognitionError
from companion.settings import TARGET_SAMPLE_RATE, AsrConfig
from streaming.audio import Samples

HOP = 160  # samples per mel frame
MAX_FRAMES = 3000
MAX_TOKENS = 224


@dataclass(frozen=True, slots=True)
class Word:
    """A recognized word; times in seconds from the start of the decoded audio."""

    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True, slots=True, eq=False)
class DecodeJob:
    audio: Samples
    prompt: str = ""
    final: bool = True


@dataclass(frozen=True, slots=True)
class Recognition:
    text: str
    words: tuple[Word, ...]
    no_speech_prob: float
    avg_logprob: float
    compression_ratio: float
    rejected: str = ""  # why the guards dropped it; empty when kept
    compute_s: float = 0.0  # this job's share of its batch's decode time


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


class WhisperRecognizer:
    """Decodes one segment at a time; thread-safe for use from one worker thread each."""

    def __init__(self, model: WhisperModel, config: AsrConfig) -> None:
        self.model = model
        self.config = config
        self.tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en"
        )
        self._suppress = list(get_suppressed_tokens(self.tokenizer, [-1]))

    def window_frames(self, job: DecodeJob) -> int:
        """Encoder frames for this job: whole seconds, so few shapes recur."""
        cfg = self.config
        min_window_s = cfg.min_window_s if job.final else cfg.partial_min_window_s
        frames = math.ceil(len(job.audio) / HOP)
        return min(
            MAX_FRAMES,
            max(int(min_window_s * 100), math.ceil(frames / 100 + cfg.window_pad_s) * 100),
        )

    def _features(self, job: DecodeJob) -> tuple[np.ndarray, int]:
        audio = job.audio
        frames = math.ceil(len(audio) / HOP)
        window = self.window_frames(job)
        if frames > window:  # longer than 30 s: the segmenter's cap prevents this
            audio = audio[: window * HOP]
            frames = window
        padded = np.zeros(window * HOP + HOP, dtype=np.float32)
        padded[: len(audio)] = audio
        mel = self.model.feature_extractor(padded, padding=0)[:, :window]
        return mel, frames

    def _prompt(self, prompt: str) -> list[int]:
        tok = self.tokenizer
        tokens: list[int] = []
        if prompt:
            tokens = [tok.sot_prev, *tok.encode(" " + prompt.strip())[-(MAX_TOKENS // 2 - 1) :]]
        return tokens + list(tok.sot_sequence) + [tok.no_timestamps]

    def recognize(self, audio: Samples, prompt: str = "", final: bool = True) -> Recognition:
        """Transcribe ``audio`` (16 kHz mono). Partials skip word alignment."""
        return self.recognize_batch([DecodeJob(audio, prompt, final)])[0]

    def recognize_batch(self, jobs: Sequence[DecodeJob]) -> list[Recognition]:
        """Transcribe several segments in one encoder and one decoder call.

        On CPU a batch of 4 decodes in about a third of the time of 4 single calls,
        which is what lets one model serve many live streams.
        """
        cfg = self.config
        if not jobs:
            return []
        try:
            feats = [self._features(j) for j in jobs]
            if len({mel.shape[1] for mel, _ in feats}) > 1:
                # A job's result must not depend on what else shares its batch.
                raise ValueError("jobs of one batch must share their encoder window")
            batch = np.stack([mel for mel, _ in feats])
            encoded = self.model.encode(batch)
            prompts = [self._prompt(j.prompt) for j in jobs]
            # max_length counts the prompt; the budget bounds runaway repetition.
            budget = max(
                min(MAX_TOKENS, 12 + math.ceil(len(j.audio) / TARGET_SAMPLE_RATE * 8)) + len(p)
                for j, p in zip(jobs, prompts, strict=False)
            )
            results = self.model.model.generate(
                encoded,
                prompts,
                beam_size=cfg.beam_size,
                max_length=budget,
                return_scores=True,
                return_no_speech_prob=True,
                # Short segments after silence can loop ("And so… And so…") within the
                # token budget and below the compression guard; bench_wer: no WER cost.
                repetition_penalty=1.1,
                suppress_blank=True,
                suppress_tokens=self._suppress,
            )
            enc_rows = np.asarray(encoded) if len(jobs) > 1 else None
            out = []
            for i, (job, result) in enumerate(zip(jobs, results, strict=False)):
                tokens = [t for t in result.sequences_ids[0] if t < self.tokenizer.eot]
                text = self.tokenizer.decode(tokens).strip()
                words: tuple[Word, ...] = ()
                if job.final and tokens:
                    row = encoded if enc_rows is None else _storage(enc_rows[i : i + 1])
                    words = self._align(tokens, row, feats[i][1])
                n = len(tokens)
                avg_logprob = result.scores[0] * n / (n + 1) if n else 0.0
                rec = Recognition(
                    text,
                    words,
                    float(result.no_speech_prob),
                    float(avg_logprob),
                    compression_ratio(text),
                )
                out.append(_guard(rec, cfg))
            return out
        except RuntimeError as exc:  # CTranslate2 reports failures as RuntimeError
            raise RecognitionError(f"decode failed: {type(exc).__name__}") from exc

    def _align(self, tokens: list[int], encoded: object, frames: int) -> tuple[Word, ...]:
        alignment = self.model.find_alignment(self.tokenizer, [tokens], encoded, frames)[0]
        return tuple(
            Word(
                w["word"],
                round(float(w["start"]), 3),
                round(float(w["end"]), 3),
                round(float(w["probability"]), 4),
            )
            for w in alignment
            if w["word"].strip()
        )


def _storage(rows: np.ndarray) -> ctranslate2.StorageView:
    return ctranslate2.StorageView.from_array(np.ascontiguousarray(rows))


def _looping(text: str, run: int = 4) -> bool:
    """The same word ``run`` times in a row: short loops the compression guard misses."""
    words = [w.strip(".,!?").lower() for w in text.split()]
    count = 1
    for a, b in pairwise(words):
        count = count + 1 if a == b and a else 1
        if count >= run:
            return True
    return False


def _guard(rec: Recognition, cfg: AsrConfig) -> Recognition:
    reason = ""
    if not rec.text:
        reason = "empty"
    elif rec.no_speech_prob > cfg.no_speech_threshold and rec.avg_logprob < cfg.logprob_threshold:
        reason = "no_speech"
    elif rec.compression_ratio > cfg.compression_ratio_threshold or _looping(rec.text):
        reason = "repetitive"
    elif rec.avg_logprob < cfg.logprob_threshold - 0.5:
        reason = "low_confidence"
    if not reason:
        return rec
    return Recognition("", (), rec.no_speech_prob, rec.avg_logprob, rec.compression_ratio, reason)
