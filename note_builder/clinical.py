"""Medications, substance use and the client's location in one transcript sentence.

    >>> [(m.name, m.dose, m.frequency) for m in find_medications("zoloft 50 mg twice a day")]
    [('sertraline', '50 mg', 'twice daily')]
    >>> [(s.substance, s.quantity, s.frequency) for s in find_substances("six beers a night")]
    [('alcohol', '6 beers', 'nightly')]
    >>> [loc.location for loc in find_location("I'm in my car right now")]
    ['car']

Every result's ``text[start:end]`` quotes the words it was read from, including the
dose, frequency, adherence or negation words it reports. Decisions: a drug class word
("my meds", "antidepressants") is reported only with an adherence cue ("I stopped my
meds"); "drink"/"drinking" is alcohol unless a soft drink is named ("drink water");
"smoke"/"vape" is nicotine unless cannabis is named in the sentence; ordinary words
("pot", "coke", "pills", "acid") count only right after a use word ("smoke pot").
A location is reported only in the first person present ("I'm at home"), never for
habits ("when I'm at home") or other tenses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from note_builder.lexicons import (
    GATED_SUBSTANCE_TERMS,
    GENERIC_MEDICATION_TERMS,
    MEDICATIONS,
    PLACES,
    SUBSTANCE_TERMS,
)
from note_builder.numbers import NumberSpan, find_numbers

__all__ = [
    "Location",
    "Medication",
    "Substance",
    "find_location",
    "find_medications",
    "find_substances",
]

_I = re.IGNORECASE


@dataclass(frozen=True, slots=True)
class Medication:
    """A medication mention; ``name`` is the generic name ("sertraline" for Zoloft).

    ``dose`` is normalised ("50 mg"); ``adherence`` is one of "stopped", "ran out",
    "missed doses", "not taking", "never taken", "taking more than prescribed",
    "taking as prescribed".
    """

    name: str
    drug_class: str
    dose: str | None
    frequency: str | None
    adherence: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Substance:
    """A substance mention; ``substance`` is the category ("alcohol", "cannabis", ...)."""

    substance: str
    term: str
    quantity: str | None
    frequency: str | None
    negated: bool
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Location:
    """Where the client says they are now ("home", "car", "work", "parents' home")."""

    location: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Span:
    value: str
    start: int
    end: int


def _words(forms: Iterable[str]) -> str:
    """Whole-word alternation, longest first, spaces matching any whitespace."""
    ordered = sorted(forms, key=len, reverse=True)
    return "|".join(re.escape(f).replace(r"\ ", r"\s+").replace("'", "'?") for f in ordered)


# --- frequency -------------------------------------------------------------------------

_PERIOD = r"(?P<per>day|night|evening|morning|week|weekend|month)"
_FREQUENCY = re.compile(
    r"(?<!\w)(?:(?P<n>once|twice|three\s+times|four\s+times|\d+\s+times|a\s+couple\s+(?:of\s+)?times"
    r"|a\s+few\s+times)\s+(?:a|per|each|every)\s+" + _PERIOD + r"s?"
    r"|(?:a|per|each)\s+" + _PERIOD.replace("per>", "per2>") + r"|every\s+(?P<other>other\s+)?"
    r"(?P<per3>day|night|evening|morning|week|weekend|month)s?"
    r"|every\s+(?P<hours>\d+|two|three|four|five|six|eight|twelve)\s+hours"
    r"|(?P<word>once\s+daily|twice\s+daily|three\s+times\s+daily|daily|nightly|weekly|monthly|everyday|bid|b\.i\.d\.|tid|t\.i\.d\.|qhs|prn"
    r"|as\s+needed|when\s+(?:i|he|she|you)\s+needs?\s+(?:it|them|to)|at\s+bedtime|before\s+bed"
    r"|at\s+night|in\s+the\s+morning|in\s+the\s+evening|on\s+(?:the\s+)?weekends"
    r"|most\s+(?:days|nights|weekends)|all\s+day))(?!\w)",
    _I,
)
_PER_NORMAL: Final = {"day": "daily", "night": "nightly", "evening": "nightly",
                      "morning": "every morning", "week": "weekly", "weekend": "weekends",
                      "month": "monthly"}  # fmt: skip
_WORD_NORMAL: Final = {
    "everyday": "daily", "once daily": "daily", "bid": "twice daily", "b.i.d.": "twice daily",
    "tid": "three times daily", "t.i.d.": "three times daily", "qhs": "at bedtime",
    "prn": "as needed",
    "before bed": "at bedtime", "at night": "at bedtime", "in the morning": "every morning",
    "in the evening": "every evening", "on weekends": "weekends", "on the weekends": "weekends",
}  # fmt: skip
_TIMES: Final = {"once": 1, "twice": 2, "three times": 3, "four times": 4,
                 "a couple of times": 2, "a couple times": 2}  # fmt: skip


def _normal_frequency(m: re.Match[str]) -> str:
    said = " ".join(m.group(0).lower().split())
    if m.group("n"):
        per = m.group("per").lower()
        count = _TIMES.get(" ".join(m.group("n").lower().split()))
        if count is None and m.group("n")[0].isdigit():
            count = int(m.group("n").split()[0])
        unit = {"night": "day", "evening": "day", "morning": "day"}.get(per, per)
        if count is None:
            return f"a few times per {unit}"
        if count == 1:
            return _PER_NORMAL[unit]
        return {1: "once", 2: "twice"}.get(count, f"{count} times") + (
            " daily" if unit == "day" else f" per {unit}"
        )
    if m.group("per2"):
        return _PER_NORMAL[m.group("per2").lower()]
    if m.group("per3"):
        per = m.group("per3").lower()
        return f"every other {per}" if m.group("other") else _PER_NORMAL[per]
    if m.group("hours"):
        hours = find_numbers(m.group("hours"))
        return f"every {hours[0].value:g} hours" if hours else said
    if m.group("word") and " need" in said:
        return "as needed"
    return _WORD_NORMAL.get(said, said)


_CLAUSE_BREAK = re.compile(r"[.?!;]|\b(?:and|but)\s+(?:i|he|she|we|they)\b", _I)


def _frequency_after(text: str, pos: int, stop: int, reach: int = 30) -> _Span | None:
    """How often, said within ``reach`` characters after ``pos`` in the same clause and
    before ``stop``; one or two phrases ("every six hours as needed")."""
    found: list[_Span] = []
    for m in _FREQUENCY.finditer(text, pos, min(stop, pos + reach + 25)):
        last = found[-1].end if found else pos
        if m.start() - last > (reach if not found else 5) or _CLAUSE_BREAK.search(
            text, last, m.start()
        ):
            break
        found.append(_Span(_normal_frequency(m), m.start(), m.end()))
        if len(found) == 2:
            break
    if not found:
        return None
    return _Span(" ".join(f.value for f in found), found[0].start, found[-1].end)


# --- medications -----------------------------------------------------------------------

_DRUG = re.compile(
    r"(?<!\w)(?P<name>" + _words(MEDICATIONS).replace(r"\-", r"[\s-]?") + r")"
    r"(?:\s+(?:xr|xl|er|sr|cr|odt))?(?!\w)",
    _I,
)


def _key(said: str) -> str:
    """A lexicon form as said, without case, spaces, hyphens or apostrophes."""
    return re.sub(r"[\s'\-]+", "", said.lower())


_DRUG_BY_KEY: Final = {_key(form): drug for form, drug in MEDICATIONS.items()}
_GENERIC_BY_KEY: Final = {_key(form): term for form, term in GENERIC_MEDICATION_TERMS.items()}
_WORD = re.compile(r"[A-Za-z]+")
_FIRST_WORDS: Final = frozenset(
    _WORD.findall(form)[0] for form in (*MEDICATIONS, *GENERIC_MEDICATION_TERMS)
)
_GENERIC = re.compile(r"(?<!\w)(?:" + _words(GENERIC_MEDICATION_TERMS) + r")(?!\w)", _I)
_DOSE_UNIT = re.compile(
    r"\s*(?P<unit>mg|mgs|milligrams?|mcg|micrograms?|grams?|g|units?|ml|mls|milliliters?|iu)(?!\w)",
    _I,
)
_UNIT_NORMAL: Final = {
    "mg": "mg", "mgs": "mg", "milligram": "mg", "milligrams": "mg", "mcg": "mcg",
    "microgram": "mcg", "micrograms": "mcg", "g": "g", "gram": "g", "grams": "g",
    "unit": "units", "units": "units", "ml": "mL", "mls": "mL", "milliliter": "mL",
    "milliliters": "mL", "iu": "IU",
}  # fmt: skip
_DOSE_BRIDGE = re.compile(
    r"(?:\s*,\s*|\s+)(?:(?:at|of|is|was|to|about|like|the|a|dose|dosage|it's|its|now|just|only"
    r"|currently|up|down|increased|decreased|from|um|uh)(?:\s*,\s*|\s+))*",
    _I,
)
_DOSE_BEFORE_BRIDGE = re.compile(r"\s+(?:of\s+)?(?:(?:the|my|your|his|her)\s+)?", _I)
_TO_DRUG = r"(?:\s+(?:my|the|his|her|your|any|of|that|this|all|some|doses?\s+of))*\s+$"
_HEDGE = re.compile(
    r"(?:want|wanna|going|gonna|thinking|trying|try|plan|planning|should|could|might|may"
    r"|if\s+i|scared\s+to|afraid\s+to|don't)\s+(?:to\s+)?(?:about\s+)?$",
    _I,
)
# (adherence, cue said before the drug)
_ADHERENCE_BEFORE: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (label, re.compile(r"(?<!\w)(?:" + cue + r")" + _TO_DRUG, _I))
    for label, cue in (
        ("never taken", r"never\s+(?:taken|took|tried|been\s+on|used)"),
        ("not taking", r"(?:haven't|have\s+not|havent|hasn't|not|don't|dont|do\s+not|didn't"
                       r"|didnt|did\s+not|wasn't)\s+(?:been\s+|really\s+|even\s+)?"
                       r"(?:taking|take|took|using|on)"),
        ("stopped", r"(?:stopped|quit|discontinued)(?:\s+(?:taking|using))?|(?:came|went|got"
                    r"|been|i'm|im)\s+off(?:\s+of)?|no\s+longer\s+(?:taking|on)"),
        ("ran out", r"(?:ran|run|running|i'm|im|been)\s+out\s+of"),
        ("missed doses", r"(?:missed|missing|skipped|skipping|skip|forgot|forget|forgetting)"
                         r"(?:\s+to\s+take)?(?:\s+(?:a\s+)?(?:few|couple|some|several|many)?"
                         r"\s*(?:of\s+)?(?:doses?|days?|pills?))?"),
        ("taking more than prescribed", r"(?:taking|took|take)\s+(?:extra|double|more)"
                                        r"|doubl(?:e|ed|ing)\s+up(?:\s+on)?"),
    )
)  # fmt: skip
_ADHERENCE_AFTER: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (label, re.compile(r"[\s,]+(?:(?:i|and|but|so|i've|i'm|just|kind\s+of|um|uh)\s+)*(?:"
                       + cue + r")(?!\w)", _I))
    for label, cue in (
        ("stopped", r"(?:stopped|quit)\s+(?:taking\s+)?(?:it|them)|(?:been|i'm|im)\s+off\s+it"),
        ("ran out", r"r[au]n\s+out"),
        ("missed doses", r"(?:missed|skipped|forgot)\s+(?:a\s+)?(?:few\s+|couple\s+|some\s+)?"
                         r"(?:of\s+)?(?:doses?|days?|it|them)"),
        ("not taking", r"(?:haven't|have\s+not|havent|not|don't|didn't)\s+(?:been\s+)?"
                       r"(?:taking|take|took)\s+(?:it|them)"),
        ("taking as prescribed", r"(?:as\s+prescribed|religiously|consistently"
                                 r"|like\s+(?:i'm|im)\s+supposed\s+to|like\s+clockwork)"),
    )
)  # fmt: skip


_ANY = re.compile(r"\b(?:any|no)\s+$", _I)  # "not on any medication": none, not a lapse
_ANYMORE = re.compile(r"\s+any\s?more\b", _I)


def _dose_near(text: str, start: int, end: int, numbers: list[NumberSpan]) -> _Span | None:
    """The dose said right after (or right before) the drug name at ``text[start:end]``."""
    bridge = _DOSE_BRIDGE.match(text, end)
    after = next((n for n in numbers if bridge and n.start == bridge.end()), None)
    if after is not None and (unit := _DOSE_UNIT.match(text, after.end)) is not None:
        return _Span(_dose_text(after, unit), after.start, unit.end())
    for n in numbers:
        unit = _DOSE_UNIT.match(text, n.end)
        if unit and n.end < start and _DOSE_BEFORE_BRIDGE.fullmatch(text, unit.end(), start):
            return _Span(_dose_text(n, unit), n.start, unit.end())
    return None


def _dose_text(n: NumberSpan, unit: re.Match[str]) -> str:
    return f"{n.value:g} {_UNIT_NORMAL[unit.group('unit').lower()]}"


def _adherence(text: str, start: int, end: int) -> _Span | None:
    window = max(0, start - 60)
    for label, cue in _ADHERENCE_BEFORE:
        m = cue.search(text, window, start)
        if m and m.end() == start and not _HEDGE.search(text, max(0, m.start() - 25), m.start()):
            anymore = _ANYMORE.match(text, end) if label == "not taking" else None
            if anymore:
                return _Span("stopped", m.start(), anymore.end())
            return _Span(label, m.start(), end)
    for label, cue in _ADHERENCE_AFTER:
        m = cue.match(text, end)
        if m and m.end() - end <= 45:
            return _Span(label, start, m.end())
    return None


def find_medications(text: str) -> list[Medication]:
    """Medications said in ``text``, with dose, frequency and adherence when said."""
    words = {w.lower() for w in _WORD.findall(text)}
    if words.isdisjoint(_FIRST_WORDS):
        return []  # the common case, without running the long alternation
    numbers = find_numbers(text)
    found: list[Medication] = []
    drugs = list(_DRUG.finditer(text))
    for i, m in enumerate(drugs):
        following = drugs[i + 1] if i + 1 < len(drugs) else None
        drug = _DRUG_BY_KEY.get(_key(m.group("name")))
        if drug is None:
            continue
        start, end = m.start(), m.end()
        dose = _dose_near(text, start, end, numbers)
        anchor = max(end, dose.end) if dose else end
        frequency = _frequency_after(text, anchor, following.start() if following else len(text))
        adherence = _adherence(text, start, end)
        spans = [s for s in (dose, frequency, adherence) if s is not None]
        found.append(Medication(
            drug.generic, drug.drug_class, dose.value if dose else None,
            frequency.value if frequency else None, adherence.value if adherence else None,
            min([start, *(s.start for s in spans)]), max([end, *(s.end for s in spans)]),
        ))  # fmt: skip
    for m in _GENERIC.finditer(text):
        if any(f.start <= m.start() < f.end for f in found):
            continue
        adherence = _adherence(text, m.start(), m.end())
        term = _GENERIC_BY_KEY.get(_key(m.group(0)))
        if term and adherence and not _ANY.search(text, max(0, m.start() - 8), m.start()):
            found.append(Medication(term, term, None, None, adherence.value,
                                    adherence.start, adherence.end))  # fmt: skip
    return sorted(found, key=lambda f: f.start)


# --- substances ------------------------------------------------------------------------

_CLEAR_TERMS: Final = tuple(
    (kind, re.compile(r"(?<!\w)(?:" + "|".join(terms) + r")(?!\w)", _I))
    for kind, terms in SUBSTANCE_TERMS.items()
)
_GATED_TERMS: Final = tuple(
    (kind, re.compile(r"(?<!\w)(?:" + "|".join(terms) + r")(?!\w)", _I))
    for kind, terms in GATED_SUBSTANCE_TERMS.items()
)
_USE_CUE = re.compile(
    r"(?<!\w)(?:smok(?:e|es|ed|ing)|us(?:e|es|ed|ing)|do(?:es|ing)?|did|done|tak(?:e|es|ing)"
    r"|took|tried|try|snort(?:s|ed|ing)?|shoot(?:s|ing)?|inject(?:s|ed|ing)?|pop(?:s|ped|ping)?"
    r"|buy(?:s|ing)?|bought|sell(?:s|ing)?|sold|roll(?:s|ed|ing)?|hit(?:s|ting)?|high\s+on"
    r"|hooked\s+on|addicted\s+to|on|drop(?:s|ped|ping)?|abus(?:e|ed|ing)|crush(?:ed|ing)?"
    r"|(?:grams?|g|lines?|bags?|hits?|bumps?|eight\s+ball|bottles?|glass(?:es)?)\s+of)"
    r"(?:\s+(?:some|a|the|of|little|bit|lot|like|few|couple|\d+|two|three|four|five|six))*\s+$",
    _I,
)
_PILLS_CUE = re.compile(
    r"(?<!\w)(?:popp\w*|snort\w*|crush\w*|buy\w*|bought|sell\w*|sold|abus\w*|street|pressed"
    r"|fake|pain)\s+(?:(?:some|the|a|few|of|those)\s+)*$",
    _I,
)
_NOT_SUBSTANCE_AFTER = re.compile(
    r"\s+(?:reflux|blockers?|pain|replacement|custody|account|detectors?|alarms?|signals?|roast"
    r"|pie|luck|belly|zero|tape|force|trauma|limit|cream|of\s+(?:coffee|tea|water|soup))\b",
    _I,
)
_NOT_SUBSTANCE_BEFORE = re.compile(
    r"(?:diet|cherry|vanilla|flu|booster|covid|vaccine|tetanus|b12|allergy|knee|hip|sore|stiff"
    r"|swollen|crock|coffee|energy|soft|sports|protein|candy|chocolate|granola|second[\s-]?hand)"
    r"\s+$",
    _I,
)
_DRINK = re.compile(r"(?<!\w)(?:drinks?|drinking|drank|drinker)(?!\w)", _I)
_SOFT_DRINK = re.compile(
    r"(?:\s+(?:a|some|lots\s+of|a\s+lot\s+of|more|of|the|my|much|enough|plenty\s+of|like"
    r"|glass(?:es)?\s+of|cups?\s+of|bottles?\s+of|cans?\s+of|hot|iced|cold)){0,3}\s+(?:water|coffee"
    r"|tea|juice|soda|pop|milk|smoothies?|gatorade|lemonade|kombucha|energy\s+drinks?|protein"
    r"|sprite|coke|pepsi|red\s+bull|monster|decaf|fluids|liquids|espresso|latte|hot\s+chocolate)\b",
    _I,
)
_SMOKE = re.compile(r"(?<!\w)(?:smok(?:e|es|ed|ing)|smoker|vap(?:e|es|ed|ing)|vapes)(?!\w)", _I)
_CONTAINER = (
    r"(?P<c>packs?|bottles?|glass(?:es)?|cans?|pints?|shots?|grams?|g|bowls?|lines?|hits?"
    r"|joints?|blunts?|beers?|drinks?|cigarettes?|cigs?|points?|fifths?|handles?"
    r"|six[\s-]packs?|cases?|pills?|bags?|bars?|edibles?)"
)
_QTY_HEDGE = (
    r"(?:like|about|maybe|around|probably|almost|nearly|barely|only|just|at\s+least|over"
    r"|more\s+than|less\s+than|close\s+to|up\s+to|um|uh)"
)
_QTY_AFTER = re.compile(
    r"(?:\s+"
    + _QTY_HEDGE
    + r")*\s+(?P<q>half\s+an?|an?)\s+"
    + _CONTAINER
    + r"(?!\w)(?:\s+of\s+[a-z]+)?",
    _I,
)
_QTY_AFTER_NUMBER = re.compile(r"\s*" + _CONTAINER + r"(?!\w)(?:\s+of\s+[a-z]+)?", _I)
_QTY_BRIDGE = re.compile(r"(?:\s+" + _QTY_HEDGE + r")*\s+", _I)
_QTY_BEFORE = re.compile(r"(?:\s+(?:more|of))?\s+$", _I)
_CONTAINER_OF = re.compile(r"\s*" + _CONTAINER + r"\s+of\s+$", _I)
_ONE_CONTAINER_OF = re.compile(
    r"(?<!\w)(?P<q>half\s+an?|an?|one)\s+" + _CONTAINER + r"\s+of\s+$", _I
)
_NEGATION = re.compile(
    r"(?<!\w)(?P<cue>don't|dont|do\s+not|doesn't|never|no\s+longer|not|haven't|havent|have\s+not"
    r"|hasn't|didn't|didnt|won't|wont|quit|stopped|gave\s+up|no)(?:\s+\S+){0,3}\s+$",
    _I,
)
_LESS = re.compile(
    r"\s+(?:(?:that|as|too|very|so)\s+)?(?:much|a\s+lot|often|more|less|as\s+much)\b", _I
)
_NOT_NEGATION = re.compile(
    r"\s+(?:really\s+)?(?:a\s+lot|much|many|that\s+much|too\s+much|only|just|more\s+than"
    r"|less\s+than|fewer\s+than)\b",
    _I,
)


@dataclass(frozen=True, slots=True)
class _Mention:
    kind: str
    term: str
    start: int  # with the use word before the term ("smoke weed")
    end: int
    term_start: int


def _mentions(text: str) -> list[_Mention]:
    found = [
        _Mention(kind, m.group(0).lower(), m.start(), m.end(), m.start())
        for kind, pattern in _CLEAR_TERMS
        for m in pattern.finditer(text)
    ]
    for kind, pattern in _GATED_TERMS:
        for m in pattern.finditer(text):
            lo = max(0, m.start() - 40)
            cue = (_PILLS_CUE if m.group(0).lower() == "pills" else _USE_CUE).search(
                text, lo, m.start()
            )
            if cue and not _NOT_SUBSTANCE_BEFORE.search(text, lo, m.start()):
                found.append(_Mention(kind, m.group(0).lower(), cue.start(), m.end(), m.start()))
    found = [f for f in found if not _NOT_SUBSTANCE_AFTER.match(text, f.end)]
    found = _without_overlaps(found)
    drinks = [
        m
        for m in _DRINK.finditer(text)
        if not _SOFT_DRINK.match(text, m.end())
        and not _NOT_SUBSTANCE_BEFORE.search(text, max(0, m.start() - 20), m.start())
    ]
    found = _join_verbs(found, drinks, lambda _: "alcohol", ("alcohol",))
    smokes = [
        m
        for m in _SMOKE.finditer(text)
        if not _NOT_SUBSTANCE_AFTER.match(text, m.end())
        and not _NOT_SUBSTANCE_BEFORE.search(text, max(0, m.start() - 20), m.start())
    ]
    cannabis = any(f.kind == "cannabis" for f in found)
    return _join_verbs(found, smokes, lambda _: "cannabis" if cannabis else "nicotine", None)


def _without_overlaps(found: list[_Mention]) -> list[_Mention]:
    kept: list[_Mention] = []
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
        elif f.kind == kept[-1].kind and f.end > kept[-1].end:  # "do shots" + "shots of vodka"
            last = kept[-1]
            kept[-1] = _Mention(last.kind, f.term, last.start, f.end, f.term_start)
    return kept


def _join_verbs(
    found: list[_Mention],
    verbs: list[re.Match[str]],
    kind_of: Callable[[re.Match[str]], str],
    joins: tuple[str, ...] | None,
) -> list[_Mention]:
    """A use verb joins the substance named right after it ("smoke weed", "drink six
    beers"); alone it is a mention of its own kind ("I drink", "we go out and smoke")."""
    out = list(found)
    for m in verbs:
        if any(f.start <= m.start() < f.end for f in found):
            continue
        near = [f for f in out if 0 <= f.term_start - m.end() <= 25]
        named = next((f for f in near if joins is None or f.kind in joins), None)
        if named is not None:
            joined = _Mention(named.kind, named.term, m.start(), named.end, named.term_start)
            out[out.index(named)] = joined
        else:
            out.append(_Mention(kind_of(m), m.group(0).lower(), m.start(), m.end(), m.start()))
    return sorted(out, key=lambda f: f.start)


def _quantity(text: str, mention: _Mention, numbers: list[NumberSpan]) -> _Span | None:
    """ "six beers", "five or six beers", "two bottles of wine", "a pack a day"."""
    term_at, term_end = mention.term_start, mention.end
    for i, n in enumerate(numbers):
        high = numbers[i + 1] if i + 1 < len(numbers) else None
        amount, end = f"{n.value:g}", n.end
        if high and high.value > n.value and _RANGE.fullmatch(text, n.end, high.start):
            amount, end = f"{n.value:g}-{high.value:g}", high.end
        if _QTY_BEFORE.fullmatch(text, end, term_at):
            return _Span(f"{amount} {mention.term}", min(n.start, mention.start), term_end)
        if (unit := _CONTAINER_OF.fullmatch(text, end, term_at)) is not None:
            return _Span(f"{amount} {unit.group('c').lower()}", n.start, term_end)
        bridge = _QTY_BRIDGE.match(text, term_end)
        if bridge and n.start == bridge.end() and (unit := _QTY_AFTER_NUMBER.match(text, end)):
            return _Span(f"{amount} {unit.group('c').lower()}", mention.start, unit.end())
    one = _ONE_CONTAINER_OF.search(text, max(0, term_at - 30), term_at)
    after = _QTY_AFTER.match(text, term_end)
    m = one or after
    if m is None:
        return None
    amount = "0.5" if m.group("q").lower().startswith("half") else "1"
    if one:
        return _Span(f"{amount} {one.group('c').lower()}", one.start(), term_end)
    return _Span(f"{amount} {m.group('c').lower()}", mention.start, m.end())


_RANGE = re.compile(r"\s*(?:or|to|-)\s*", _I)


def _negation(text: str, start: int, end: int) -> int | None:
    """Where the negation before ``text[start:end]`` begins ("I don't drink"), if any; not
    for less use ("I don't drink much")."""
    m = _NEGATION.search(text, max(0, start - 40), start)
    if m is None or _NOT_NEGATION.match(text, m.end("cue")) or _LESS.match(text, end):
        return None
    if m.group("cue").lower() in ("quit", "stopped", "gave up") and _HEDGE.search(
        text, max(0, m.start() - 25), m.start()
    ):
        return None  # "trying to quit smoking"
    return m.start()


def find_substances(text: str) -> list[Substance]:
    """Substance use said in ``text``, with quantity and frequency when said."""
    found: list[Substance] = []
    mentions = _mentions(text)
    numbers = find_numbers(text) if mentions else []
    for i, mention in enumerate(mentions):
        following = mentions[i + 1] if i + 1 < len(mentions) else None
        quantity = _quantity(text, mention, numbers)
        stop = following.term_start if following else len(text)
        frequency = _frequency_after(text, quantity.end if quantity else mention.end, stop)
        negated_at = _negation(text, mention.start, mention.end)
        spans = [s for s in (quantity, frequency) if s is not None]
        start = min([mention.start, *(s.start for s in spans)])
        start = min(start, negated_at) if negated_at is not None else start
        found.append(Substance(
            mention.kind, mention.term, quantity.value if quantity else None,
            frequency.value if frequency else None, negated_at is not None,
            start, max([mention.end, *(s.end for s in spans)]),
        ))  # fmt: skip
    return found


# --- location --------------------------------------------------------------------------

_PLACE_FORMS: Final = {" ".join(k.replace("'", "").split()): v for k, v in PLACES.items()}
_LOCATION = re.compile(
    r"(?<!\w)(?:i'?\s?m|i\s+am|we're|we\s+are)\s+"
    r"(?:(?:just|currently|still|actually|right\s+now|now|here|sitting|parked|calling(?:\s+you)?"
    r"|talking\s+to\s+you|joining(?:\s+you)?|hiding|out|on\s+(?:a|my)\s+(?:lunch\s+)?break"
    r"|um|uh|like),?\s+)*"
    r"(?:(?P<drive>driving)|(?:(?P<prep>at|in|inside|from|on|outside(?:\s+(?:of|in))?)\s+)?"
    r"(?P<place>" + _words(PLACES) + r"))(?!\w)",
    _I,
)
_PLACE_NEEDS_NO_PREPOSITION: Final = {"home", "outside"}
_HABIT_BEFORE = re.compile(
    r"\b(?:when|whenever|if|while|until|usually|generally|normally|always|often|sometimes"
    r"|typically|once|before|after|every\s+time)\b[^.?!]*$",
    _I,
)
_HABIT_AFTER = re.compile(
    r"\s+(?:a\s+lot|all\s+the\s+time|most\s+of\s+the\s+time|most\s+days|usually|every\s+day"
    r"|on\s+weekends)\b",
    _I,
)
_DETAIL = re.compile(r"\s+(?:in|at)\s+(?:a|the|my)\s+(?:conference|break|meeting|empty|spare)"
                     r"\s+room\b", _I)  # fmt: skip


def find_location(text: str) -> list[Location]:
    """Where the client says they are right now ("I'm at home" -> "home"), first person
    present only."""
    found: list[Location] = []
    for m in _LOCATION.finditer(text):
        if _HABIT_BEFORE.search(text, max(0, m.start() - 40), m.start()):
            continue
        if _HABIT_AFTER.match(text, m.end()):
            continue
        if m.group("drive"):
            found.append(Location("car (driving)", m.start(), m.end()))
            continue
        said = " ".join(m.group("place").lower().replace("'", "").split())
        place = _PLACE_FORMS[said]
        if m.group("prep") or said in _PLACE_NEEDS_NO_PREPOSITION:
            detail = _DETAIL.match(text, m.end())
            found.append(Location(place, m.start(), detail.end() if detail else m.end()))
    return found
