// WebSocket audio fallback: one socket per track. An AudioWorklet ('pcm16k', see
// pcm-worklet.js) turns the track into 10 ms frames of 16 kHz s16le PCM; this module
// sends them after the JSON header. When the socket falls more than ~2 s behind
// (bufferedAmount), frames are dropped and counted rather than queued without bound.
//
// Close codes from the server: 4403 consent paused or revoked, 1000 session ended or
// stream complete; both end the sender. A network drop reconnects with a new ticket.

import { ApiError, wsTicket, wsUrl } from './api.js';

const WORKLET_URL = '/static/pcm-worklet.js';
const HEADER = { format: 's16le', sample_rate: 16000, channels: 1 };
const BYTES_PER_SECOND = 16000 * 2;
const MAX_BUFFERED_BYTES = 2 * BYTES_PER_SECOND; // ~2 s of audio
const MAX_PENDING_FRAMES = 200; // 2 s of 10 ms frames held while (re)connecting
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 10_000;
const MAX_BUSY_RETRIES = 5; // 4409 "track already streaming" while the old socket closes

const FATAL = new Map([
  [4401, 'Signed out: sign in again.'],
  [4403, 'Consent is paused or was withdrawn: audio is no longer accepted.'],
  [4404, 'This session does not exist.'],
  [1007, 'The server rejected the audio format.'],
  [1008, 'The server refused the audio stream.'],
  [1009, 'An audio frame was too large.'],
]);

const loaded = new WeakMap(); // AudioContext → Promise of addModule

/** Load the 'pcm16k' AudioWorklet into `context` (once per context). */
export function loadWorklet(context) {
  let promise = loaded.get(context);
  if (!promise) {
    promise = context.audioWorklet.addModule(WORKLET_URL);
    loaded.set(context, promise);
    promise.catch(() => loaded.delete(context));
  }
  return promise;
}

/**
 * Streams one MediaStreamTrack to /v1/sessions/{id}/audio?track=<role>.
 * States: 'idle' → 'connecting' → 'live' ⇄ 'reconnecting'; 'paused' (4403), 'ended'
 * (1000 from the server), 'closed' (stop() or a fatal error, reported via onError).
 */
export class WsAudioSender {
  /**
   * @param {string} sessionId
   * @param {MediaStreamTrack} track
   * @param {'therapist'|'client'|'mixed'} role
   * @param {AudioContext} context
   * @param {{onState?: (state: string) => void, onError?: (err: Error) => void}} [handlers]
   */
  constructor(sessionId, track, role, context, { onState = () => {}, onError = () => {} } = {}) {
    this.sessionId = sessionId;
    this.track = track;
    this.role = role;
    this.context = context;
    this.onState = onState;
    this.onError = onError;
    this.state = 'idle';
    this.dropped = 0; // frames dropped because the socket fell behind
    this.sent = 0;
    this._ws = null;
    this._pending = [];
    this._attempt = 0;
    this._busyRetries = 0;
    this._retryTimer = null;
    this._stopping = false;
  }

  /** Build the audio graph and open the socket. Rejects on the first failure. */
  async start() {
    this._setState('connecting');
    await loadWorklet(this.context);
    this._source = this.context.createMediaStreamSource(new MediaStream([this.track]));
    this._node = new AudioWorkletNode(this.context, 'pcm16k', {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
    });
    // A muted path to the destination keeps the node pulled by the render graph.
    this._sink = this.context.createGain();
    this._sink.gain.value = 0;
    this._source.connect(this._node);
    this._node.connect(this._sink);
    this._sink.connect(this.context.destination);
    this._node.port.onmessage = (ev) => this._onWorklet(ev.data);
    await this._open(true);
  }

  /** Flush the last partial frame, close the socket (1000) and release the graph. */
  async stop() {
    if (this._stopping) return;
    this._stopping = true;
    clearTimeout(this._retryTimer);
    if (this._node) {
      const stopped = new Promise((resolve) => {
        this._onStopped = resolve;
        setTimeout(resolve, 300);
      });
      this._node.port.postMessage({ type: 'stop' });
      await stopped;
    }
    this._teardownGraph();
    const ws = this._ws;
    this._ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'capture stopped');
    this._pending = [];
    if (!['paused', 'ended'].includes(this.state)) this._setState('closed');
  }

  /** Drop the socket and open a new one now (the graph keeps running). */
  async reconnect() {
    const ws = this._ws;
    this._ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'reconnecting');
    clearTimeout(this._retryTimer);
    await this._open(false);
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }

  _teardownGraph() {
    try {
      this._source?.disconnect();
      this._node?.disconnect();
      this._sink?.disconnect();
    } catch {
      // already disconnected
    }
    if (this._node) this._node.port.onmessage = null;
    this._source = this._node = this._sink = null;
  }

  _onWorklet(message) {
    if (message?.type === 'stopped') {
      this._onStopped?.();
      return;
    }
    if (message?.type !== 'frame') return;
    const ws = this._ws;
    if (ws && ws.readyState === WebSocket.OPEN && this._headerSent) {
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.dropped += 1;
        return;
      }
      ws.send(message.buffer);
      this.sent += 1;
    } else if (!this._stopping) {
      // (Re)connecting: keep the latest 2 s, send them once the socket opens.
      this._pending.push(message.buffer);
      if (this._pending.length > MAX_PENDING_FRAMES) {
        this._pending.shift();
        this.dropped += 1;
      }
    }
  }

  async _open(first) {
    if (this._stopping) return;
    if (!first) this._setState('reconnecting');
    let ticket;
    try {
      ticket = await wsTicket();
    } catch (err) {
      if (first || (err instanceof ApiError && err.status === 401)) {
        this._fail(err, first);
        return;
      }
      this._retry();
      return;
    }
    if (this._stopping) return;
    const url = wsUrl(`/v1/sessions/${encodeURIComponent(this.sessionId)}/audio`, {
      track: this.role,
      ticket,
    });
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this._ws = ws;
    this._headerSent = false;
    let opened = false;
    await new Promise((resolve) => {
      ws.addEventListener('open', () => {
        if (this._ws !== ws) return resolve();
        opened = true;
        ws.send(JSON.stringify(HEADER));
        this._headerSent = true;
        for (const buffer of this._pending.splice(0)) ws.send(buffer);
        this._setState('live');
        resolve();
      });
      ws.addEventListener('close', (ev) => {
        resolve();
        this._onClose(ws, ev, opened);
      });
    });
  }

  _onClose(ws, ev, opened) {
    if (this._ws !== ws) return;
    this._ws = null;
    this._headerSent = false;
    if (this._stopping) return;
    if (opened && ev.code !== 4409) {
      this._attempt = 0;
      this._busyRetries = 0;
    }
    if (ev.code === 4403) {
      this._end('paused', new Error(FATAL.get(4403)));
    } else if (ev.code === 1000 || (ev.code === 4409 && /\bended\b/.test(ev.reason))) {
      this._end('ended', null); // session ended: the server finished this track
    } else if (ev.code === 4409 && this._busyRetries < MAX_BUSY_RETRIES) {
      this._busyRetries += 1; // the previous socket of this track is still closing
      this._retry();
    } else if (FATAL.has(ev.code) || ev.code === 4409) {
      const text = FATAL.get(ev.code) ?? (ev.reason || 'The session is not accepting audio.');
      this._fail(new Error(text), false);
    } else {
      this._retry(); // 1006 network drop, 1001/1012 server going away...
    }
  }

  _end(state, err) {
    this._stopping = true;
    this._teardownGraph();
    this._pending = [];
    this._setState(state);
    if (err) this.onError(err);
  }

  _fail(err, first) {
    this._end('closed', first ? null : err);
    if (first) throw err;
  }

  _retry() {
    if (this._stopping) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** this._attempt);
    this._attempt = Math.min(this._attempt + 1, 10);
    this._setState('reconnecting');
    this._retryTimer = setTimeout(() => this._open(false), delay);
  }
}
