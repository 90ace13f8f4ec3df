"""The signed note as FHIR: a ``DocumentReference`` and a ``Composition``, in a Bundle.

* ``Composition``: the note's sections (their narrative, and LOINC section codes for
  SOAP), type LOINC 11506-3 *Progress note*, status ``final`` (``amended`` once an
  addendum exists, each addendum a section of its own), a ``legal`` attester for the
  signature and a ``professional`` one per co-signature.
* ``DocumentReference``: the same note as attachments (the text export and the PDF,
  with their SHA-1 as FHIR asks), pointing at the Composition.
* Both reference ``Patient/<client id>``, ``Practitioner/<clinician id>`` and
  ``Encounter/<session id>``: the companion's ids, which an import maps to the EHR's.

The Bundle is validated with ``fhir.resources``' R4B models (FHIR 4.3; DocumentReference
and Composition are unchanged from R4 4.0.1) before it is returned. Ids are UUIDv5 of
the session and version, so equal versions give equal JSON.
"""

from __future__ import annotations

import base64
import hashlib
import html
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from session_server.exports.document import NoteDocument, signature_line, stamp
from session_server.exports.pdf import pdf_bytes
from session_server.exports.text import plain_text

LOINC = "http://loinc.org"
PROGRESS_NOTE = {"system": LOINC, "code": "11506-3", "display": "Progress note"}
SECTION_CODES = {
    "Subjective": ("61150-9", "Subjective"),
    "Objective": ("61149-1", "Objective"),
    "Assessment": ("51848-0", "Assessment note"),
    "Plan": ("18776-5", "Plan of care note"),
}
CATEGORY = {
    "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
    "code": "clinical-note",
    "display": "Clinical Note",
}
NAMESPACE = uuid.UUID("5b0c3c1e-51b8-4d43-9a53-0c6a0f3f2a6e")  # this companion's ids


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def _instant(iso: str) -> str:
    return iso.replace("Z", "+00:00")


def _div(lines: list[str]) -> dict[str, str]:
    paras = "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in lines) or "<p/>"
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{paras}</div>',
    }


def _attachment(data: bytes, content_type: str, title: str, created: str) -> dict[str, Any]:
    return {
        "contentType": content_type,
        "language": "en",
        "data": base64.b64encode(data).decode("ascii"),
        "size": len(data),
        "hash": base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode(),
        "title": title,
        "creation": _instant(created),
    }


def fhir_bundle(doc: NoteDocument) -> str:
    """The Bundle as FHIR JSON (validated)."""
    body = doc.body
    session = doc.session
    sid = doc.session_id
    version = doc.latest.version
    patient = {"reference": f"Patient/{session.get('client_id', '')}"}
    if body.get("client_label"):
        patient["display"] = str(body["client_label"])
    author = {
        "reference": f"Practitioner/{session.get('clinician_id', doc.signature.signer_id)}",
        "display": str(body.get("signer_name") or doc.signature.signer_id),
    }
    encounter = {"reference": f"Encounter/{sid}"}
    comp_id = _uuid("composition", sid, version)
    status = "amended" if doc.amended else "final"

    sections: list[dict[str, Any]] = []
    for heading, lines in doc.sections():
        section: dict[str, Any] = {"title": heading or "Session", "text": _div(lines)}
        if heading in SECTION_CODES and doc.format == "soap":
            code, display = SECTION_CODES[heading]
            section["code"] = {"coding": [{"system": LOINC, "code": code, "display": display}]}
        sections.append(section)
    n = 0
    for v in doc.later:
        if v.kind == "addendum":
            n += 1
            lines = [*str(v.body.get("text", "")).splitlines(), signature_line(v)]
            sections.append({"title": f"Addendum {n} ({stamp(v.signed_at)})", "text": _div(lines)})

    attesters = [
        {"mode": "legal", "time": _instant(doc.signature.signed_at), "party": author},
        *(
            {
                "mode": "professional",
                "time": _instant(v.signed_at),
                "party": {
                    "reference": f"Practitioner/{v.signer_id}",
                    "display": str(v.body.get("signer_name") or v.signer_id),
                },
            }
            for v in doc.later
            if v.kind == "cosignature"
        ),
    ]
    composition = {
        "resourceType": "Composition",
        "id": comp_id,
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{comp_id}"},
        "status": status,
        "type": {"coding": [PROGRESS_NOTE]},
        "category": [{"coding": [CATEGORY]}],
        "subject": patient,
        "encounter": encounter,
        "date": _instant(doc.latest.signed_at),
        "author": [author],
        "title": doc.title,
        "confidentiality": "R",
        "attester": attesters,
        "section": sections,
    }
    period = {"start": _instant(str(session["started_at"]))} if session.get("started_at") else {}
    if period and session.get("ended_at"):
        period["end"] = _instant(str(session["ended_at"]))
    created = doc.latest.signed_at
    ref_id = _uuid("documentreference", sid, version)
    context: dict[str, Any] = {
        "encounter": [encounter],
        "related": [{"reference": f"urn:uuid:{comp_id}"}],
    }
    if period:
        context["period"] = period
    reference = {
        "resourceType": "DocumentReference",
        "id": ref_id,
        "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{ref_id}"},
        "status": "current",
        "docStatus": status,
        "type": {"coding": [PROGRESS_NOTE]},
        "category": [{"coding": [CATEGORY]}],
        "subject": patient,
        "date": _instant(created),
        "author": [author],
        "authenticator": author,
        "description": doc.title,
        "securityLabel": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                        "code": "R",
                        "display": "restricted",
                    }
                ]
            }
        ],
        "content": [
            {
                "attachment": _attachment(
                    plain_text(doc).encode("utf-8"),
                    "text/plain; charset=utf-8",
                    f"{doc.title}.txt",
                    created,
                )
            },
            {
                "attachment": _attachment(
                    pdf_bytes(doc), "application/pdf", f"{doc.title}.pdf", created
                )
            },
        ],
        "context": context,
    }
    bundle = {
        "resourceType": "Bundle",
        "id": _uuid("bundle", sid, version),
        "type": "collection",
        "timestamp": _instant(created),
        "entry": [
            {"fullUrl": f"urn:uuid:{ref_id}", "resource": reference},
            {"fullUrl": f"urn:uuid:{comp_id}", "resource": composition},
        ],
    }
    validated = Bundle.model_validate(bundle)
    return str(validated.model_dump_json(exclude_none=True))
