"""Cross-talk between tracks: words a microphone picked up from the loudspeakers.

Without headphones the therapist's microphone also records the patient from the speakers:
the therapist track then holds the client's speech, quieter (-25 to -10 dB) and later
(20-150 ms, plus room reverberation), and the transcriber writes the same words under both
speakers. This module says, for a span of one track, how much of that track's activity is
explained as leakage from another track, so that the duplicate words can be dropped and
only the source track's words kept.

It works on 10 ms frame powers (envelopes), never on raw audio: about 100 kB per track for
two minutes of history; a decision costs about 0.4 ms for a word and 1 ms for a 10 s span.
Model and rule, for ``track`` t and each ``other`` track o:

* the leak's power is ``p_t[i] ≈ g · p_o[i - d] + noise_t``, with ``d`` in
  ``[0, max_delay]`` (o leads) and a gain ``g`` that is stable within a session;
* ``d`` maximizes the correlation of the log envelopes over the span ± ``context_s``, on
  the frames where o is active (elsewhere t holds its own speech or noise, which only
  dilutes it); the same correlation at negative lags says which track leads;
* ``g`` is a low quantile of ``p_t`` over the direct-path source power (the largest of the
  lagged frame and its two neighbours: a fractional delay straddles frames): frames with
  only the leak give ``≈ g``, frames where t also talks give larger ratios;
* a context's own estimate counts when the envelopes correlate (``min_correlation``) and
  the path fits the frames where it predicts an audible leak (``min_fit``, two-sided, so
  that a chance gain cannot "explain" everything); confident estimates are remembered per
  pair and their median is used, which carries spans whose own context is weak (double
  talk, short words) because the echo path hardly changes;
* it is leakage only when o leads (the correlation peaks at ``d ≥ 0``, above every
  negative lag) and the leak is quieter than its source (``g ≤ max_gain``), or, at a lag
  of at least one frame, not louder (``g ≤ lagging_max_gain``): of two tracks carrying the
  same audio at the same level, the one that lags is the leak;
* a frame of t is *explained* when o is active at the lag and
  ``p_t[i] ≤ κ · (g · ref_o[i] + noise_t)``, where ``ref_o`` is the direct-path source
  power or, if more, the older source frames weighted by the room's decay (``rt60_s``),
  so that reverberation tails are explained too; the span's leaked fraction is the share
  of its active frames (above its noise floor) explained by any other track, each frame
  weighted by its level above the floor, so that a talker's loud frames outweigh the
  faint word edges that a leak masks during double talk.

>>> det = LeakageDetector(["therapist", "client"])
>>> det.push("client", 0, client_chunk)        # doctest: +SKIP
>>> det.push("therapist", 0, therapist_chunk)  # doctest: +SKIP
>>> kept, dropped = det.filter_words("therapist", words)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from companion.errors import AudioFormatError, ConfigError
from companion.settings import TARGET_SAMPLE_RATE
from streaming.audio import Samples

Powers = NDArray[np.float64]
Mask = NDArray[np.bool_]


def _db(x: float) -> float:
    return float(10.0 ** (x / 10.0))


@dataclass(frozen=True, slots=True)
class LeakageConfig:
    """Knobs of the leakage rule: times in seconds on the session clock, levels in dB.

    The defaults were set on real speech (LibriSpeech client, LJSpeech therapist) with
    leaks of -25 to -12 dB, 20-150 ms, dry and reverberant; see the tests.
    """

    frame_s: float = 0.01
    history_s: float = 120.0  # envelope history kept per track
    max_delay_s: float = 0.2  # longest echo path (playback, air, capture buffers)
    context_s: float = 1.0  # the span is judged with this much around it on both sides
    leak_threshold: float = 0.6  # is_leak: leaked fraction at least this
    kappa_db: float = 5.0  # κ: slack over the predicted leak power
    max_gain_db: float = -6.0  # a leak is at least this much quieter than its source...
    lagging_max_gain_db: float = 3.0  # ...unless it clearly lags: then at most this
    min_correlation: float = 0.6  # of the log envelopes, for a span's own estimate
    lead_margin: float = 0.05  # forward correlation must beat every reverse lag by this
    min_fit: float = 0.8  # share of audible-leak frames the path predicts within κ
    min_frames: int = 50  # frames with the other track active, for a span's own estimate
    gain_quantile: float = 0.2  # g: this quantile of p_t over the direct-path source power
    rt60_s: float = 0.3  # room decay assumed for reverberation tails (0: none)
    noise_quantile: float = 0.1  # a track's noise floor: this quantile of its frame powers
    min_noise_db: float = -80.0  # dBFS; the floor never goes below (digital silence)
    activity_db: float = 3.0  # a frame is active this much above its track's noise floor
    pair_memory: int = 16  # confident estimates remembered per pair
    sample_rate: int = TARGET_SAMPLE_RATE

    def __post_init__(self) -> None:
        frame = self.frame_s * self.sample_rate
        if frame < 1 or abs(frame - round(frame)) > 1e-6:
            raise ConfigError("frame_s must be a whole number of samples")
        if self.history_s < self.max_delay_s + 2 * self.context_s:
            raise ConfigError("history_s must hold at least the context and the delay")
        if not 0.0 < self.leak_threshold <= 1.0 or not 0.0 <= self.gain_quantile <= 1.0:
            raise ConfigError("leak_threshold and gain_quantile must lie in (0, 1]")
        if self.max_delay_s < 0 or self.context_s < 0 or self.rt60_s < 0:
            raise ConfigError("max_delay_s, context_s and rt60_s must not be negative")
        if self.min_frames < 2 or self.pair_memory < 1:
            raise ConfigError("min_frames must be at least 2 and pair_memory at least 1")

    @property
    def frame_samples(self) -> int:
        return round(self.frame_s * self.sample_rate)

    def frames(self, seconds: float) -> int:
        return round(seconds / self.frame_s)


@dataclass(frozen=True, slots=True)
class EchoPath:
    """How ``track`` hears ``other``: ``delay_s`` later, at ``gain_db`` (power).

    The gain is a low quantile of frame power ratios, so a few dB under the average ratio.
    """

    delay_s: float
    gain_db: float


class Timed(Protocol):
    """Anything with session-clock ``start``/``end`` in seconds (a recognized word)."""

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...


W = TypeVar("W", bound=Timed)


class _Envelope:
    """One track's frame powers on the session clock, in a ring of ``capacity`` frames.

    Frame ``f`` covers samples ``[f * F, (f + 1) * F)``. A frame's power is the mean square
    of the samples that arrived for it; frames with no audio (before the track started, in
    gaps, beyond the history) are NaN, i.e. absent rather than silent. The last, incomplete
    frame is held back until it completes or a gap closes it, so that chunking never changes
    a frame's value.
    """

    def __init__(self, config: LeakageConfig) -> None:
        self._f = config.frame_samples
        self._capacity = config.frames(config.history_s)
        self._ring: Powers = np.full(self._capacity, np.nan)
        self.first_frame = -1  # first frame ever written; -1 before any audio
        self.end_frame = 0  # frames below this are final
        self.end_sample = 0  # the sample after the last one received
        self._pending: list[Samples] = []
        self._pending_frame = -1
        self._quantile = config.noise_quantile
        self._min_noise = _db(config.min_noise_db)
        self._noise = self._min_noise
        self._noise_at = -1  # the frame up to which the noise floor was last estimated
        self._settle = config.frames(10.0)
        self._every = config.frames(1.0)

    def push(self, start_sample: int, samples: Samples) -> None:
        if start_sample < self.end_sample:  # a resent overlap: keep what we have
            samples = samples[self.end_sample - start_sample :]
            start_sample = self.end_sample
        if not samples.size:
            return
        f = self._f
        if self._pending and start_sample // f != self._pending_frame:
            self._close_pending()
        pos, x = start_sample, samples
        if self._pending or pos % f:
            frame = pos // f
            head = x[: (frame + 1) * f - pos]
            self._pending.append(head)
            self._pending_frame = frame
            pos += head.size
            x = x[head.size :]
            if pos == (frame + 1) * f:
                self._close_pending()
        whole = x.size // f * f
        if whole:
            self._write(pos // f, _mean_squares(x[:whole].reshape(-1, f)))
            pos += whole
        if x.size > whole:
            self._pending = [x[whole:]]
            self._pending_frame = pos // f
        self.end_sample = start_sample + samples.size

    def _close_pending(self) -> None:
        block = np.concatenate(self._pending)
        self._write(self._pending_frame, _mean_squares(block.reshape(1, -1)))
        self._pending = []

    def _write(self, frame: int, powers: Powers) -> None:
        if self.first_frame < 0:
            self.first_frame = frame
        elif frame > self.end_frame:  # a gap: absent, not silent
            gap = np.arange(max(self.end_frame, frame - self._capacity), frame)
            self._ring[gap % self._capacity] = np.nan
        if len(powers) > self._capacity:
            frame += len(powers) - self._capacity
            powers = powers[-self._capacity :]
        self._ring[np.arange(frame, frame + len(powers)) % self._capacity] = powers
        self.end_frame = frame + len(powers)

    def frames(self, lo: int, hi: int) -> Powers:
        """Powers of frames ``[lo, hi)``; NaN where absent."""
        out: Powers = np.full(max(hi - lo, 0), np.nan)
        if self.first_frame < 0:
            return out
        a = max(lo, self.first_frame, self.end_frame - self._capacity)
        b = min(hi, self.end_frame)
        if b > a:
            out[a - lo : b - lo] = self._ring[np.arange(a, b) % self._capacity]
        return out

    def noise(self) -> float:
        """The track's noise floor (power), from the history up to a whole second of audio
        (every frame during the first ten seconds, while it settles): cheap, and the same
        whenever it is asked for."""
        if self.first_frame < 0:
            return self._noise
        upto = self.end_frame
        if upto - self.first_frame >= self._settle:
            upto -= (upto - self.first_frame) % self._every
        if upto != self._noise_at:
            held = self.frames(upto - self._capacity, upto)
            held = held[~np.isnan(held)]
            if held.size:
                floor = float(np.quantile(held, self._quantile))
                self._noise = max(floor, self._min_noise)
            self._noise_at = upto
        return self._noise


def _predictor_weights(config: LeakageConfig) -> Powers:
    """Weights over source frames ``i - d + 1`` (newest) back into the reverberation tail.

    The lagged frame and both neighbours weigh 1; older frames decay as the room does
    (60 dB per ``rt60_s``) until 20 dB down. Returned oldest first.
    """
    if config.rt60_s > 0:
        decay_db = 60.0 * config.frame_s / config.rt60_s
        tail = math.ceil(20.0 / decay_db)
    else:
        decay_db, tail = 0.0, 0
    weights = [1.0, 1.0, 1.0] + [_db(-decay_db * k) for k in range(1, tail + 1)]
    return np.asarray(weights[::-1], dtype=np.float64)


def _mean_squares(rows: NDArray[np.float32]) -> Powers:
    """Mean square per row; one code path so that chunking cannot change a frame."""
    wide = rows.astype(np.float64)
    return np.asarray(np.mean(wide * wide, axis=1), dtype=np.float64)


class LeakageDetector:
    """Frame envelopes of every track of one session, and the leakage decisions on them.

    Not thread-safe: one owner pushes audio and asks for decisions. Tracks named at
    construction count for :meth:`covered_until` before their first audio arrives;
    others are added by their first :meth:`push`. Decisions remember the confident
    echo-path estimates they make, so a decision can depend a little on what was asked
    before: ask in time order, as the live path does.
    """

    def __init__(self, tracks: Iterable[str] = (), config: LeakageConfig | None = None) -> None:
        self.config = config or LeakageConfig()
        self._tracks: dict[str, _Envelope] = {name: _Envelope(self.config) for name in tracks}
        self._weights = _predictor_weights(self.config)
        self._reach = len(self._weights)
        # (track, other) -> recent confident (lag in frames, log gain) of "track hears other"
        self._paths: dict[tuple[str, str], deque[tuple[int, float]]] = {}

    # --- audio -------------------------------------------------------------------------

    def push(self, track: str, start_sample: int, samples: Samples) -> None:
        """Adds ``samples`` of ``track``; ``samples[0]`` is session-clock sample ``start_sample``.

        Chunks of one track come in order, of any length; a later start than the previous
        chunk's end leaves a gap (absent audio), an earlier one is a resend and is trimmed.
        """
        if samples.ndim != 1:
            raise AudioFormatError(f"expected mono samples, got shape {samples.shape}")
        if start_sample < 0:
            raise AudioFormatError(f"negative start sample {start_sample}")
        env = self._tracks.get(track)
        if env is None:
            env = self._tracks[track] = _Envelope(self.config)
        env.push(start_sample, samples)

    def covered_until(self, track: str) -> float:
        """Session seconds up to which every other track's audio has arrived.

        A caller deciding on ``[start, end)`` waits until this reaches
        ``end + max_delay_s`` (or gives up on a silent track); infinite with no other track.
        """
        ends = [env.end_sample for name, env in self._tracks.items() if name != track]
        return min(ends) / self.config.sample_rate if ends else math.inf

    # --- decisions ---------------------------------------------------------------------

    def leaked_fraction(self, track: str, start: float, end: float) -> float | None:
        """Share of ``track``'s activity in ``[start, end)`` explained as leakage, in [0, 1].

        Active frames count by their level above the noise floor. None when there is
        nothing to decide on: ``track`` has no audio there (not yet, or no longer in the
        history), or no other track has audio through ``end`` and near the span. 0.0 when
        ``track`` is not active there.
        """
        env = self._tracks.get(track)
        if env is None:
            return None
        f0, f1, s1 = self._span(start, end)
        powers = env.frames(f0, f1)
        present = ~np.isnan(powers)
        if not present.any():
            return None
        noise = env.noise()
        active = present & (powers > noise * _db(self.config.activity_db))
        explained = np.zeros(f1 - f0, dtype=np.bool_)
        covered = False
        for name, other in self._tracks.items():
            if name == track:
                continue
            mask = self._explained(track, env, name, other, f0, f1, s1)
            if mask is not None:
                covered = True
                explained |= mask
        if not covered:
            return None
        if not active.any():
            return 0.0
        # Each active frame counts by its level above the noise floor: a talker's loud
        # frames say more about who talks than the faint word edges that a leak can mask
        # during double talk.
        weight = np.log(powers[active] / noise)
        return float(weight[explained[active]].sum() / weight.sum())

    def is_leak(self, track: str, start: float, end: float) -> bool:
        """Whether ``[start, end)`` of ``track`` is mostly leakage (undecidable: no)."""
        fraction = self.leaked_fraction(track, start, end)
        return fraction is not None and fraction >= self.config.leak_threshold

    def filter_words(self, track: str, words: Sequence[W]) -> tuple[list[W], int]:
        """The words of ``track`` that are not leakage, and how many were dropped.

        The whole run of words is looked at first, so that its context (longer than any
        one word's) can confirm the echo path before the words are judged one by one.
        """
        if not words:
            return [], 0
        self.leaked_fraction(track, min(w.start for w in words), max(w.end for w in words))
        kept = [w for w in words if not self.is_leak(track, w.start, w.end)]
        return kept, len(words) - len(kept)

    def echo_path(self, track: str, other: str) -> EchoPath | None:
        """How ``track`` currently hears ``other``, from confident spans; None if it does not."""
        path = self._path(track, other)
        if path is None:
            return None
        lag, gain = path
        return EchoPath(lag * self.config.frame_s, 10.0 * math.log10(gain))

    # --- internals ---------------------------------------------------------------------

    def _span(self, start: float, end: float) -> tuple[int, int, int]:
        """Frames ``[f0, f1)`` (at least one) covering the span, and its end sample."""
        rate, f = self.config.sample_rate, self.config.frame_samples
        s0 = max(round(start * rate), 0)
        s1 = max(round(end * rate), s0)
        f0 = s0 // f
        return f0, max(-(-s1 // f), f0 + 1), s1

    def _path(self, track: str, other: str) -> tuple[int, float] | None:
        history = self._paths.get((track, other))
        if not history:
            return None
        lags = sorted(lag for lag, _ in history)
        log_gain = float(np.median([g for _, g in history]))
        return lags[(len(lags) - 1) // 2], math.exp(log_gain)

    def _remember(self, track: str, other: str, lag: int, gain: float) -> None:
        key = (track, other)
        if key not in self._paths:
            self._paths[key] = deque(maxlen=self.config.pair_memory)
        self._paths[key].append((lag, math.log(gain)))

    def _explained(
        self,
        track: str,
        env: _Envelope,
        other_name: str,
        other: _Envelope,
        f0: int,
        f1: int,
        s1: int,
    ) -> Mask | None:
        """Frames ``[f0, f1)`` of ``track`` explained as leakage from ``other``.

        None when ``other`` has not covered the span (its audio ends before the span
        does, or it has none in reach of it).
        """
        cfg = self.config
        if other.end_sample < s1:
            return None
        d_max, ctx, reach = cfg.frames(cfg.max_delay_s), cfg.frames(cfg.context_s), self._reach
        c0, c1 = f0 - ctx, f1 + ctx
        # The other's frames [base, c1 + d_max + 1) serve every lag in ±d_max and the
        # predictor's reach back into the reverberation tail.
        base = c0 - d_max - reach
        p_o = other.frames(base, c1 + d_max + 1)
        if np.isnan(p_o[f0 - d_max - reach - base : f1 + 1 - base]).all():
            return None
        ctx_ = _Context(
            p_t=env.frames(c0, c1),
            p_o=p_o,
            d_max=d_max,
            noise_t=env.noise(),
            noise_o=other.noise(),
            act_o=other.noise() * _db(cfg.activity_db),
            weights=self._weights,
        )
        none = np.zeros(f1 - f0, dtype=np.bool_)
        estimate = self._estimate(ctx_)
        if estimate is not None and estimate.correlation >= cfg.min_correlation:
            if not self._is_leak_path(estimate):
                return none
            if estimate.fit >= cfg.min_fit:
                self._remember(track, other_name, estimate.lag, estimate.gain)
        path = self._path(track, other_name)
        if path is None:
            return none
        lag, gain = path
        pred = ctx_.predicted(lag)[ctx : ctx + (f1 - f0)]
        span = ctx_.p_t[ctx : ctx + (f1 - f0)]
        with np.errstate(invalid="ignore"):
            fits = span <= _db(cfg.kappa_db) * (gain * pred + ctx_.noise_t)
            return np.asarray((pred > ctx_.act_o) & fits)

    def _is_leak_path(self, e: _Estimate) -> bool:
        """The other track leads, and the leak is quieter (or clearly later) than its source."""
        cfg = self.config
        if e.correlation < e.reverse + cfg.lead_margin:
            return False
        return e.gain <= _db(cfg.max_gain_db) or (
            e.lag >= 1 and e.gain <= _db(cfg.lagging_max_gain_db)
        )

    def _estimate(self, c: _Context) -> _Estimate | None:
        """The context's own echo path; None with too few frames where the other is active.

        The lag maximizes the correlation of log envelopes over the frames where the other
        track is active (elsewhere ``track`` holds its own speech or noise, which would only
        dilute it); the gain is a low quantile of ``p_t`` over the predicted source power.
        """
        cfg = self.config
        d_max = c.d_max
        lagged = c.lagged()  # column j is lag d_max - j
        with np.errstate(invalid="ignore", divide="ignore"):
            valid = ~np.isnan(c.p_t)[:, None] & (lagged > c.act_o)
            counts = valid.sum(axis=0)
            lt = np.where(valid, np.log(np.maximum(c.p_t, c.noise_t))[:, None], 0.0)
            lo = np.where(valid, np.log(np.maximum(lagged, c.noise_o)), 0.0)
            n = np.maximum(counts, 1)
            ct = np.where(valid, lt - lt.sum(axis=0) / n, 0.0)
            co = np.where(valid, lo - lo.sum(axis=0) / n, 0.0)
            denom = np.sqrt((ct * ct).sum(axis=0) * (co * co).sum(axis=0))
            corr = np.where(
                (counts >= cfg.min_frames) & (denom > 0), (ct * co).sum(axis=0) / denom, -1.0
            )
        lags = d_max - np.arange(2 * d_max + 1)
        forward = lags >= 0
        j = int(np.argmax(np.where(forward, corr, -np.inf)))
        lag = int(lags[j])
        direct = c.predicted(lag, reverberant=False)
        with np.errstate(invalid="ignore"):
            col = ~np.isnan(c.p_t) & (direct > c.act_o)
        if counts[j] < cfg.min_frames or not col.any():
            return None
        p_t, direct = c.p_t[col], direct[col]
        gain = max(float(np.quantile(p_t / direct, cfg.gain_quantile)), 1e-12)
        # The path must fit where it predicts an audible leak, from both sides: not much
        # quieter than the direct path, not louder than direct path and room together.
        # One-sided, a large chance gain would "explain" anything.
        kappa = _db(cfg.kappa_db)
        audible = gain * direct >= c.noise_t
        room = c.predicted(lag, reverberant=True)[col]
        low = p_t >= gain * direct / kappa
        high = p_t <= kappa * (gain * room + c.noise_t)
        enough = 2 * int(audible.sum()) >= cfg.min_frames
        fit = float(np.mean((low & high)[audible])) if enough else 0.0
        return _Estimate(
            lag=lag,
            gain=gain,
            correlation=float(corr[j]),
            reverse=float(np.max(corr[~forward])) if d_max else -1.0,
            frames=int(counts[j]),
            fit=fit,
        )


@dataclass(frozen=True, slots=True)
class _Context:
    """One decision's envelopes: ``track``'s over the context, the other's around it.

    ``p_o`` starts ``d_max + len(weights)`` frames before ``p_t`` and ends ``d_max + 1``
    after it.
    """

    p_t: Powers
    p_o: Powers
    d_max: int
    noise_t: float
    noise_o: float
    act_o: float
    weights: Powers  # predictor weights, oldest source frame first

    def lagged(self) -> Powers:
        """The other's power at every lag: row i, column j is frame ``i - (d_max - j)``."""
        start = len(self.weights)
        raw = self.p_o[start : start + len(self.p_t) + 2 * self.d_max]
        return np.lib.stride_tricks.sliding_window_view(raw, 2 * self.d_max + 1)

    def predicted(self, lag: int, *, reverberant: bool = True) -> Powers:
        """The source power that frame i hears at ``lag``: the most, weighted, of the lagged
        frame and its two neighbours (a fractional delay straddles frames, and the lag
        estimate may be one off) and, if ``reverberant``, of the older frames still
        ringing in the room.
        """
        e = len(self.weights)
        windows = np.lib.stride_tricks.sliding_window_view(self.p_o, e)
        first = self.d_max - lag + 2  # window ends at frame i - lag + 1
        rows = windows[first : first + len(self.p_t)]
        if not reverberant:
            return np.asarray(np.fmax.reduce(rows[:, -3:], axis=1), dtype=np.float64)
        return np.asarray(np.fmax.reduce(rows * self.weights, axis=1), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Estimate:
    """One context's echo path and the evidence for it."""

    lag: int  # frames by which the other track leads
    gain: float  # power ratio
    correlation: float  # of the log envelopes at ``lag``
    reverse: float  # the best correlation with the other track lagging instead
    frames: int  # frames where the other track is active
    fit: float  # share of those frames the path explains
