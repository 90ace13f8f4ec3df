"""PHI at rest: after a real transcribed session, neither the SQLite files nor a PostgreSQL
dump hold the transcript's words or the client's name, while the API returns both."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy

from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from tests.conftest import _free_port, serve
from tests.session_server.helpers import Transcribed, http_client, transcribed_session

LABEL = "Philippa Quenneville-Ardagh"
WORDS = ("Americans", "country")
PG_ADMIN = os.environ.get(
    "COMPANION_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


# Transcript words, the client's full name, and each part of it.
SECRETS = (*WORDS, LABEL, "Philippa", "Quenneville")


def leaks(blob: bytes) -> list[str]:
    """Which secrets appear in ``blob`` (in any letter case)."""
    low = blob.lower()
    return [s for s in SECRETS if s.lower().encode() in low]


async def assert_api_returns_the_phi(url: str, done: Transcribed) -> None:
    """The PHI is there to be found: the service returns it, decrypted."""
    async with http_client(url) as http:
        r = await http.get(f"/v1/sessions/{done.session_id}/transcript")
        assert r.status_code == 200
        text = " ".join(s["text"] for s in r.json()["segments"])
        client = (await http.get(f"/v1/clients/{done.client_id}")).json()
    for word in WORDS:
        assert word.lower() in text.lower(), text
    assert client["label"] == LABEL


async def test_sqlite_files_hold_no_plaintext_phi(
    tmp_path: Path, scheduler: InferenceScheduler, jfk: np.ndarray
) -> None:
    settings = Settings(data_dir=tmp_path, port=_free_port())
    db, wal = tmp_path / "companion.db", tmp_path / "companion.db-wal"
    with serve(settings, scheduler) as url:
        done = await transcribed_session(url, jfk, LABEL)
        await assert_api_returns_the_phi(url, done)
        assert wal.is_file() and wal.stat().st_size > 0, "the live database writes its WAL"
        assert leaks(db.read_bytes()) == []
        assert leaks(wal.read_bytes()) == []
        assert done.session_id.encode() in db.read_bytes() + wal.read_bytes()
    # After shutdown the WAL is checkpointed into the database file.
    for path in (db, wal):
        if path.exists():
            assert leaks(path.read_bytes()) == [], path.name


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped afterwards); yields its SQLAlchemy URL."""
    name = f"companion_enc_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"no PostgreSQL at {PG_ADMIN.split('@')[-1]}: {type(exc).__name__}")
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def test_postgres_dump_holds_no_plaintext_phi(
    tmp_path: Path, scheduler: InferenceScheduler, jfk: np.ndarray
) -> None:
    with fresh_postgres() as url_db:
        settings = Settings(data_dir=tmp_path, port=_free_port(), database_url=url_db)
        with serve(settings, scheduler) as url:
            done = await transcribed_session(url, jfk, LABEL)
            await assert_api_returns_the_phi(url, done)
            dump = subprocess.run(
                ["pg_dump", "--no-owner", url_db.replace("+psycopg", "", 1)],
                capture_output=True,
                timeout=120,
                check=True,
            ).stdout
        assert b"COPY public.segments" in dump and done.session_id.encode() in dump
        assert b"v1." in dump, "the ciphertext is in the dump"
        assert leaks(dump) == []
        assert not (tmp_path / "companion.db").exists(), "nothing went to SQLite instead"
