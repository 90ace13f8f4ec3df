"""What the therapist did in a turn, and the intervention a therapy note calls it.

``TherapistBehaviourClassifier`` labels a therapist utterance as AnnoMI's
``main_therapist_behaviour`` (reflection / question / therapist_input / other) with a
logistic regression over [TF-IDF ⊕ MiniLM sentence embedding], trained on all of AnnoMI by
``python -m note_builder.train``. ``intervention_name`` turns a label into the words of a
note ("reflective listening", "open-ended questions", ...).

>>> clf = TherapistBehaviourClassifier()
>>> clf.predict(["What brings you in today?"])  # doctest: +SKIP
[('question', 0.97)]
>>> intervention_name("question", "What brings you in today?")
'open-ended questions'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from note_builder.embeddings import EMBEDDING_DIM, LazyWeights, Matrix, SentenceEncoder
from note_builder.embeddings import shared_encoder as _shared_encoder

BEHAVIOURS = ("question", "reflection", "therapist_input", "other")
_OPEN = re.compile(
    r"^\W*(?:so|and|okay|ok|well|now|um|uh)?\W*"
    r"(?:what|how|why|where|when|which|who|tell me|describe|help me understand|walk me"
    r"|(?:can|could|would) you (?:tell|describe|say more|walk))\b",
    re.IGNORECASE,
)
_CHUNK = 256


def intervention_name(label: str, text: str = "") -> str | None:
    """A note's name for a behaviour; ``other`` (greetings, backchannel) has none.

    Questions are open-ended when they start with a wh-word or an invitation ("tell me...",
    "could you describe..."), closed otherwise ("do you...", "is it...").
    """
    if label == "reflection":
        return "reflective listening"
    if label == "question":
        return "open-ended questions" if _OPEN.search(text) else "closed questions"
    if label == "therapist_input":
        return "psychoeducation / information / advice"
    return None


def behaviour_features(tfidf_rows: Matrix, embeddings: Matrix, scale: float) -> Matrix:
    """[TF-IDF | scale · embedding]."""
    return np.hstack([tfidf_rows, scale * embeddings])


class TherapistBehaviourClassifier:
    """A therapist utterance → (AnnoMI behaviour label, its probability)."""

    def __init__(self, encoder: SentenceEncoder | None = None, weights: str = "interventions"):
        self._encoder = encoder or _shared_encoder()
        self._weights = LazyWeights(weights)

    def predict_proba(
        self, texts: Sequence[str], embeddings: Matrix | None = None
    ) -> list[dict[str, float]]:
        """Probabilities over ``BEHAVIOURS`` per utterance.

        The client's previous utterance is not a feature: it lowered cross-validated
        accuracy (``python -m note_builder.train --select``). ``embeddings``: the texts'
        encodings, if already at hand.
        """
        head, tfidf, meta = self._weights.get()
        emb = self._encoder.encode(texts) if embeddings is None else embeddings
        if emb.shape != (len(texts), EMBEDDING_DIM):
            raise ValueError("one embedding per utterance")
        scale = float(meta["embedding_scale"])
        out: list[dict[str, float]] = []
        for s in range(0, len(texts), _CHUNK):
            rows = slice(s, s + _CHUNK)
            x = behaviour_features(tfidf.transform(texts[rows]), emb[rows], scale)
            out += [dict(zip(head.classes, map(float, p), strict=True)) for p in head.proba(x)]
        return out

    def predict(
        self, texts: Sequence[str], embeddings: Matrix | None = None
    ) -> list[tuple[str, float]]:
        """The most probable behaviour of each utterance, with its probability."""
        probs = self.predict_proba(texts, embeddings)
        return [max(p.items(), key=lambda kv: kv[1]) for p in probs]

    def interventions(self, texts: Sequence[str]) -> list[str | None]:
        """The note's intervention name for each utterance (None for ``other``)."""
        return [
            intervention_name(label, t)
            for (label, _), t in zip(self.predict(texts), texts, strict=True)
        ]
