// WebRTC audio sender: one peer connection per session carrying sendonly audio
// transceivers, each labelled by its mid with the role it speaks for.
//
// The server (aiortc) does not do trickle ICE: the offer is posted once gathering is
// complete (or after 3 s), with every candidate in it. A new offer for the same session
// replaces the server's previous peer connection: that is how reconnect and resume work.
//
// Low-latency path: where the browser has WebCodecs and MediaStreamTrackProcessor
// (Chrome, Edge), each track is encoded to 10 ms Opus packets here and sent on an
// unordered data channel without retransmissions ('audio:<role>'), on the same peer
// connection. The server decodes each packet on arrival instead of holding it in
// aiortc's jitter buffer (40-80 ms). Elsewhere the track is sent as a media track.

import { ApiError, webrtcConfig, webrtcOffer } from './api.js';

const GATHER_TIMEOUT_MS = 3_000;
const DISCONNECTED_GRACE_MS = 3_000;
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 15_000;
const MAX_CHANNEL_BUFFER_BYTES = 16_000; // ~2 s of 32 kb/s Opus: beyond it, drop packets
const OPUS_BITRATE = 48_000;
const OPUS_FRAME_US = 10_000;
// '?webrtc=tracks' on a page forces standard media tracks (for a browser or network
// where the data-channel path misbehaves).
const LOW_LATENCY_DEFAULT = new URLSearchParams(globalThis.location?.search ?? '').get('webrtc') !== 'tracks';

function opusConfig(track) {
  const settings = track.getSettings?.() ?? {};
  return {
    codec: 'opus',
    sampleRate: settings.sampleRate || 48_000,
    numberOfChannels: settings.channelCount || 1,
    bitrate: OPUS_BITRATE,
    // 'lowdelay' (CELT only) cuts the codec's look-ahead from 6.5 ms to 2.5 ms.
    opus: { frameDuration: OPUS_FRAME_US, application: 'lowdelay' },
  };
}

/** Can this track go over the low-latency path (Opus encoded here, on a data channel)? */
async function canEncode(track) {
  if (typeof AudioEncoder === 'undefined' || typeof MediaStreamTrackProcessor === 'undefined') {
    return false;
  }
  try {
    return (await AudioEncoder.isConfigSupported(opusConfig(track))).supported === true;
  } catch {
    return false;
  }
}

/**
 * Encode `track` to Opus and send each packet on `channel` as a 4-byte big-endian
 * sequence number followed by the packet. Starts when the channel opens; returns stop().
 * A packet that would overfill the channel's buffer is dropped but keeps its sequence
 * number, so the server fills the gap with silence and audio time stays exact.
 */
function pumpOpus(track, channel) {
  const clone = track.clone(); // the processor's reader may end its track: not ours
  let reader = null;
  let encoder = null;
  let stopped = false;
  let seq = 0;
  const pump = {
    dropped: 0,
    stop() {
      stopped = true;
      reader?.cancel().catch(() => {});
      if (encoder && encoder.state !== 'closed') encoder.close();
      clone.stop();
    },
  };
  const send = (chunk) => {
    const number = seq;
    seq = (seq + 1) >>> 0;
    if (channel.readyState !== 'open') return;
    if (channel.bufferedAmount > MAX_CHANNEL_BUFFER_BYTES) {
      pump.dropped += 1;
      return;
    }
    const message = new Uint8Array(4 + chunk.byteLength);
    new DataView(message.buffer).setUint32(0, number);
    chunk.copyTo(message.subarray(4));
    channel.send(message);
  };
  const run = async () => {
    reader = new MediaStreamTrackProcessor({ track: clone }).readable.getReader();
    encoder = new AudioEncoder({ output: send, error: () => pump.stop() });
    encoder.configure(opusConfig(clone));
    while (!stopped) {
      const { value: data, done } = await reader.read();
      if (done) break;
      if (!stopped && encoder.state === 'configured') encoder.encode(data);
      data.close();
    }
  };
  channel.binaryType = 'arraybuffer';
  channel.addEventListener('open', () => {
    run().catch(() => pump.stop());
  });
  channel.addEventListener('close', () => pump.stop());
  return pump;
}

/** Resolve when ICE gathering is complete, or after `timeoutMs`, whichever is first. */
function iceGatheringDone(pc, timeoutMs = GATHER_TIMEOUT_MS) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      pc.removeEventListener('icecandidate', onCandidate);
      resolve();
    };
    const onChange = () => {
      if (pc.iceGatheringState === 'complete') finish();
    };
    const onCandidate = (ev) => {
      if (!ev.candidate) finish(); // the end-of-candidates marker
    };
    const timer = setTimeout(finish, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onChange);
    pc.addEventListener('icecandidate', onCandidate);
  });
}

/** The server's ICE servers in RTCPeerConnection's shape (absent fields left out). */
function iceServersOf(config) {
  return (config?.ice_servers ?? []).map((s) => {
    const server = { urls: s.urls };
    if (s.username) server.username = s.username;
    if (s.credential) server.credential = s.credential;
    return server;
  });
}

/** Ask the browser to favour the audio packets (best effort; never fails the call). */
async function tuneSender(sender) {
  if (typeof sender.getParameters !== 'function' || typeof sender.setParameters !== 'function') {
    return;
  }
  try {
    const params = sender.getParameters();
    if (!params.encodings?.length) return;
    for (const encoding of params.encodings) {
      encoding.priority = 'high';
      encoding.networkPriority = 'high';
    }
    await sender.setParameters(params);
  } catch {
    // not supported here: the defaults are fine
  }
}

/**
 * Open a peer connection sending `tracks` to the session.
 * @param {string} sessionId
 * @param {{track: MediaStreamTrack, role: 'therapist'|'client'|'mixed'}[]} tracks
 * @param {{onState?: (state: RTCPeerConnectionState, pc: RTCPeerConnection) => void,
 *          signal?: AbortSignal}} [options] an aborted `signal` gives up before the offer
 *   is posted (never after: the server must see offers in the order they were made)
 * @returns {Promise<{pc: RTCPeerConnection, close: () => void}>}
 * @throws {ApiError} 409 without consent or on an ended session, 422 on a bad offer
 */
export async function connectWebRtc(
  sessionId,
  tracks,
  { onState = () => {}, signal, lowLatency = LOW_LATENCY_DEFAULT } = {},
) {
  if (typeof RTCPeerConnection === 'undefined') {
    throw new Error('This browser has no WebRTC. Use the WebSocket fallback.');
  }
  const config = await webrtcConfig();
  signal?.throwIfAborted();
  const pc = new RTCPeerConnection({
    iceServers: iceServersOf(config),
    bundlePolicy: 'max-bundle',
    rtcpMuxPolicy: 'require',
  });
  let closed = false;
  const pumps = [];
  const close = () => {
    if (closed) return;
    closed = true;
    for (const pump of pumps) pump.stop();
    pc.close(); // stops the transceivers, not the tracks: those stay ours
  };
  pc.addEventListener('connectionstatechange', () => {
    if (!closed) onState(pc.connectionState, pc);
  });
  try {
    const encodable = await Promise.all(
      tracks.map(({ track }) => (lowLatency ? canEncode(track) : false)),
    );
    const transceivers = tracks
      .filter((_, i) => !encodable[i])
      .map(({ track, role }) => ({
        transceiver: pc.addTransceiver(track, { direction: 'sendonly' }),
        role,
      }));
    const channelled = tracks.filter((_, i) => encodable[i]);
    for (const { track, role } of channelled) {
      const channel = pc.createDataChannel(`audio:${role}`, { ordered: false, maxRetransmits: 0 });
      pumps.push(pumpOpus(track, channel));
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await iceGatheringDone(pc);
    signal?.throwIfAborted();
    const labels = {};
    for (const { transceiver, role } of transceivers) {
      if (transceiver.mid === null) throw new Error('a transceiver got no mid');
      labels[transceiver.mid] = role;
    }
    const answer = await webrtcOffer(
      sessionId,
      pc.localDescription.sdp,
      labels,
      channelled.map(({ role }) => role),
    );
    await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
    await Promise.all(transceivers.map(({ transceiver }) => tuneSender(transceiver.sender)));
  } catch (err) {
    close();
    throw err;
  }
  return { pc, close };
}

/**
 * The selected candidate pair's current round-trip time in seconds, or null.
 * @param {RTCPeerConnection} pc
 */
export async function currentRoundTripTime(pc) {
  if (!pc || pc.connectionState === 'closed') return null;
  let report;
  try {
    report = await pc.getStats();
  } catch {
    return null;
  }
  let pairId = null;
  report.forEach((stat) => {
    if (stat.type === 'transport' && stat.selectedCandidatePairId) {
      pairId = stat.selectedCandidatePairId;
    }
  });
  let rtt = null;
  report.forEach((stat) => {
    if (stat.type !== 'candidate-pair' || typeof stat.currentRoundTripTime !== 'number') return;
    if (pairId ? stat.id === pairId : stat.nominated && stat.state === 'succeeded') {
      rtt = stat.currentRoundTripTime;
    }
  });
  return rtt;
}

/** An error after which a new offer cannot succeed (consent, auth, ended, bad request). */
export function isFatal(err) {
  return err instanceof ApiError && [401, 403, 404, 409, 422].includes(err.status);
}

/**
 * Keeps a session's audio flowing over WebRTC: connects, and when the connection
 * fails (or stays disconnected for more than 3 s) sends a new offer with the same
 * tracks, retrying with backoff while the server is unreachable.
 *
 * States: 'idle' → 'connecting' → 'live' ⇄ 'reconnecting'; 'closed' after close() or a
 * fatal error (reported through onError).
 */
export class WebRtcSender {
  /**
   * @param {string} sessionId
   * @param {{track: MediaStreamTrack, role: string}[]} tracks
   * @param {{onState?: (state: string) => void, onError?: (err: Error) => void}} [handlers]
   */
  constructor(
    sessionId,
    tracks,
    { onState = () => {}, onError = () => {}, lowLatency = LOW_LATENCY_DEFAULT } = {},
  ) {
    this.sessionId = sessionId;
    this.tracks = tracks;
    this.lowLatency = lowLatency;
    this.onState = onState;
    this.onError = onError;
    this.state = 'idle';
    this.connection = null; // {pc, close}
    this._generation = 0;
    this._graceTimer = null;
    this._retryTimer = null;
    this._attempt = 0;
    this._abort = null; // aborts the connect in progress when superseded
    this._inflight = Promise.resolve(); // settles when the last connect has settled
  }

  /** The current RTCPeerConnection (null between connections). */
  get pc() {
    return this.connection?.pc ?? null;
  }

  /** Connect; rejects on the first failure (the caller shows it). */
  async start() {
    await this._connect('connecting', { retry: false });
  }

  /** Drop the current peer connection and make a new one with a new offer, now. */
  async reconnect() {
    if (this.state === 'closed') throw new Error('the sender is closed');
    await this._connect('reconnecting', { retry: true });
  }

  /** Close the peer connection; the server finishes transcribing what it received. */
  close() {
    this._generation += 1;
    this._abort?.abort();
    this._clearTimers();
    this.connection?.close();
    this.connection = null;
    this._setState('closed');
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }

  _clearTimers() {
    clearTimeout(this._graceTimer);
    clearTimeout(this._retryTimer);
    this._graceTimer = null;
    this._retryTimer = null;
  }

  async _connect(state, { retry }) {
    const generation = ++this._generation;
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    this._clearTimers();
    this.connection?.close();
    this.connection = null;
    this._setState(state);
    // One offer at a time: a superseded connect either gives up before posting its
    // offer or has already posted it, and then this one's offer must reach the server
    // after it (the server keeps the peer of the last offer it answered).
    const previous = this._inflight;
    const attempt = previous.then(() =>
      connectWebRtc(this.sessionId, this.tracks, {
        onState: (pcState) => this._pcState(generation, pcState),
        signal: abort.signal,
        lowLatency: this.lowLatency,
      }),
    );
    this._inflight = attempt.then(
      () => undefined,
      () => undefined,
    );
    let connection;
    try {
      connection = await attempt;
    } catch (err) {
      if (generation !== this._generation) return; // superseded meanwhile
      if (!retry || isFatal(err)) {
        this._generation += 1;
        this._setState('closed');
        if (retry) this.onError(err);
        throw err;
      }
      this._scheduleRetry(generation);
      return;
    }
    if (generation !== this._generation) {
      connection.close(); // close() or another reconnect() won the race
      return;
    }
    this.connection = connection;
    this._pcState(generation, connection.pc.connectionState);
  }

  _pcState(generation, pcState) {
    if (generation !== this._generation) return;
    if (pcState === 'connected') {
      this._attempt = 0;
      clearTimeout(this._graceTimer);
      this._graceTimer = null;
      this._setState('live');
    } else if (pcState === 'failed') {
      this._reconnectSoon(0);
    } else if (pcState === 'disconnected') {
      // Often transient (Wi-Fi roaming): give ICE 3 s to recover by itself.
      this._setState('reconnecting');
      if (this._graceTimer === null) this._reconnectSoon(DISCONNECTED_GRACE_MS);
    }
  }

  _reconnectSoon(delayMs) {
    clearTimeout(this._graceTimer);
    const generation = this._generation;
    this._setState('reconnecting');
    this._graceTimer = setTimeout(() => {
      this._graceTimer = null;
      if (generation !== this._generation) return;
      const state = this.connection?.pc.connectionState;
      if (state === 'connected') return; // recovered by itself
      this.reconnect().catch(() => {}); // fatal errors are reported via onError
    }, delayMs);
  }

  _scheduleRetry(generation) {
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** this._attempt);
    this._attempt = Math.min(this._attempt + 1, 10);
    this._setState('reconnecting');
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      if (generation !== this._generation) return;
      this.reconnect().catch(() => {});
    }, delay);
  }
}
