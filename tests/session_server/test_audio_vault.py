"""Raw audio storage, when a practice turns it on: encrypted, readable back, purged."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import numpy as np

from asr.scheduler import InferenceScheduler
from companion.settings import Settings
from session_server.security.audio_vault import AudioVault
from session_server.security.crypto import load_key_ring
from streaming.audio import Samples
from tests.conftest import serve
from tests.session_server.helpers import collect_until_ended, end_session, new_session, stream


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_stored_audio_is_encrypted_and_purged_after_retention(
    tmp_path: Path, scheduler: InferenceScheduler, jfk: Samples
) -> None:
    settings = Settings(data_dir=tmp_path, port=_port(), store_audio=True)
    with serve(settings, scheduler) as url:
        sid = await new_session(url)
        collector = asyncio.create_task(collect_until_ended(url, sid))
        await asyncio.sleep(0.2)
        await stream(url, sid, jfk)
        await end_session(url, sid)
        await asyncio.wait_for(collector, 120)
    files = list((tmp_path / "audio" / sid).glob("*.vault"))
    assert len(files) == 1
    raw = files[0].read_bytes()
    pcm = (np.clip(jfk, -1, 1) * 32767).astype("<i2").tobytes()
    loud = int(np.argmax(np.abs(jfk))) * 2
    assert pcm[loud : loud + 64] not in raw  # nothing stored in the clear
    vault = AudioVault(tmp_path / "audio", load_key_ring(tmp_path / "keys.json", "", False), 7)
    back = vault.read(sid, files[0].stem)
    assert abs(len(back) - len(jfk)) < 16000 * 0.3
    assert float(np.corrcoef(back[: len(jfk)], jfk[: len(back)])[0, 1]) > 0.99
    assert vault.purge(now=time.time() + 3 * 86400) == []  # within retention
    assert vault.purge(now=time.time() + 8 * 86400) == [sid]
    assert not (tmp_path / "audio" / sid).exists()
