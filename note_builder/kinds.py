"""Which kind of note item a sentence is, when no extractor claimed it.

Nearest prototype in the sentence-embedding space: each kind is described by a few
example sentences (training examples of the classifier, never note text), and a
sentence takes the kind whose examples it is closest to, if it is close enough.
Cue patterns decide the kinds that hang on a few words (homework, referral, change
talk). The note's words always come from the sentence itself.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from note_builder.embeddings import SentenceEncoder

# Client sentences.
CLIENT_EXAMPLES: Mapping[str, tuple[str, ...]] = {
    "presenting_concern": (
        "The reason I came in is my anxiety has gotten out of control.",
        "I'm here because my wife said I need to do something about my drinking.",
        "I've been struggling with panic attacks and I want help with that.",
        "My doctor sent me because of my blood pressure and my weight.",
        "What I really want to work on is my anger.",
    ),
    "symptom": (
        "I can't sleep at night, I wake up at three and can't get back to sleep.",
        "I've had no appetite and I've lost weight.",
        "My heart races and I can't breathe when I'm in a crowd.",
        "I can't concentrate at work anymore.",
        "I keep having nightmares about the accident.",
        "I feel tired all the time and I have no energy.",
        "I've been having headaches almost every day.",
    ),
    "mood": (
        "I've been feeling really down and hopeless lately.",
        "I feel so anxious and on edge all the time.",
        "I've been really irritable and angry with everyone.",
        "I just feel empty and numb.",
        "I'm feeling a bit better this week, more hopeful.",
        "I feel sad most days.",
        "I feel like such a failure, I hate myself.",
        "I'm so stressed out and overwhelmed.",
        "I don't have any motivation or willpower anymore.",
    ),
    "stressor": (
        "Things at work have been really stressful since the layoffs.",
        "My husband and I have been fighting a lot.",
        "My mom is sick and I'm taking care of her.",
        "I lost my job last month and money is really tight.",
        "We're going through a divorce.",
        "My son got arrested and it's been a nightmare.",
        "My mom is a single parent and she struggles to pay the bills.",
        "My parents keep pressuring me about school.",
    ),
    "progress": (
        "I managed to go to the gym three times this week.",
        "I've cut down to two drinks a night since we last met.",
        "I used the breathing exercise and it helped.",
        "I haven't smoked for two weeks now.",
        "I've been doing better with my goal of going to bed earlier.",
        "It's been harder this week, I slipped back into old habits.",
    ),
    "report": (
        "I've been drinking every night after work to unwind.",
        "I have two kids and I work nights at the hospital.",
        "I moved here last year and I don't really know anybody.",
        "I've been smoking since I was fifteen.",
    ),
}
# Therapist sentences.
THERAPIST_EXAMPLES: Mapping[str, tuple[str, ...]] = {
    "homework": (
        "This week I'd like you to keep a record of your moods each evening.",
        "Between now and next session, try the breathing exercise twice a day.",
        "Your homework is to write down three things that went well each day.",
        "Could you try tracking how many drinks you have each day this week?",
    ),
    "referral": (
        "I'm going to refer you to a psychiatrist for a medication evaluation.",
        "I think a support group like AA could help, here is the number.",
        "I'd recommend you see your doctor about the sleep problems.",
    ),
    "plan": (
        "Next time we'll work on challenging those negative thoughts.",
        "We'll keep working on your goal of cutting down your drinking.",
        "Our plan is to meet weekly and focus on coping skills.",
        "Let's set a goal of going for a walk three days this week.",
    ),
    "observation": (
        "I notice you seem tearful as we talk about this.",
        "You look a lot more relaxed today than last time.",
        "You seem really tired today.",
    ),
    "assessment": (
        "It sounds like your depression has improved since we started.",
        "You've made real progress toward your goal.",
        "It seems like your anxiety is still getting in the way at work.",
    ),
}
# A sentence shorter than this (in words) is not note-worthy on its own.
MIN_WORDS = 3

HOMEWORK_CUE = re.compile(
    r"\b(homework|this week,? (?:i'?d like you to|try)|between now and (?:next|our next)|"
    r"keep (?:a|track)|write down|practice|try (?:to|and) .* (?:each|every) day)\b",
    re.IGNORECASE,
)
REFERRAL_CUE = re.compile(
    r"\b(refer(?:ral|ring)?|psychiatrist|support group|AA\b|NA\b|a doctor|your doctor|"
    r"your physician|primary care|detox|rehab|inpatient|crisis line|hotline|988)\b",
    re.IGNORECASE,
)
# Client change talk (desire, ability, reasons, need, commitment, taking steps) and
# sustain talk: how the client responded to the intervention.
CHANGE_TALK = re.compile(
    r"\b(i (?:really )?(?:want|wanna|need|have) to (?:stop|quit|cut|change|get|start|be|do|"
    r"try|work|make)|i(?:'m| am) (?:going|gonna) to|i could (?:try|stop|cut|start)|"
    r"i will|i'll (?:try|start|stop|do)|i(?:'m| am) ready|i(?:'ve| have) (?:started|stopped|"
    r"cut down|been trying))",
    re.IGNORECASE,
)
SUSTAIN_TALK = re.compile(
    r"\b(i (?:don'?t|do not) (?:think|want|see) (?:i|to|the need|a problem)|"
    r"i can'?t (?:stop|quit|change)|it'?s not (?:a|that big a) (?:problem|deal)|"
    r"i(?:'m| am) not (?:ready|going to))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class KindGuess:
    kind: str
    score: float


class KindClassifier:
    """Nearest-prototype kinds over sentence embeddings (one encoder, shared)."""

    THRESHOLD = 0.4

    def __init__(self, encoder: SentenceEncoder) -> None:
        self._encoder = encoder
        self._lock = threading.Lock()
        self._protos: dict[str, tuple[list[str], np.ndarray]] | None = None

    def _prototypes(self) -> dict[str, tuple[list[str], np.ndarray]]:
        with self._lock:
            if self._protos is None:
                protos = {}
                for role, table in (("client", CLIENT_EXAMPLES), ("therapist", THERAPIST_EXAMPLES)):
                    kinds = [k for k, examples in table.items() for _ in examples]
                    texts = [e for examples in table.values() for e in examples]
                    protos[role] = (kinds, self._encoder.encode(texts))
                self._protos = protos
            return self._protos

    def classify(self, embeddings: np.ndarray, role: str) -> list[KindGuess | None]:
        """Per sentence embedding (rows L2-normalised): the closest kind, if close enough.
        ``role`` is "client" or "therapist"."""
        kinds, protos = self._prototypes()[role]
        if not len(embeddings):
            return []
        sims = embeddings @ protos.T
        out: list[KindGuess | None] = []
        for row in sims:
            best = int(np.argmax(row))
            score = float(row[best])
            out.append(KindGuess(kinds[best], score) if score >= self.THRESHOLD else None)
        return out

    def warm_up(self) -> None:
        self._prototypes()

    @classmethod
    def shared(cls, encoder: SentenceEncoder) -> KindClassifier:
        """One per encoder: the prototypes are embedded once per process."""
        with _SHARED_LOCK:
            found = _SHARED.get(id(encoder))
            if found is None or found._encoder is not encoder:
                found = cls(encoder)
                _SHARED[id(encoder)] = found
            return found


_SHARED: dict[int, KindClassifier] = {}
_SHARED_LOCK = threading.Lock()


def cue_kind(text: str, role: str) -> str | None:
    """The kind that a few words decide, if any."""
    if role == "therapist":
        if REFERRAL_CUE.search(text) and re.search(
            r"\b(refer|recommend|suggest|call|see)\b", text, re.I
        ):
            return "referral"
        if HOMEWORK_CUE.search(text):
            return "homework"
        return None
    if SUSTAIN_TALK.search(text):
        return "client_response"
    if CHANGE_TALK.search(text):
        return "client_response"
    return None
