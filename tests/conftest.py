"""Shared fixtures: real test data, the real model, and a real server on a free port."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jiwer
import numpy as np
import pytest
import uvicorn

from asr.model import load_model
from asr.offline import load_audio
from asr.recognizer import WhisperRecognizer
from asr.scheduler import InferenceScheduler
from companion.settings import AsrConfig, Settings
from session_server.app import create_app
from streaming.audio import Samples

TESTDATA = Path(
    os.environ.get("COMPANION_TESTDATA", Path(__file__).parents[2] / "shared" / "testdata")
)
JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normalize(reference), normalize(hypothesis)))


@pytest.fixture(scope="session")
def testdata() -> Path:
    if not TESTDATA.is_dir():
        pytest.fail(f"test data not found at {TESTDATA}; set COMPANION_TESTDATA")
    return TESTDATA


@pytest.fixture(scope="session")
def jfk(testdata: Path) -> Samples:
    return load_audio(testdata / "asr" / "jfk" / "jfk.flac")


@pytest.fixture(scope="session")
def librispeech(testdata: Path) -> list[tuple[Samples, str]]:
    root = testdata / "asr" / "librispeech-1089"
    items = []
    for trans in sorted(root.rglob("*.trans.txt")):
        for line in trans.read_text().splitlines():
            uid, text = line.split(" ", 1)
            items.append((load_audio(trans.parent / f"{uid}.flac"), text))
    return items


@pytest.fixture(scope="session")
def recognizer() -> WhisperRecognizer:
    config = AsrConfig()
    return WhisperRecognizer(load_model(config), config)


@pytest.fixture(scope="session")
def scheduler(recognizer: WhisperRecognizer) -> Iterator[InferenceScheduler]:
    sched = InferenceScheduler(recognizer)
    sched.start()
    yield sched
    sched.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(settings: Settings, scheduler: InferenceScheduler) -> Iterator[str]:
    """Run the app on ``settings.port`` in a thread; yields its base URL."""
    config = uvicorn.Config(
        create_app(settings, scheduler),
        host="127.0.0.1",
        port=settings.port,
        log_level="warning",
        ws_max_size=1 << 20,
        timeout_graceful_shutdown=5,  # a hung connection must not hold up the test run
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{settings.port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, scheduler: InferenceScheduler
) -> Iterator[str]:
    """A real uvicorn server on a free port, sharing the session's model."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), port=_free_port())
    with serve(settings, scheduler) as url:
        yield url


def silence(seconds: float) -> Samples:
    return np.zeros(int(seconds * 16000), dtype=np.float32)
