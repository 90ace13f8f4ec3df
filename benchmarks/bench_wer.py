"""WER of the live path (the real server, one stream) against offline transcription.

Offline: ``asr.offline.transcribe_file`` on each file, beam 1 and beam 5. Live: every
file in one stream, 1.5 s of silence between them, sent faster than real time over the
audio WebSocket of an in-process server; the hypothesis is its ``transcript.final``
events in order. Both are scored over the concatenation of all references.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from faster_whisper import WhisperModel

from asr.offline import transcribe_file
from benchmarks.common import (
    CORPORA,
    Utterance,
    cpu_s,
    load_note,
    load_shared_model,
    load_utterances,
    ratio,
    running_server,
    start_scheduler,
    wer,
)
from benchmarks.streams import SessionRun, build_stream, owner, run_session

GAP_S = 1.5


def offline(model: WhisperModel, utts: Sequence[Utterance], beam: int) -> tuple[list[str], float]:
    """Hypothesis per utterance and the seconds it took."""
    started = time.perf_counter()
    texts = [
        " ".join(s.text for s in transcribe_file(model, u.audio, beam_size=beam)) for u in utts
    ]
    return texts, time.perf_counter() - started


def by_corpus(utts: Sequence[Utterance], hyps: Sequence[str]) -> str:
    parts = []
    for corpus in CORPORA:
        idx = [i for i, u in enumerate(utts) if u.corpus == corpus]
        if idx:
            w = wer([utts[i].text for i in idx], [hyps[i] for i in idx])
            parts.append(f"{corpus} {w * 100:.2f} %")
    return ", ".join(parts)


def live_per_utterance(run: SessionRun, utts: Sequence[Utterance]) -> list[str]:
    """The live finals of each utterance (by time), for the per-corpus breakdown only."""
    _, placed = build_stream(utts, GAP_S)
    texts: list[list[str]] = [[] for _ in utts]
    for r in sorted(run.of_type("transcript.final"), key=lambda r: r.event["start"]):
        i = owner(placed, r.event["start"], r.event["end"])
        if i is not None:
            texts[i].append(r.event["text"])
    return [" ".join(t) for t in texts]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--show", action="store_true", help="print utterances where live is worse than offline"
    )
    args = parser.parse_args(argv)
    model, config = load_shared_model()
    utts = load_utterances()
    refs = [u.text for u in utts]
    audio_s = sum(u.seconds for u in utts)
    counts = ", ".join(f"{c} {sum(u.corpus == c for u in utts)}" for c in CORPORA)
    print(f"bench_wer: {len(utts)} files ({counts}), {audio_s:.1f} s of read speech")

    results: list[tuple[str, float, str, str]] = []
    offline_wer: dict[int, float] = {}
    offline_hyps: dict[int, list[str]] = {}
    offline(model, utts[:1], 1)  # warm-up
    for beam in (1, 5):
        hyps, secs = offline(model, utts, beam)
        offline_hyps[beam] = hyps
        offline_wer[beam] = wer(refs, hyps)
        results.append(
            (
                f"offline beam {beam}",
                offline_wer[beam],
                f"RTF {secs / audio_s:.3f}",
                by_corpus(utts, hyps),
            )
        )

    scheduler = start_scheduler(model, config)
    stream, placed = build_stream(utts, GAP_S)
    busy0, cpu0 = scheduler.stats.busy_s, cpu_s()
    started = time.perf_counter()
    with running_server(scheduler) as url:
        run = asyncio.run(
            run_session(
                url, stream, frame_ms=100, realtime=False, drain_until=placed[-1].speech_end - 0.3
            )
        )
    wall = time.perf_counter() - started
    busy, cpu = scheduler.stats.busy_s - busy0, cpu_s() - cpu0
    scheduler.stop()
    live_wer = wer(refs, run.finals_text())
    live_hyps = live_per_utterance(run, utts)
    results.append(
        (
            f"live, beam {config.beam_size}",
            live_wer,
            f"compute {busy / run.seconds:.3f} s, CPU {cpu / run.seconds:.3f} s per audio s, "
            f"wall {wall:.0f} s",
            by_corpus(utts, live_hyps),
        )
    )
    for name, w, cost, parts in results:
        print(f"  {name:16s} WER {w * 100:5.2f} %   ({cost}; {parts})")
    finals, errors = len(run.of_type("transcript.final")), len(run.of_type("error"))
    print(f"  live stream: {run.seconds:.1f} s, {finals} finals, {errors} error events")
    if not run.drained:
        print("  WARNING: the last utterance's final never came; its audio may be cut")
    if args.show:
        base = offline_hyps[config.beam_size]
        for u, off, live in zip(utts, base, live_hyps, strict=True):
            if wer([u.text], [live]) > wer([u.text], [off]):
                print(f"    {u.id}\n      ref:     {u.text}")
                print(f"      offline: {off}\n      live:    {live}")
    for beam in (1, 5):
        target = "  (target <= 1.10)" if beam == config.beam_size else ""
        print(f"  ratio live/offline beam {beam}: {ratio(live_wer, offline_wer[beam])}{target}")
    print(f"  ({load_note()})")


if __name__ == "__main__":
    main()
