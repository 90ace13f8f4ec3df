"""Turning what was said into note language without adding anything to it.

A client's first-person sentence becomes a third-person report ("I've been sleeping
badly" → "Client reported they have been sleeping badly"): pronouns and the verbs
that agree with them change, fillers go, nothing else is added. The only words an
item may hold that its evidence does not are the closed vocabulary here
(:data:`FRAME_WORDS`), which :mod:`note_builder.grounding` allows and nothing else.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
FILLERS = re.compile(
    r"\b(?:um+|uh+|erm|hmm+|mm+|uh-huh)\b[,.]?\s*|\byou know,\s*",
    re.IGNORECASE,
)
# First person → singular "they" (whose verbs take the plural form, so only the
# verbs that agree with "I" alone change).
FIRST_PERSON = {
    "i": "they",
    "i'm": "they are",
    "im": "they are",
    "i've": "they have",
    "ive": "they have",
    "i'd": "they would",
    "i'll": "they will",
    "me": "them",
    "my": "their",
    "mine": "theirs",
    "myself": "themselves",
}
AGREEMENT = {"am": "are", "was": "were", "wasn't": "weren't"}

# Words any item may add around what was said: its frame ("Client reported ...") and
# the pronouns and verb forms that the first-to-third-person change produces.
FRAME_WORDS = frozenset(
    [
        "client",
        "therapist",
        "speaker",
        "reported",
        "said",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "are",
        "were",
        "weren't",
        "have",
        "would",
        "will",
        "is",
    ]
)
# Words only an item of that kind may add (its label or template). The risk words are
# here, not above, so that no other kind of item can say "denied suicidal ideation".
KIND_WORDS: dict[str, frozenset[str]] = {
    "risk": frozenset(
        [
            "possible",
            "current",
            "suicidal",
            "homicidal",
            "ideation",
            "self",
            "harm",
            "abuse",
            "or",
            "neglect",
            "substance",
            "related",
            "danger",
            "severity",
            "high",
            "moderate",
            "low",
            "denied",
            "screened",
            "for",
            "answered",
        ]
    ),
    "intervention": frozenset(
        [
            "reflective",
            "listening",
            "open",
            "ended",
            "closed",
            "questions",
            "psychoeducation",
            "information",
            "advice",
        ]
    ),
    "measure": frozenset(["out", "of"]),
    "medication": frozenset(["medication", "adherence"]),
    "next_appointment": frozenset(["next", "appointment", "at", "discussed"]),
}


def sentences(text: str) -> list[tuple[int, int]]:
    """Char spans of the sentences of a transcript segment (speech-recognition text)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def clean(quote: str) -> str:
    """The quote without fillers and stray punctuation at its ends."""
    out = FILLERS.sub("", quote)
    out = re.sub(r"\s{2,}", " ", out).strip(" ,;-")
    return out


def third_person(quote: str) -> str:
    """A first-person statement in the third person; other words unchanged."""
    tokens = re.split(r"(\s+)", clean(quote))
    out: list[str] = []
    after_i = False
    for token in tokens:
        core = token.strip(".,!?;:\"'")
        key = core.lower().replace("’", "'")
        if key in FIRST_PERSON:
            out.append(token.replace(core, FIRST_PERSON[key]))
            after_i = key == "i"
        elif after_i and key in AGREEMENT:
            out.append(token.replace(core, AGREEMENT[key]))
            after_i = False
        else:
            out.append(token)
            if token.strip():
                after_i = False
    return "".join(out).strip()


def reported(quote: str, verb: str = "reported") -> str:
    """``Client reported they ...`` or ``Client reported: ...`` for a client quote."""
    body = third_person(quote).rstrip(" .!?")
    if not body:
        return ""
    first = words(body)[:1]
    if first and first[0] == "they":
        return f"Client {verb} {body}."
    return f"Client {verb}: {body[0].lower() + body[1:] if body[1:2].islower() else body}."
