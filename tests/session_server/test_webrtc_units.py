"""The WebRTC ingest's pure helpers: ``with_ptime`` on SDP text, ``frame_to_mono`` on
decoded frames of every sample format a decoder may hand over."""

from __future__ import annotations

import av
import numpy as np
import pytest

from session_server.webrtc import with_ptime
from streaming.frames import frame_to_mono

SESSION = ["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0 1"]
AUDIO_0 = ["m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=mid:0", "a=sendonly"]
AUDIO_1 = ["m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=mid:1", "a=sendonly"]
VIDEO = ["m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=mid:2", "a=sendonly"]


def sdp(*sections: list[str], trailing: bool = True) -> str:
    text = "\r\n".join(line for section in sections for line in section)
    return text + "\r\n" if trailing else text


def test_ptime_is_added_at_the_end_of_each_audio_section() -> None:
    out = with_ptime(sdp(SESSION, AUDIO_0, AUDIO_1), 10)
    assert out == sdp(SESSION, [*AUDIO_0, "a=ptime:10"], [*AUDIO_1, "a=ptime:10"])


def test_ptime_is_not_added_to_the_session_part_or_other_media() -> None:
    out = with_ptime(sdp(SESSION, VIDEO, AUDIO_0), 10)
    assert out == sdp(SESSION, VIDEO, [*AUDIO_0, "a=ptime:10"])
    assert out.count("a=ptime:") == 1


def test_a_section_that_has_a_ptime_keeps_it_and_gets_no_second() -> None:
    own = [*AUDIO_0[:3], "a=ptime:20", AUDIO_0[3]]
    out = with_ptime(sdp(SESSION, own, AUDIO_1), 10)
    assert out == sdp(SESSION, own, [*AUDIO_1, "a=ptime:10"])
    assert out.count("a=ptime:20") == 1
    assert out.count("a=ptime:") == 2


def test_line_endings_are_kept_with_and_without_a_trailing_crlf() -> None:
    with_end = with_ptime(sdp(SESSION, AUDIO_0), 10)
    assert with_end.endswith("a=ptime:10\r\n")
    without = with_ptime(sdp(SESSION, AUDIO_0, trailing=False), 10)
    assert without.endswith("a=ptime:10")
    assert not without.endswith("\r\n")
    for text in (with_end, without):
        assert "\n" not in text.replace("\r\n", "")  # no bare LF, every break a CRLF
        assert "\r\r" not in text


def test_zero_leaves_the_sdp_unchanged() -> None:
    text = sdp(SESSION, AUDIO_0, AUDIO_1)
    assert with_ptime(text, 0) == text


def test_adding_twice_changes_nothing_more() -> None:
    once = with_ptime(sdp(SESSION, AUDIO_0, VIDEO, AUDIO_1), 10)
    assert with_ptime(once, 10) == once
    assert once.count("a=ptime:10") == 2


def test_an_sdp_without_media_is_unchanged() -> None:
    assert with_ptime(sdp(SESSION), 10) == sdp(SESSION)


# --- frame_to_mono ------------------------------------------------------------------

N = 480
_t = np.arange(N) / 48_000
LEFT = (0.5 * np.sin(2 * np.pi * 440 * _t)).astype(np.float32)
RIGHT = (0.25 * np.cos(2 * np.pi * 1000 * _t) - 0.1).astype(np.float32)


def _s16(x: np.ndarray) -> np.ndarray:
    return np.round(x * 32767).astype(np.int16)


def _s32(x: np.ndarray) -> np.ndarray:
    return np.round(x.astype(np.float64) * (2**31 - 1)).astype(np.int32)


def _frame(array: np.ndarray, fmt: str, layout: str) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(array, format=fmt, layout=layout)
    frame.sample_rate = 48_000
    return frame


def _interleave(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.stack([left, right], axis=1).reshape(1, -1)


STEREO_MEAN = (LEFT.astype(np.float64) + RIGHT.astype(np.float64)) / 2


@pytest.mark.parametrize(
    ("fmt", "layout", "build", "expected"),
    [
        ("s16", "stereo", lambda: _interleave(_s16(LEFT), _s16(RIGHT)), STEREO_MEAN),
        ("s16p", "stereo", lambda: np.stack([_s16(LEFT), _s16(RIGHT)]), STEREO_MEAN),
        ("fltp", "stereo", lambda: np.stack([LEFT, RIGHT]), STEREO_MEAN),
        ("flt", "stereo", lambda: _interleave(LEFT, RIGHT), STEREO_MEAN),
        ("s32", "stereo", lambda: _interleave(_s32(LEFT), _s32(RIGHT)), STEREO_MEAN),
        ("s16", "mono", lambda: _s16(LEFT).reshape(1, -1), LEFT),
        ("fltp", "mono", lambda: LEFT.reshape(1, -1), LEFT),
    ],
)
def test_frames_are_downmixed_to_mono_float32(
    fmt: str, layout: str, build: object, expected: np.ndarray
) -> None:
    assert callable(build)
    frame = _frame(build(), fmt, layout)
    mono = frame_to_mono(frame)
    assert mono.dtype == np.float32
    assert mono.shape == (N,)
    np.testing.assert_allclose(mono, expected, atol=1e-4, rtol=0)


def test_packed_stereo_is_not_read_as_planar() -> None:
    """A left-only packed frame: each mono sample is half the left sample, not a mix of
    neighbouring left samples (which reading interleaved data as planes would give)."""
    silent = np.zeros(N, np.float32)
    mono = frame_to_mono(_frame(_interleave(_s16(LEFT), _s16(silent)), "s16", "stereo"))
    np.testing.assert_allclose(mono, LEFT / 2, atol=1e-4, rtol=0)


def test_full_scale_int16_stays_within_minus_one_to_one() -> None:
    extremes = np.array([-32768, 32767] * (N // 2), np.int16).reshape(1, -1)
    mono = frame_to_mono(_frame(extremes, "s16", "mono"))
    assert mono.dtype == np.float32
    assert float(mono.min()) == -1.0
    assert float(mono.max()) < 1.0
