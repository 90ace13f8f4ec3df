"""silero-vad through onnxruntime: one speech probability per 32 ms of 16 kHz audio."""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from companion.errors import ConfigError

VAD_FRAME = 512  # samples at 16 kHz: what silero-vad v5+ accepts
_CONTEXT = 64


@cache
def load_vad_model() -> ort.InferenceSession:
    """The ONNX model shipped in the ``silero-vad`` package, loaded once per process."""
    try:
        # Locate the file without importing the package: its __init__ imports torch (~3 s).
        spec = find_spec("silero_vad")
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError("silero_vad package")
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / "silero_vad.onnx"
        opts = ort.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        return ort.InferenceSession(
            str(path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ConfigError(f"cannot load silero-vad model: {type(exc).__name__}") from exc


class SileroVad:
    """Streaming speech probability for one audio track (it owns the recurrent state).

    >>> vad = SileroVad()
    >>> p = vad.prob(np.zeros(512, np.float32))  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._session = load_vad_model()
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros((1, _CONTEXT), dtype=np.float32)

    def prob(self, frame: NDArray[np.float32]) -> float:
        """Probability that this 512-sample frame holds speech."""
        x = np.concatenate([self._context, frame.reshape(1, VAD_FRAME)], axis=1)
        out, self._state = self._session.run(
            None, {"input": x, "state": self._state, "sr": np.array(16000, dtype=np.int64)}
        )
        self._context = x[:, -_CONTEXT:]
        return float(out[0, 0])
