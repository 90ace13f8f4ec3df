"""Settings come from COMPANION_* environment variables, over the defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from companion.settings import AsrConfig, Settings, VadConfig


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("COMPANION_"):
            monkeypatch.delenv(name)


def test_defaults_without_environment() -> None:
    s = Settings()
    assert (s.host, s.port, s.data_dir, s.database_url) == ("127.0.0.1", 8000, Path("data"), "")
    assert s.endpoint_silence_s == 0.5
    assert s.max_frame_ms == 200
    assert s.vad_config() == VadConfig()
    assert s.asr_config() == AsrConfig()


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANION_ENDPOINT_SILENCE_S", "0.8")
    monkeypatch.setenv("COMPANION_PORT", "9123")
    monkeypatch.setenv("COMPANION_HOST", "0.0.0.0")
    monkeypatch.setenv("COMPANION_MAX_SEGMENT_S", "6")
    monkeypatch.setenv("COMPANION_MAX_FRAME_MS", "100")
    monkeypatch.setenv("COMPANION_SUBSCRIBER_QUEUE", "16")
    s = Settings()
    assert s.endpoint_silence_s == 0.8
    assert s.port == 9123
    assert s.host == "0.0.0.0"
    assert s.max_frame_ms == 100
    assert s.subscriber_queue == 16
    vad = s.vad_config()
    assert vad.endpoint_silence_s == 0.8
    assert vad.max_segment_s == 6.0
    # Untouched settings keep their defaults.
    assert s.ingress_buffer_s == 30.0
    assert vad.partial_interval_s == VadConfig().partial_interval_s


def test_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("companion_port", "9200")
    assert Settings().port == 9200


def test_asr_settings_reach_the_asr_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANION_BEAM_SIZE", "5")
    monkeypatch.setenv("COMPANION_DEVICE", "auto")
    monkeypatch.setenv("COMPANION_CPU_THREADS", "3")
    monkeypatch.setenv("COMPANION_MODEL", "/models/small.en")
    asr = Settings().asr_config()
    assert (asr.beam_size, asr.device, asr.cpu_threads, asr.model) == (
        5,
        "auto",
        3,
        "/models/small.en",
    )


def test_vad_thresholds_and_neg_threshold_clamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANION_VAD_THRESHOLD", "0.3")
    monkeypatch.setenv("COMPANION_VAD_NEG_THRESHOLD", "0.4")
    vad = Settings().vad_config()
    assert vad.threshold == 0.3
    assert vad.neg_threshold == 0.3  # never above the threshold


def test_database_url_from_data_dir_or_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COMPANION_DATA_DIR", str(tmp_path))
    s = Settings()
    assert s.data_dir == tmp_path
    assert s.resolved_database_url() == f"sqlite:///{tmp_path.resolve() / 'companion.db'}"
    monkeypatch.setenv("COMPANION_DATABASE_URL", "postgresql://db.internal/companion")
    assert Settings().resolved_database_url() == "postgresql://db.internal/companion"


def test_explicit_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANION_PORT", "9123")
    assert Settings(port=7000).port == 7000


def test_unrelated_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANION_NO_SUCH_SETTING", "1")
    monkeypatch.setenv("PORT", "1234")
    assert Settings().port == 8000


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMPANION_PORT", "eighty"),
        ("COMPANION_DEVICE", "tpu"),
        ("COMPANION_ENDPOINT_SILENCE_S", "soon"),
    ],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()
