"""Online diarization of one channel that carries every voice (in person, or a mixed stream).

Time is counted in silero-vad frames of 512 samples (32 ms), from the track's first
sample. Speech is split into blocks of ``block_frames`` (8 frames, 0.256 s); each block
that is mostly speech is labelled by the speaker embedding of a window of
``window_frames`` (48 frames, 1.5 s) centred on it, so a block's label is final as soon as
the audio reaches 20 frames (0.64 s) past its end. When speech stops, the blocks still
waiting are labelled at once with a window that ends where the audio ends, so a pause
makes every label before it final: a transcript final, which needs a longer pause,
never waits for its speakers.

Labels, once final, never change here. The refinement pass after the session
(:meth:`OnlineDiarizer.refine`) re-clusters every block's embedding at once and returns
new labels; the caller turns differences into correction events.

>>> d = OnlineDiarizer(DiarizationConfig(), SpeakerEmbedder())
>>> d.feed(chunk); d.step()               # doctest: +SKIP
>>> d.speaker_for(start_s=3.2, end_s=3.6)  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from companion.settings import TARGET_SAMPLE_RATE
from diarization.clustering import (
    OnlineClusterer,
    Vectors,
    match_labels,
    refine,
    spectral_clustering,
    unit,
)
from diarization.embedder import EMBEDDING_DIM, SpeakerEmbedder
from streaming.audio import Samples
from streaming.vad import VAD_FRAME, SileroVad

FRAME_S = VAD_FRAME / TARGET_SAMPLE_RATE
NO_SPEAKER = -1


@dataclass(frozen=True, slots=True)
class DiarizationConfig:
    expected_speakers: int = 2  # the most speakers the online pass will open (2..6)
    new_speaker_similarity: float = 0.6
    # Re-clustering what was heard may open a speaker the window test missed, when the
    # split's centroids are less similar than this (one voice splits at 0.89-0.95).
    split_similarity: float = 0.8
    block_frames: int = 8
    window_frames: int = 48
    vad_threshold: float = 0.5
    min_block_speech: float = 0.5  # a block is speech when this share of its frames is
    end_silence_frames: int = 6  # this much non-speech after speech ends a turn (0.19 s)
    reliable_frames: int = 24  # a window with less speech (0.77 s) cannot open a speaker
    refine_penalty: float = 0.05
    refine_split_similarity: float = 0.885


@dataclass(frozen=True, slots=True)
class SpeakerSpan:
    """A run of speech frames with one speaker; times in seconds from the track start."""

    start: float
    end: float
    speaker: int


@dataclass(slots=True)
class _Block:
    start: int  # frames
    end: int
    vector: Vectors
    speaker: int


@dataclass(slots=True)
class _Stats:
    compute_s: float = 0.0
    windows: int = 0
    label_delays: list[float] = field(default_factory=list)  # audio s from frame to final


class OnlineDiarizer:
    """Feed 16 kHz audio, call :meth:`step`; final speaker labels per 32 ms frame."""

    def __init__(self, config: DiarizationConfig, embedder: SpeakerEmbedder) -> None:
        self.config = config
        self._embedder = embedder
        self._vad: SileroVad | None = None  # only when no one hands it probabilities
        self._clusterer = OnlineClusterer(
            config.expected_speakers,
            config.new_speaker_similarity,
            split_similarity=config.split_similarity,
        )
        self._pending = np.zeros(0, dtype=np.float32)
        self._audio: list[Samples] = []  # whole VAD frames of the recent past
        self._audio_base = 0  # frame index of self._audio[0]
        self._speech = bytearray()  # one byte per frame: 1 = speech
        self.labels = np.full(0, NO_SPEAKER, dtype=np.int64)  # final labels per frame
        self._next_frame = 0  # first frame not yet in a block
        self._silent_run = 0
        self._blocks: list[_Block] = []
        self._queued: list[tuple[int, int, int]] = []  # (first, end, window end) frames
        self.stats = _Stats()

    # -- input -------------------------------------------------------------------------

    @property
    def frames(self) -> int:
        return len(self._speech)

    @property
    def final_until(self) -> float:
        """Seconds (track time) before which every label is final."""
        first_open = self._queued[0][0] if self._queued else self._next_frame
        return first_open * FRAME_S

    def feed(self, samples: Samples, probs: Sequence[float] | None = None) -> bool:
        """Cheap (VAD and buffering): True when :meth:`step` has windows to embed.

        ``probs``: the speech probability of each 512-sample frame these samples complete,
        when a VAD on the same track from its first sample (the segmenter's) already has
        them; otherwise the diarizer runs its own.
        """
        buf = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        n = len(buf) // VAD_FRAME
        self._pending = buf[n * VAD_FRAME :].copy()
        if probs is not None and len(probs) != n:
            raise ValueError(f"{len(probs)} probabilities for {n} frames")
        for i in range(n):
            frame = buf[i * VAD_FRAME : (i + 1) * VAD_FRAME].astype(np.float32, copy=False)
            prob = probs[i] if probs is not None else self._own_vad().prob(frame)
            speech = prob >= self.config.vad_threshold
            self._speech.append(1 if speech else 0)
            self._audio.append(frame)
            self._silent_run = 0 if speech else self._silent_run + 1
            self._queue_ready_blocks()
        self._trim_audio()
        return bool(self._queued)

    def _own_vad(self) -> SileroVad:
        if self._vad is None:
            self._vad = SileroVad()
        return self._vad

    def flush(self) -> None:
        """End of input: label every remaining block with the audio there is."""
        self._queue_ready_blocks(final=True)

    def _queue_ready_blocks(self, final: bool = False) -> None:
        """Cut the frames since the last block into blocks whose window audio is here."""
        cfg = self.config
        half = (cfg.window_frames - cfg.block_frames) // 2
        early = final or self._silent_run >= cfg.end_silence_frames
        while self._next_frame < self.frames:
            start = self._next_frame
            end = min(start + cfg.block_frames, self.frames)
            if end - start < cfg.block_frames and not early:
                return
            window_end = end + half
            if window_end > self.frames:
                if not early:
                    return
                window_end = self.frames  # right-aligned: the audio ends here
            self._next_frame = end
            if sum(self._speech[start:end]) < cfg.min_block_speech * (end - start):
                self._write(start, end, NO_SPEAKER)
            else:
                self._queued.append((start, end, window_end))

    # -- work ------------------------------------------------------------------------------

    def step(self) -> list[SpeakerSpan]:
        """Embed queued windows (the costly part: run it off the event loop) and label."""
        if not self._queued:
            return []
        jobs, self._queued = self._queued, []
        began = time.perf_counter()
        vectors = self._embedder.embed([self._window(w) for _, _, w in jobs])
        self.stats.windows += len(jobs)
        spans: list[SpeakerSpan] = []
        for (start, end, window_end), vector in zip(jobs, vectors, strict=True):
            reliable = self._speech_frames(window_end) >= self.config.reliable_frames
            speaker = self._clusterer.assign(vector, reliable)
            self._blocks.append(_Block(start, end, vector, speaker))
            self._write(start, end, speaker)
            spans.extend(frames_to_spans(self.labels[start:end], offset=start))
        self.stats.compute_s += time.perf_counter() - began
        return spans

    def _speech_frames(self, window_end: int) -> int:
        return sum(self._speech[max(0, window_end - self.config.window_frames) : window_end])

    def _window(self, window_end: int) -> Samples:
        """The speech frames of the window ending at ``window_end`` (silence carries no
        voice and would pull every window towards one another)."""
        first = max(0, window_end - self.config.window_frames, self._audio_base)
        picked = [
            self._audio[i - self._audio_base] for i in range(first, window_end) if self._speech[i]
        ]
        return np.concatenate(picked) if picked else self._audio[window_end - 1 - self._audio_base]

    def _write(self, start: int, end: int, speaker: int) -> None:
        if len(self.labels) < end:
            pad = np.full(end - len(self.labels), NO_SPEAKER, np.int64)
            self.labels = np.concatenate([self.labels, pad])
        speech = np.frombuffer(bytes(self._speech[start:end]), dtype=np.uint8).astype(bool)
        self.labels[start:end] = np.where(speech, speaker, NO_SPEAKER)
        if speaker >= 0:
            self.stats.label_delays.append((self.frames - start) * FRAME_S)

    def _trim_audio(self) -> None:
        keep = self.config.window_frames + self.config.block_frames * 2
        oldest_needed = min(
            [self._next_frame - keep] + [w - self.config.window_frames for *_, w in self._queued]
        )
        drop = max(0, oldest_needed - self._audio_base)
        if drop:
            del self._audio[:drop]
            self._audio_base += drop

    # -- reading ---------------------------------------------------------------------------

    @property
    def speakers(self) -> int:
        return len(self._clusterer.counts)

    @property
    def centroids(self) -> Vectors:
        return self._clusterer.centroids

    def speaker_for(
        self, start_s: float, end_s: float, labels: NDArray[np.int64] | None = None
    ) -> int:
        """The speaker with the most final frames in [start, end); the nearest one within
        1 s when the span has none (a word the VAD missed); NO_SPEAKER otherwise."""
        lab = self.labels if labels is None else labels
        lo = max(0, int(start_s / FRAME_S))
        hi = min(len(lab), max(lo + 1, int(np.ceil(end_s / FRAME_S))))
        inside = lab[lo:hi]
        inside = inside[inside >= 0]
        if len(inside):
            return int(np.bincount(inside).argmax())
        reach = int(1.0 / FRAME_S)
        near = lab[max(0, lo - reach) : min(len(lab), hi + reach)]
        idx = np.flatnonzero(near >= 0)
        if not len(idx):
            return NO_SPEAKER
        centre = (lo + hi) / 2 - max(0, lo - reach)
        return int(near[idx[np.argmin(np.abs(idx - centre))]])

    def spans(self, labels: NDArray[np.int64] | None = None) -> list[SpeakerSpan]:
        return frames_to_spans(self.labels if labels is None else labels)

    def block_vectors(self) -> tuple[Vectors, NDArray[np.int64]]:
        """Every labelled block's embedding and online speaker, in time order."""
        if not self._blocks:
            return np.zeros((0, EMBEDDING_DIM), np.float32), np.zeros(0, np.int64)
        return (
            np.stack([b.vector for b in self._blocks]),
            np.array([b.speaker for b in self._blocks], dtype=np.int64),
        )

    def _whole_session_speakers(self, vectors: Vectors) -> int:
        """With every window at hand a split is surer than live: accept the expected
        number of speakers when their centroids are apart (one voice: 0.89 and above)."""
        k = self.config.expected_speakers
        if k < 2 or len(vectors) < 4 * k:
            return 1
        labels = spectral_clustering(vectors, k)
        centroids = unit(np.stack([vectors[labels == c].mean(axis=0) for c in range(k)]))
        sims = centroids @ centroids.T
        apart = sims[~np.eye(k, dtype=bool)].max() < self.config.refine_split_similarity
        return k if apart else 1

    def refine(self) -> NDArray[np.int64]:
        """Whole-session frame labels from clustering every block at once, in online ids."""
        vectors, online = self.block_vectors()
        n_speakers = max(self.speakers, self._whole_session_speakers(vectors))
        if n_speakers < 2 or len(vectors) < n_speakers:
            return self.labels.copy()
        starts = np.array([b.start for b in self._blocks])
        ends = np.array([b.end for b in self._blocks])
        breaks = np.concatenate([[True], starts[1:] > ends[:-1]])
        new = refine(vectors, n_speakers, breaks, penalty=self.config.refine_penalty)
        mapping = match_labels(new, online)
        out = self.labels.copy()
        for block, label in zip(self._blocks, new, strict=True):
            seg = out[block.start : block.end]
            seg[seg >= 0] = mapping[int(label)]
        return out


def frames_to_spans(labels: NDArray[np.int64], offset: int = 0) -> list[SpeakerSpan]:
    """Merge runs of one label (NO_SPEAKER runs are gaps) into spans in seconds."""
    spans: list[SpeakerSpan] = []
    run_start, current = 0, NO_SPEAKER
    for i, lab in enumerate([*labels.tolist(), NO_SPEAKER - 1]):
        if lab != current:
            if current >= 0:
                spans.append(
                    SpeakerSpan(
                        round((offset + run_start) * FRAME_S, 3),
                        round((offset + i) * FRAME_S, 3),
                        int(current),
                    )
                )
            run_start, current = i, lab
    return spans


def bridge_gaps(labels: NDArray[np.int64], max_gap_s: float = 0.5) -> NDArray[np.int64]:
    """Fill pauses shorter than ``max_gap_s`` between two runs of the same speaker: a
    breath inside a turn is still that speaker's turn (how references are annotated)."""
    out = labels.copy()
    limit = round(max_gap_s / FRAME_S)
    idx = np.flatnonzero(out >= 0)
    for a, b in itertools.pairwise(idx):
        if 1 < b - a <= limit + 1 and out[a] == out[b]:
            out[a + 1 : b] = out[a]
    return out
