"""Decoded audio frames (PyAV, as aiortc's decoders produce them) to mono float32."""

from __future__ import annotations

import av
import numpy as np

from streaming.audio import Samples


def frame_to_mono(frame: av.AudioFrame) -> Samples:
    """One decoded frame, any sample format and layout, as mono float32 in [-1, 1)."""
    pcm = frame.to_ndarray()
    channels = len(frame.layout.channels)
    per_channel = (
        pcm.reshape(channels, -1) if frame.format.is_planar else pcm.reshape(-1, channels).T
    )
    mono: Samples = per_channel.mean(axis=0, dtype=np.float32)
    if pcm.dtype.kind in "iu":
        mono /= np.float32(2 ** (8 * pcm.dtype.itemsize - 1))
    return mono
