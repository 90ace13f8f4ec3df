// The clinician's voice profile: whether one is enrolled (and from how much speech),
// a 20 s enrolment recording made here, and deletion. The recording is 16 kHz mono
// 16-bit PCM from the 'pcm16k' AudioWorklet (the WebSocket transport's), wrapped in a
// WAV header written below and sent with PUT /v1/me/voice-profile; it is never stored in
// the browser. Only clinicians have a profile: for anyone else (403) the card stays hidden.

import * as api from './api.js';
import { audioContext, getMicrophone, stopStream } from './capture.js';
import { errorText, setMessage } from './ui.js';
import { loadWorklet } from './wsaudio.js';

const RATE = 16000;
export const RECORD_SECONDS = 20;
const NO_AUDIO_MS = 5_000; // no frame at all this long after starting: the mic is dead
const SOURCES = {
  enrolment: 'from your recording',
  sessions: 'learnt from your sessions',
  both: 'from your recording and your sessions',
};

/**
 * A WAV file (RIFF, PCM format 1, mono, 16-bit little-endian) of 16-bit samples.
 * @param {Int16Array} samples
 * @param {number} rate
 * @returns {Blob} of type audio/wav
 */
export function encodeWav(samples, rate = RATE) {
  const dataBytes = samples.length * 2;
  const buffer = new ArrayBuffer(44 + dataBytes);
  const view = new DataView(buffer);
  const ascii = (offset, text) => {
    for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true); // the rest of the file after this field
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // channels
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true); // byte rate: rate × channels × 2 bytes
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, samples[i], true);
  return new Blob([buffer], { type: 'audio/wav' });
}

/** "Enrolled: 21.4 s of speech, from your recording (updated 3 Mar 2025, 10:04)." */
export function profileText(profile) {
  if (!profile?.enrolled) {
    return 'Not enrolled. Record your voice so one-microphone sessions can tell you apart.';
  }
  const speech = typeof profile.speech_s === 'number' ? `${profile.speech_s.toFixed(1)} s` : '?';
  const source = SOURCES[profile.source] ?? profile.source ?? '';
  const when = new Date(profile.updated_at);
  const updated = Number.isNaN(when.getTime())
    ? ''
    : ` (updated ${when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })})`;
  return `Enrolled: ${speech} of speech${source ? `, ${source}` : ''}${updated}.`;
}

/** Record `seconds` of the microphone as 16 kHz 16-bit mono; `onTick(secondsLeft)`. */
class Recorder {
  constructor(seconds, onTick) {
    this.total = seconds * RATE;
    this.onTick = onTick;
    this.chunks = [];
    this.samples = 0;
    this.mic = null;
    this.nodes = [];
    this._done = null;
    this.cancelled = false;
  }

  _checkCancelled() {
    if (!this.cancelled) return;
    this._release();
    const err = new Error('Recording cancelled.');
    err.name = 'AbortError';
    throw err;
  }

  /** Resolves with the samples once `seconds` are recorded; rejects on cancel/failure. */
  async record() {
    const context = await audioContext(); // first call inside the click: not suspended
    this._checkCancelled();
    this.mic = await getMicrophone({ echoCancellation: false }); // no AGC, no NS either
    this._checkCancelled();
    await loadWorklet(context);
    this._checkCancelled();
    const source = context.createMediaStreamSource(this.mic);
    const node = new AudioWorkletNode(context, 'pcm16k', {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
    });
    const sink = context.createGain(); // a muted path keeps the node pulled
    sink.gain.value = 0;
    source.connect(node);
    node.connect(sink);
    sink.connect(context.destination);
    this.nodes = [source, node, sink];
    const finished = new Promise((resolve, reject) => {
      this._done = { resolve, reject };
    });
    const watchdog = setTimeout(() => {
      if (this.samples === 0) this._fail(new Error('No audio came from the microphone.'));
    }, NO_AUDIO_MS);
    node.port.onmessage = (ev) => {
      if (ev.data?.type !== 'frame' || !this._done) return;
      const frame = new Int16Array(ev.data.buffer);
      const take = Math.min(frame.length, this.total - this.samples);
      this.chunks.push(take === frame.length ? frame : frame.slice(0, take));
      this.samples += take;
      this.onTick(Math.ceil((this.total - this.samples) / RATE));
      if (this.samples >= this.total) this._finish();
    };
    this.onTick(Math.ceil(this.total / RATE));
    try {
      return await finished;
    } finally {
      clearTimeout(watchdog);
      node.port.onmessage = null;
      this._release();
    }
  }

  cancel() {
    this.cancelled = true;
    const err = new Error('Recording cancelled.');
    err.name = 'AbortError';
    this._fail(err);
  }

  _finish() {
    const out = new Int16Array(this.samples);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    const done = this._done;
    this._done = null;
    done?.resolve(out);
  }

  _fail(err) {
    const done = this._done;
    this._done = null;
    done?.reject(err); // before that, record() sees `cancelled` after its next await
  }

  _release() {
    for (const n of this.nodes) {
      try {
        n.disconnect();
      } catch {
        // already disconnected
      }
    }
    this.nodes = [];
    stopStream(this.mic);
    this.mic = null;
  }
}

export class VoiceProfileView {
  /**
   * @param {{section: HTMLElement, status: HTMLElement, record: HTMLButtonElement,
   *          cancel: HTMLButtonElement, remove: HTMLButtonElement, reading: HTMLElement,
   *          countdown: HTMLElement, message: HTMLElement, error: HTMLElement,
   *          onBusy?: (recording: boolean) => void}} parts
   */
  constructor(parts) {
    const { section, status, record, cancel, remove, reading, countdown, message, error } = parts;
    Object.assign(this, { section, status, record, cancel, remove, reading, countdown });
    this.message = message;
    this.error = error;
    this.onBusy = parts.onBusy ?? (() => {});
    this.profile = null;
    this.recorder = null; // while recording
    this.busy = false; // a request is in flight
    this.allowed = true; // false while a session captures the microphone
    record.addEventListener('click', () => this._record());
    cancel.addEventListener('click', () => this.recorder?.cancel());
    remove.addEventListener('click', () => this._delete());
  }

  get recording() {
    return this.recorder !== null;
  }

  /** Fetch the profile; hide the card for those who may not have one (403). */
  async load() {
    try {
      this._render(await api.getVoiceProfile());
      this.section.hidden = false;
    } catch (err) {
      if (err instanceof api.ApiError && (err.status === 403 || err.status === 401)) {
        this.section.hidden = true;
        return;
      }
      this.section.hidden = false;
      this.status.textContent = 'Your voice profile could not be loaded.';
      setMessage(this.error, errorText(err), 'error');
      this._controls();
    }
  }

  /** Recording is not offered while a session is capturing the microphone. */
  setAllowed(allowed) {
    this.allowed = allowed;
    this._controls();
  }

  _render(profile) {
    this.profile = profile;
    this.status.textContent = profileText(profile);
    this.section.dataset.enrolled = profile?.enrolled ? 'true' : 'false';
    this._controls();
  }

  _controls() {
    const recording = this.recording;
    this.record.disabled = recording || this.busy || !this.allowed;
    this.record.hidden = recording;
    this.cancel.hidden = !recording;
    this.remove.hidden = recording || !this.profile?.enrolled;
    this.remove.disabled = this.busy;
    this.reading.hidden = !recording;
    this.countdown.hidden = !recording;
    if (this.busy) this.section.setAttribute('aria-busy', 'true');
    else this.section.removeAttribute('aria-busy');
  }

  async _record() {
    if (this.recording || this.busy) return;
    setMessage(this.error, '');
    const recorder = new Recorder(RECORD_SECONDS, (left) => {
      this.countdown.textContent = `${left} s left`;
    });
    this.recorder = recorder;
    this.countdown.textContent = `${RECORD_SECONDS} s left`;
    this._controls();
    this.onBusy(true);
    this.cancel.focus();
    setMessage(this.message, 'Recording: read the text aloud, alone and in your usual voice.');
    let samples = null;
    try {
      samples = await recorder.record();
    } catch (err) {
      setMessage(this.message, '');
      if (err?.name === 'AbortError') setMessage(this.message, 'Recording cancelled.');
      else setMessage(this.error, errorText(err), 'error');
    } finally {
      this.recorder = null;
      this.onBusy(false);
      this._controls();
    }
    if (samples) await this._upload(encodeWav(samples));
    if (!this.record.disabled) this.record.focus();
  }

  async _upload(wav) {
    this.busy = true;
    this._controls();
    setMessage(this.message, 'Saving your voice profile…');
    try {
      this._render(await api.putVoiceProfile(wav));
      setMessage(this.message, 'Voice profile saved.');
    } catch (err) {
      setMessage(this.message, '');
      setMessage(this.error, `Not saved: ${errorText(err)}`, 'error');
    } finally {
      this.busy = false;
      this._controls();
    }
  }

  async _delete() {
    if (this.busy) return;
    if (!window.confirm('Delete your voice profile? Speakers are then not recognised by voice.')) {
      return;
    }
    this.busy = true;
    setMessage(this.error, '');
    this._controls();
    try {
      await api.deleteVoiceProfile();
      this._render({ enrolled: false });
      setMessage(this.message, 'Voice profile deleted.');
    } catch (err) {
      setMessage(this.error, errorText(err), 'error');
    } finally {
      this.busy = false;
      this._controls();
      if (!this.record.disabled) this.record.focus();
    }
  }
}
