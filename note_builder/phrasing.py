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
    r"\b(?:u+h*m+|uh+|erm|hmm+|mm+|uh-huh)\b[,.]?\s*|\byou know,\s*",
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


# Speech that a written note leaves out: cut-off words ("t- taking"), hedges, a phrase
# said twice in a row ("trying to, trying to").
STUTTER = re.compile(r"(?<![\w'’-])[A-Za-z'’]{1,6}-(?=\s|$)\s*|\.\.\.\s*")
HEDGES = re.compile(r"\b(?:kind of|sort of|i mean|you know|actually|basically)\b,?\s*", re.I)
REPEAT = re.compile(r"\b((?:\w+[ ,]+){0,2}\w+)[ ,]+\1\b", re.IGNORECASE)


NEGATION_WORD = re.compile(
    r"\b(?:not|no|never|none|nothing|nobody|nor|without|cannot|\w+n['’]?t)\b", re.IGNORECASE
)


def _once(m: re.Match[str]) -> str:
    # A repeated negation stays: the grounding check counts every one.
    return m.group(0) if NEGATION_WORD.search(m.group(1)) else m.group(1)


def _cut(m: re.Match[str]) -> str:
    return m.group(0) if NEGATION_WORD.search(m.group(0).replace("-", " ")) else ""


def tidy(quote: str) -> str:
    """:func:`clean`, and the cut-off words, hedges and immediate repeats gone."""
    out = STUTTER.sub(_cut, clean(quote))
    out = HEDGES.sub("", out)
    for _ in range(2):
        out = REPEAT.sub(_once, out)
    out = re.sub(r"\s+([,.?!])", r"\1", out)
    out = re.sub(r",\s*,", ",", out)
    return re.sub(r"\s{2,}", " ", out).strip(" ,;-")


def third_person(quote: str) -> str:
    """A first-person statement in the third person; other words unchanged."""
    tokens = re.split(r"(\s+)", tidy(quote))
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


# -- a clinician's words, and a question with its short answer ------------------------------

# Second person → singular "they" (the verbs that agree with "you" already have the
# plural form): the clinician's "your back exam" is the note's "their back exam".
SECOND_PERSON = {
    "you": "they",
    "you're": "they are",
    "youre": "they are",
    "you've": "they have",
    "you'll": "they will",
    "you'd": "they would",
    "your": "their",
    "yours": "theirs",
    "yourself": "themselves",
}
# Discourse openers that carry nothing for the note ("okay, so, now, ...").
OPENER = re.compile(
    r"^(?:(?:okay|ok|alright|all right|so|and|now|well|great|good|oh|right|also|lastly|"
    r"then|yeah|yes|perfect|hey(?:,? \w+)?)\b[,.]?\s*)+",
    re.IGNORECASE,
)
# How the clinician frames what they will do or think ("i think", "i want to go ahead
# and", "let's"): the plan is what follows.
STANCE = re.compile(
    r"^(?:(?:i (?:think|believe|feel like)|i(?:'d| would) like to|i (?:want|wanted|need) to|"
    r"i wan na|i'm (?:going to|gonna)|i am going to|we(?:'re| are) (?:going to|gonna)|"
    r"we(?:'ll| will)|i'll|let's|let us|go ahead and|just)\b,?\s*)+",
    re.IGNORECASE,
)
YES = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|yea|correct|mm-?hmm|uh-?huh|i do|i have|i am|i did|sure|"
    r"that's right|that's correct)\b",
    re.IGNORECASE,
)
NO = re.compile(
    r"^\W*(?:no|nope|nah|not really|not at all|never|none|i (?:do not|don't|have not|"
    r"haven't|did not|didn't|am not|'m not))\b",
    re.IGNORECASE,
)
SHORT_ANSWER_WORDS = 6  # an answer this short says yes or no and nothing else
# A question about something the client may have (a symptom, a finding): its object.
HAVE_QUESTION = re.compile(
    r"^(?:(?:do|did) you (?:have|get|notice|feel|experience|see)|"
    r"(?:have|had) you (?:had|been having|noticed|felt|experienced|seen|gotten|got)|"
    r"are you (?:having|experiencing|getting|noticing|feeling)|(?:is|was) there|"
    r"(?:have|has) there been|any)\s+(?:any(?: other)?\s+|other\s+)?(?P<x>.+)$",
    re.IGNORECASE,
)
# A question about what the client does or is: its verb phrase.
DO_QUESTION = re.compile(
    r"^(?:(?P<be>are|were) you|(?P<aux>do|did|have) you|you(?P<you>'re| are| were| have"
    r"|'ve)?)\s+(?P<x>.+)$",
    re.IGNORECASE,
)
REQUEST = re.compile(
    r"^(?:(?:do|did) you (?:want|wan na|mind|need me|know|understand|have any questions)"
    r"|are you (?:ready|okay with|ok with|able to)|you (?:can|could|should|will|would|'ll)\b"
    r"|(?:can|could|would|will|should|shall|may) )",
    re.IGNORECASE,
)
# Verbs a clinician says "you" after as its object ("prescribe you", "see you").
TAKES_OBJECT = frozenset(
    """prescribe give see refer send put start get tell ask let help show call check examine
    bring keep continue take order schedule switch move increase""".split()  # noqa: SIM905
)
# After an object "you": punctuation, the end, an article or a preposition.
OBJECT_NEXT = re.compile(
    r"\s*(?:$|[.,;:!?]|(?:a|an|the|to|in|on|at|for|with|from|about|back|again|up|off|out|"
    r"over|some|any|this|that|today|tomorrow|now|and|or|but|if|when|so)\b)",
    re.IGNORECASE,
)
TRAILER = re.compile(r"(?:,?\s*(?:or anything(?: like that)?|at all|or not|or|right|okay))+$", re.I)


def answer_polarity(answer: str) -> str | None:
    """ "yes" or "no" for a short answer that says just that; None otherwise."""
    n = len(words(answer))
    if n == 0 or n > SHORT_ANSWER_WORDS:
        return None
    if NO.search(answer):
        return "no"
    if YES.search(answer):
        return "yes"
    return None


def second_person(text: str) -> str:
    """Second person → third ("your back" → "their back"); other words unchanged."""

    def swap(m: re.Match[str]) -> str:
        key = m.group(1).lower().replace("’", "'")
        before = text[: m.start()].split()[-1:]
        if key == "you" and (
            OBJECT_NEXT.match(text, m.end()) or (before and before[0].lower() in TAKES_OBJECT)
        ):
            return "them"  # "refer you to", "see you in", "thank you."
        return SECOND_PERSON.get(key, m.group(1))

    return re.sub(r"\b([Yy]ou(?:['’](?:re|ve|ll|d)|rs|r|rself|re)?)\b", swap, text)


def clinician(quote: str) -> str:
    """A clinician's statement as a note line: fillers, openers and the speaker's stance
    ("i think", "i want to go ahead and") gone, second person made third."""
    out = tidy(quote)
    for _ in range(3):
        out = STANCE.sub("", OPENER.sub("", out)).strip(" ,;-")
    out = second_person(out).strip(" ,;-")
    if len(words(out)) < 2:
        return ""
    body = out[0].upper() + out[1:]
    return body if body[-1:] in ".!?" else body + "."


def answered(question: str, answer: str) -> str | None:
    """A yes/no question and the client's short answer as one report, in the client's
    voice: "Do you have any chest pain?" + "No." → "Client reported no chest pain."
    None when the question is not one a yes or no answers plainly."""
    polarity = answer_polarity(answer)
    if polarity is None or not question.rstrip().endswith("?"):
        return None
    q = clean(question).rstrip(" ?")
    for _ in range(3):
        q = OPENER.sub("", q).strip(" ,")
    q = TRAILER.sub("", q).strip(" ,")
    if not q or REQUEST.match(q) or re.match(r"^(?:what|how|when|where|why|which|who)\b", q, re.I):
        return None
    have = HAVE_QUESTION.match(q)
    if have is not None:
        x = second_person(have.group("x"))
        if polarity == "no":
            x = re.sub(r"^(?:a|an|the|some)\s+", "", x, flags=re.I)
            return f"Client reported no {x}."
        return f"Client reported {x}."
    verb = DO_QUESTION.match(q)
    if verb is None:
        return None
    x = second_person(verb.group("x"))
    be = (verb.group("be") or "").lower()
    aux = (verb.group("aux") or "").lower()
    you = (verb.group("you") or "").strip(" '").lower()
    if be or you in ("re", "are", "were"):
        form = {"were": "were"}.get(be or you, "are")
    elif aux in ("have",) or you in ("have", "ve"):
        form = "have"
    elif aux == "did":
        form = "did"
    else:
        form = ""
    if polarity == "no":
        return None  # "they are not ..." would need a "not" the client never said
    clause = f"they {form} {x}".replace("  ", " ")
    return f"Client reported {clause}."
