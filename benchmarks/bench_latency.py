"""Live latency on real speech streamed in real time, and compute per audio second.

LibriSpeech and LJSpeech utterances, 2 s of silence between them, paced as a microphone
would deliver them to the in-process server. Measures end of speech → ``transcript.final``
at the events WebSocket, word spoken → first event that shows it, and the scheduler's
busy time per second of audio. Baseline: the naive streaming approach (re-decode the
buffer with ``WhisperModel.transcribe``, padded to 30 s, every 0.5 s) on a sample.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from faster_whisper import WhisperModel

from asr.offline import transcribe_file
from asr.recognizer import Word
from asr.scheduler import InferenceScheduler
from benchmarks.common import (
    Utterance,
    cpu_s,
    load_note,
    load_shared_model,
    load_utterances,
    pct,
    ratio,
    running_server,
    start_scheduler,
)
from benchmarks.streams import (
    Placed,
    SessionRun,
    build_stream,
    final_latencies,
    fit_prefix,
    run_session,
    slot_starts,
    spread,
    vad_frames_s,
    warm_up,
    word_latencies,
)
from companion.settings import TARGET_SAMPLE_RATE as SR
from companion.settings import VadConfig
from streaming.audio import Samples

GAP_S = 2.0
NAIVE_EVERY_S = 0.5


@dataclass(frozen=True, slots=True)
class Live:
    placed: list[Placed]
    run: SessionRun
    busy_s: float  # the scheduler's busy time during the run
    cpu_s: float  # CPU time of the whole process during the run
    jobs: dict[str, int]  # decode jobs by kind during the run


def stream_live(
    url: str, sched: InferenceScheduler, utts: Sequence[Utterance], frame_ms: int
) -> Live:
    """Stream in real time through the server, counting what it cost."""
    audio, placed = build_stream(utts, GAP_S)
    busy0, cpu0, jobs0 = sched.stats.busy_s, cpu_s(), dict(sched.stats.by_kind)
    run = asyncio.run(
        run_session(url, audio, frame_ms=frame_ms, drain_until=placed[-1].speech_end - 0.3)
    )
    jobs = {k: v - jobs0.get(k, 0) for k, v in sched.stats.by_kind.items()}
    return Live(placed, run, sched.stats.busy_s - busy0, cpu_s() - cpu0, jobs)


def naive_compute(
    model: WhisperModel, audio: Samples, placed: Sequence[Placed]
) -> tuple[float, float]:
    """Seconds of decoding and of CPU per audio second: every 0.5 s, decode the buffer so far.

    The buffer restarts halfway through each gap (an oracle trim, kinder to the
    baseline than LocalAgreement's); the decode is temperature 0, beam 1, with word
    timestamps, as a LocalAgreement policy needs them.
    """
    starts = slot_starts(placed)
    busy, t, cpu0 = 0.0, NAIVE_EVERY_S, cpu_s()
    while t <= len(audio) / SR:
        begin = max(s for s in starts if s < t)
        started = time.perf_counter()
        segments, _ = model.transcribe(
            audio[int(begin * SR) : int(t * SR)],
            language="en",
            beam_size=1,
            temperature=0.0,
            word_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        list(segments)
        busy += time.perf_counter() - started
        t += NAIVE_EVERY_S
    seconds = len(audio) / SR
    return busy / seconds, (cpu_s() - cpu0) / seconds


def offline_words(model: WhisperModel, utts: Sequence[Utterance]) -> list[list[Word]]:
    """When each word was spoken, from faster-whisper's offline word alignment."""
    return [
        [w for s in transcribe_file(model, u.audio, beam_size=1) for w in s.words] for u in utts
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frame-ms", type=int, default=20, help="frames of the main run")
    parser.add_argument("--compare-ms", type=int, default=100, help="0 skips the comparison")
    parser.add_argument(
        "--sample-s", type=float, default=30.0, help="audio for the frame and naive comparisons"
    )
    args = parser.parse_args(argv)
    model, config = load_shared_model()
    utts = load_utterances(["librispeech", "ljspeech"])
    words = offline_words(model, utts)
    sched = start_scheduler(model, config)
    sample = fit_prefix(utts, GAP_S, args.sample_s)

    with running_server(sched) as url:
        asyncio.run(warm_up(url, utts[2]))
        main_run = stream_live(url, sched, utts, args.frame_ms)
        compare = stream_live(url, sched, sample, args.compare_ms) if args.compare_ms else None
    sched.stop()
    report(main_run, words, args.frame_ms)
    if compare is not None:
        k = len(sample)
        ours = [x.latency_s for x in final_latencies(main_run.placed, main_run.run)[:k]]
        theirs = [x.latency_s for x in final_latencies(compare.placed, compare.run)]
        a = [x for x in ours if x is not None]
        b = [x for x in theirs if x is not None]
        print(f"  frame size, first {k} utterances ({compare.run.seconds:.1f} s):")
        print(f"    {args.frame_ms:3d} ms frames: {spread(a)}")
        print(f"    {args.compare_ms:3d} ms frames: {spread(b)}")
        print(
            f"    ratio {args.compare_ms}/{args.frame_ms} ms: "
            f"p50 {ratio(pct(b, 50), pct(a, 50))}, p95 {ratio(pct(b, 95), pct(a, 95))}"
        )
        audio, _ = build_stream(sample, GAP_S)
        naive_busy, naive_cpu = naive_compute(model, audio, compare.placed)
        secs = compare.run.seconds
        print(
            f"  baseline, naive re-decode every {NAIVE_EVERY_S:g} s on the same {secs:.1f} s "
            f"(per audio s): compute {naive_busy:.3f} s, CPU {naive_cpu:.3f} s"
        )
        print(
            f"    ours: compute {compare.busy_s / secs:.3f} s, CPU {compare.cpu_s / secs:.3f} s; "
            f"ratio ours/naive: compute {ratio(compare.busy_s / secs, naive_busy)}, "
            f"CPU {ratio(compare.cpu_s / secs, naive_cpu)}"
        )
    print(f"  ({load_note()})")


def report(live: Live, words: list[list[Word]], frame_ms: int) -> None:
    run, placed = live.run, live.placed
    lats = final_latencies(placed, run)
    done = [x for x in lats if x.latency_s is not None]
    got = [x.latency_s for x in done if x.latency_s is not None]
    tails = [x.vad_tail_s for x in done if x.vad_tail_s is not None]
    endpoint = vad_frames_s(VadConfig().endpoint_silence_s)
    rest = [lat - tail - endpoint for lat, tail in zip(got, tails, strict=True)]
    missing = [x.utt_id for x in lats if x.latency_s is None]
    print(
        f"bench_latency: {len(placed)} utterances (LibriSpeech + LJSpeech), {run.seconds:.1f} s "
        f"stream with {GAP_S:g} s gaps, real time, {frame_ms} ms frames"
    )
    print(f"  end of speech -> final: {spread(got)}   (targets p50 <= 0.8 s, p95 <= 1.2 s)")
    print(
        f"    made of: VAD hang-over p50 {pct(tails, 50):.2f} s + endpoint silence "
        f"{endpoint:.2f} s + the rest (decode, queue, framing) p50 {pct(rest, 50):.2f} s, "
        f"p95 {pct(rest, 95):.2f} s"
    )
    print(f"    finals for {len(got)}/{len(lats)} utterances; missing: {', '.join(missing) or '-'}")
    worst = sorted(done, key=lambda x: -(x.latency_s or 0.0))[:3]
    print("    slowest: " + ", ".join(f"{x.utt_id} {x.latency_s or 0:.2f} s" for x in worst))
    wl, n_words = word_latencies(placed, words, run)
    print(
        f"  word spoken -> first shown: {spread([w.latency_s for w in wl])}; "
        f"{len(wl)}/{n_words} words shown, {sum(w.by_partial for w in wl)} first by a partial"
    )
    slow = sorted(wl, key=lambda w: -w.latency_s)[:3]
    print("    slowest: " + ", ".join(f"{w.utt_id} '{w.word}' {w.latency_s:.2f} s" for w in slow))
    print(
        f"  compute: {live.busy_s / run.seconds:.3f} s per audio s (target <= 0.15); process CPU "
        f"{live.cpu_s / run.seconds:.3f} s per audio s; decode jobs {live.jobs}, "
        f"sender lag max {run.send_lag_s * 1000:.0f} ms"
    )
    if not run.drained:
        print("  WARNING: the last utterance's final never came")


if __name__ == "__main__":
    main()
