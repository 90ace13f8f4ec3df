"""The grounding invariant: nothing in the draft that the transcript does not say.

For an item the companion suggests (and has not been edited by the clinician):

1. it has evidence, and each piece names a segment of this session whose text holds
   the quote verbatim, at that segment's times;
2. every content word of its text is in its quotes (up to inflection), or is one of the
   frame words of :mod:`note_builder.phrasing` (the risk words only in risk items), or
   comes from its structured detail; a report of a quote keeps the quote's negations;
3. a structured item (a measure, an appointment, a medication, a risk finding, an
   intervention) is re-derived from its quotes by the same extractor, and the detail
   must come out the same: a number, a date or a finding cannot drift from what was said.

Negations are content words: "not" in an item must be in its evidence. A question and
the client's short "no" to it ("nope", "not really") may be reported as "Client reported
no ..." ("no" is allowed there without being said), and such a report must keep the
denial.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from companion.errors import UngroundedError
from note_builder.model import Item
from note_builder.phrasing import FRAME_WORDS, KIND_WORDS, answer_polarity, words

TIME_SLACK_S = 0.05

# Function words an item may hold without a source; never a negation.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "so",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "it's",
        "be",
        "been",
        "being",
        "has",
        "had",
        "do",
        "does",
        "did",
        "than",
        "then",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "how",
        "if",
        "into",
        "over",
        "under",
        "again",
        "just",
        "very",
        "also",
        "too",
        "about",
        "up",
        "down",
        "out",
        "some",
        "any",
        "all",
        "each",
        "both",
        "more",
        "most",
        "other",
        "such",
        "own",
        "same",
        "only",
        "can",
        "could",
        "should",
        "may",
        "might",
        "must",
        "shall",
    ]
)
NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "nor",
        "without",
        "none",
        "nothing",
        "nobody",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "wont",
        "isnt",
        "wasnt",
        "arent",
        "havent",
        "hasnt",
        "hadnt",
        "couldnt",
        "wouldnt",
        "shouldnt",
        "aint",
    ]
)
assert not (STOPWORDS | FRAME_WORDS) & NEGATIONS


@dataclass(frozen=True)
class SegmentText:
    """What the checker needs of a stored segment."""

    text: str
    start: float
    end: float


# kind → re-derivation: (quotes, detail) → the words that detail may add to the text,
# or None when the quotes do not yield that detail. Registered by the extractors.
Rederive = Callable[[list[str], Mapping[str, Any]], frozenset[str] | None]
REDERIVE: dict[str, Rederive] = {}


def register(kind: str) -> Callable[[Rederive], Rederive]:
    def wrap(func: Rederive) -> Rederive:
        REDERIVE[kind] = func
        return func

    return wrap


def stem(word: str) -> str:
    word = word.removesuffix("'s").removesuffix("’s")
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str, kind: str = "") -> set[str]:
    frame = FRAME_WORDS | KIND_WORDS.get(kind, frozenset())
    return {w for w in words(text) if w not in STOPWORDS and w not in frame}


def negations(text: str) -> int:
    """How many negations the text holds ("not", "never", "haven't", ...)."""
    return sum(1 for w in words(text) if w in NEGATIONS or w.endswith("n't"))


DENIAL_WORDS = frozenset(["no"])


def denied_answer(quotes: list[str]) -> bool:
    """A question and the client's short "no" to it: an item's only two quotes."""
    return (
        len(quotes) == 2
        and quotes[0].rstrip().endswith("?")
        and answer_polarity(quotes[-1]) == "no"
    )


def check_item(item: Item, segments: Mapping[str, SegmentText]) -> None:
    """Raise :class:`UngroundedError` unless the item is grounded (see the module)."""
    if item.author == "clinician" or item.status == "retracted":
        return
    if not item.evidence:
        raise UngroundedError(f"item {item.id} has no evidence")
    quotes: list[str] = []
    for ev in item.evidence:
        seg = segments.get(ev.segment_id)
        if seg is None:
            raise UngroundedError(f"item {item.id} cites unknown segment {ev.segment_id}")
        if not ev.quote.strip() or ev.quote not in seg.text:
            raise UngroundedError(f"item {item.id}: quote not in segment {ev.segment_id}")
        if ev.start < seg.start - TIME_SLACK_S or ev.end > seg.end + TIME_SLACK_S:
            raise UngroundedError(f"item {item.id}: evidence outside segment {ev.segment_id}")
        quotes.append(ev.quote)
    if item.status == "edited":
        return  # the clinician's words: evidence must resolve, the text is theirs
    allowed: frozenset[str] = frozenset()
    rederive = REDERIVE.get(item.kind)
    if rederive is not None:
        extra = rederive(quotes, item.detail)
        if extra is None:
            raise UngroundedError(f"item {item.id}: its {item.kind} is not in its evidence")
        allowed = frozenset(words(" ".join(extra)))
    denial = denied_answer(quotes)
    if denial:
        allowed |= DENIAL_WORDS
        if negations(item.text) == 0 and not DENIAL_WORDS & set(words(item.text)):
            raise UngroundedError(f"item {item.id} drops the denial of its evidence")
    said = {stem(w) for w in words(" ".join(quotes))}
    unsupported = [
        w for w in content_words(item.text, item.kind) if w not in allowed and stem(w) not in said
    ]
    # A report of a quote keeps every negation the quote holds.
    if (
        rederive is None
        and item.kind not in KIND_WORDS
        and negations(item.text) < min(negations(q) for q in quotes)
    ):
        raise UngroundedError(f"item {item.id} drops a negation of its evidence")
    if unsupported:
        # Counts only: the words themselves are PHI.
        raise UngroundedError(
            f"item {item.id}: {len(unsupported)} word(s) of its text are not in its evidence"
        )


def check_all(items: Iterable[Item], segments: Mapping[str, SegmentText]) -> None:
    for item in items:
        check_item(item, segments)


def is_grounded(item: Item, segments: Mapping[str, SegmentText]) -> bool:
    try:
        check_item(item, segments)
    except UngroundedError:
        return False
    return True
