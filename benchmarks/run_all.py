"""Run every benchmark, one process each (``make bench``); a failure does not stop the rest."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence

from benchmarks.common import ROOT

BENCHMARKS = (
    "bench_window",
    "bench_wer",
    "bench_latency",
    "bench_capacity",
    "bench_transport",
    "bench_diarization",
    "bench_risk --second-opinion",
    # the honest risk figures: the blind sets, never trained on
    "bench_risk --set benchmarks/data/risk_utterances_fresh6.jsonl --split none --second-opinion",
    "bench_risk --set benchmarks/data/risk_utterances_fresh7.jsonl --split none --second-opinion",
    "bench_risk --set benchmarks/data/risk_utterances_fresh8.jsonl --split none --second-opinion",
    "bench_sections",
    "bench_interventions",
    "bench_note",
    "bench_note_live",
)


def main(argv: Sequence[str] | None = None) -> int:
    names = list(argv if argv is not None else sys.argv[1:]) or list(BENCHMARKS)
    failed: list[str] = []
    started = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        print(f"== {name}", flush=True)
        module, *args = name.split()
        rc = subprocess.call([sys.executable, "-m", f"benchmarks.{module}", *args], cwd=ROOT)
        print(
            f"== {name}: {'ok' if rc == 0 else f'FAILED (exit {rc})'}, "
            f"{time.perf_counter() - t:.0f} s\n",
            flush=True,
        )
        if rc:
            failed.append(name)
    print(
        f"all benchmarks: {time.perf_counter() - started:.0f} s; failed: {', '.join(failed) or '-'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
