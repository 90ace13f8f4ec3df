"""Short encoder window (AsrConfig defaults) vs Whisper's full 30 s window, per utterance.

Both recognizers share one model and decode each utterance in turn (so that the noise of
a shared machine falls on both alike); with ``--repeat`` above 1 the fastest time is kept.
WER is over all utterances concatenated.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from asr.recognizer import WhisperRecognizer
from benchmarks.common import (
    Utterance,
    load_note,
    load_shared_model,
    load_utterances,
    ratio,
    wer,
)
from companion.settings import AsrConfig


def timed(rec: WhisperRecognizer, u: Utterance, repeat: int) -> tuple[str, float]:
    best, text = float("inf"), ""
    for _ in range(repeat):
        started = time.perf_counter()
        text = rec.recognize(u.audio, final=True).text
        best = min(best, time.perf_counter() - started)
    return text, best


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    model, config = load_shared_model()
    utts = load_utterances()
    audio_s = sum(u.seconds for u in utts)
    names = (
        f"short window (min {config.min_window_s:g} s, pad {config.window_pad_s:g} s)",
        "full 30 s window (baseline)",
    )
    recs = [WhisperRecognizer(model, config), WhisperRecognizer(model, AsrConfig(min_window_s=30))]
    print(
        f"bench_window: recognizer.recognize(final=True) on {len(utts)} utterances, "
        f"{audio_s:.1f} s of read speech, best of {args.repeat}"
    )
    for rec in recs:
        rec.recognize(utts[0].audio, final=True)  # warm-up for each window size
    texts: list[list[str]] = [[], []]
    secs = [0.0, 0.0]
    for u in utts:
        for k, rec in enumerate(recs):
            text, s = timed(rec, u, args.repeat)
            texts[k].append(text)
            secs[k] += s
    refs = [u.text for u in utts]
    wers = [wer(refs, t) for t in texts]
    for name, w, s in zip(names, wers, secs, strict=True):
        per_utt = s / len(utts) * 1000
        print(
            f"  {name:36s} WER {w * 100:5.2f} %   {s:6.2f} s in all, "
            f"{per_utt:6.1f} ms per utterance, {s / audio_s:.4f} s per audio s"
        )
    print(f"  ratio short/full: time {ratio(secs[0], secs[1])}, WER {ratio(wers[0], wers[1])}")
    print(f"  ({load_note()})")


if __name__ == "__main__":
    main()
