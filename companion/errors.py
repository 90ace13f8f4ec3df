"""One exception tree for the whole service.

::

    CompanionError
    ├── ConfigError              settings or model files are unusable
    ├── AudioError
    │   ├── AudioFormatError     bad stream header, odd byte count, wrong frame size
    │   └── FrameTooLargeError   a frame longer than the configured maximum
    ├── SessionError
    │   ├── SessionNotFoundError
    │   ├── SessionStateError    e.g. audio for an ended session, an edit of a signed note
    │   │   └── NoteIncompleteError signing with items unreviewed or elements missing
    │   ├── ConsentRequiredError audio before every party consented, or after a revocation
    │   ├── SpeakerNotFoundError no such speaker (S1..S9) in the session
    │   └── NoteItemNotFoundError no such item in the session's note draft
    ├── SignalingError           a malformed or unusable WebRTC offer (SDP, track labels)
    ├── RecognitionError         the speech model failed on a segment
    ├── UngroundedError          a note item lacks evidence, or its evidence does not say it
    ├── CryptoError              a PHI field cannot be decrypted (wrong key, tampering)
    └── AuthError
        ├── AuthenticationError  unknown user, wrong password or code, expired token
        └── PermissionDeniedError the caller may not do this (carries ``hide``: say 404)

Messages never carry PHI (transcript text, names, note content): they name ids,
sizes and states only. HTTP and WebSocket status codes are mapped in the server.
"""

from __future__ import annotations


class CompanionError(Exception):
    """Root of every error raised by the companion."""


class ConfigError(CompanionError):
    """Settings or model files are unusable."""


class AudioError(CompanionError):
    """Audio input is unusable."""


class AudioFormatError(AudioError):
    """The stream header or a frame does not match the declared format."""


class FrameTooLargeError(AudioError):
    """A frame exceeds the maximum frame duration."""


class SessionError(CompanionError):
    """A session-level request cannot be served."""


class SessionNotFoundError(SessionError):
    """No session with this id exists."""


def not_found(kind: str, record_id: str) -> SessionNotFoundError:
    """The one wording for an unknown (or hidden) record: the two must not differ."""
    return SessionNotFoundError(f"unknown {kind} {record_id[:32]!r}")


class SessionStateError(SessionError):
    """The session is not in a state that allows the request."""


class NoteIncompleteError(SessionStateError):
    """The note cannot be signed yet: suggested items await a decision, or required
    elements are neither documented nor marked as deliberately not assessed."""

    def __init__(self, session_id: str, unreviewed: int, missing: list[str]) -> None:
        parts = []
        if unreviewed:
            parts.append(f"{unreviewed} suggested item(s) to accept or reject")
        if missing:
            parts.append("not documented: " + ", ".join(missing))
        super().__init__(
            f"the note of session {session_id[:32]} cannot be signed yet: "
            + "; ".join(parts)
            + " (or mark an element as deliberately not assessed)"
        )
        self.unreviewed = unreviewed
        self.missing = missing  # element labels ("Risk assessment"), never content


class ConsentRequiredError(SessionError):
    """Not every party has granted consent, or a consent was revoked."""


class SpeakerNotFoundError(SessionError):
    """The session has no such speaker (ids are S1..S9, numbered as they are found)."""


class NoteItemNotFoundError(SessionError):
    """The session's note draft has no item with this id."""


class UngroundedError(CompanionError):
    """A note item without evidence, or whose evidence does not say what the item says."""


class SignalingError(CompanionError):
    """A WebRTC offer cannot be answered: malformed SDP, unlabelled or unknown tracks."""


class RecognitionError(CompanionError):
    """The speech recognizer failed on a segment."""


class CryptoError(CompanionError):
    """A PHI field cannot be decrypted: unknown key id, or it was tampered with."""


class AuthError(CompanionError):
    """Authentication or authorization failed."""


class AuthenticationError(AuthError):
    """Unknown user, wrong password or TOTP code, expired or unknown token."""


class PermissionDeniedError(AuthError):
    """The caller may not do this; ``hide`` means answer as if it did not exist."""

    def __init__(self, message: str, hide: bool = False) -> None:
        super().__init__(message)
        self.hide = hide
