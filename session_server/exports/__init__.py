"""A signed note out of the companion: text to paste, PDF, and FHIR R4.

Every export is built from the stored versions only (the signature, then addenda and
co-signatures), never from the live draft, so the same versions always give the same
bytes: the PDF's dates are the signing time and the FHIR ids derive from the session.
"""

from __future__ import annotations

from session_server.exports.document import NoteDocument
from session_server.exports.fhir import fhir_bundle
from session_server.exports.pdf import pdf_bytes
from session_server.exports.text import plain_text

__all__ = ["NoteDocument", "fhir_bundle", "pdf_bytes", "plain_text"]
