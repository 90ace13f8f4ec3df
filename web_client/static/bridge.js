// The Doxy.me bridge (bridge.html): the therapist's microphone and the call tab's audio
// sent as two labelled tracks (mic → "therapist", tab → "client") on one peer
// connection, or over two audio WebSockets with the fallback ticked. Shows a level
// meter for each, warns when the tab stays silent, reconnects after network drops,
// and follows the live transcript.

import * as api from './api.js';
import {
  audioContext,
  getMicrophone,
  getTabAudio,
  LevelMeter,
  stopStream,
} from './capture.js';
import { EventStream } from './events.js';
import { liveTranscript } from './transcript.js';
import {
  byId,
  errorText,
  queryParam,
  pageSessionPicker,
  setMessage,
  setupAccount,
  speakerLabel,
} from './ui.js';
import { currentRoundTripTime, WebRtcSender } from './webrtc.js';
import { WsAudioSender } from './wsaudio.js';

const TAB_SILENCE_MS = 10_000;
const TAB_SILENT_TEXT =
  "No sound from the call tab. Is the patient muted, or was 'Share tab audio' left unticked?";

const $ = {
  state: byId('connection-state'),
  latency: byId('latency'),
  rtt: byId('rtt'),
  statusLine: byId('status-line'),
  error: byId('capture-error'),
  sessionInfo: byId('session-info'),
  setupError: byId('setup-error'),
  captureSection: byId('capture-section'),
  wsFallback: byId('ws-fallback'),
  start: byId('bridge-start'),
  stop: byId('bridge-stop'),
  reconnect: byId('bridge-reconnect'),
  therapistLevel: byId('therapist-level'),
  clientLevel: byId('client-level'),
  tabSilence: byId('tab-silence-warning'),
};

/** @type {'idle'|'connecting'|'live'|'reconnecting'|'paused'|'ended'} */
let connState = 'idle';
let session = null;
let feed = null;
let busy = false;
/**
 * The running capture.
 * @type {null | {mic: MediaStream, tab: MediaStream, meters: {therapist: LevelMeter,
 *   client: LevelMeter}, tracks: {track: MediaStreamTrack, role: string}[],
 *   kind: 'webrtc'|'websocket', senders: (WebRtcSender|WsAudioSender)[]}}
 */
let capture = null;
let rttTimer = null;

const transcript = liveTranscript($.latency);

// Test hook (read by the browser tests).
window.companion = {
  state: () => connState,
  transcript: () => transcript.transcript(),
  /** Simulate a network drop: close the peer connection (or sockets), reconnect now. */
  reconnect: () => reconnectNow(),
  levels: () => ({
    therapist: capture?.meters.therapist.rms ?? 0,
    client: capture?.meters.client.rms ?? 0,
  }),
  session: () => session?.id ?? null,
};

const picker = pageSessionPicker($.setupError, selectSession);

// ---- state ------------------------------------------------------------------------------

function setState(state) {
  connState = state;
  $.state.textContent = state;
  $.state.dataset.state = state;
  if (state !== 'live' && state !== 'reconnecting') $.rtt.textContent = 'RTT –';
  updateControls();
}

const capturing = () => ['connecting', 'live', 'reconnecting'].includes(connState);

function updateControls() {
  const open = session !== null && session.state !== 'ended' && connState !== 'ended';
  $.start.disabled = busy || !open || capturing();
  $.stop.disabled = busy || !capturing();
  $.reconnect.disabled = busy || !capturing();
  $.wsFallback.disabled = busy || capturing();
  picker.setDisabled(busy || capturing());
  if (busy) $.captureSection.setAttribute('aria-busy', 'true');
  else $.captureSection.removeAttribute('aria-busy');
}

const status = (text) => setMessage($.statusLine, text, 'info');
const fail = (text) => setMessage($.error, text, text ? 'error' : 'info');

function describeSession() {
  if (!session) {
    $.sessionInfo.textContent = 'Choose the session to capture.';
    return;
  }
  const consent = session.consented
    ? 'both parties consented'
    : 'consent missing: record it in the side-panel';
  $.sessionInfo.textContent = `Session ${session.state.replace(/_/g, ' ')}; ${consent}.`;
}

// ---- session and events -------------------------------------------------------------------

async function selectSession(chosen) {
  feed?.stop();
  feed = null;
  transcript.clear();
  $.latency.textContent = 'Delay –';
  fail('');
  session = chosen;
  describeSession();
  if (!chosen) {
    setState('idle');
    return;
  }
  const url = new URL(window.location.href);
  url.searchParams.set('session', chosen.id);
  window.history.replaceState(null, '', url);
  setState(chosen.state === 'ended' ? 'ended' : 'idle');
  feed = new EventStream(chosen.id, {
    onEvent,
    onStatus: (state, message) => {
      if (state === 'reconnecting') status('Transcript connection lost: reconnecting…');
      else if (state === 'open' || state === 'stopped') status('');
      else if (state === 'failed') setMessage($.statusLine, message, 'error');
    },
  });
  feed.start();
}

async function refreshSession() {
  try {
    session = await api.getSession(session.id);
    picker.update(session);
  } catch {
    // keep what we have
  }
  describeSession();
}

function onEvent(event) {
  if (transcript.handle(event)) return;
  if (event.type === 'session.state' && session && typeof event.state === 'string') {
    sessionStateChanged(event.state);
  } else if (event.type === 'track.overrun') {
    fail(`Audio was dropped on the ${speakerLabel(event.track)} track: the server fell behind.`);
  }
}

async function sessionStateChanged(state) {
  session.state = state;
  picker.update(session);
  if (state === 'ended') {
    await stopCapture();
    setState('ended');
    status('The session has ended.');
    describeSession();
  } else if (state === 'consent_paused' || state === 'consent_revoked') {
    await refreshSession(); // a replayed old state must not stop a consented capture
    if (!session.consented && capturing()) {
      await stopCapture();
      setState('paused');
      fail('Consent was paused or withdrawn: capture stopped.');
    }
  } else {
    describeSession();
  }
  updateControls();
}

// ---- capture --------------------------------------------------------------------------------

/** Sender state → page state: live when every sender is live. */
function senderState(sender, state) {
  if (!capture?.senders.includes(sender)) return;
  const states = capture.senders.map((s) => s.state);
  if (states.some((s) => ['paused', 'ended', 'closed'].includes(s))) {
    if (busy) return; // our own stop, or start() still deciding
    stopCapture().then(async () => {
      await refreshSession();
      setState(session.state === 'ended' ? 'ended' : 'paused');
    });
  } else if (states.every((s) => s === 'live')) {
    setState('live');
    status('');
  } else if (states.some((s) => s === 'reconnecting')) {
    setState('reconnecting');
    status('Audio connection lost: reconnecting…');
  } else if (state === 'connecting') {
    setState('connecting');
  }
}

function senderError(sender, err) {
  if (capture?.senders.includes(sender)) fail(errorText(err));
}

function startRttPolling(sender) {
  clearInterval(rttTimer);
  rttTimer = setInterval(async () => {
    const rtt = await currentRoundTripTime(sender.pc);
    if (!capture?.senders.includes(sender)) return;
    $.rtt.textContent = rtt === null ? 'RTT –' : `RTT ${Math.round(rtt * 1000)} ms`;
  }, 2000);
}

async function startCapture() {
  if (!session) return;
  busy = true;
  fail('');
  setMessage($.tabSilence, '');
  setState('connecting');
  let tab = null;
  let mic = null;
  try {
    const context = await audioContext(); // created inside the click
    // Consent first, so nobody is asked to share a tab for nothing (refreshed only when
    // missing: the screen-share picker needs the click's activation, which expires).
    if (!session.consented) await refreshSession();
    if (session.state === 'ended') throw new Error('This session has ended.');
    if (!session.consented) {
      throw new Error('Both parties must consent first: record it in the side-panel.');
    }
    // The screen-share picker needs the click's user activation: ask for it first.
    tab = await getTabAudio();
    mic = await getMicrophone();
    const [micTrack] = mic.getAudioTracks();
    const [tabTrack] = tab.getAudioTracks();
    const meters = {
      therapist: new LevelMeter(context, micTrack, {
        meter: $.therapistLevel,
        silenceMs: Infinity, // a listening therapist is often silent
      }),
      client: new LevelMeter(context, tabTrack, {
        meter: $.clientLevel,
        silenceMs: TAB_SILENCE_MS,
        onSilence: (silent) => setMessage($.tabSilence, silent ? TAB_SILENT_TEXT : '', 'warning'),
      }),
    };
    const tracks = [
      { track: micTrack, role: 'therapist' },
      { track: tabTrack, role: 'client' },
    ];
    const kind = $.wsFallback.checked ? 'websocket' : 'webrtc';
    capture = { mic, tab, meters, tracks, kind, senders: [] };
    const current = capture;
    tabTrack.addEventListener('ended', () => {
      if (capture !== current) return;
      fail('Tab sharing stopped. Press Start capture to share the call tab again.');
      stopCapture().then(() => setState('paused'));
    });
    micTrack.addEventListener('ended', () => {
      if (capture !== current) return;
      fail('The microphone was disconnected. Press Start capture to try again.');
      stopCapture().then(() => setState('paused'));
    });
    const handlers = (get) => ({
      onState: (state) => senderState(get(), state),
      onError: (err) => senderError(get(), err),
    });
    if (kind === 'webrtc') {
      const sender = new WebRtcSender(session.id, tracks, handlers(() => sender));
      capture.senders.push(sender);
      await sender.start();
      startRttPolling(sender);
    } else {
      for (const { track, role } of tracks) {
        const sender = new WsAudioSender(session.id, track, role, context, handlers(() => sender));
        capture.senders.push(sender);
      }
      await Promise.all(capture.senders.map((s) => s.start()));
    }
    const states = capture.senders.map((s) => s.state);
    if (states.every((s) => s === 'live')) setState('live');
    else if (states.some((s) => ['paused', 'ended', 'closed'].includes(s))) {
      await stopCapture();
      await refreshSession();
      setState(session.state === 'ended' ? 'ended' : 'idle');
    }
  } catch (err) {
    if (capture) await stopCapture();
    else {
      stopStream(tab);
      stopStream(mic);
    }
    setState(connState === 'ended' ? 'ended' : 'idle');
    fail(errorText(err));
  } finally {
    busy = false;
    updateControls();
  }
}

/** Close the transport(s), stop the meters and release the microphone and tab. */
async function stopCapture() {
  clearInterval(rttTimer);
  rttTimer = null;
  const current = capture;
  capture = null;
  if (!current) return;
  try {
    await Promise.all(
      current.senders.map((s) => (s instanceof WsAudioSender ? s.stop() : s.close())),
    );
  } finally {
    current.meters.therapist.stop();
    current.meters.client.stop();
    stopStream(current.mic);
    stopStream(current.tab);
    setMessage($.tabSilence, '');
  }
}

/** Drop the peer connection (or sockets) and connect again with the same tracks. */
async function reconnectNow() {
  if (!capture) throw new Error('not capturing');
  setState('reconnecting');
  await Promise.all(capture.senders.map((s) => s.reconnect()));
}

// ---- wiring ---------------------------------------------------------------------------------

$.start.addEventListener('click', startCapture);
$.stop.addEventListener('click', async () => {
  busy = true;
  updateControls();
  try {
    await stopCapture();
    setState('paused');
    status('Capture stopped. Press Start capture to continue the session.');
  } finally {
    busy = false;
    updateControls();
  }
});
$.reconnect.addEventListener('click', () => {
  reconnectNow().catch((err) => fail(errorText(err)));
});
window.addEventListener('pagehide', () => {
  if (capture) stopCapture();
});

setupAccount({
  home: '/bridge',
  beforeSignOut: async () => {
    await stopCapture();
    feed?.stop();
  },
  onSignedIn: async () => {
    describeSession();
    updateControls();
    await picker.load(queryParam('session'));
  },
});
