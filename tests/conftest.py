"""Shared fixtures: real test data, the real model, and a real server on a free port."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import jiwer
import numpy as np
import pytest

from asr.model import load_model
from asr.offline import load_audio
from asr.recognizer import WhisperRecognizer
from asr.scheduler import InferenceScheduler
from companion.settings import AsrConfig, Settings
from session_server.bootstrap import ensure_account
from streaming.audio import Samples
from tests.session_server import helpers

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


CLINICIAN_PASSWORD = "clinician password for tests"


def provision(settings: Settings, url: str) -> None:
    """A clinician account on this server, signed in for the test helpers."""
    name = f"clinician-{settings.port}"
    ensure_account(settings, name, "clinician", CLINICIAN_PASSWORD)
    r = httpx.post(
        f"{url}/v1/auth/token", json={"username": name, "password": CLINICIAN_PASSWORD}, timeout=30
    )
    r.raise_for_status()
    helpers.TOKENS[url] = r.json()["access_token"]


def database_url(tmp: Path) -> str:
    """SQLite in ``tmp``, or a fresh PostgreSQL database when COMPANION_TEST_POSTGRES is set."""
    admin = os.environ.get("COMPANION_TEST_POSTGRES", "")
    if not admin:
        return ""
    import uuid

    import sqlalchemy

    name = f"companion_test_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    """Remove a database made by :func:`database_url` (no-op for SQLite)."""
    admin = os.environ.get("COMPANION_TEST_POSTGRES", "")
    if not admin or not url:
        return
    import sqlalchemy

    engine = sqlalchemy.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        name = url.rsplit("/", 1)[1]
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextmanager
def serve(settings: Settings, scheduler: InferenceScheduler) -> Iterator[str]:
    """Run the app in a thread with the test clinician signed in; yields its base URL."""
    with helpers.serving(settings, scheduler) as url:
        provision(settings, url)
        yield url


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, scheduler: InferenceScheduler
) -> Iterator[str]:
    """A real uvicorn server on a free port, sharing the session's model."""
    data = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data, port=_free_port(), database_url=database_url(data))
    try:
        with serve(settings, scheduler) as url:
            yield url
    finally:
        drop_database(settings.database_url)


def silence(seconds: float) -> Samples:
    return np.zeros(int(seconds * 16000), dtype=np.float32)
