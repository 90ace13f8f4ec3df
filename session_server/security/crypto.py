"""AES-256-GCM encryption of PHI fields under a key ring with a key id per record.

A ciphertext is ``v1.<key id>.<nonce>.<ciphertext+tag>`` (URL-safe base64 parts). The
associated data binds it to its place (table, column, row id), so a value copied into
another row does not decrypt. ``KeyRing.rotate`` adds a new active key; stored values
are re-encrypted by ``companion keys rotate``.

Key ring file (JSON, mode 0600)::

    {"active": "k20261127a", "keys": {"k20261127a": "<32 bytes, base64>"}}
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from companion.errors import ConfigError, CryptoError

PREFIX = "v1"


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeyRing:
    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        if active not in keys:
            raise ConfigError("the active key id is not in the key ring")
        if any(len(k) != 32 for k in keys.values()):
            raise ConfigError("every key must be 32 bytes (AES-256)")
        self.keys = dict(keys)
        self.active = active
        self._aead = {kid: AESGCM(k) for kid, k in keys.items()}

    @classmethod
    def generate(cls) -> KeyRing:
        kid = "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
        return cls({kid: AESGCM.generate_key(bit_length=256)}, kid)

    @classmethod
    def from_env_key(cls, b64key: str) -> KeyRing:
        try:
            key = _b64d(b64key.strip())
        except ValueError as exc:
            raise ConfigError("COMPANION_DATA_KEY is not base64") from exc
        return cls({"env": key}, "env")

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        try:
            doc = json.loads(path.read_text())
            return cls({k: _b64d(v) for k, v in doc["keys"].items()}, doc["active"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read key ring {path.name}: {type(exc).__name__}") from exc

    def save(self, path: Path) -> None:
        doc = {"active": self.active, "keys": {k: _b64e(v) for k, v in self.keys.items()}}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh)
        tmp.replace(path)

    def rotate(self) -> str:
        """Add a new key and make it active; old keys stay for decryption."""
        fresh = KeyRing.generate()
        self.keys.update(fresh.keys)
        self._aead.update(fresh._aead)
        self.active = fresh.active
        return self.active

    def encrypt(self, plaintext: str, context: str) -> str:
        return self.encrypt_bytes(plaintext.encode("utf-8"), context)

    def encrypt_bytes(self, data: bytes, context: str) -> str:
        nonce = secrets.token_bytes(12)
        ct = self._aead[self.active].encrypt(nonce, data, context.encode())
        return ".".join((PREFIX, self.active, _b64e(nonce), _b64e(ct)))

    def decrypt(self, token: str, context: str) -> str:
        return self.decrypt_bytes(token, context).decode("utf-8")

    def decrypt_bytes(self, token: str, context: str) -> bytes:
        try:
            prefix, kid, nonce, ct = token.split(".")
        except ValueError as exc:
            raise CryptoError("malformed ciphertext") from exc
        if prefix != PREFIX or kid not in self._aead:
            raise CryptoError(f"unknown ciphertext version or key id {kid[:24]!r}")
        try:
            return self._aead[kid].decrypt(_b64d(nonce), _b64d(ct), context.encode())
        except (InvalidTag, ValueError) as exc:
            raise CryptoError("ciphertext failed authentication") from exc

    @staticmethod
    def key_id(token: str) -> str:
        return token.split(".")[1] if token.count(".") == 3 else ""


def load_key_ring(key_file: Path, env_key: str, create: bool) -> KeyRing:
    """The environment key if set, else the key file (created on first start if allowed)."""
    if env_key:
        return KeyRing.from_env_key(env_key)
    if key_file.is_file():
        return KeyRing.load(key_file)
    if not create:
        raise ConfigError(f"no key ring at {key_file} and COMPANION_DATA_KEY is not set")
    ring = KeyRing.generate()
    ring.save(key_file)
    return ring
