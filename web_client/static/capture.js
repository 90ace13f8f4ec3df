// Audio capture: the microphone (getUserMedia), a call tab's audio (getDisplayMedia),
// level meters from an AnalyserNode, and silence detection.
//
// The transcriber wants the signal as it is: echo cancellation, noise suppression and
// automatic gain control are off unless asked for (they smear onsets and pump levels).

const RAW_AUDIO = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };

let sharedContext = null;

/**
 * The page's AudioContext (created on first use, at the device's default rate). Call
 * it from a click handler the first time, or it may start suspended.
 */
export async function audioContext() {
  if (!sharedContext || sharedContext.state === 'closed') {
    sharedContext = new AudioContext({ latencyHint: 'interactive' });
  }
  if (sharedContext.state === 'suspended') {
    try {
      await sharedContext.resume();
    } catch {
      // resumed by the next user gesture
    }
  }
  return sharedContext;
}

/**
 * The microphone as a one-track MediaStream.
 * @param {{echoCancellation?: boolean}} [options] echo cancellation helps when the call
 *   plays through speakers and only the therapist's voice is wanted.
 */
export async function getMicrophone({ echoCancellation = false } = {}) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('This browser cannot capture audio here (a secure https:// page is needed).');
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { ...RAW_AUDIO, echoCancellation, channelCount: { ideal: 1 } },
    video: false,
  });
  const [track] = stream.getAudioTracks();
  if (!track) throw new Error('The microphone gave no audio track.');
  track.contentHint = 'speech';
  return stream;
}

export const NO_TAB_AUDIO =
  'The shared tab has no audio. Choose "Chrome tab" in the picker, select the call tab ' +
  'and tick "Share tab audio".';

/**
 * A browser tab's audio through the screen-share picker. The picker requires a video
 * track; it is stopped and discarded at once, only the audio track is kept.
 * Must be called from a user gesture (click).
 * @returns {Promise<MediaStream>} a stream with exactly one audio track
 */
export async function getTabAudio() {
  if (!navigator.mediaDevices?.getDisplayMedia) {
    throw new Error('This browser cannot share tab audio. Use a current Chrome or Edge.');
  }
  const display = await navigator.mediaDevices.getDisplayMedia({
    video: true,
    audio: { ...RAW_AUDIO, suppressLocalAudioPlayback: false },
    preferCurrentTab: false,
    selfBrowserSurface: 'exclude',
    systemAudio: 'exclude',
  });
  for (const video of display.getVideoTracks()) {
    video.stop();
    display.removeTrack(video);
  }
  const [audio] = display.getAudioTracks();
  if (!audio) {
    const err = new Error(NO_TAB_AUDIO);
    err.name = 'NoTabAudioError';
    throw err;
  }
  audio.contentHint = 'speech';
  return new MediaStream([audio]);
}

/** Stop every track of a stream (releases the device and its browser indicator). */
export function stopStream(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/** RMS (linear, 0..1) → 0..1 on a -60..0 dBFS scale, for a <meter>. */
export function meterValue(rms) {
  if (!(rms > 0)) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db + 60) / 60));
}

/**
 * A level meter and silence detector for one audio track: an AnalyserNode read about
 * ten times a second.
 */
export class LevelMeter {
  /**
   * @param {AudioContext} context
   * @param {MediaStreamTrack} track
   * @param {{meter?: HTMLMeterElement|HTMLProgressElement,
   *          silenceThreshold?: number, silenceMs?: number,
   *          onSilence?: (silent: boolean) => void, intervalMs?: number}} [options]
   *   onSilence(true) after `silenceMs` below `silenceThreshold` (RMS), onSilence(false)
   *   when sound returns.
   */
  constructor(
    context,
    track,
    {
      meter = null,
      silenceThreshold = 3e-4, // about -70 dBFS: a muted tab is digital silence
      silenceMs = 10_000,
      onSilence = () => {},
      intervalMs = 100,
    } = {},
  ) {
    this.meter = meter;
    this.silenceThreshold = silenceThreshold;
    this.silenceMs = silenceMs;
    this.onSilence = onSilence;
    this.rms = 0;
    this.silent = false;
    this._quietSince = performance.now();
    this._source = context.createMediaStreamSource(new MediaStream([track]));
    this._analyser = context.createAnalyser();
    this._analyser.fftSize = 2048;
    this._analyser.smoothingTimeConstant = 0;
    this._buffer = new Float32Array(this._analyser.fftSize);
    this._source.connect(this._analyser);
    this._timer = setInterval(() => this._tick(), intervalMs);
  }

  _tick() {
    this._analyser.getFloatTimeDomainData(this._buffer);
    let sum = 0;
    for (let i = 0; i < this._buffer.length; i++) sum += this._buffer[i] * this._buffer[i];
    this.rms = Math.sqrt(sum / this._buffer.length);
    if (this.meter) {
      this.meter.value = meterValue(this.rms);
      this.meter.textContent = `${Math.round(this.meter.value * 100)}%`;
    }
    const now = performance.now();
    if (this.rms >= this.silenceThreshold) {
      this._quietSince = now;
      if (this.silent) {
        this.silent = false;
        this.onSilence(false);
      }
    } else if (!this.silent && now - this._quietSince >= this.silenceMs) {
      this.silent = true;
      this.onSilence(true);
    }
  }

  stop() {
    clearInterval(this._timer);
    this._source.disconnect();
    this._analyser.disconnect();
    this.rms = 0;
    if (this.meter) {
      this.meter.value = 0;
      this.meter.textContent = '0%';
    }
    if (this.silent) {
      this.silent = false;
      this.onSilence(false);
    }
  }
}
