"""Concurrent real-time sessions: how many keep p95 end of speech → final within 2 s.

Each of N sessions streams its own ~30 s of read speech (LibriSpeech + LJSpeech, a
different rotation of the utterances per session, starts staggered by 0.25 s) in real
time on one track, all through one shared scheduler. N goes 1, 2, 4, 6, 8 and stops
after the first N whose p95 exceeds the limit. Baseline: the N = 1 figures.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

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
from benchmarks.streams import build_stream, final_latencies, fit_prefix, run_session, warm_up

GAP_S = 2.0
STAGGER_S = 0.25


@dataclass(frozen=True, slots=True)
class Level:
    n: int
    p50: float
    p95: float
    worst: float
    finals: int
    utterances: int
    compute: float  # scheduler busy seconds per audio second, all streams together
    cpu: float  # process CPU seconds per audio second
    busy_share: float  # scheduler busy seconds per wall second
    lag_ms: float  # worst lateness of a paced sender


def stream_utterances(utts: Sequence[Utterance], k: int, seconds: float) -> list[Utterance]:
    """Session k's utterances: a rotation of the list, as many as fit in ``seconds``."""
    shift = 3 * k % len(utts)
    return fit_prefix([*utts[shift:], *utts[:shift]], GAP_S, seconds)


async def run_level(
    url: str, sched: InferenceScheduler, n: int, utts: Sequence[Utterance], seconds: float
) -> Level:
    plans = [build_stream(stream_utterances(utts, k, seconds), GAP_S) for k in range(n)]
    busy0, wall0, cpu0 = sched.stats.busy_s, time.perf_counter(), cpu_s()
    runs = await asyncio.gather(
        *(
            run_session(url, audio, delay_s=k * STAGGER_S, drain_until=placed[-1].speech_end - 0.3)
            for k, (audio, placed) in enumerate(plans)
        )
    )
    busy, wall, cpu = sched.stats.busy_s - busy0, time.perf_counter() - wall0, cpu_s() - cpu0
    audio_s = sum(r.seconds for r in runs)
    lats = [
        x.latency_s
        for (_, placed), run in zip(plans, runs, strict=True)
        for x in final_latencies(placed, run)
        if x.latency_s is not None
    ]
    return Level(
        n=n,
        p50=pct(lats, 50),
        p95=pct(lats, 95),
        worst=max(lats, default=float("nan")),
        finals=len(lats),
        utterances=sum(len(placed) for _, placed in plans),
        compute=busy / audio_s,
        cpu=cpu / audio_s,
        busy_share=busy / wall,
        lag_ms=max(r.send_lag_s for r in runs) * 1000,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="1,2,4,6,8")
    parser.add_argument("--seconds", type=float, default=30.0, help="stream length per session")
    parser.add_argument("--limit-s", type=float, default=2.0, help="p95 limit")
    args = parser.parse_args(argv)
    model, config = load_shared_model()
    utts = load_utterances(["librispeech", "ljspeech"])
    sched = start_scheduler(model, config)
    print(
        f"bench_capacity: N concurrent sessions, ~{args.seconds:g} s of read speech each, "
        f"real time, 20 ms frames; stop after p95 end of speech -> final > {args.limit_s:g} s"
    )
    levels: list[Level] = []
    with running_server(sched) as url:
        asyncio.run(warm_up(url, utts[2]))
        for n in (int(x) for x in args.levels.split(",")):
            lv = asyncio.run(run_level(url, sched, n, utts, args.seconds))
            levels.append(lv)
            base = levels[0]
            print(
                f"  N={lv.n}: p50 {lv.p50:.2f} s, p95 {lv.p95:.2f} s, max {lv.worst:.2f} s, "
                f"finals {lv.finals}/{lv.utterances}; per audio s: compute {lv.compute:.3f} s, "
                f"CPU {lv.cpu:.3f} s; scheduler busy {lv.busy_share * 100:.0f} % of wall; "
                f"sender lag {lv.lag_ms:.0f} ms"
            )
            print(
                f"       ratio to N=1: p50 {ratio(lv.p50, base.p50)}, "
                f"p95 {ratio(lv.p95, base.p95)}, "
                f"compute per audio s {ratio(lv.compute, base.compute)}"
            )
            if lv.p95 > args.limit_s:
                break
    sched.stop()
    ok = [lv.n for lv in levels if lv.p95 <= args.limit_s]
    print(
        f"  largest N with p95 <= {args.limit_s:g} s: {max(ok) if ok else 'none'}"
        f"   (target >= 4; scheduler max batch {sched.stats.max_batch_seen})"
    )
    print(f"  ({load_note()})")


if __name__ == "__main__":
    main()
