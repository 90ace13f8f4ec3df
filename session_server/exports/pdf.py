"""The signed note as a PDF (fpdf2): the same content as the text export, laid out.

DejaVu Sans is used where the system has it (every character of the transcript
prints); elsewhere the PDF core font Helvetica, with characters outside Latin-1
replaced. The creation date is the signing time, so equal versions give equal bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fpdf import FPDF

from session_server.exports.document import NoteDocument, signature_line, stamp

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_LATIN1 = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


def _font(pdf: FPDF) -> tuple[str, bool]:
    """The family to use, and whether it covers Unicode."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu", True
    return "Helvetica", False


def pdf_bytes(doc: NoteDocument) -> bytes:
    body = doc.body
    pdf = FPDF(format="Letter")
    pdf.set_creation_date(
        dt.datetime.strptime(doc.latest.signed_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    )
    pdf.set_title(doc.title)
    pdf.set_producer("Session companion")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    family, unicode = _font(pdf)

    def text(s: str) -> str:
        return s if unicode else s.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    def para(s: str, size: float = 10.5, style: str = "", gap: float = 1.5) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(0, size * 0.5, text(s), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.add_page()
    para(doc.title, 16, "B", 3)
    if body.get("client_label"):
        para(f"Client: {body['client_label']}")
    para(f"Clinician: {body.get('signer_name') or doc.signature.signer_id}", gap=4)
    for heading, lines in doc.sections():
        if heading:
            pdf.ln(2)
            para(heading.upper(), 12, "B")
        for line in lines:
            para(line)
    pdf.ln(4)
    para(signature_line(doc.signature), style="B")
    para(f"SHA-256: {doc.signature.content_hash}", 8)
    addenda = 0
    for v in doc.later:
        pdf.ln(4)
        if v.kind == "addendum":
            addenda += 1
            para(f"ADDENDUM {addenda} ({stamp(v.signed_at)})", 12, "B")
        for line in str(v.body.get("text", "")).splitlines():
            if line.strip():
                para(line)
        para(signature_line(v), style="B")
        para(f"SHA-256: {v.content_hash}", 8)
    return bytes(pdf.output())
