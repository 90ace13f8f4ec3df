// Transport latency benchmark page (benchmarks/bench_transport.py drives it).
//
// A 1 kHz tone is switched on and off in a Web Audio graph; the tone's track goes to the
// service over the side-panel's own senders (WebRTC or the WebSocket fallback). The page
// records the wall-clock time at which each beep starts in the graph; the service's
// audio probe records when the beep's first samples reach the transcription pipeline.

import { login } from '/static/api.js';
import { connectWebRtc } from '/static/webrtc.js';
import { WsAudioSender } from '/static/wsaudio.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const wallSeconds = () => (performance.timeOrigin + performance.now()) / 1000;

async function until(check, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function toneSource() {
  const ctx = new AudioContext({ latencyHint: 'interactive' });
  await ctx.resume();
  const osc = new OscillatorNode(ctx, { frequency: 1000 });
  const gain = new GainNode(ctx, { gain: 0 });
  const dest = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  return { ctx, gain, track: dest.stream.getAudioTracks()[0] };
}

async function beeps(source, count, onMs, offMs) {
  const onsets = [];
  for (let i = 0; i < count; i += 1) {
    source.gain.gain.setValueAtTime(0.5, source.ctx.currentTime);
    onsets.push(wallSeconds());
    await sleep(onMs);
    source.gain.gain.setValueAtTime(0, source.ctx.currentTime);
    await sleep(offMs + Math.random() * 100);
  }
  return onsets;
}

window.bench = {
  async login(username, password) {
    await login(username, password);
  },

  async webrtc(sessionId, count, lowLatency, onMs = 150, offMs = 300) {
    const source = await toneSource();
    const { pc, close } = await connectWebRtc(
      sessionId,
      [{ track: source.track, role: 'therapist' }],
      { lowLatency },
    );
    try {
      await until(() => pc.connectionState === 'connected', 15000, 'the peer connection');
      await sleep(1000); // let the first packets and the jitter buffer settle
      return await beeps(source, count, onMs, offMs);
    } finally {
      await sleep(500);
      close();
      await source.ctx.close();
    }
  },

  async websocket(sessionId, count, onMs = 150, offMs = 300) {
    const source = await toneSource();
    const sender = new WsAudioSender(sessionId, source.track, 'client', source.ctx);
    try {
      await sender.start();
      await until(() => sender.state === 'live', 15000, 'the audio socket');
      await sleep(1000);
      return await beeps(source, count, onMs, offMs);
    } finally {
      await sleep(500);
      await sender.stop();
      await source.ctx.close();
    }
  },
};
