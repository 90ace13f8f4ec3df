"""PcmDecoder, StreamFormat and Resampler on plain arrays."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from companion.errors import AudioFormatError, FrameTooLargeError
from streaming.audio import PcmDecoder, Resampler, StreamFormat


def pcm(values: list[int] | np.ndarray) -> bytes:
    return np.asarray(values, dtype="<i2").tobytes()


def fmt(rate: int = 16000, channels: int = 1) -> StreamFormat:
    return StreamFormat.model_validate(
        {"format": "s16le", "sample_rate": rate, "channels": channels}
    )


# --- StreamFormat ----------------------------------------------------------------------


def test_stream_format_accepts_the_documented_header() -> None:
    f = StreamFormat.model_validate_json('{"format": "s16le", "sample_rate": 48000, "channels": 2}')
    assert (f.format, f.sample_rate, f.channels) == ("s16le", 48000, 2)


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        '{"format": "s16le", "sample_rate": 22050, "channels": 1}',
        '{"format": "f32le", "sample_rate": 16000, "channels": 1}',
        '{"format": "s16le", "sample_rate": 16000, "channels": 3}',
        '{"format": "s16le", "sample_rate": 16000}',
        '{"format": "s16le", "sample_rate": 16000, "channels": 1, "codec": "opus"}',
    ],
)
def test_stream_format_rejects_bad_headers(raw: str) -> None:
    with pytest.raises(ValidationError):
        StreamFormat.model_validate_json(raw)


# --- PcmDecoder ------------------------------------------------------------------------


def test_mono_frame_is_scaled_to_float32() -> None:
    samples = [0, 16384, -16384, 32767, -32768] + [0] * 155  # 160 samples = 10 ms
    out = PcmDecoder(fmt()).decode(pcm(samples))
    assert out.dtype == np.float32
    assert out.shape == (160,)
    np.testing.assert_allclose(out[:5], [0.0, 0.5, -0.5, 32767 / 32768, -1.0])


def test_stereo_frame_is_downmixed_by_averaging_channels() -> None:
    left = np.full(160, 16384, dtype=np.int16)
    right = np.concatenate([np.full(80, -16384), np.full(80, 16384)]).astype(np.int16)
    interleaved = np.stack([left, right], axis=1).reshape(-1)
    out = PcmDecoder(fmt(channels=2)).decode(pcm(interleaved))
    assert out.shape == (160,)
    np.testing.assert_allclose(out[:80], 0.0)
    np.testing.assert_allclose(out[80:], 0.5)


@pytest.mark.parametrize(
    ("rate", "channels"), [(16000, 1), (16000, 2), (48000, 1), (48000, 2), (8000, 1)]
)
def test_frame_duration_bounds_are_inclusive(rate: int, channels: int) -> None:
    dec = PcmDecoder(fmt(rate, channels), max_frame_ms=200)
    width = 2 * channels
    shortest, longest = rate // 100, rate // 5
    assert len(dec.decode(bytes(shortest * width))) == shortest
    assert len(dec.decode(bytes(longest * width))) == longest
    assert dec.max_bytes == longest * width
    with pytest.raises(AudioFormatError, match="shorter than 10 ms"):
        dec.decode(bytes((shortest - 1) * width))
    with pytest.raises(FrameTooLargeError):
        dec.decode(bytes((longest + 1) * width))


def test_44100_allows_the_floor_of_10_ms() -> None:
    dec = PcmDecoder(fmt(44100))
    assert len(dec.decode(bytes(441 * 2))) == 441
    with pytest.raises(AudioFormatError):
        dec.decode(bytes(440 * 2))


def test_max_frame_ms_is_configurable() -> None:
    dec = PcmDecoder(fmt(), max_frame_ms=50)
    assert len(dec.decode(bytes(800 * 2))) == 800
    with pytest.raises(FrameTooLargeError):
        dec.decode(bytes(801 * 2))


@pytest.mark.parametrize(("channels", "size"), [(1, 321), (2, 642), (2, 641), (1, 1)])
def test_partial_sample_frames_are_rejected(channels: int, size: int) -> None:
    with pytest.raises(AudioFormatError, match="whole number"):
        PcmDecoder(fmt(channels=channels)).decode(bytes(size))


def test_empty_frame_is_rejected() -> None:
    with pytest.raises(AudioFormatError):
        PcmDecoder(fmt()).decode(b"")


def test_error_messages_name_sizes_not_content() -> None:
    loud = pcm(np.full(7000, 12345))
    with pytest.raises(FrameTooLargeError) as exc:
        PcmDecoder(fmt()).decode(loud)
    assert str(exc.value) == "frame of 14000 bytes exceeds 6400 bytes"


# --- Resampler -------------------------------------------------------------------------


def _stream_through(res: Resampler, x: np.ndarray, chunk: int) -> np.ndarray:
    parts = [res.push(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    parts.append(res.flush())
    return np.concatenate(parts)


def _peak_hz(x: np.ndarray, rate: int) -> float:
    window = np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(x * window))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


def test_identity_at_16k() -> None:
    x = np.linspace(-1, 1, 1600, dtype=np.float32)
    res = Resampler(16000)
    assert res.push(x) is x
    assert len(res.flush()) == 0


@pytest.mark.parametrize("rate", [48000, 44100, 24000, 8000])
def test_streamed_resampling_keeps_duration_and_frequency(rate: int) -> None:
    seconds = 2.0
    t = np.arange(int(rate * seconds)) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    out = _stream_through(Resampler(rate), tone, rate // 10)
    assert out.dtype == np.float32
    assert abs(len(out) - 16000 * seconds) <= 2  # 48 kHz: a third of the input
    assert abs(_peak_hz(out, 16000) - 440.0) < 2.0
    # Amplitude survives (away from the filter's edges).
    mid = out[4000:-4000]
    assert 0.45 < float(np.max(np.abs(mid))) < 0.55


def test_48k_output_is_a_third_even_in_small_chunks() -> None:
    x = np.random.default_rng(1).standard_normal(48000).astype(np.float32) * 0.1
    out = _stream_through(Resampler(48000), x, 480)  # 10 ms frames
    assert abs(len(out) - len(x) / 3) <= 2


def test_resampled_stream_matches_one_shot_resampling() -> None:
    import soxr

    x = np.random.default_rng(2).standard_normal(44100).astype(np.float32) * 0.1
    streamed = _stream_through(Resampler(44100), x, 4410)
    once = soxr.resample(x, 44100, 16000, quality="HQ").astype(np.float32)
    n = min(len(streamed), len(once))
    np.testing.assert_allclose(streamed[:n], once[:n], atol=1e-4)


@pytest.mark.parametrize("rate", [48000, 32000])
def test_decimation_does_not_depend_on_chunking(rate: int) -> None:
    x = np.random.default_rng(3).standard_normal(rate).astype(np.float32) * 0.1
    small = _stream_through(Resampler(rate), x, rate // 100)
    odd = _stream_through(Resampler(rate), x, 997)
    whole = _stream_through(Resampler(rate), x, len(x))
    assert len(small) == len(odd) == len(whole) == 16000
    np.testing.assert_allclose(small, whole, atol=1e-5)
    np.testing.assert_allclose(odd, whole, atol=1e-5)


@pytest.mark.parametrize("rate", [48000, 32000])
def test_decimation_is_low_delay_and_time_exact(rate: int) -> None:
    """A tone starting at 100 ms is out within the 10 ms frame that carries it, at 100 ms."""
    x = np.zeros(rate, np.float32)
    t = np.arange(rate - rate // 10) / rate
    x[rate // 10 :] = 0.5 * np.sin(2 * np.pi * 1000 * t)
    res = Resampler(rate)
    out: list[np.ndarray] = []
    for i in range(0, rate // 10 + rate // 100, rate // 100):  # up to the frame ending at 110 ms
        out.append(res.push(x[i : i + rate // 100]))
    y = np.concatenate(out)
    onset = int(np.flatnonzero(np.abs(y) > 0.1)[0])
    assert 1600 <= onset <= 1604  # 100 ms at 16 kHz


@pytest.mark.parametrize("rate", [48000, 32000])
def test_decimation_keeps_speech_band_and_rejects_aliases(rate: int) -> None:
    t = np.arange(rate) / rate
    for hz, low, high in [(3000, 0.99, 1.01), (10000, 0.0, 1e-3)]:
        tone = (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
        y = _stream_through(Resampler(rate), tone, rate // 50)[1000:-1000]
        assert low <= float(np.max(np.abs(y))) / 0.5 <= high, hz
