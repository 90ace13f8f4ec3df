"""Settings, read once at start-up from ``COMPANION_*`` environment variables.

Each stage takes its own small config object; :class:`Settings` builds them so that
the whole service is configured from one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

TARGET_SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class VadConfig:
    """Voice-activity gating and segmentation.

    ``endpoint_silence_s`` is the latency budget's largest term: a segment is
    final this long after its last voiced frame. ``speculative_after_s`` starts
    the final-grade decode early, so the final is usually ready at the endpoint.
    """

    threshold: float = 0.5
    neg_threshold: float = 0.35
    endpoint_silence_s: float = 0.5
    speculative_after_s: float = 0.2
    max_segment_s: float = 15.0
    min_speech_s: float = 0.25
    pre_roll_s: float = 0.2
    partial_interval_s: float = 1.0


@dataclass(frozen=True, slots=True)
class AsrConfig:
    """Speech recognition on the live path.

    The encoder sees ``max(min_window_s, audio + window_pad_s)`` seconds instead of
    Whisper's padded 30 s: on tiny.en this is as accurate and several times cheaper.
    """

    model: str = ""
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: str = "auto"
    cpu_threads: int = 0
    beam_size: int = 1
    min_window_s: float = 10.0
    window_pad_s: float = 2.0
    partial_min_window_s: float = 5.0
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    # Prompt each decode with the track's last committed (final) text. Off by default:
    # on tiny.en it made some segments come out empty or repeated (bench_wer measures it).
    prompt_chars: int = 0


class IceServer(BaseModel):
    """A STUN or TURN server, as in the browser's ``RTCIceServer``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    urls: list[str] = Field(min_length=1)
    username: str | None = None
    credential: str | None = None


class Settings(BaseSettings):
    """Every setting of the service; ``COMPANION_<NAME>`` overrides each."""

    model_config = SettingsConfigDict(env_prefix="COMPANION_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    database_url: str = ""

    model: str = ""  # CTranslate2 Whisper model folder; empty = tiny.en from the package
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: str = "auto"
    cpu_threads: int = 0
    beam_size: int = 1
    prompt_chars: int = 0

    vad_threshold: float = 0.5
    vad_neg_threshold: float = 0.35
    endpoint_silence_s: float = 0.5
    max_segment_s: float = 15.0
    min_speech_s: float = 0.25
    partial_interval_s: float = 1.0
    partial_budget: float = 0.06

    # Security (see README, "Production checklist").
    key_file: Path | None = None  # key ring; default <data_dir>/keys.json, created once
    data_key: str = ""  # base64 AES-256 key, instead of a key file
    require_totp: bool = False
    # Consent law of the practice's jurisdiction: all parties must consent (default), or
    # the therapist's consent suffices while no party has paused or revoked.
    all_party_consent: bool = True
    idle_timeout_minutes: int = 15
    bearer_minutes: int = 60
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    audit_retention_days: int = 6 * 365
    store_audio: bool = False  # keep raw audio (encrypted); off: audio lives in memory only
    audio_retention_days: int = 7
    # What stays once a note is signed: everything ("keep"), or the signed note and its
    # versions only ("note_only": the transcript and the draft's events are deleted).
    # Stored audio is always deleted at signing.
    retention_after_signing: Literal["keep", "note_only"] = "keep"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allow_insecure_bind: bool = False

    # WebRTC (browser side-panel and Doxy.me bridge). ICE servers are given to both the
    # server and the browser, e.g. '[{"urls": ["stun:stun.example.org:3478"]}]'; none are
    # needed when browser and service share a network.
    ice_servers: list[IceServer] = []
    webrtc_loopback: bool = True  # also offer 127.0.0.1 (browser on this machine)
    webrtc_ptime_ms: Literal[0, 10, 20] = 10  # ask browsers for 10 ms packets (0: theirs)
    max_sdp_bytes: int = 65536

    # Speakers: who said each final, roles from the clinician's voice profile.
    diarization: bool = True  # live speaker attribution of one-channel (mixed) tracks
    expected_speakers: int = Field(default=2, ge=1, le=6)  # a session's default
    notes: bool = True  # the live note draft and risk alerts
    voice_match_similarity: float = 0.7  # cosine to the profile that names the therapist
    max_enrolment_bytes: int = 8 * 1024 * 1024  # a voice-profile enrolment upload

    max_frame_ms: int = 200
    ingress_buffer_s: float = 30.0
    max_pending_finals: int = 8
    subscriber_queue: int = 256

    def vad_config(self) -> VadConfig:
        return VadConfig(
            threshold=self.vad_threshold,
            neg_threshold=min(self.vad_neg_threshold, self.vad_threshold),
            endpoint_silence_s=self.endpoint_silence_s,
            max_segment_s=self.max_segment_s,
            min_speech_s=self.min_speech_s,
            partial_interval_s=self.partial_interval_s,
        )

    def asr_config(self) -> AsrConfig:
        return AsrConfig(
            model=self.model,
            device=self.device,
            compute_type=self.compute_type,
            cpu_threads=self.cpu_threads,
            beam_size=self.beam_size,
            prompt_chars=self.prompt_chars,
        )

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None and self.tls_key is not None

    def resolved_key_file(self) -> Path:
        return self.key_file or self.data_dir / "keys.json"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'companion.db').resolve()}"
