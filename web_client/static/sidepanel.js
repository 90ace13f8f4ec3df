// The side-panel (index.html): sign in, pick a client and session, record consent,
// capture the microphone over WebRTC (or the WebSocket fallback), follow the live
// transcript, the note draft (accept, edit, reject, add items), what the note still
// lacks, and risk alerts; in a one-channel session, who spoke
// (the Speakers card, where roles are corrected) and the talk-time figures; the
// clinician's voice profile.
//
// Connection states shown and reported by window.companion.state():
//   idle → connecting → live ⇄ reconnecting → paused (Pause, consent withdrawn) → ended.

import { TalkTimeView } from './analytics.js';
import * as api from './api.js';
import { audioContext, getMicrophone, LevelMeter, stopStream } from './capture.js';
import { EventStream } from './events.js';
import { NoteDraftView, RequiredView, RiskAlertView } from './notes.js';
import { SpeakersView } from './speakers.js';
import { liveTranscript } from './transcript.js';
import {
  byId,
  errorText,
  queryParam,
  pageSessionPicker,
  setMessage,
  setupAccount,
  show,
  speakerLabel,
} from './ui.js';
import { VoiceProfileView } from './voiceprofile.js';
import { currentRoundTripTime, WebRtcSender } from './webrtc.js';
import { WsAudioSender } from './wsaudio.js';

const $ = {
  state: byId('connection-state'),
  latency: byId('latency'),
  rtt: byId('rtt'),
  statusLine: byId('status-line'),
  warning: byId('capture-warning'),
  bridgeLink: byId('bridge-link'),
  setupError: byId('setup-error'),
  consentTherapist: byId('consent-therapist'),
  consentClient: byId('consent-client'),
  consentStatus: byId('consent-status'),
  captureSection: byId('capture-section'),
  source: byId('source-select'),
  transport: byId('transport-select'),
  start: byId('start-button'),
  pause: byId('pause-button'),
  resume: byId('resume-button'),
  end: byId('end-button'),
  micLevel: byId('mic-level'),
  refineStatus: byId('refine-status'),
};

/** @type {'idle'|'connecting'|'live'|'reconnecting'|'paused'|'ended'} */
let connState = 'idle';
let session = null; // the chosen session (API shape)
let noteSigned = false; // the chosen session's note is signed: read-only here
let feed = null; // EventStream of the chosen session
let busy = false; // a start/pause/end is in progress
/** The running capture: microphone, meter, sender and its kind. */
let capture = null;
let rttTimer = null;

const transcript = liveTranscript($.latency);
/** The chosen session's id; the note's calls refuse to run without one. */
function chosenId() {
  if (!session) throw new Error('No session is chosen.');
  return session.id;
}
const notes = new NoteDraftView({
  container: byId('note-draft'),
  empty: byId('note-empty'),
  error: byId('note-error'),
  rejected: byId('note-rejected'),
  rejectedList: byId('note-rejected-list'),
  rejectedCount: byId('note-rejected-count'),
  actions: {
    update: (itemId, changes) => api.updateNoteItem(chosenId(), itemId, changes),
    add: (fields) => api.addNoteItem(chosenId(), fields),
  },
});
const required = new RequiredView({
  list: byId('required-list'),
  summary: byId('required-summary'),
  facts: byId('note-facts'),
  factsBlock: byId('facts-block'),
  empty: byId('required-empty'),
});
const risks = new RiskAlertView({ list: byId('risk-alerts'), empty: byId('risk-empty') });
const speakers = new SpeakersView({
  section: byId('speakers-section'),
  list: byId('speakers-list'),
  error: byId('speakers-error'),
  onChange: async (speaker, role) => {
    if (!session) throw new Error('No session is chosen.');
    await api.setSpeakerRole(session.id, speaker, role);
  },
});
const talk = new TalkTimeView({
  section: byId('talk-section'),
  table: byId('talk-table'),
  body: byId('talk-rows'),
  summary: byId('talk-summary'),
  empty: byId('talk-empty'),
});
const voice = new VoiceProfileView({
  section: byId('voice-section'),
  status: byId('voice-status'),
  record: byId('voice-record-button'),
  cancel: byId('voice-cancel-button'),
  remove: byId('voice-delete-button'),
  reading: byId('voice-reading'),
  countdown: byId('voice-countdown'),
  message: byId('voice-message'),
  error: byId('voice-error'),
  onBusy: () => updateControls(),
});

// Test hook (read by the browser tests): never exposes more than the page shows.
window.companion = {
  state: () => connState,
  transcript: () => transcript.transcript(),
  session: () => session?.id ?? null,
  levels: () => ({ mic: capture?.meter?.rms ?? 0 }),
  speakers: () => speakers.speakers(),
  analytics: () => talk.analytics(),
  note: () => ({ items: notes.items(), missing: required.missing(), alerts: risks.alerts() }),
};

const picker = pageSessionPicker($.setupError, selectSession);

// ---- state and controls ---------------------------------------------------------------

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
  const consented = open && session.consented === true;
  // The enrolment recording holds the microphone: no session capture meanwhile.
  const micFree = !voice.recording;
  $.start.disabled = busy || !consented || connState !== 'idle' || !micFree;
  $.resume.disabled = busy || !consented || connState !== 'paused' || !micFree;
  $.pause.disabled = busy || !capturing();
  $.end.disabled = busy || !open;
  const settable = !busy && (connState === 'idle' || connState === 'paused');
  $.source.disabled = !settable;
  $.transport.disabled = !settable;
  $.consentTherapist.disabled = busy || !open;
  $.consentClient.disabled = busy || !open;
  picker.setDisabled(busy || capturing());
  speakers.setEditable(open);
  // The note is reviewed after the session too, until it is signed (then: /review).
  notes.setEditable(session !== null && !noteSigned);
  voice.setAllowed(!busy && !capturing());
  if (busy) $.captureSection.setAttribute('aria-busy', 'true');
  else $.captureSection.removeAttribute('aria-busy');
}

function status(text) {
  setMessage($.statusLine, text, 'info');
}

function warn(text) {
  setMessage($.warning, text, text ? 'warning' : 'info');
}

function renderConsent() {
  const consents = session?.consents ?? {};
  const stateOf = (party) => consents[party]?.state ?? 'pending';
  $.consentTherapist.checked = stateOf('therapist') === 'granted';
  $.consentClient.checked = stateOf('client') === 'granted';
  if (!session) {
    $.consentStatus.textContent = '';
  } else if (session.state === 'ended') {
    $.consentStatus.textContent = session.consented
      ? 'Both parties consented. The session has ended.'
      : 'The session has ended.';
  } else if (session.consented) {
    $.consentStatus.textContent = 'Both parties consented: capture is allowed.';
  } else {
    const missing = ['therapist', 'client']
      .filter((p) => stateOf(p) !== 'granted')
      .map((p) => `${speakerLabel(p)} (${stateOf(p)})`);
    $.consentStatus.textContent = `Capture needs consent from: ${missing.join(', ')}.`;
  }
}

// ---- session selection and events ------------------------------------------------------

async function selectSession(chosen) {
  feed?.stop();
  feed = null;
  transcript.clear();
  notes.clear();
  required.clear();
  risks.clear();
  speakers.clear();
  talk.clear();
  setMessage($.refineStatus, '');
  $.latency.textContent = 'Delay –';
  warn('');
  session = chosen;
  noteSigned = false;
  speakers.setExpected(chosen?.expected_speakers ?? null);
  renderConsent();
  if (!chosen) {
    show($.bridgeLink, false);
    setState('idle');
    return;
  }
  $.bridgeLink.href = `/bridge?session=${encodeURIComponent(chosen.id)}`;
  show($.bridgeLink, true);
  const url = new URL(window.location.href);
  url.searchParams.set('session', chosen.id);
  window.history.replaceState(null, '', url);
  setState(chosen.state === 'ended' ? 'ended' : 'idle');
  // The draft as it stands is asked for first; the event stream replays and continues
  // it. Either may answer first: items carry versions, so an older one never replaces a
  // newer one, and the transcript never waits for the note (its thread may be busy).
  loadNote(chosen.id);
  feed = new EventStream(chosen.id, { onEvent, onStatus: feedStatus });
  feed.start();
  if (chosen.state === 'ended') loadAnalytics(chosen.id);
}

/** The note draft, its checklist and facts as the server has them now. */
async function loadNote(id) {
  try {
    const note = await api.getNote(id);
    if (session?.id !== id) return;
    noteSigned = note.state === 'signed';
    notes.load(note);
    if (noteSigned) notes.setEditable(false);
    required.fetched({ elements: note.required, missing: note.missing, facts: note.facts });
  } catch (err) {
    // The events still fill the draft; a draft switched off (404) is no error to show.
    if (!(err instanceof api.ApiError && err.status === 404)) {
      setMessage(byId('note-error'), `Note draft: ${errorText(err)}`, 'error');
    }
  }
}

/** An ended session's talk figures from the stored transcript (events may replace them). */
async function loadAnalytics(id) {
  try {
    const figures = await api.getAnalytics(id);
    if (session?.id === id) talk.fetched(figures);
  } catch {
    // not shown: the replayed analytics.update events (if any) still fill the card
  }
}

function feedStatus(state, message) {
  if (state === 'reconnecting') status('Transcript connection lost: reconnecting…');
  else if (state === 'open' || state === 'stopped') status('');
  else if (state === 'failed') setMessage($.statusLine, message, 'error');
}

function onEvent(event) {
  if (event.type === 'transcript.final') speakers.seen(event);
  if (transcript.handle(event) || notes.handle(event) || risks.handle(event)) return;
  if (required.handle(event)) return;
  if (talk.handle(event)) return;
  if (event.type === 'speaker.roles') {
    // The server's word on every speaker's role: the lines already shown follow it.
    transcript.relabel(event.track, event.roles);
    speakers.roles(event);
  } else if (event.type === 'speaker.correction') {
    transcript.correct(event);
    speakers.seen(event);
  } else if (event.type === 'transcript.refined') {
    const n = Number(event.changed) || 0;
    setMessage(
      $.refineStatus,
      `Speaker labels refined after the session: ${n} segment${n === 1 ? '' : 's'} changed.`,
    );
  } else if (event.type === 'session.state') {
    sessionStateChanged(event.state);
  } else if (event.type === 'track.overrun') {
    warn(
      `Audio was dropped on the ${speakerLabel(event.track)} track: ` +
        'the server fell behind. Parts of the transcript may be missing.',
    );
  }
  // Other event types are not shown (yet).
}

async function sessionStateChanged(state) {
  if (!session || typeof state !== 'string') return;
  session.state = state;
  picker.update(session);
  if (state === 'ended') {
    await stopCapture();
    renderConsent();
    setState('ended');
    status('The session has ended.');
  } else if (state === 'consent_paused' || state === 'consent_revoked') {
    // Ignore a replayed old state: only the current consent record counts.
    try {
      session = await api.getSession(session.id);
      picker.update(session);
    } catch {
      // keep what we have
    }
    renderConsent();
    if (!session.consented && capturing()) {
      await stopCapture();
      setState('paused');
      warn('Consent was paused or withdrawn: capture stopped.');
    }
  }
  updateControls();
}

// ---- capture ------------------------------------------------------------------------------

function startRttPolling(sender) {
  clearInterval(rttTimer);
  rttTimer = setInterval(async () => {
    const rtt = await currentRoundTripTime(sender.pc);
    if (capture?.sender !== sender) return;
    $.rtt.textContent = rtt === null ? 'RTT –' : `RTT ${Math.round(rtt * 1000)} ms`;
  }, 2000);
}

/** Sender state → page state (ignoring senders that are no longer current). */
function senderState(sender, state) {
  if (capture?.sender !== sender) return;
  if (state === 'live') {
    setState('live');
    status('');
  } else if (state === 'reconnecting') {
    setState('reconnecting');
    status('Audio connection lost: reconnecting…');
  } else if (state === 'connecting') {
    setState('connecting');
  } else if (state === 'paused' || state === 'ended' || state === 'closed') {
    // The server ended the stream (consent, session end) or a fatal error.
    if (busy) return; // our own pause/end
    stopCapture().then(async () => {
      try {
        session = await api.getSession(session.id);
        picker.update(session);
        renderConsent();
      } catch {
        // keep what we have
      }
      setState(session.state === 'ended' ? 'ended' : 'paused');
    });
  }
}

function senderError(sender, err) {
  if (capture?.sender !== sender) return;
  warn(errorText(err));
}

async function startCapture() {
  if (!session) return;
  busy = true;
  warn('');
  setState('connecting');
  try {
    const context = await audioContext(); // created inside the click: not suspended
    const role = $.source.value === 'therapist' ? 'therapist' : 'mixed';
    const kind = $.transport.value === 'websocket' ? 'websocket' : 'webrtc';
    const mic = await getMicrophone({ echoCancellation: role === 'therapist' });
    const [track] = mic.getAudioTracks();
    const meter = new LevelMeter(context, track, {
      meter: $.micLevel,
      silenceMs: 15_000,
      onSilence: (silent) => {
        if (capture?.mic === mic) {
          warn(silent ? 'No sound from the microphone. Is it muted or unplugged?' : '');
        }
      },
    });
    capture = { mic, meter, role, kind, sender: null };
    track.addEventListener('ended', () => {
      if (capture?.mic !== mic) return;
      warn('The microphone was disconnected: capture paused.');
      stopCapture().then(() => setState('paused'));
    });
    const handlers = (get) => ({
      onState: (state) => senderState(get(), state),
      onError: (err) => senderError(get(), err),
    });
    let sender;
    if (kind === 'webrtc') {
      sender = new WebRtcSender(session.id, [{ track, role }], handlers(() => sender));
      capture.sender = sender;
      await sender.start();
      startRttPolling(sender);
    } else {
      sender = new WsAudioSender(session.id, track, role, context, handlers(() => sender));
      capture.sender = sender;
      await sender.start();
    }
    if (sender.state === 'live') {
      setState('live');
    } else if (['paused', 'ended', 'closed'].includes(sender.state)) {
      // The server refused the stream at once (WebSocket close 4403/1000...).
      await stopCapture();
      setState(session.state === 'ended' ? 'ended' : 'idle');
    }
  } catch (err) {
    await stopCapture();
    setState('idle');
    warn(errorText(err));
  } finally {
    busy = false;
    updateControls();
  }
}

/** Close the transport and release the microphone (the server keeps what it got). */
async function stopCapture() {
  clearInterval(rttTimer);
  rttTimer = null;
  const current = capture;
  capture = null;
  if (!current) return;
  try {
    if (current.sender instanceof WsAudioSender) await current.sender.stop();
    else current.sender?.close();
  } finally {
    current.meter.stop();
    stopStream(current.mic);
  }
}

async function pauseCapture() {
  busy = true;
  updateControls();
  try {
    await stopCapture();
    setState('paused');
    status('Paused. The transcript of what was captured continues to arrive.');
  } finally {
    busy = false;
    updateControls();
  }
}

async function resumeCapture() {
  await startCapture();
  if (connState === 'idle') setState('paused'); // resume failed: still paused
}

async function endCurrentSession() {
  if (!session) return;
  busy = true;
  updateControls();
  status('Ending the session: finishing the transcript…');
  try {
    await stopCapture();
    session = await api.endSession(session.id);
    picker.update(session);
    renderConsent();
    setState('ended');
    status('The session has ended.');
  } catch (err) {
    warn(errorText(err));
  } finally {
    busy = false;
    updateControls();
  }
}

async function consentChanged(party, checkbox) {
  if (!session) return;
  const state = checkbox.checked ? 'granted' : 'revoked';
  busy = true;
  updateControls();
  try {
    if (state !== 'granted' && capturing()) {
      await stopCapture(); // stop sending before the withdrawal is recorded
      setState('paused');
    }
    session = await api.recordConsent(session.id, party, state);
    picker.update(session);
    warn('');
  } catch (err) {
    checkbox.checked = !checkbox.checked;
    warn(errorText(err));
  } finally {
    busy = false;
    renderConsent();
    updateControls();
    checkbox.focus();
  }
}

// ---- wiring -------------------------------------------------------------------------------

$.start.addEventListener('click', startCapture);
$.pause.addEventListener('click', pauseCapture);
$.resume.addEventListener('click', resumeCapture);
$.end.addEventListener('click', endCurrentSession);
$.consentTherapist.addEventListener('change', () =>
  consentChanged('therapist', $.consentTherapist),
);
$.consentClient.addEventListener('change', () => consentChanged('client', $.consentClient));
window.addEventListener('pagehide', () => {
  // Closing the panel: close the sockets/peer cleanly so the server finishes at once.
  if (capture) stopCapture();
});

setupAccount({
  home: '/',
  beforeSignOut: async () => {
    await stopCapture();
    feed?.stop();
  },
  onSignedIn: async () => {
    updateControls();
    await Promise.all([picker.load(queryParam('session')), voice.load()]);
  },
});
