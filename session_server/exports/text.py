"""Plain text for pasting into an EHR's note box (SimplePractice, TherapyNotes, …).

Headings on their own lines in capitals, one statement per line, no markup and no
hard wrapping (the EHR's box wraps), the signature and each addendum after the note,
each with its date and the SHA-256 that the companion recorded for it.
"""

from __future__ import annotations

from session_server.exports.document import NoteDocument, signature_line, stamp


def plain_text(doc: NoteDocument) -> str:
    body = doc.body
    lines = [doc.title.upper()]
    if body.get("client_label"):
        lines.append(f"Client: {body['client_label']}")
    lines.append(f"Clinician: {body.get('signer_name') or doc.signature.signer_id}")
    lines.append("")
    lines.extend(str(body["text"]).rstrip("\n").splitlines())
    lines += ["", signature_line(doc.signature), f"SHA-256: {doc.signature.content_hash}"]
    addenda = 0
    for v in doc.later:
        lines.append("")
        if v.kind == "addendum":
            addenda += 1
            lines.append(f"ADDENDUM {addenda} ({stamp(v.signed_at)})")
            lines.extend(str(v.body.get("text", "")).splitlines())
        elif v.body.get("text"):
            lines.extend(str(v.body["text"]).splitlines())
        lines += [signature_line(v), f"SHA-256: {v.content_hash}"]
    return "\n".join(lines) + "\n"
