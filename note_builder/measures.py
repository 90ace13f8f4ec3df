"""Standardized measures and subjective ratings said in one transcript sentence.

Three kinds of result share one :class:`Measure`:

* instrument scores: "your PHQ nine came back at fourteen", "a 12 on the gad 7",
  "PCL-5 went from 48 to 35" (two results, in order), "the columbia was negative";
* 0-to-N ratings: "on a scale of one to ten my anxiety is about a seven",
  "I'd say my mood is a 4 out of 10" (``name`` is "<target> rating", or "rating");
* self-reported amounts: "sleeping about five hours a night" (``sleep hours``),
  "I've had three drinks a day" (``drinks per day``/``per week``/``per month``).

    >>> [(m.name, m.value, m.severity) for m in find_measures("PHQ-9 score of 14")]
    [('PHQ-9', 14.0, 'moderate')]

Decisions: a bare "PHQ", "PCL", "BDI" or "DAST" means the current version (PHQ-9,
PCL-5, BDI-II, DAST-10); a bare "GAD", "audit" or "columbia" counts only next to
"score"/"screen" (it is also a diagnosis, a word, a place). A value outside the
instrument's range, or a fraction where the instrument scores whole points, is not a
score. The C-SSRS is recorded as 1 (positive) or 0 (negative) out of 1. Ranges ("five
or six hours") give ``value`` = low end and ``value_high`` = high end. Drink counts
framed as limits or goals ("up to 14 drinks a week", "cut back to two") are skipped.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Final

from note_builder.numbers import NumberSpan, find_numbers

__all__ = ["Measure", "find_measures"]


@dataclass(frozen=True, slots=True)
class Measure:
    """One score or rating; ``text[start:end]`` quotes the words it was read from."""

    name: str
    value: float
    scale_max: float | None
    severity: str | None
    start: int
    end: int
    value_high: float | None = None


@dataclass(frozen=True, slots=True)
class _Instrument:
    name: str
    scale_max: float
    bands: tuple[tuple[float, str], ...]  # (lowest score of the band, label), ascending
    whole_points: bool = True

    def severity(self, value: float) -> str | None:
        label = None
        for low, band in self.bands:
            if value >= low:
                label = band
        return label


_SCREEN = ((0, "negative screen"), (3, "positive screen"))
INSTRUMENTS: Final[dict[str, _Instrument]] = {
    i.name: i
    for i in (
        _Instrument("PHQ-9", 27, ((0, "minimal"), (5, "mild"), (10, "moderate"),
                                  (15, "moderately severe"), (20, "severe"))),
        _Instrument("PHQ-2", 6, _SCREEN),
        _Instrument("GAD-7", 21, ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))),
        _Instrument("GAD-2", 6, _SCREEN),
        # National Center for PTSD: 31-33 and above suggests probable PTSD; 31 is used.
        _Instrument("PCL-5", 80, ((0, "below cutoff"), (31, "probable PTSD"))),
        _Instrument("BDI-II", 63, ((0, "minimal"), (14, "mild"), (20, "moderate"), (29, "severe"))),
        _Instrument("BAI", 63, ((0, "minimal"), (8, "mild"), (16, "moderate"), (26, "severe"))),
        _Instrument("AUDIT", 40, ((0, "low risk"), (8, "hazardous"), (16, "harmful"),
                                  (20, "possible dependence"))),
        # AUDIT-C: 3 is positive for women, 4 for men; the sex is not known here.
        _Instrument("AUDIT-C", 12, ((0, "negative screen"), (3, "positive screen (women)"),
                                    (4, "positive screen"))),
        _Instrument("DAST-10", 10, ((0, "no problems reported"), (1, "low"), (3, "moderate"),
                                    (6, "substantial"), (9, "severe"))),
        _Instrument("DAST-20", 20, ((0, "no problems reported"), (1, "low"), (6, "intermediate"),
                                    (11, "substantial"), (16, "severe"))),
        _Instrument("C-SSRS", 1, ((0, "negative"), (1, "positive"))),
        _Instrument("ORS", 40, ((0, "clinical range"), (25, "non-clinical range")),
                    whole_points=False),
        _Instrument("SRS", 40, ((0, "alliance concern"), (36, "no alliance concern")),
                    whole_points=False),
    )
}  # fmt: skip


def _letters(abbrev: str) -> str:
    """ "phq" said as a word or spelled out: "PHQ", "p h q", "P.H.Q."."""
    return r"[\s.\-]?".join(abbrev) + r"\.?(?![a-z])"


def _suffix(*spoken: str) -> str:
    return r"[\s\-]*(?:" + "|".join(spoken) + r")(?![\w])"


_SCORE_WORD = r"(?=[\s,:\-]*(?:total\s+)?(?:score|screen|screening|screener|scale|questionnaire)\b)"
# (pattern, instrument name); earlier patterns win at the same position.
_NAME_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    (_letters("phq") + _suffix("9", "nine"), "PHQ-9"),
    (_letters("phq") + _suffix("2", "two"), "PHQ-2"),
    (_letters("phq") + r"(?![\s\-]*(?:8|15|eight|fifteen)\b)", "PHQ-9"),
    (r"patient\s+health\s+questionnaire(?:" + _suffix("9", "nine") + ")?", "PHQ-9"),
    (_letters("gad") + _suffix("7", "seven"), "GAD-7"),
    (_letters("gad") + _suffix("2", "two"), "GAD-2"),
    (_letters("gad") + _SCORE_WORD, "GAD-7"),
    (_letters("pcl") + r"(?:" + _suffix("5", "five") + r")?", "PCL-5"),
    (r"(?:beck\s+depression(?:\s+inventory)?|" + _letters("bdi") + r")"
     r"(?:" + _suffix("ii", "2", "two") + r")?", "BDI-II"),
    (r"beck\s+anxiety(?:\s+inventory)?|" + _letters("bai"), "BAI"),
    (r"audit[\s\-]*c\b", "AUDIT-C"),
    (r"(?-i:AUDIT)|audit" + _SCORE_WORD, "AUDIT"),
    (r"alcohol\s+use\s+disorders?\s+identification\s+test", "AUDIT"),
    (_letters("dast") + _suffix("20", "twenty"), "DAST-20"),
    (_letters("dast") + r"(?:" + _suffix("10", "ten") + r")?", "DAST-10"),
    (r"c[\s\-]*" + _letters("ssrs") + r"|columbia(?:\s+suicide)?" + _SCORE_WORD
     + r"|columbia\s+suicide(?:\s+severity)?(?:\s+rating)?(?:\s+scale)?", "C-SSRS"),
    (_letters("ors") + r"|outcome\s+rating\s+scale", "ORS"),
    (_letters("srs") + r"|session\s+rating\s+scale", "SRS"),
)  # fmt: skip
_NAMES = re.compile(
    r"(?<!\w)(?=[pgbadcos])(?:"
    + "|".join(f"(?P<g{k}>{p})" for k, (p, _) in enumerate(_NAME_PATTERNS))
    + ")",
    re.IGNORECASE,
)
# Words allowed between a name and its score ("PHQ-9 score today came back at 14").
_BRIDGE_AFTER = re.compile(
    r"(?:[\s,:=\-]|'s\b|\b(?:total|score|scores|scored|screen|screening|was|is|were|are|of|at"
    r"|came|comes|come|back|in|a|an|today|now|went|has|had|been|down|up|to|dropped|rose|from"
    r"|increased|decreased|improved|it|its|it's|around|about|approximately|roughly|like|um|uh"
    r"|maybe|probably|just|only|the|this|last|time|result|showed|shows|his|her|your|my)\b)*",
    re.IGNORECASE,
)
_BRIDGE_BEFORE = re.compile(
    r"\s*(?:points?\s+)?(?:on|for)\s+(?:(?:the|your|my|his|her|their|this|today's|a)\s+)*",
    re.IGNORECASE,
)
_THEN_TO = re.compile(r"[\s,]*(?:and\s+)?(?:then\s+)?(?:down\s+|up\s+)?to\s+", re.IGNORECASE)
_OUT_OF = re.compile(r"\s*(?:out\s+of|outta|/)\s*", re.IGNORECASE)
# A number followed by these counts things, it is not a score or a rating.
_COUNTED = re.compile(
    r"\s*(?:days?|times?|nights?|weeks?|months?|years?|hours?|minutes?|people|patients|kids"
    r"|children|friends|cases|questions|items|drinks|beers|cigarettes|percent|%|of\b)",
    re.IGNORECASE,
)
_CSSRS_RESULT = re.compile(
    r"[\s,:\-]*(?:(?:screen(?:ing|er)?|was|is|came|back|comes|came\s+out|were|showed|today)\s+)*"
    r"(?P<r>positive|negative|high\s+risk|moderate\s+risk|low\s+risk|no\s+risk)\b",
    re.IGNORECASE,
)


def _instrument_scores(
    text: str, names: list[re.Match[str]], numbers: list[NumberSpan]
) -> list[Measure]:
    found: list[Measure] = []
    for m in names:
        inst = INSTRUMENTS[_NAME_PATTERNS[int(str(m.lastgroup)[1:])][1]]
        if inst.name == "C-SSRS":
            found.extend(_cssrs(text, m))
            continue
        after = [n for n in numbers if n.start >= m.end()]
        before = [n for n in numbers if n.end <= m.start()]
        if after and _bridges_after(text, m.end(), after[0]):
            found.extend(_scores_from(text, inst, m.start(), after))
        elif before and _BRIDGE_BEFORE.fullmatch(text, before[-1].end, m.start()):
            score = _score(text, inst, before[-1], before[-1].start, m.end())
            found.extend([score] if score else [])
    return found


def _bridges_after(text: str, name_end: int, first: NumberSpan) -> bool:
    bridge = _BRIDGE_AFTER.match(text, name_end)
    return bridge is not None and bridge.end() >= first.start and first.start - name_end <= 50


def _scores_from(
    text: str, inst: _Instrument, start: int, after: list[NumberSpan]
) -> list[Measure]:
    """The score after a name, and a second one for "from 18 to 12"."""
    first = _score(text, inst, after[0], start, after[0].end)
    if first is None:
        return []
    scores = [first]
    if len(after) > 1 and _THEN_TO.fullmatch(text, first.end, after[1].start):
        second = _score(text, inst, after[1], start, after[1].end)
        scores.extend([second] if second else [])
    return scores


def _score(text: str, inst: _Instrument, n: NumberSpan, start: int, end: int) -> Measure | None:
    if not 0 <= n.value <= inst.scale_max or (inst.whole_points and n.value != int(n.value)):
        return None
    if _COUNTED.match(text, n.end):
        return None
    out_of = _OUT_OF.match(text, n.end)
    if out_of:
        top = [t for t in find_numbers(text[out_of.end() : out_of.end() + 20]) if t.start == 0]
        if top and top[0].value != inst.scale_max:
            return None  # "14 out of 20" is not a PHQ-9 score
        end = out_of.end() + top[0].end if top else end
    return Measure(inst.name, n.value, float(inst.scale_max), inst.severity(n.value), start, end)


def _cssrs(text: str, name: re.Match[str]) -> list[Measure]:
    result = _CSSRS_RESULT.match(text, name.end())
    if result and result.start("r") - name.end() <= 40:
        label = " ".join(result.group("r").lower().split())
        value = 0.0 if label in ("negative", "no risk") else 1.0
        severity = label if "risk" in label else None
        inst = INSTRUMENTS["C-SSRS"]
        return [Measure(inst.name, value, 1.0, severity or inst.severity(value),
                        name.start(), result.end())]  # fmt: skip
    before = re.search(r"\b(positive|negative)\s+(?:on|for)\s+(?:the\s+)?$", text[: name.start()],
                       re.IGNORECASE)  # fmt: skip
    if before:
        value = 1.0 if before.group(1).lower() == "positive" else 0.0
        return [Measure("C-SSRS", value, 1.0, before.group(1).lower(), before.start(), name.end())]
    return []


_TARGET_WORDS: Final[dict[str, str]] = {
    "anxiety": "anxiety", "anxious": "anxiety", "mood": "mood", "depression": "depression",
    "depressed": "depression", "stress": "stress", "stressed": "stress", "pain": "pain",
    "sleep": "sleep", "energy": "energy", "craving": "craving", "cravings": "craving",
    "urge": "craving", "urges": "craving", "confident": "confidence", "confidence": "confidence",
    "important": "importance", "importance": "importance", "ready": "readiness",
    "readiness": "readiness", "motivated": "motivation", "motivation": "motivation",
    "anger": "anger", "angry": "anger", "irritable": "irritability", "irritability": "irritability",
    "panic": "panic", "worry": "worry", "worried": "worry", "hopeless": "hopelessness",
    "hopelessness": "hopelessness", "lonely": "loneliness", "loneliness": "loneliness",
    "happy": "happiness", "happiness": "happiness", "suicidal": "suicidal thoughts",
    "distress": "distress", "overwhelmed": "overwhelm",
}  # fmt: skip
_TARGET = re.compile(r"\b(?:" + "|".join(_TARGET_WORDS) + r")\b", re.IGNORECASE)
_RATING_TOPS: Final = (5.0, 10.0, 100.0)
_SCALE_BEFORE = re.compile(r"scale\s+(?:of|from)\s+(?:like\s+|um\s+|uh\s+)*$", re.IGNORECASE)
_SCALE_AFTER = re.compile(r"\s*-?\s*(?:point\s+)?scale\b", re.IGNORECASE)
_POINT_SCALE = re.compile(r"\s*-?\s*point\s+scale\b", re.IGNORECASE)
_SPAN_TO = re.compile(r"\s*(?:to|-|–|through|thru)\s*", re.IGNORECASE)
_RANGE = re.compile(r"\s*(?:or|to|-|–)\s*", re.IGNORECASE)
_CUE_BEFORE = re.compile(
    r"(?:\b(?:a|an|at|about|around|maybe|probably|like|say|is|was|be|i'm|im|give|gave|solid"
    r"|rate|rated|roughly|almost|nearly|it's|its|that's)\s+|'s\s+|:\s*)$",
    re.IGNORECASE,
)
_ANSWER_START = re.compile(r"\W*(?:(?:um|uh|oh|well|yeah|so|hmm|i'd say|i would say)\W+)*",
                           re.IGNORECASE)  # fmt: skip
_SENTENCE_END = re.compile(r"[.?!](?:\s|$)")
_ANCHOR_AFTER = re.compile(
    r"\s*(?:is|being|meaning|means|=|would\s+be|will\s+be|represents|equals)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class _Scale:
    top: float
    start: int
    end: int
    endpoints: tuple[NumberSpan, ...]


def _scale(text: str, numbers: list[NumberSpan]) -> _Scale | None:
    """ "on a scale of one to ten", "a 1-10 scale", "a ten point scale"."""
    for a, b in itertools.pairwise(numbers):
        if (a.value in (0, 1) and b.value in _RATING_TOPS
                and _SPAN_TO.fullmatch(text, a.end, b.start)):  # fmt: skip
            before = _SCALE_BEFORE.search(text, max(0, a.start - 30), a.start)
            after = _SCALE_AFTER.match(text, b.end)
            if before or after:
                start = before.start() if before else a.start
                return _Scale(b.value, start, after.end() if after else b.end, (a, b))
    for n in numbers:
        point = _POINT_SCALE.match(text, n.end)
        if point and n.value in _RATING_TOPS:
            return _Scale(n.value, n.start, point.end(), (n,))
    return None


def _sentence_of(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence holding ``text[start:end]``."""
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return (before[-1] if before else 0), (after.end() if after else len(text))


def _same_sentence(text: str, scale: _Scale, n: NumberSpan) -> bool:
    lo, hi = min(scale.end, n.end), max(scale.start, n.start)
    return _SENTENCE_END.search(text, lo, hi) is None


def _out_of(text: str, n: NumberSpan, numbers: list[NumberSpan]) -> NumberSpan | None:
    joiner = _OUT_OF.match(text, n.end)
    if joiner is None:
        return None
    top = next((t for t in numbers if t.start == joiner.end()), None)
    if top is None or top.value not in _RATING_TOPS or _COUNTED.match(text, top.end):
        return None
    return top


def _ratings(
    text: str, numbers: list[NumberSpan], taken: list[tuple[int, int]], rating_scale: float | None
) -> list[Measure]:
    free = [n for n in numbers if not any(s < n.end and n.start < e for s, e in taken)]
    scale = _scale(text, free)
    if scale is not None:
        free = [n for n in free if n not in scale.endpoints]
    found: list[Measure] = []
    after_prev = 0
    i = 0
    while i < len(free):
        low = high = free[i]
        if (
            i + 1 < len(free)
            and free[i + 1].value > low.value
            and _RANGE.fullmatch(text, low.end, free[i + 1].start)
        ):
            high = free[i + 1]
        rating = _rating_at(text, low, high, free, scale, rating_scale, after_prev)
        if rating is None:
            i += 1
            continue
        found.append(rating)
        after_prev = max(rating.end, high.end)
        while i < len(free) and free[i].start < after_prev:
            i += 1
    return found


def _rating_at(
    text: str,
    low: NumberSpan,
    high: NumberSpan,
    free: list[NumberSpan],
    scale: _Scale | None,
    rating_scale: float | None,
    after_prev: int,
) -> Measure | None:
    top_num = _out_of(text, high, free)
    if top_num is not None:
        top, end = top_num.value, top_num.end
    else:
        if scale is not None and not _same_sentence(text, scale, low):
            scale = None
        top_val = scale.top if scale else rating_scale
        cue = _CUE_BEFORE.search(text, max(0, low.start - 12), low.start) or (
            rating_scale is not None and _ANSWER_START.fullmatch(text, 0, low.start)
        )
        if (top_val is None or not cue or _ANCHOR_AFTER.match(text, high.end)
                or _COUNTED.match(text, high.end)):  # fmt: skip
            return None
        top, end = top_val, high.end
    if not 0 <= low.value <= high.value <= top:
        return None
    start = low.start
    targets = [t for t in _TARGET.finditer(text, max(after_prev, low.start - 60), low.start)]
    name = "rating"
    if targets:
        name = _TARGET_WORDS[targets[-1].group(0).lower()] + " rating"
        start = targets[-1].start()
    if scale is not None and top_num is None:
        start, end = min(start, scale.start), max(end, scale.end)
    value_high = high.value if high is not low else None
    return Measure(name, low.value, top, None, start, end, value_high)


_SLEEP = re.compile(r"\b(?:sleep|sleeping|slept|sleeps)\b", re.IGNORECASE)
_HOURS = re.compile(
    r"\s*(?:hours?|hrs?)\b(?:\s+(?:of\s+sleep|a\s+night|per\s+night|each\s+night|at\s+night"
    r"|last\s+night))?",
    re.IGNORECASE,
)
_OF_SLEEP = re.compile(r"\s+of\s+sleep\b", re.IGNORECASE)
_NOT_DURATION = re.compile(r"\b(?:in|in\s+the\s+(?:last|past)|within)\s+$", re.IGNORECASE)
_DRINK_TAIL = re.compile(
    r"\s+(?:more\s+)?(?:drinks?|beers?|glass(?:es)?(?:\s+of\s+(?:wine|beer))?|shots?"
    r"|cans?(?:\s+of\s+beer)?|bottles?\s+of\s+(?:wine|beer)|pints?)"
    r"\s+(?:a|per|each|every)\s+(?P<per>day|night|evening|week|weekend|month)\b",
    re.IGNORECASE,
)
_ONE_DRINK = re.compile(
    r"\b(?:an?)(?=\s+(?:drink|beer|glass|shot|can|bottle|pint)\b)", re.IGNORECASE
)
_LIMIT_BEFORE = re.compile(
    r"\b(?:up\s+to|down\s+to|back\s+to|no\s+more\s+than|less\s+than|fewer\s+than|under|limit"
    r"|than)\s+$",
    re.IGNORECASE,
)
_LIMIT_SENTENCE = re.compile(r"\b(?:guidelines?|recommend\w*|limit|or\s+more|or\s+less)\b",
                             re.IGNORECASE)  # fmt: skip
_PER_NAME: Final = {"day": "day", "night": "day", "evening": "day", "week": "week",
                    "weekend": "weekend", "month": "month"}  # fmt: skip


def _with_range(text: str, n: NumberSpan, numbers: list[NumberSpan]) -> NumberSpan:
    nxt = next((m for m in numbers if m.start > n.end), None)
    if nxt and nxt.value > n.value and _RANGE.fullmatch(text, n.end, nxt.start):
        return nxt
    return n


def _sleep_hours(text: str, numbers: list[NumberSpan]) -> list[Measure]:
    found: list[Measure] = []
    for n in numbers:
        high = _with_range(text, n, numbers)
        hours = _HOURS.match(text, high.end)
        if hours is None or (found and n.start < found[-1].end):
            continue
        if not 0 < n.value <= high.value <= 24:
            continue
        if _NOT_DURATION.search(text, max(0, n.start - 20), n.start):
            continue  # "haven't slept in 48 hours"
        sleep = list(_SLEEP.finditer(text, max(0, n.start - 40), n.start))
        of_sleep = _OF_SLEEP.match(text, hours.end())
        end = of_sleep.end() if of_sleep else hours.end()
        if not sleep and "sleep" not in text[n.start : end].lower():
            continue
        start = sleep[-1].start() if sleep else n.start
        value_high = high.value if high is not n else None
        found.append(Measure("sleep hours", n.value, None, None, start, end, value_high))
    return found


def _drinks(text: str, numbers: list[NumberSpan]) -> list[Measure]:
    ones = [NumberSpan(1.0, m.start(), m.end()) for m in _ONE_DRINK.finditer(text)]
    found: list[Measure] = []
    for n in sorted([*numbers, *ones], key=lambda x: x.start):
        high = _with_range(text, n, numbers)
        tail = _DRINK_TAIL.match(text, high.end)
        if tail is None or n.value <= 0 or (found and n.start < found[-1].end):
            continue
        if _LIMIT_BEFORE.search(text, max(0, n.start - 20), n.start):
            continue
        if _LIMIT_SENTENCE.search(text, *_sentence_of(text, n.start, tail.end())):
            continue  # "guidelines say up to 14 drinks a week"
        name = "drinks per " + _PER_NAME[tail.group("per").lower()]
        value_high = high.value if high is not n else None
        found.append(Measure(name, n.value, None, None, n.start, tail.end(), value_high))
    return found


def find_measures(text: str, *, rating_scale: float | None = None) -> list[Measure]:
    """Scores, ratings and self-reported amounts said in ``text``, in order.

    ``rating_scale`` is the top of a rating scale that the previous question set
    ("on a scale of one to ten, how anxious?"), so a bare answer ("I'd say a seven")
    is read as a rating out of it.
    """
    numbers = find_numbers(text)
    names = list(_NAMES.finditer(text))
    scores = _instrument_scores(text, names, numbers)
    taken = [(m.start(), m.end()) for m in names]
    taken += [(s.start, s.end) for s in scores]
    rest = [n for n in numbers if not any(s < n.end and n.start < e for s, e in taken)]
    amounts = _sleep_hours(text, rest) + _drinks(text, rest)
    taken += [(a.start, a.end) for a in amounts]
    top = float(rating_scale) if rating_scale is not None else None
    ratings = _ratings(text, rest, taken, top)
    return sorted([*scores, *amounts, *ratings], key=lambda m: (m.start, m.end))
