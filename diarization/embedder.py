"""Speaker embeddings from resemblyzer's bundled voice encoder (weights ship in the package).

The encoder is a 3-layer LSTM over 40-band mel power spectra (25 ms windows, 10 ms hop)
that maps a short stretch of speech to a 256-d unit vector: two stretches of the same
voice point the same way. The mel spectrum is computed here with numpy, with exactly
resemblyzer's parameters (checked against ``resemblyzer.audio.wav_to_mel_spectrogram``
in the tests), because librosa's own path compiles numba code on its first call (seconds).

>>> emb = SpeakerEmbedder()
>>> vectors = emb.embed([window_a, window_b])  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from companion.errors import ConfigError
from companion.settings import TARGET_SAMPLE_RATE
from streaming.audio import Samples

N_FFT = 400  # 25 ms at 16 kHz
HOP = 160  # 10 ms
N_MELS = 40
EMBEDDING_DIM = 256
TARGET_DBFS = -30.0  # resemblyzer normalizes each utterance to this level
Embeddings = NDArray[np.float32]


@cache
def _mel_basis() -> NDArray[np.float64]:
    import librosa.filters  # the filterbank only: plain numpy, no numba

    basis: NDArray[np.float64] = librosa.filters.mel(
        sr=TARGET_SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS
    )
    return basis


_WINDOW = np.hanning(N_FFT + 1)[:-1]


def mel_frames(wav: Samples) -> NDArray[np.float32]:
    """Mel power spectrum, (frames, 40): what resemblyzer's encoder takes."""
    y = np.pad(wav.astype(np.float64), N_FFT // 2)
    n = 1 + (len(y) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(y[idx] * _WINDOW, axis=1)) ** 2
    return (spec @ _mel_basis().T).astype(np.float32)


def normalize_level(wav: Samples) -> Samples:
    """Scale to resemblyzer's -30 dBFS (its input level); silence stays silence."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) if len(wav) else 0.0
    if rms < 1e-5:
        return wav
    gain = 10 ** (TARGET_DBFS / 20) / rms
    return (wav * gain).astype(np.float32)


@cache
def _load_encoder(device: str) -> Any:
    try:
        import torch
        from resemblyzer.voice_encoder import VoiceEncoder

        torch.set_num_threads(1)  # one window batch is small; threads only add overhead
        encoder = VoiceEncoder(device, verbose=False)
        encoder.eval()
        return encoder
    except Exception as exc:  # a broken install raises many kinds of errors
        raise ConfigError(f"cannot load the speaker encoder: {type(exc).__name__}") from exc


class SpeakerEmbedder:
    """Embeds equal-length windows in one batch; thread-safe (one lock per process)."""

    _lock = threading.Lock()

    def __init__(self, device: str = "cpu") -> None:
        self._encoder = _load_encoder(device)
        self._device = device

    def warm_up(self) -> None:
        """The first forward pass allocates (~1 s); do it before audio arrives."""
        self.embed([np.zeros(TARGET_SAMPLE_RATE, dtype=np.float32)])

    def embed(self, windows: Sequence[Samples]) -> Embeddings:
        """Unit vectors, one row per window; windows of one length are batched together."""
        import torch

        out = np.zeros((len(windows), EMBEDDING_DIM), dtype=np.float32)
        by_len: dict[int, list[int]] = {}
        for i, w in enumerate(windows):
            by_len.setdefault(len(w), []).append(i)
        for idx in by_len.values():
            mels = np.stack([mel_frames(normalize_level(windows[i])) for i in idx])
            with self._lock, torch.inference_mode():
                vec = self._encoder(torch.from_numpy(mels).to(self._device)).cpu().numpy()
            out[idx] = vec
        return out
