"""ConText for spoken therapy language: is a finding negated, hypothetical, past or someone else's?

An implementation of the ConText algorithm (Harkema et al. 2009, "ConText: an algorithm
for determining negation, experiencer, and temporal status from clinical reports"), as
in medspaCy's ``context`` package, with a lexicon rewritten for what clients and
therapists say aloud rather than what clinicians write:

1. the sentence is split into lower-case word tokens with character offsets
   (apostrophes are dropped, so ASR's ``dont`` and ``don't`` are one token);
2. modifier triggers are matched from the lexicon, leftmost-longest, so that a PSEUDO
   phrase ("not gonna lie", "can't stop") consumes the trigger word inside it;
3. each trigger gets a scope of at most ``max_scope`` tokens in its direction, cut at
   the sentence end, at a TERMINATE phrase ("but", "however"), at the next trigger of
   the same category, and at the start of a new clause: a subject pronoun that is not
   the first word of the scope and does not follow a complement verb ("I don't think
   I ..." stays one clause, "I'm not okay I want to ..." is two);
4. a target is modified by every trigger whose scope overlaps it and which does not
   overlap the target itself.

Spoken-language refinements: fillers ("um", "like") inside a phrase are skipped;
"if"/"unless" spans the consequent clause when that clause is modal ("if he leaves I'd
...") and reaches back over a modal main clause ("I'd ... if I lost her"); a recurrence
cue ("started again") reaches back across "but" to the behaviour it repeats;
OTHER_EXPERIENCER ("my brother", "she") stops at a first-person word. CURRENT cues
("again", "lately", "still") override HISTORICAL, and a dated phrase ("two weeks ago",
"last year") is HISTORICAL when older than :attr:`ContextConfig.historical_after_days`,
else CURRENT.

>>> text = "years ago I cut myself, but not since"
>>> [m.category for m in modifiers_for(text, (12, 22))]
['HISTORICAL', 'NEGATED_EXISTENCE']
>>> assess(text, (12, 22)).status
'historical'

Pure Python, no model, no I/O; well under a millisecond per sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

NEGATED = "NEGATED_EXISTENCE"
POSSIBLE = "POSSIBLE_EXISTENCE"
HYPOTHETICAL = "HYPOTHETICAL"
HISTORICAL = "HISTORICAL"
OTHER_EXPERIENCER = "OTHER_EXPERIENCER"
CURRENT = "CURRENT"
PSEUDO = "PSEUDO"
TERMINATE = "TERMINATE"

FORWARD = "FORWARD"
BACKWARD = "BACKWARD"
BIDIRECTIONAL = "BIDIRECTIONAL"


@dataclass(frozen=True, slots=True)
class ContextConfig:
    """``historical_after_days``: a dated event older than this is HISTORICAL, else CURRENT."""

    historical_after_days: int = 30


@dataclass(frozen=True, slots=True)
class Modifier:
    """A trigger that modifies a target: its category and where its phrase is in the text."""

    category: str
    start: int
    end: int
    phrase: str


@dataclass(frozen=True, slots=True)
class Token:
    norm: str  # lower case, apostrophes removed
    start: int
    end: int
    sentence: int
    after_comma: bool  # a comma, dash or colon separates it from the previous token


@dataclass(frozen=True, slots=True)
class Rule:
    """One lexicon entry.

    ``conditional``: "if", whose scope follows the condition into a modal consequent.
    ``recurrence``: "started again",
    whose backward scope crosses clause and TERMINATE boundaries ("I used to cut, but I
    started again") because it refers back to the behaviour.
    """

    phrase: tuple[str, ...]
    category: str
    direction: str
    max_scope: int
    conditional: bool = False
    recurrence: bool = False


@dataclass(frozen=True, slots=True)
class Assertion:
    """What the modifiers say about one target; :attr:`status` resolves them."""

    negated: bool = False
    possible: bool = False
    hypothetical: bool = False
    historical: bool = False
    other_experiencer: bool = False
    current: bool = False
    ceased: bool = False

    @property
    def status(self) -> str:
        """One of negated, hypothetical, other_person, historical, current.

        Negation wins, except that a ceased negation of a past episode ("years ago ...,
        but not since") is historical; a CURRENT cue ("again", "lately") overrides
        HISTORICAL ("I used to cut and lately I've started again").
        """
        if self.negated:
            return "historical" if self.ceased and self.historical else "negated"
        if self.hypothetical:
            return "hypothetical"
        if self.other_experiencer:
            return "other_person"
        if self.historical and not self.current:
            return "historical"
        return "current"

    @classmethod
    def from_modifiers(cls, modifiers: Iterable[Modifier]) -> Assertion:
        """Combine modifiers; a negation phrase like "not since" or "in years" is a cessation."""
        cats: set[str] = set()
        ceased = since_anchor = recurrent = False
        abstinence_only = True  # every negation is a spell of abstinence ("clean from")
        for m in modifiers:
            cats.add(m.category)
            words = tuple(normalize_phrase(m.phrase).split())
            if words in _CEASED or (m.category == HISTORICAL and words[:1] == ("in",)):
                ceased = True
            if m.category == CURRENT and words[:1] == ("since",):
                since_anchor = True
            if m.category == CURRENT and words in _RECURRENCE_WORDS:
                recurrent = True
            if m.category == NEGATED and words not in _ABSTINENCE:
                abstinence_only = False
        negated = NEGATED in cats
        # "three months clean from cutting, but I slipped": the relapse ends the abstinence.
        if negated and recurrent and abstinence_only:
            negated = False
        # "I haven't cut since high school": the "since" anchor dates a past episode.
        anchored = negated and since_anchor
        return cls(
            negated=negated,
            possible=POSSIBLE in cats,
            hypothetical=HYPOTHETICAL in cats,
            historical=HISTORICAL in cats or anchored,
            other_experiencer=OTHER_EXPERIENCER in cats,
            current=CURRENT in cats and not anchored,
            ceased=ceased or anchored,
        )


# ----------------------------------------------------------------------------- lexicon

_NEG_SCOPE = 8
_HYP_SCOPE = 10
_HIST_SCOPE = 10
_EXP_SCOPE = 10
_CUR_SCOPE = 8
_POSS_SCOPE = 6

_NEGATION_FORWARD = (
    "not", "no", "never", "nt", "dont", "doesnt", "didnt", "havent", "hasnt", "hadnt", "wont",
    "wouldnt", "couldnt", "isnt", "arent", "wasnt", "werent", "aint", "nope", "nah", "none",
    "nor", "neither", "nobody", "no one", "noone", "no way", "no way would i", "i would never",
    "id never", "never ever",
    "no longer", "not at all", "not really", "not any", "not even", "negative for", "free of",
    "without", "zero", "no more", "cant see myself", "cant imagine", "couldnt imagine",
    "cant picture", "wouldnt ever", "would never",
)  # fmt: skip
_NEGATION_BIDIRECTIONAL = ("denies", "denied", "deny", "denying", "denial of")
# "overdosing isn't something I worry about": the negation follows what it denies.
_NEGATION_BACKWARD = (
    "isnt something", "is not something", "isnt something i", "is not something i",
    "wasnt something", "isnt a concern", "is not a concern", "isnt a worry", "isnt an issue",
    "is not an issue", "isnt a problem", "is not a problem", "wasnt a problem",
    "was never a problem", "was never an issue", "has never been a problem",
    "has never been an issue", "never been a problem", "never been an issue",
    "isnt a thing for me", "not a thing for me", "not something i do", "not something ive done",
    "not something id do", "not something id ever do", "isnt me", "is not me",
)  # fmt: skip
_CEASED_FORWARD = (
    "stopped", "quit", "gave up", "been clean from", "no longer", "clean from", "clean of",
    "free from", "sober from", "ive been clean from", "ive been clean of", "ive been free from",
    "im clean from", "i was clean from", "i was free from", "i had been clean from",
    "id been clean from", "been free from", "been sober from",
)  # fmt: skip
_CEASED_BACKWARD = (
    "not anymore", "not any more", "dont anymore", "dont do that anymore", "dont do it anymore",
    "not since", "not since then",
    "but not since", "but not anymore", "but not any more", "but not since then",
    "but not now", "but not lately", "but not recently", "not lately", "not recently",
    "never again", "not for years", "not in years", "havent since", "hasnt since",
    "but i stopped", "but i quit", "but ive stopped", "but i havent since",
    "since then no", "not for a long time", "not in a long time", "went away", "have gone away",
    "has gone away", "are gone", "is gone", "have stopped", "has stopped", "are gone now",
    "stopped completely",
)  # fmt: skip
_HISTORICAL_BACKWARD = (
    "before", "in years", "in a long time", "in months", "in ages", "in a while", "in forever",
    "once or twice before",
)  # fmt: skip
# "I haven't ... in years": a negation of a dated past episode is a cessation.
_CEASED = frozenset(
    tuple(p.split()) for p in (*_CEASED_FORWARD, *_CEASED_BACKWARD, *_HISTORICAL_BACKWARD[1:])
)

# A closing clause that dates everything before it: "..., but that was years ago".
_RETRO_HISTORICAL = tuple(
    f"{lead}{tail}"
    for lead in ("", "but ")
    for tail in (
        "that was years ago",
        "that was a long time ago",
        "that was ages ago",
        "that was forever ago",
        "that was a while ago",
        "that was way back",
        "that was back in",
        "that was before",
        "that was in the past",
        "thats in the past",
        "thats all in the past",
        "thats behind me",
        "that was a different time",
        "ive been sober",
        "ive been clean",
        "im sober now",
        "im clean now",
        "i got sober",
        "i got clean",
        "ive been sober since",
        "ive been clean since",
        "ive been sober ever since",
        "ive been clean ever since",
        "that was then",
        "that was my old life",
        "that was years back",
        "that was many years ago",
        "that was decades ago",
    )
)
_OLD_PLACES = (
    "at my old job",
    "in my old job",
    "at my last job",
    "at my old school",
    "in my old house",
)
# "killing all of them at my old job": an old place naming people, not dating the act.
_PLACE_NOUNS = tuple(
    f"{who} {place}"
    for who in ("them", "em", "people", "everyone", "everybody", "guys", "him", "her",
                "boss", "coworkers", "kids", "manager", "supervisor")
    for place in _OLD_PLACES
)  # fmt: skip
_PSEUDO = (
    "not only", "not just", "not necessarily", "no doubt", "no increase", "gram negative",
    "no change", "not gonna lie", "not going to lie",
    "im not gonna lie", "not to lie", "no lie", "wont lie", "not kidding", "not joking",
    "no joke", "no joking", "not even joking", "not even kidding", "not exaggerating",
    "not gonna sugarcoat", "not going to sugarcoat", "cant stop", "cannot stop", "couldnt stop",
    "wont stop", "doesnt stop", "dont stop", "never stopped", "havent stopped", "hasnt stopped",
    "didnt stop", "never really stopped", "not stopping", "never stops", "never stop",
    "wont go away",
    "doesnt go away", "never goes away", "never leaves", "cant get rid of", "cant shake",
    "cant help", "couldnt help", "dont know", "do not know", "dont really know", "didnt know",
    "dont know if", "dont know whether", "dont know why", "dont know how", "dont know what",
    "dunno", "not sure", "not sure if", "not sure whether", "not sure why", "no idea",
    "no one knows", "nobody knows", "no one else", "nobody else", *_PLACE_NOUNS,
    "keep imagining", "kept imagining", "been imagining", "keeps imagining", "cant stop imagining",
    "always imagining", "i imagine", "up to me not", "up to me to not", "careful not",
    "make sure not", "make sure i dont", "make sure that i dont", "no matter", "no matter what",
    "why not", "no wonder", "never mind",
    "no offense", "dont get me wrong", "not to mention", "not that i know of",
    "no i", "no im", "no ive", "no id", "no my", "no no", "no it", "no its", "no well",
    "no yeah", "no like", "no actually", "no honestly", "no but", "no so", "nah i", "nah im",
    "nah ive", "nope i", "nope im", "oh no", "uh no", "um no",
    "cant promise", "cant promise i wont", "cant promise that i wont", "cant guarantee",
    "cant guarantee i wont", "cant say i wont", "not sure i wont", "not sure that i wont",
    "dont trust myself not to", "dont care", "couldnt care less",
    "wonder if", "wondering if", "wondered if", "see if",
    "if im honest", "if im being honest", "if i am honest", "if i am being honest",
    "if im being real", "if youre asking", "if you want to know", "if you must know",
    "if that makes sense", "if you know what i mean", "if anything", "as if",
    "if im being totally honest", "if i had to guess", "if i think about it",
    "im used to", "get used to", "getting used to", "got used to", "gotten used to",
    "first time in years", "first time in a long time", "first time in months",
    "shouldnt have", "should not have", "never felt so", "never been so", "never felt this",
    "not okay", "not ok", "not fine", "not good", "not great", "not well", "not doing well",
    "not doing good", "not doing great", "not doing okay", "not happy", "not myself",
    "not in a good place", "not in a good headspace", "not sleeping", "not eating",
    "not coping", "not handling", "not getting better", "no energy", "no motivation",
    "no hope", "not alone", "not the first time", "no big deal", "not a big deal",
    "not safe", "dont feel safe", "never felt safe", "no choice", "had no choice",
    "never thought i", "never thought id", "never thought i would", "never imagined i",
    "never thought that i", "never told", "never told anyone", "no one knows", "nobody knows",
    "doesnt know",
    "dont know that", "doesnt know that", "didnt know that", "dont want anyone to know",
    "dont want them to know", "dont want my", "havent told", "hasnt told", "didnt tell",
    "dont tell", "wont tell", "never knew", "doesnt realize", "dont realize", "doesnt see",
    "dont think anyone", "dont think anybody", "dont think people", "dont think they",
    "doesnt understand", "dont understand why", "no one understands", "nobody understands",
    "no one cares", "nobody cares", "no one would", "nobody would", "no one can", "nobody can",
    "before work", "before school", "before bed", "before class", "before dinner",
    "before lunch", "before breakfast", "before driving", "before coming", "before going",
    "before a", "before every", "before each", "before getting", "before our", "before this",
    "before your", "before it", "before sleeping", "before shifts", "before church",
    "before i", "before he",
    "before she", "before they", "before we", "before you", "before my", "before the",
)  # fmt: skip
_CONDITIONAL_FORWARD = (
    "if i ever", "if ever", "if i", "if you ever", "if he ever", "if she ever", "if they ever",
    "if someone", "if somebody", "if anyone", "if anybody", "if i was", "if i were", "if id",
)  # fmt: skip
_HYPOTHETICAL_FORWARD = (
    "what if", "in case", "just in case", "would you", "would you ever",
    "suppose", "supposing", "were to", "should i", "imagine", "imagining", "lets say",
    "hypothetically", "say if", "asked if", "asked me if", "asks if", "asks me if", "asking if",
    "asking me if", "asked whether", "asked me whether", "ask me if",
)  # fmt: skip
_CONDITIONAL = ("if", "unless", "even if", "only if")
_HISTORICAL_BIDIRECTIONAL = (
    "years ago", "many years ago", "a long time ago", "long time ago", "long ago", "ages ago",
    "back then", "back in the day", "in the past", "in my past", "previously", "at one point",
    "once before", "a while back", "way back", "as a kid", "as a child", "as a teenager",
    "as a teen", "as a young adult", "in high school", "in middle school", "in junior high",
    "in college", "in my teens", "in my twenties", "in my early twenties", "in my late teens",
    "in grade school", "in elementary school", "growing up", "when i was younger",
    "when i was young", "when i was little", "when i was a kid", "when i was a child",
    "when i was a teenager", "when i was a teen", "when i was in high school",
    "when i was in middle school", "when i was in college", "when i was in school",
    "when i was growing up", "when we were kids", "when i was in my twenties",
    "my freshman year", "my sophomore year", "my junior year", "my senior year",
    "freshman year", "sophomore year", "junior year", "senior year", "in my last marriage",
    "in my first marriage", "before i got sober", "before i got clean", "before treatment",
    "before i started therapy", "before i came here", "before i got help", "at my old job",
    "in my old job", "at my last job", "in my last job", "in my last relationship",
    "in my previous relationship", "when i was married", "when i was with him",
    "when i was with her", "when i lived with him", "when i lived with her", "when we lived",
    "when i was living with", "when i was drinking", "when i was using", "back when",
    "in my old house", "at my old school", "in the army", "in the military",
    "at uni", "in uni", "at university", "in university", "when i was at uni",
    "when i was at university", "when i was in uni", "when i was in university",
    "there was a time", "there were times", "for a while there", "at one time",
)  # fmt: skip
_HISTORICAL_FORWARD = (
    "used to", "history of", "hx of", "h o", "had a history of", "past history",
)  # fmt: skip
_SCARS = ("scars", "old scars", "scar", "old scar")
_CURRENT_BIDIRECTIONAL = (
    "lately", "these days", "nowadays", "this week", "this past week", "the past week",
    "past few days", "the past few days", "past couple days", "past couple of days",
    "the past couple weeks", "past couple weeks", "past few weeks", "the past few weeks",
    "these past few weeks", "this month", "right now", "still", "recently", "currently",
    "at the moment", "tonight", "today", "this morning", "this afternoon", "this evening",
    "yesterday", "last night", "the other night", "the other day", "this weekend",
    "last weekend", "over the weekend", "since then", "anymore now",
    "as of late", "more and more", "these last few days", "since the session",
    "since last session", "since our last session", "since i saw you", "since we last met",
    "since we last talked", "since we started", "since i started", "since we started therapy",
    "since i started therapy", "since i started meds", "since i got out", "since i got sober",
    "since i got clean", "since i came here", "since i moved", "since i left", "since rehab",
    "since treatment", "since the hospital", "since i got out of the hospital",
    "the night before", "the day before", "the morning after",
    "the next morning", "the next day",
)  # fmt: skip
_RECURRENCE = (
    "again", "started again", "starting again", "start again", "relapsed", "all over again",
    "slipped", "slipped up", "i slipped", "relapse", "relapsing", "caved", "gave in",
    "did it again", "fell off the wagon",
    "once again", "doing it again", "back at it", "came back", "are back", "is back",
    "have come back", "has come back", "coming back", "its back", "theyre back",
)  # fmt: skip
_RECURRENCE_WORDS = frozenset(tuple(p.split()) for p in _RECURRENCE)
# Negations that only say the behaviour paused: a relapse after them is current.
_ABSTINENCE = frozenset(
    tuple(p.split())
    for p in (
        "without", "clean from", "clean of", "free from", "sober from", "stopped", "quit",
        "gave up", "been clean from", "ive been clean from", "ive been clean of",
        "ive been free from", "im clean from", "i was clean from", "i was free from",
        "i had been clean from", "id been clean from", "been free from", "been sober from",
    )
)  # fmt: skip
_RELATIVES = (
    "brother", "sister", "mom", "mother", "dad", "father", "friend", "son", "daughter",
    "husband", "wife", "partner", "boyfriend", "girlfriend", "cousin", "aunt", "uncle",
    "grandma", "grandmother", "grandpa", "grandfather", "roommate", "coworker", "boss",
    "neighbor", "neighbour", "kid", "kids", "child", "children", "stepdad", "stepmom",
    "stepfather", "stepmother", "stepbrother", "stepsister", "ex", "fiance", "fiancee",
    "best friend", "family", "parents", "niece", "nephew", "classmate", "teammate",
    "ex husband", "ex wife", "ex boyfriend", "ex girlfriend", "brother in law",
    "sister in law", "mother in law", "father in law", "teenager", "baby", "bestie",
    "housemate", "flatmate", "buddy", "mate", "best mate", "pal", "colleague", "stepson",
    "stepdaughter", "step son", "step daughter", "grandson", "granddaughter", "godson",
    "goddaughter", "bandmate", "student", "client", "patient", "fiance", "fianc", "fiancée",
    "partner in crime", "ex partner", "homie", "bro",
)  # fmt: skip
_ADJECTIVES = (
    "little", "teenage", "older", "younger", "big", "oldest", "youngest", "best", "step", "adult",
    "twin", "baby", "late", "grown", "new", "old", "ex", "former", "current", "middle", "two",
    "three", "poor", "own",
)  # fmt: skip
_EXPERIENCER_FORWARD = (
    "a friend", "a friend of mine", "a good friend", "a buddy", "a coworker", "a classmate",
    "someone i know", "somebody i know", "someone i love", "a guy i know", "a girl i know",
    "a kid at school", "a kid in my class", "a girl at school", "a guy at work",
    "one of my", "some of my", "a lot of my", "most of my", "all of my", "a few of my",
    "someone at work", "someone at school", "people", "some people", "a lot of people",
    "lots of people", "other people", "he", "hes", "she", "shes", "they", "theyre", "theyve",
    "theyd", "hed", "his", "their",
    *(f"{p} {r}" for p in ("my", "your", "his", "her", "our") for r in _RELATIVES),
    *(f"{p} {r}s" for p in ("my", "your", "his", "her") for r in _RELATIVES if r[-1] != "s"),
    *(f"my best friends {r}" for r in ("mom", "dad", "brother", "sister")),
    *(f"{p} {a} {r}" for p in ("my", "your") for a in _ADJECTIVES for r in _RELATIVES),
)  # fmt: skip
_EXPERIENCER_BACKWARD = ("in my family", "runs in the family", "in the family", "on my moms side")
_POSSIBLE_FORWARD = (
    "maybe", "might", "may", "possibly", "probably", "perhaps", "i guess", "i think",
    "kind of", "kinda", "sort of", "unsure", "afraid", "scared", "worried", "almost",
)  # fmt: skip
_TERMINATE = (
    "but", "however", "though", "although", "except", "aside from", "apart from", "other than",
    "besides", "which", "whereas", "yet", "instead", "anyway", "anyways", "otherwise",
    "on the other hand", "but then", "that said",
)  # fmt: skip
# Words that end a negation's scope only: a new coordinated predicate or reason.
_NEGATION_TERMINATORS = frozenset({"and", "so", "because", "cause", "cuz", "then", "plus"})

_SUBJECTS = frozenset(
    {"i", "im", "ive", "id", "he", "hes", "she", "shes", "they", "theyre", "theyve", "theyd",
     "we", "weve", "you", "youre", "youve", "youd", "hed"}
)  # fmt: skip
_FIRST_PERSON = frozenset({"i", "im", "ive", "id", "me", "myself"})
_MODAL = frozenset(
    {"id", "would", "could", "might", "will", "ill", "gonna", "going", "hed", "theyd", "youd",
     "then", "wed", "wont", "wouldnt", "should"}
)  # fmt: skip
# A subject pronoun after one of these starts a complement, not a new clause.
_COMPLEMENT = frozenset(
    {"think", "thought", "thinking", "know", "knew", "believe", "feel", "felt", "feeling",
     "say", "said", "saying", "says", "mean", "guess", "hope", "wish", "like", "that", "if",
     "whether", "swear", "admit", "realize", "pretend", "sure", "suppose", "imagine", "afraid",
     "scared", "worried", "promise", "because", "where",
     "cause", "unless", "anymore"}
)  # fmt: skip
_MAX_SKIPPED_FILLERS = 3  # "when I was, um, like, fifteen" is still one phrase
_FILLERS = frozenset({"um", "umm", "uh", "uhh", "erm", "er", "ah", "hmm", "mm", "like", "yknow"})

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "a couple": 2, "a couple of": 2, "couple": 2, "couple of": 2,
    "a few": 3, "few": 3, "several": 4, "many": 5, "some": 3, "like a": 1, "like two": 2,
    **{str(n): n for n in range(1, 61)},
}  # fmt: skip
_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "year": 365,
          "years": 365}  # fmt: skip
_LAST = {
    "last week": 7, "last month": 30, "last year": 365, "last summer": 180, "last spring": 180,
    "last fall": 180, "last winter": 180, "last christmas": 300, "last semester": 150,
    "the year before last": 730, "the other week": 10, "a while ago": 60, "a while back": 60,
}  # fmt: skip
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "christmas", "thanksgiving", "new years", "spring",
    "summer", "the summer", "the spring", "the fall", "winter", "the winter", "my birthday",
)  # fmt: skip
_YEARS = tuple(f"{p}{y}" for p in ("in ", "back in ") for y in range(1970, 2026))
_AGES = ("five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
         "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
         *(str(n) for n in range(5, 30)))  # fmt: skip


def _rules(
    phrases: Iterable[str], category: str, direction: str, scope: int, **kw: bool
) -> list[Rule]:
    return [Rule(tuple(p.split()), category, direction, scope, **kw) for p in phrases]


def _dated_rules(config: ContextConfig) -> list[Rule]:
    dated: dict[str, int] = dict(_LAST)
    for number, n in _NUMBERS.items():
        for unit, days in _UNITS.items():
            for tail in ("ago", "back", "before"):
                dated[f"{number} {unit} {tail}"] = n * days
            dated[f"in {number} {unit}"] = n * days  # "I haven't cut in six months"
    rules = []
    for phrase, days in dated.items():
        category = HISTORICAL if days > config.historical_after_days else CURRENT
        rules += _rules([phrase], category, BIDIRECTIONAL, _HIST_SCOPE)
        if category == HISTORICAL:
            rules += _rules([f"since {phrase}"], CURRENT, BIDIRECTIONAL, _CUR_SCOPE)
    return rules


def _since(phrase: str) -> str:
    """'in high school' -> 'since high school', 'when i was a kid' -> 'since i was a kid'."""
    words = phrase.split()
    if words[0] in ("in", "when", "as", "at") and len(words) > 1:
        words = words[1:]
    return " ".join(["since", *words])


def _lexicon(config: ContextConfig) -> list[Rule]:
    ages = [f"when i was {a}" for a in _AGES] + [f"at {a}" for a in _AGES[15:]]
    past = [*_HISTORICAL_BIDIRECTIONAL, *ages, *_YEARS]
    return [
        *_rules(_NEGATION_FORWARD, NEGATED, FORWARD, _NEG_SCOPE),
        *_rules(_NEGATION_BIDIRECTIONAL, NEGATED, BIDIRECTIONAL, 5),
        *_rules(_CEASED_FORWARD, NEGATED, FORWARD, _NEG_SCOPE),
        *_rules(_CEASED_BACKWARD, NEGATED, BACKWARD, _NEG_SCOPE),
        *_rules(_PSEUDO, PSEUDO, FORWARD, 0),
        *_rules(_HYPOTHETICAL_FORWARD, HYPOTHETICAL, FORWARD, _HYP_SCOPE),
        *_rules(_CONDITIONAL_FORWARD, HYPOTHETICAL, BIDIRECTIONAL, _HYP_SCOPE, conditional=True),
        *_rules(_NEGATION_BACKWARD, NEGATED, BACKWARD, _NEG_SCOPE),
        *_rules(_RETRO_HISTORICAL, HISTORICAL, BACKWARD, 16, recurrence=True),
        *_rules(_CONDITIONAL, HYPOTHETICAL, BIDIRECTIONAL, _HYP_SCOPE, conditional=True),
        *_rules(past, HISTORICAL, BIDIRECTIONAL, _HIST_SCOPE),
        *_rules(_HISTORICAL_FORWARD, HISTORICAL, FORWARD, _HIST_SCOPE),
        *_rules(_HISTORICAL_BACKWARD, HISTORICAL, BACKWARD, 4),
        *_rules(_SCARS, HISTORICAL, BIDIRECTIONAL, 3),
        *_rules([_since(p) for p in past], CURRENT, BIDIRECTIONAL, _CUR_SCOPE),
        *_rules([_since(p).replace("since", "from", 1) for p in past], HISTORICAL, BACKWARD, 6),
        *_dated_rules(config),
        *_rules(_CURRENT_BIDIRECTIONAL, CURRENT, BIDIRECTIONAL, _CUR_SCOPE),
        *_rules(_RECURRENCE, CURRENT, BIDIRECTIONAL, 12, recurrence=True),
        *_rules([f"since {m}" for m in _MONTHS], CURRENT, BIDIRECTIONAL, _CUR_SCOPE),
        *_rules(_EXPERIENCER_FORWARD, OTHER_EXPERIENCER, FORWARD, _EXP_SCOPE),
        *_rules(_EXPERIENCER_BACKWARD, OTHER_EXPERIENCER, BACKWARD, 6),
        *_rules(_POSSIBLE_FORWARD, POSSIBLE, FORWARD, _POSS_SCOPE),
        *_rules(_TERMINATE, TERMINATE, FORWARD, 0),
    ]


@dataclass
class _Node:
    """A word trie of the lexicon; ``rule`` is set where a phrase ends."""

    children: dict[str, _Node] = field(default_factory=dict)
    rule: Rule | None = None


@lru_cache(maxsize=8)
def _trie(config: ContextConfig) -> _Node:
    """The lexicon as a trie; a later duplicate phrase replaces an earlier one."""
    root = _Node()
    for rule in _lexicon(config):
        node = root
        for word in rule.phrase:
            node = node.children.setdefault(word, _Node())
        node.rule = rule
    return root


# ----------------------------------------------------------------------------- tokens

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_SENTENCE_END_RE = re.compile(r"[.!?;]+(?=\s|$)")
_COMMA_RE = re.compile(r"[,:\u2013\u2014]|\s-\s|--")


def normalize(text: str) -> str:
    """Lower case with one straight apostrophe, one character for each of ``text``'s."""
    out = []
    for ch in text.translate(_APOSTROPHES):
        low = ch.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out)


def normalize_phrase(text: str) -> str:
    """Lower case, apostrophes dropped, single spaces between words."""
    return " ".join(t.replace("'", "") for t in _TOKEN_RE.findall(normalize(text)))


def tokenize(text: str) -> list[Token]:
    """Word tokens of ``text`` with their character offsets and sentence numbers."""
    norm = normalize(text)
    ends = [m.start() for m in _SENTENCE_END_RE.finditer(norm)]
    tokens: list[Token] = []
    sentence = 0
    prev_end = 0
    for m in _TOKEN_RE.finditer(norm):
        while sentence < len(ends) and ends[sentence] < m.start():
            sentence += 1
        gap = norm[prev_end : m.start()]
        tokens.append(
            Token(
                m.group().replace("'", ""),
                m.start(),
                m.end(),
                sentence,
                bool(_COMMA_RE.search(gap)),
            )
        )
        prev_end = m.end()
    return tokens


# ----------------------------------------------------------------------------- algorithm


@dataclass(frozen=True, slots=True)
class _Match:
    rule: Rule
    start: int  # token indices, end exclusive
    end: int
    scope_start: int
    scope_end: int


def _longest_at(tokens: Sequence[Token], i: int, root: _Node) -> tuple[Rule | None, int]:
    """The longest phrase starting at token ``i`` (fillers inside it skipped) and its end."""
    best: Rule | None = None
    best_end = -1
    node = root
    j = i
    skipped = 0
    while j < len(tokens) and tokens[j].sentence == tokens[i].sentence:
        child = node.children.get(tokens[j].norm)
        if child is None:
            if j > i and tokens[j].norm in _FILLERS and skipped < _MAX_SKIPPED_FILLERS:
                j += 1
                skipped += 1
                continue
            break
        node = child
        skipped = 0
        j += 1
        if node.rule is not None:
            best, best_end = node.rule, j
    return best, best_end


def _find_triggers(tokens: Sequence[Token], root: _Node) -> list[tuple[Rule, int, int]]:
    """Leftmost-longest trigger matches: (rule, first token, end token)."""
    found = []
    i = 0
    while i < len(tokens):
        rule, end = _longest_at(tokens, i, root)
        if rule is None:
            i += 1
            continue
        found.append((rule, i, end))
        i = end
    return found


def _is_clause_start(tokens: Sequence[Token], j: int, first: int) -> bool:
    """Whether token ``j`` (not the scope's first word ``first``) opens a new clause."""
    if j == first or tokens[j].norm not in _SUBJECTS:
        return False
    if tokens[j].after_comma:
        return True
    k = j - 1
    while k >= 0 and tokens[k].norm in _FILLERS:
        k -= 1
    return k < 0 or tokens[k].norm not in _COMPLEMENT


def _first_content(tokens: Sequence[Token], start: int, stop: int) -> int:
    j = start
    while j < stop and tokens[j].norm in _FILLERS:
        j += 1
    return j


def _is_modal_clause(tokens: Sequence[Token], start: int, stop: int) -> bool:
    return any(t.norm in _MODAL for t in tokens[start : min(stop, start + 4)])


def _forward_scope(tokens: Sequence[Token], rule: Rule, end: int, limit: int) -> int:
    first = _first_content(tokens, end, limit)
    counted = 0
    crossed = False
    j = end
    while j < limit and counted < rule.max_scope:
        tok = tokens[j]
        if rule.category == NEGATED and tok.norm in _NEGATION_TERMINATORS:
            return j
        if rule.category == OTHER_EXPERIENCER and tok.norm in _FIRST_PERSON:
            return j
        if _is_clause_start(tokens, j, first):
            # "if he leaves, I'd ...": the modal consequent is part of the condition.
            if rule.conditional and not crossed and _is_modal_clause(tokens, j, limit):
                crossed = True
            else:
                return j
        if tok.norm not in _FILLERS:
            counted += 1
        j += 1
    return j


def _backward_scope(tokens: Sequence[Token], rule: Rule, start: int, limit: int) -> int:
    counted = 0
    j = start - 1
    while j >= limit and counted < rule.max_scope:
        tok = tokens[j]
        if rule.category == NEGATED and tok.norm in _NEGATION_TERMINATORS:
            return j + 1
        if not rule.recurrence and _is_clause_start(tokens, j, -1):
            return j
        if tok.norm not in _FILLERS:
            counted += 1
        j -= 1
    return j + 1


def _sentence_bounds(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """For each token, the token range of its sentence."""
    bounds: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and tokens[j].sentence == tokens[i].sentence:
            j += 1
        bounds += [(i, j)] * (j - i)
        i = j
    return bounds


def _scope(
    tokens: Sequence[Token], rule: Rule, start: int, end: int, bounds: tuple[int, int]
) -> tuple[int, int]:
    lo, hi = bounds
    if rule.category in (PSEUDO, TERMINATE):
        return start, end
    s_start, s_end = start, end
    if rule.direction in (FORWARD, BIDIRECTIONAL):
        s_end = _forward_scope(tokens, rule, end, hi)
    if rule.direction in (BACKWARD, BIDIRECTIONAL):
        s_start = _backward_scope(tokens, rule, start, lo)
        # "I'd ... if I lost her": only a modal main clause is conditional.
        if rule.conditional and not _is_modal_clause(tokens, s_start, start):
            s_start = start
    return s_start, s_end


def _limit(k: int, matches: Sequence[_Match]) -> _Match:
    """Cut a scope at terminators and at the next trigger of the same category."""
    match = matches[k]
    s_start, s_end = match.scope_start, match.scope_end
    # Matches are in text order and scopes are short: only neighbours can cut.
    lo = k
    while lo > 0 and matches[lo - 1].end > s_start:
        lo -= 1
    hi = k
    while hi + 1 < len(matches) and matches[hi + 1].start < s_end:
        hi += 1
    for other in matches[lo : hi + 1]:
        if other is match or other.rule.category == PSEUDO:
            continue
        if other.rule.category != TERMINATE and other.rule.category != match.rule.category:
            continue
        if match.rule.recurrence and other.rule.category == TERMINATE and other.end <= match.start:
            continue
        if other.start >= match.end and other.start < s_end:
            s_end = other.start
        if other.end <= match.start and other.end > s_start:
            s_start = other.end
    return _Match(match.rule, match.start, match.end, s_start, s_end)


@dataclass(frozen=True, slots=True)
class SentenceContext:
    """The triggers of one text and their scopes; ask it about any target span."""

    text: str
    tokens: tuple[Token, ...]
    matches: tuple[_Match, ...]
    token_starts: tuple[int, ...]
    token_ends: tuple[int, ...]

    def modifiers_for(
        self, span: tuple[int, int], *, ignore: Collection[str] = ()
    ) -> list[Modifier]:
        """Modifiers whose scope covers the character span, in text order."""
        t_start = bisect_right(self.token_ends, span[0])
        t_end = bisect_left(self.token_starts, span[1])
        if t_start >= t_end:
            return []
        out = []
        for m in self.matches:
            if m.rule.category in (PSEUDO, TERMINATE) or m.rule.category in ignore:
                continue
            if m.start < t_end and m.end > t_start:
                continue  # a trigger inside the target is part of it
            if m.rule.recurrence and m.rule.category == CURRENT and self._negated(m):
                continue  # "I'm not going to start again": no recurrence
            if m.scope_start < t_end and m.scope_end > t_start:
                start, end = self.tokens[m.start].start, self.tokens[m.end - 1].end
                out.append(Modifier(m.rule.category, start, end, self.text[start:end]))
        return out

    def _negated(self, match: _Match) -> bool:
        """Whether a negation's scope covers the trigger ``match``."""
        return any(
            m.rule.category == NEGATED
            and m is not match
            and m.scope_start < match.end
            and m.scope_end > match.start
            and not (m.start < match.end and m.end > match.start)
            for m in self.matches
        )

    def assess(self, span: tuple[int, int], *, ignore: Collection[str] = ()) -> Assertion:
        return Assertion.from_modifiers(self.modifiers_for(span, ignore=ignore))

    def all_modifiers(self) -> list[Modifier]:
        """Every modifier trigger found (PSEUDO and TERMINATE excluded)."""
        out = []
        for m in self.matches:
            if m.rule.category not in (PSEUDO, TERMINATE):
                start, end = self.tokens[m.start].start, self.tokens[m.end - 1].end
                out.append(Modifier(m.rule.category, start, end, self.text[start:end]))
        return out


@lru_cache(maxsize=256)
def analyze(text: str, config: ContextConfig = ContextConfig()) -> SentenceContext:
    """Tokenise ``text``, find its triggers and compute their scopes."""
    tokens = tokenize(text)
    found = _find_triggers(tokens, _trie(config))
    bounds = _sentence_bounds(tokens)
    raw = [_Match(rule, s, e, *_scope(tokens, rule, s, e, bounds[s])) for rule, s, e in found]
    matches = tuple(_limit(k, raw) for k in range(len(raw)))
    starts = tuple(t.start for t in tokens)
    ends = tuple(t.end for t in tokens)
    return SentenceContext(text, tuple(tokens), matches, starts, ends)


def modifiers_for(
    text: str, span: tuple[int, int], config: ContextConfig = ContextConfig()
) -> list[Modifier]:
    """The ConText modifiers of ``text`` whose scope covers the character ``span``."""
    return analyze(text, config).modifiers_for(span)


def assess(
    text: str,
    span: tuple[int, int],
    config: ContextConfig = ContextConfig(),
    *,
    ignore: Collection[str] = (),
) -> Assertion:
    """The :class:`Assertion` for the target at ``span``; ``ignore`` drops categories."""
    return analyze(text, config).assess(span, ignore=ignore)
