"""Optional storage of raw session audio, encrypted, with a retention limit.

Off by default (``COMPANION_STORE_AUDIO``). When on, each track connection's 16 kHz
audio is appended to ``<data>/audio/<session>/<track connection>.vault``, one
AES-256-GCM record per line (the record's place and index are its associated data, so
records cannot be reordered or moved between files). Files older than
``audio_retention_days`` are deleted at start-up and hourly; a signed note deletes its
session's audio (``delete_session``).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from session_server.security.crypto import KeyRing
from streaming.audio import Samples


class AudioVault:
    def __init__(self, root: Path, keys: KeyRing, retention_days: int) -> None:
        self.root = root
        self.keys = keys
        self.retention_s = retention_days * 86400

    def _path(self, session_id: str, name: str) -> Path:
        return self.root / session_id / f"{name}.vault"

    def writer(self, session_id: str, name: str) -> VaultWriter:
        path = self._path(session_id, name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return VaultWriter(path, self.keys, f"audio:{session_id}:{name}")

    def read(self, session_id: str, name: str) -> Samples:
        path = self._path(session_id, name)
        context = f"audio:{session_id}:{name}"
        chunks = [
            np.frombuffer(self.keys.decrypt_bytes(line, f"{context}:{i}"), dtype="<i2")
            for i, line in enumerate(path.read_text().split())
        ]
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, dtype="<i2")
        return (pcm.astype(np.float32) / 32768.0).astype(np.float32)

    def delete_session(self, session_id: str) -> bool:
        folder = self.root / session_id
        if folder.is_dir():
            shutil.rmtree(folder)
            return True
        return False

    def purge(self, now: float | None = None) -> list[str]:
        """Delete the audio of sessions whose newest file is past retention."""
        now = time.time() if now is None else now
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        for folder in self.root.iterdir():
            files = list(folder.glob("*.vault"))
            newest = max((f.stat().st_mtime for f in files), default=0.0)
            if now - newest > self.retention_s:
                shutil.rmtree(folder)
                removed.append(folder.name)
        return removed


class VaultWriter:
    def __init__(self, path: Path, keys: KeyRing, context: str) -> None:
        self._path = path
        self._keys = keys
        self._context = context
        self._index = sum(1 for _ in path.open()) if path.exists() else 0

    def append(self, samples: Samples) -> None:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        record = self._keys.encrypt_bytes(pcm, f"{self._context}:{self._index}")
        with self._path.open("a") as fh:
            fh.write(record + "\n")
        self._index += 1
