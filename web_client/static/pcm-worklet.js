// AudioWorklet processor 'pcm16k': mono, 16 kHz, 16-bit little-endian PCM in frames of
// 10 ms (160 samples), posted to the main thread as transferred ArrayBuffers.
//
// Runs on the audio rendering thread at the context's rate (`sampleRate`, a global
// of the worklet scope: usually 48000, sometimes 44100).
//   * Downmix: the mean of the input channels.
//   * Anti-aliasing: a 4th-order Butterworth low-pass (two biquads) at 7.2 kHz, below
//     the 8 kHz Nyquist frequency of the output.
//   * Integer ratios (48000, 32000, 96000): decimate by averaging each group of N
//     filtered samples. Other rates (44100): linear interpolation.
// Messages in: {type: 'stop'} flushes the partial frame (padded to the 10 ms minimum
// the server accepts) and ends the processor. Messages out: {type: 'frame', buffer},
// then {type: 'stopped'}.

const OUT_RATE = 16000;
const FRAME_SAMPLES = 160; // 10 ms: the smallest the server accepts, the least delay
const MIN_SAMPLES = 160; // 10 ms: the server's smallest frame
const CUTOFF_HZ = 7200;

/** One biquad low-pass section (RBJ cookbook), transposed direct form II. */
class Biquad {
  constructor(rate, cutoff, q) {
    const w = (2 * Math.PI * Math.min(cutoff, rate * 0.45)) / rate;
    const alpha = Math.sin(w) / (2 * q);
    const cos = Math.cos(w);
    const a0 = 1 + alpha;
    this.b0 = (1 - cos) / 2 / a0;
    this.b1 = (1 - cos) / a0;
    this.b2 = this.b0;
    this.a1 = (-2 * cos) / a0;
    this.a2 = (1 - alpha) / a0;
    this.z1 = 0;
    this.z2 = 0;
  }

  process(x) {
    const y = this.b0 * x + this.z1;
    this.z1 = this.b1 * x - this.a1 * y + this.z2;
    this.z2 = this.b2 * x - this.a2 * y;
    return y;
  }
}

class Pcm16kProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    const rate = sampleRate;
    this.ratio = rate / OUT_RATE;
    this.decimate = Number.isInteger(this.ratio) ? this.ratio : 0;
    // Butterworth 4th order = two sections with Q 0.5412 and 1.3066.
    this.filters =
      rate > OUT_RATE
        ? [new Biquad(rate, CUTOFF_HZ, 0.5412), new Biquad(rate, CUTOFF_HZ, 1.3066)]
        : [];
    this.sum = 0; // decimation accumulator
    this.count = 0;
    this.pos = 0; // interpolation: next output position, in input samples, from block start
    this.prev = 0; // interpolation: the last filtered sample of the previous block
    this.mono = new Float32Array(128);
    this._newFrame();
    this.stopped = false;
    this.port.onmessage = (ev) => {
      if (ev.data?.type === 'stop') this.stopped = true;
    };
  }

  _newFrame() {
    this.frame = new ArrayBuffer(FRAME_SAMPLES * 2);
    this.view = new DataView(this.frame);
    this.filled = 0;
  }

  _emit(x) {
    const s = x > 1 ? 1 : x < -1 ? -1 : x;
    this.view.setInt16(this.filled * 2, Math.round(s < 0 ? s * 0x8000 : s * 0x7fff), true);
    this.filled += 1;
    if (this.filled === FRAME_SAMPLES) this._post();
  }

  _post() {
    const full = this.filled === FRAME_SAMPLES;
    const buffer = full ? this.frame : this.frame.slice(0, this.filled * 2);
    this.port.postMessage({ type: 'frame', buffer }, [buffer]);
    this._newFrame();
  }

  _flush() {
    if (this.filled > 0) {
      while (this.filled < MIN_SAMPLES) this.view.setInt16(this.filled++ * 2, 0, true);
      this._post();
    }
    this.port.postMessage({ type: 'stopped' });
  }

  process(inputs) {
    if (this.stopped) {
      this._flush();
      return false;
    }
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true; // no input connected (yet)
    const n = channels[0].length;
    if (this.mono.length !== n) this.mono = new Float32Array(n);
    const mono = this.mono;
    const k = channels.length;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let c = 0; c < k; c++) v += channels[c][i];
      v /= k;
      for (const f of this.filters) v = f.process(v);
      mono[i] = v;
    }
    if (this.ratio === 1) {
      for (let i = 0; i < n; i++) this._emit(mono[i]);
    } else if (this.decimate) {
      for (let i = 0; i < n; i++) {
        this.sum += mono[i];
        if (++this.count === this.decimate) {
          this._emit(this.sum / this.decimate);
          this.sum = 0;
          this.count = 0;
        }
      }
    } else {
      // Output sample j sits at input position pos + j * ratio; position -1 is `prev`.
      let pos = this.pos;
      while (pos < n - 1) {
        const i = Math.floor(pos);
        const frac = pos - i;
        const a = i < 0 ? this.prev : mono[i];
        const b = mono[i + 1];
        this._emit(a + (b - a) * frac);
        pos += this.ratio;
      }
      this.pos = pos - n;
      this.prev = mono[n - 1];
    }
    return true;
  }
}

registerProcessor('pcm16k', Pcm16kProcessor);
