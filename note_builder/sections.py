"""Where in a note a piece of dialogue belongs.

* ``HeaderClassifier``: a short dialogue → one of MTS-Dialog's 20 section headers.
* ``SoapSentenceClassifier``: one sentence and its speaker's role → subjective /
  objective / assessment / plan, or ``none`` (small talk, nothing for the note).

Both are logistic regressions over [TF-IDF ⊕ MiniLM sentence embeddings], trained by
``python -m note_builder.train``; the weights ship in ``note_builder/weights``.

>>> soap = SoapSentenceClassifier()
>>> soap.predict(["The plan is to start sertraline 50 mg."], ["clinician"])  # doctest: +SKIP
[{'subjective': 0.02, 'objective': 0.01, 'assessment': 0.03, 'plan': 0.9, 'none': 0.04}]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from note_builder.embeddings import EMBEDDING_DIM, LazyWeights, Matrix, SentenceEncoder
from note_builder.embeddings import shared_encoder as _shared_encoder

# fmt: off
MTS_HEADERS = (
    "ALLERGY", "ASSESSMENT", "CC", "DIAGNOSIS", "DISPOSITION", "EDCOURSE", "EXAM",
    "FAM/SOCHX", "GENHX", "GYNHX", "IMAGING", "IMMUNIZATIONS", "LABS", "MEDICATIONS",
    "OTHER_HISTORY", "PASTMEDICALHX", "PASTSURGICAL", "PLAN", "PROCEDURES", "ROS",
)
# fmt: on
_OBJECTIVE = {"EDCOURSE", "EXAM", "IMAGING", "LABS", "PROCEDURES"}
_ASSESSMENT = {"ASSESSMENT", "DIAGNOSIS"}
_PLAN = {"DISPOSITION", "PLAN"}
SOAP_OF_HEADER: Mapping[str, str] = {
    h: "objective"
    if h in _OBJECTIVE
    else "assessment"
    if h in _ASSESSMENT
    else "plan"
    if h in _PLAN
    else "subjective"
    for h in MTS_HEADERS
}
SOAP_CLASSES = ("subjective", "objective", "assessment", "plan", "none")
ROLES = ("clinician", "patient")  # anything else (unknown speaker) is a third value
_CLINICIAN = ("doctor", "clinician", "clinican", "therapist", "counsellor", "counselor")
_PATIENT = ("patient", "client", "guest_family", "family")
_TURN = re.compile(r"^\s*(?:\[(\w+)\]|([A-Za-z][A-Za-z_ ]{0,18}?)(?:_?\d+)?\s*:)\s*(.*)$")
_CHUNK = 256  # rows per dense feature matrix


def normalize_role(role: str | None) -> str | None:
    """``clinician``, ``patient`` or None (unknown) from a speaker label."""
    r = (role or "").strip().lower()
    if any(r.startswith(c) or r.endswith(c) for c in _CLINICIAN):
        return "clinician"
    if any(r.startswith(p) for p in _PATIENT):
        return "patient"
    return None


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn; ``role`` as ``normalize_role`` gives it."""

    role: str | None
    text: str


def parse_dialogue(text: str) -> list[Turn]:
    """Turns from ``Doctor: ...`` lines (MTS-Dialog) or ``[doctor] ...`` lines (ACI-Bench);
    a line without a speaker continues the previous turn."""
    turns: list[Turn] = []
    for line in text.replace("\r", "").split("\n"):
        line = line.strip()
        if not line:
            continue
        m = _TURN.match(line)
        if m:
            turns.append(Turn(normalize_role(m.group(1) or m.group(2)), m.group(3).strip()))
        elif turns:
            turns[-1] = Turn(turns[-1].role, f"{turns[-1].text} {line}")
        else:
            turns.append(Turn(None, line))
    return [t for t in turns if t.text]


def render_dialogue(turns: Sequence[Turn]) -> str:
    """The dialogue as one text (``Doctor:``/``Patient:`` lines), as the encoder saw it."""
    names = {"clinician": "Doctor: ", "patient": "Patient: "}
    return "\n".join(names.get(t.role or "", "") + t.text for t in turns)


def role_onehot(roles: Sequence[str | None]) -> Matrix:
    """(n, 3): clinician, patient, unknown."""
    out = np.zeros((len(roles), len(ROLES) + 1), dtype=np.float32)
    for i, role in enumerate(roles):
        r = normalize_role(role)
        out[i, ROLES.index(r) if r in ROLES else len(ROLES)] = 1.0
    return out


def dialogue_embeddings(
    dialogues: Sequence[Sequence[Turn]],
    encoder: SentenceEncoder,
    blocks: Sequence[str] = ("whole", "mean"),
) -> dict[str, Matrix]:
    """Per dialogue, by block name: ``whole``, the embedding of the rendered dialogue (the
    encoder reads its first 256 word pieces); ``mean``, the re-normalized mean of its
    turns' embeddings."""
    out: dict[str, Matrix] = {}
    if "whole" in blocks:
        out["whole"] = encoder.encode([render_dialogue(d) for d in dialogues])
    if "mean" in blocks:
        flat = encoder.encode([t.text for d in dialogues for t in d])
        mean = np.zeros((len(dialogues), EMBEDDING_DIM), dtype=np.float32)
        start = 0
        for i, d in enumerate(dialogues):
            if d:
                v = flat[start : start + len(d)].mean(axis=0)
                mean[i] = v / max(float(np.linalg.norm(v)), 1e-12)
            start += len(d)
        out["mean"] = mean
    return out


def dialogue_words(turns: Sequence[Turn]) -> str:
    """What the TF-IDF block of the header model reads: the turns' words, no speakers."""
    return " ".join(t.text for t in turns)


class HeaderClassifier:
    """A short dialogue → probabilities over ``MTS_HEADERS``."""

    def __init__(self, encoder: SentenceEncoder | None = None, weights: str = "headers") -> None:
        self._encoder = encoder or _shared_encoder()
        self._weights = LazyWeights(weights)

    def predict(self, dialogues: Sequence[Sequence[Turn]]) -> list[dict[str, float]]:
        head, tfidf, meta = self._weights.get()
        blocks = dialogue_embeddings(dialogues, self._encoder, meta["blocks"])
        scale = float(meta["embedding_scale"])
        out: list[dict[str, float]] = []
        for s in range(0, len(dialogues), _CHUNK):
            rows = slice(s, s + _CHUNK)
            parts = [tfidf.transform([dialogue_words(d) for d in dialogues[rows]])]
            parts += [scale * blocks[name][rows] for name in meta["blocks"]]
            proba = head.proba(np.hstack(parts))
            out += [dict(zip(head.classes, map(float, p), strict=True)) for p in proba]
        return out

    def classify(self, dialogues: Sequence[Sequence[Turn]]) -> list[str]:
        """The most probable header of each dialogue."""
        return [max(p, key=p.__getitem__) for p in self.predict(dialogues)]


def soap_features(
    tfidf_rows: Matrix, embeddings: Matrix, roles: Sequence[str | None], scale: float
) -> Matrix:
    """[TF-IDF | scale · embedding | role one-hot], the SOAP model's column order."""
    return np.hstack([tfidf_rows, scale * embeddings, role_onehot(roles)])


class SoapSentenceClassifier:
    """One sentence and its speaker's role → probabilities over ``SOAP_CLASSES``."""

    def __init__(self, encoder: SentenceEncoder | None = None, weights: str = "soap") -> None:
        self._encoder = encoder or _shared_encoder()
        self._weights = LazyWeights(weights)

    def predict(
        self,
        sentences: Sequence[str],
        roles: Sequence[str | None],
        embeddings: Matrix | None = None,
    ) -> list[dict[str, float]]:
        """``embeddings``: the sentences' encodings when the caller has them already."""
        if len(sentences) != len(roles):
            raise ValueError("one role per sentence")
        head, tfidf, meta = self._weights.get()
        emb = self._encoder.encode(sentences) if embeddings is None else embeddings
        if emb.shape != (len(sentences), EMBEDDING_DIM):
            raise ValueError("one embedding per sentence")
        scale = float(meta["embedding_scale"])
        out: list[dict[str, float]] = []
        for s in range(0, len(sentences), _CHUNK):
            rows = slice(s, s + _CHUNK)
            x = soap_features(tfidf.transform(sentences[rows]), emb[rows], roles[rows], scale)
            out += [dict(zip(head.classes, map(float, p), strict=True)) for p in head.proba(x)]
        return out

    def classify(
        self,
        sentences: Sequence[str],
        roles: Sequence[str | None],
        embeddings: Matrix | None = None,
    ) -> list[str]:
        """The most probable class of each sentence."""
        return [max(p, key=p.__getitem__) for p in self.predict(sentences, roles, embeddings)]
