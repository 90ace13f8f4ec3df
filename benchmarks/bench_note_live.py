"""Live note latency through the real server: final segment → its note update, and
final segment → risk alert.

AnnoMI sessions rendered two-voice with espeak-ng (``benchmarks.sessions``) stream in
real time on one channel through the service, with the clinician's voice enrolled so
that speakers get roles (the note's full path: sentence classifiers, kinds, merging).
The event stream is read by a client that stamps each event as it arrives. For each
``transcript.final`` the latency is the gap to the first ``note.patch`` or
``note.required`` that names it as ``source_segment``, and for each ``risk.alert`` the
gap to the final it cites. Same-run baseline: each final's own ``latency`` (end of its
audio → the final), so the ratio says what the note adds to what the transcript takes.
Target: p95 ≤ 300 ms for the note update, ≤ 1 s for alerts.
"""

from __future__ import annotations

import argparse
import asyncio
import io
from collections.abc import Sequence

import httpx
import soundfile as sf

from benchmarks.common import (
    READY_S,
    TOKENS,
    load_shared_model,
    pct,
    running_server,
    start_scheduler,
)
from benchmarks.sessions import ENROLMENT_TEXT, render_session, render_voice
from benchmarks.streams import SessionRun, run_session


async def enrol(url: str) -> None:
    buf = io.BytesIO()
    sf.write(buf, render_voice(ENROLMENT_TEXT, "therapist"), 16000, format="WAV")
    headers = {"authorization": f"Bearer {TOKENS[url]}", "content-type": "audio/wav"}
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        (
            await http.put("/v1/me/voice-profile", content=buf.getvalue(), headers=headers)
        ).raise_for_status()


def latencies(run: SessionRun) -> tuple[list[float], list[float], list[float]]:
    """(final → note update, final → alert, the finals' own latency) in seconds."""
    finals = {r.event["segment_id"]: r for r in run.of_type("transcript.final")}
    note: dict[str, float] = {}
    for r in run.events:
        source = r.event.get("source_segment")
        if r.event["type"] in ("note.patch", "note.required") and source in finals:
            note.setdefault(source, r.t - finals[source].t)
    alerts = []
    for r in run.of_type("risk.alert"):
        cited = r.event["evidence"][0]["segment_id"]
        if cited in finals:
            alerts.append(r.t - finals[cited].t)
    own = [float(r.event["latency"]) for r in finals.values() if r.event.get("latency") is not None]
    return list(note.values()), alerts, own


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", default="95,0", help="AnnoMI transcript ids")
    parser.add_argument("--seconds", type=float, default=90.0)
    args = parser.parse_args(argv)
    model, config = load_shared_model()
    sched = start_scheduler(model, config)
    note_all: list[float] = []
    alert_all: list[float] = []
    own_all: list[float] = []
    updated = total = 0
    try:
        with running_server(sched) as url:
            print(f"service ready (models loaded, rules compiled) {READY_S[url]:.1f} s after start")
            asyncio.run(enrol(url))
            for tid in args.sessions.split(","):
                audio = render_session(int(tid), max_seconds=args.seconds).mixed
                run = asyncio.run(run_session(url, audio, realtime=True, frame_ms=20))
                note, alerts, own = latencies(run)
                total += len(run.of_type("transcript.final"))
                updated += len(note)
                note_all += note
                alert_all += alerts
                own_all += own
                print(
                    f"session {tid}: {len(audio) / 16000:.0f} s, "
                    f"{len(run.of_type('transcript.final'))} finals, "
                    f"{len(run.of_type('note.patch'))} patches, {len(alerts)} alerts"
                )
    finally:
        sched.stop()

    def ms(xs: list[float], q: float) -> float:
        return pct(xs, q) * 1000 if xs else float("nan")

    print(f"final → note update: {updated} of {total} finals updated the note")
    top = max(note_all, default=0.0) * 1000
    print(f"  p50 {ms(note_all, 50):.0f} ms, p95 {ms(note_all, 95):.0f} ms, max {top:.0f} ms")
    print("  target: p95 ≤ 300 ms")
    if alert_all:
        worst = max(alert_all) * 1000
        print(f"final → risk alert: n={len(alert_all)}, p50 {ms(alert_all, 50):.0f} ms,")
        print(f"  max {worst:.0f} ms (target ≤ 1000 ms)")
    print(f"baseline, end of audio → final: p50 {ms(own_all, 50):.0f} ms,")
    print(f"  p95 {ms(own_all, 95):.0f} ms")
    if note_all and own_all:
        print(f"ratio note-update p95 / final p95: {pct(note_all, 95) / pct(own_all, 95):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
