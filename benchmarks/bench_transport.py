"""Browser → server transport latency: WebRTC and the WebSocket fallback, same run.

Headless Chromium (Debian's, driven by Playwright) opens a benchmark page on the real
service. The page switches a 1 kHz tone on and off in a Web Audio graph and stamps the
wall-clock time of each onset; the tone's track goes to the service over the side-panel's
own senders (``web_client/static/webrtc.js``, ``wsaudio.js``). The service's audio probe
stamps the moment each onset's first samples reach the transcription pipeline (after
Opus decoding, aiortc's jitter buffer and resampling to 16 kHz). Latency = the difference;
both ends read the same machine's clock.

Measured: WebRTC on a data channel (10 ms Opus packets encoded by the page: the pages'
default where WebCodecs exists), WebRTC media tracks with 10 ms packets (the service's
answer), the AudioWorklet → WebSocket fallback, and the baseline: media tracks with the
browser's default 20 ms packets (a second server with ``webrtc_ptime_ms=20``).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from fastapi import FastAPI
from playwright.async_api import Browser, async_playwright
from starlette.staticfiles import StaticFiles

from benchmarks.common import (
    BENCH_PASSWORD,
    load_shared_model,
    pct,
    ratio,
    running_server,
    start_scheduler,
)
from benchmarks.streams import new_session
from streaming.audio import Samples

PAGE = Path(__file__).with_name("transport")
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
LOUD = 0.1  # the tone's amplitude is 0.5
QUIET_BEFORE_ONSET = 1600  # 100 ms of quiet at 16 kHz before a loud sample is an onset
MATCH_WITHIN_S = 0.5


@dataclass
class OnsetProbe:
    """The service's audio probe: when does each tone onset reach the pipeline?"""

    onsets: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    _quiet: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def __call__(self, session_id: str, track: str, samples: Samples) -> None:
        arrived = time.time()
        key = (session_id, track)
        loud = np.flatnonzero(np.abs(samples) > LOUD)
        if not len(loud):
            self._quiet[key] += len(samples)
            return
        if self._quiet[key] + int(loud[0]) >= QUIET_BEFORE_ONSET:
            self.onsets[key].append(arrived)
        self._quiet[key] = len(samples) - int(loud[-1]) - 1


def match(sent: Sequence[float], arrived: Sequence[float]) -> list[float]:
    """Latency of each browser onset: the first server onset after it (within 0.5 s)."""
    out: list[float] = []
    for t in sent:
        later = [a - t for a in arrived if 0 <= a - t < MATCH_WITHIN_S]
        if later:
            out.append(min(later))
    return out


async def measure(
    browser: Browser, url: str, probe: OnsetProbe, transport: str, beeps: int
) -> list[float]:
    """``transport``: 'channel' (WebRTC data channel), 'tracks' (WebRTC media track) or
    'websocket'."""
    context = await browser.new_context(bypass_csp=True)
    try:
        page = await context.new_page()
        await page.goto(f"{url}/bench/index.html")
        await page.wait_for_function("() => window.bench !== undefined")
        await page.evaluate("([u, p]) => bench.login(u, p)", ["bench", BENCH_PASSWORD])
        sid = await new_session(url)
        if transport == "websocket":
            sent: list[float] = await page.evaluate(
                "([sid, n]) => bench.websocket(sid, n)", [sid, beeps]
            )
        else:
            sent = await page.evaluate(
                "([sid, n, low]) => bench.webrtc(sid, n, low)", [sid, beeps, transport == "channel"]
            )
        track = "client" if transport == "websocket" else "therapist"
        await asyncio.sleep(0.5)
        latencies = match(sent, probe.onsets[(sid, track)])
        if len(latencies) < 0.9 * len(sent):
            raise SystemExit(f"{transport}: only {len(latencies)} of {len(sent)} onsets arrived")
        return latencies
    finally:
        await context.close()


def _summary(name: str, values: Sequence[float]) -> str:
    ms = [1000 * v for v in values]
    return (
        f"{name:<28} n={len(ms):3d}  p50 {pct(ms, 50):6.1f} ms  p95 {pct(ms, 95):6.1f} ms  "
        f"max {max(ms):6.1f} ms"
    )


async def run(urls: dict[str, str], probes: dict[str, OnsetProbe], beeps: int) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            ignore_default_args=["--mute-audio"],
        )
        try:
            url, probe = urls["ptime10"], probes["ptime10"]
            results = {
                "webrtc, data channel": await measure(browser, url, probe, "channel", beeps),
                "webrtc, track, 10 ms": await measure(browser, url, probe, "tracks", beeps),
                "websocket fallback": await measure(browser, url, probe, "websocket", beeps),
                "webrtc, track, 20 ms (base)": await measure(
                    browser, urls["ptime20"], probes["ptime20"], "tracks", beeps
                ),
            }
        finally:
            await browser.close()
    print("browser → server transport latency (tone onset in the page → samples at the pipeline)")
    for name, values in results.items():
        print(_summary(name, values))
    ours = results["webrtc, data channel"]
    tracks = results["webrtc, track, 10 ms"]
    base = results["webrtc, track, 20 ms (base)"]
    ws = results["websocket fallback"]
    print(
        f"webrtc (data channel) p95 {1000 * pct(ours, 95):.1f} ms (target ≤ 40 ms); "
        f"ratio to media tracks with 20 ms packets {ratio(pct(ours, 95), pct(base, 95))}, "
        f"with 10 ms packets {ratio(pct(ours, 95), pct(tracks, 95))}; "
        f"to the websocket fallback {ratio(pct(ours, 95), pct(ws, 95))}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--beeps", type=int, default=60)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install chromium")
    model, config = load_shared_model()
    scheduler = start_scheduler(model, config)
    probes = {"ptime10": OnsetProbe(), "ptime20": OnsetProbe()}
    apps: dict[str, FastAPI] = {}

    def configure(name: str) -> object:
        def add_page(app: FastAPI) -> None:
            app.mount("/bench", StaticFiles(directory=PAGE), name="bench")
            apps[name] = app

        return add_page

    with ExitStack() as stack:
        urls = {
            "ptime10": stack.enter_context(running_server(scheduler, configure("ptime10"))),
            "ptime20": stack.enter_context(
                running_server(scheduler, configure("ptime20"), webrtc_ptime_ms=20)
            ),
        }
        for name, app in apps.items():
            app.state.services.hub.audio_probe = probes[name]
        asyncio.run(run(urls, probes, args.beeps))
    scheduler.stop()


if __name__ == "__main__":
    main()
