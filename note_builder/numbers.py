"""Spoken-number normalisation for speech-recognition output.

faster-whisper writes numbers as digits ("14", "7.5", "1,000", "50mg") or as words
("fourteen", "twenty-one", "a hundred and five", "seven and a half", "seven point
five"). :func:`find_numbers` finds both and reports each with the exact character
span it was read from, so callers can quote the words.

    >>> [(n.value, n.start, n.end) for n in find_numbers("about twenty one or 22")]
    [(21.0, 6, 16), (22.0, 20, 22)]

Decisions: two units in a row are two numbers ("five six" is a range, not 56);
digit-by-digit readings ("one oh five") are not joined; "a" counts only before
hundred/thousand/dozen ("a hundred"); "half" counts only as "half a ..." or "... and
a half"; digits glued to letters before them are part of a name ("PHQ9", "mp3").
Ordinals ("3rd", "fourteenth", "twenty first") are found only when asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NumberSpan", "find_numbers", "words_to_number"]

UNITS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
ORDINAL_UNITS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
    "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
}  # fmt: skip
ORDINAL_TENS: dict[str, int] = {
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
    "seventieth": 70, "eightieth": 80, "ninetieth": 90,
}  # fmt: skip
_SCALES: dict[str, int] = {"thousand": 1000, "million": 1_000_000}
_FRACTIONS: dict[str, float] = {"half": 0.5, "quarter": 0.25}

_STARTERS = frozenset(
    {*UNITS, *TENS, *ORDINAL_UNITS, *ORDINAL_TENS, "a", "an", "half", "point"}
)  # words a number can start with
_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|[A-Za-z]+")
_ORDINAL_SUFFIX = re.compile(r"(?:st|nd|rd|th)(?![A-Za-z])", re.IGNORECASE)
_GAP = re.compile(r"[ \t]*-?[ \t]*")  # between words of one number: "twenty one", "twenty-one"


@dataclass(frozen=True, slots=True)
class NumberSpan:
    """A number and where it was said: ``text[start:end]`` is the quote."""

    value: float
    start: int
    end: int
    ordinal: bool = False


@dataclass(frozen=True, slots=True)
class _Tok:
    word: str  # lower-case word; for digits, the digits without thousands commas
    start: int
    end: int
    digits: bool
    ordinal: bool = False


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        raw, start, end = m.group(0), m.start(), m.end()
        if not raw[0].isdigit():
            toks.append(_Tok(raw.lower(), start, end, False))
            continue
        if start > 0 and (text[start - 1].isalpha() or text[start - 1] in "._"):
            continue  # "PHQ9", "mp3", "v2": the digits belong to a name
        suffix = _ORDINAL_SUFFIX.match(text, end)
        if suffix and "." not in raw:
            toks.append(_Tok(raw.replace(",", ""), start, suffix.end(), True, True))
        else:
            toks.append(_Tok(raw.replace(",", ""), start, end, True))
    return toks


class _Parser:
    """Reads the longest number starting at one token."""

    def __init__(self, text: str, toks: list[_Tok]) -> None:
        self.text = text
        self.toks = toks

    def word(self, i: int) -> str:
        return self.toks[i].word if i < len(self.toks) and not self.toks[i].digits else ""

    def joined(self, i: int) -> bool:
        """Token ``i`` follows token ``i - 1`` within one spoken number."""
        if i >= len(self.toks):
            return False
        gap = self.text[self.toks[i - 1].end : self.toks[i].start]
        return _GAP.fullmatch(gap) is not None

    def parse(self, i: int) -> tuple[float, int, bool] | None:
        """Return (value, index after the last token, ordinal) or None."""
        tok = self.toks[i]
        if tok.digits:
            value, j, ordinal = float(tok.word), i + 1, tok.ordinal
            if not ordinal and self.word(j) in ("hundred", *_SCALES) and self.joined(j):
                value *= 100 if self.word(j) == "hundred" else _SCALES[self.word(j)]
                j += 1
        elif tok.word == "half" and self.word(i + 1) in ("a", "an") and self.joined(i + 1):
            return 0.5, i + 1, False
        elif tok.word == "point" and (decimal := self.decimal(i)) is not None:
            return decimal[0], decimal[1], False  # "point five"
        else:
            words = self.cardinal_words(i)
            if words is None:
                return None
            value, j, ordinal = words
        if not ordinal:
            value, j = self.fraction(value, j)
        return value, j, ordinal

    def cardinal_words(self, i: int) -> tuple[float, int, bool] | None:
        total, current, last, j = 0, 0, "", i
        if self.word(i) in ("a", "an") and self.word(i + 1) in ("hundred", "dozen", *_SCALES):
            current, last, j = 1, "unit", i + 1
        while j < len(self.toks) and (j == i or self.joined(j)):
            w = self.word(j)
            if w in UNITS and (last in ("", "hundred", "scale", "and") or
                               (last == "tens" and 0 < UNITS[w] < 10)):  # fmt: skip
                current, last = current + UNITS[w], "unit"
            elif w in TENS and last in ("", "hundred", "scale", "and"):
                current, last = current + TENS[w], "tens"
            elif w == "hundred" and last in ("unit", "tens") and 0 < current < 100:
                current, last = current * 100, "hundred"
            elif w in _SCALES and last in ("unit", "tens", "hundred") and current > 0:
                total, current, last = total + current * _SCALES[w], 0, "scale"
            elif w == "dozen" and last == "unit" and 0 < current < 100:
                current, last = current * 12, "dozen"
            elif w == "and" and last in ("hundred", "scale") and self.word(j + 1) in (
                *UNITS, *TENS):  # fmt: skip
                last = "and"
            elif w in ORDINAL_UNITS and (last in ("", "hundred", "scale", "and") or
                                         (last == "tens" and ORDINAL_UNITS[w] < 10)):  # fmt: skip
                return float(total + current + ORDINAL_UNITS[w]), j + 1, True
            elif w in ORDINAL_TENS and last in ("", "hundred", "scale", "and"):
                return float(total + current + ORDINAL_TENS[w]), j + 1, True
            else:
                break
            j += 1
        if last == "and":
            j -= 1  # "a hundred and" then no number: the "and" is not ours
        if last == "" or (j == i + 1 and self.word(i) in ("a", "an")):
            return None
        if self.word(i) == "one" and i > 0 and self.word(i - 1) == "no" and j == i + 1:
            return None  # "no one"
        return float(total + current), j, False

    def fraction(self, value: float, j: int) -> tuple[float, int]:
        """Extend by "and a half" / "point five"."""
        if (self.word(j) == "and" and self.word(j + 1) in ("a", "an")
                and self.word(j + 2) in _FRACTIONS
                and all(self.joined(k) for k in (j, j + 1, j + 2))):  # fmt: skip
            return value + _FRACTIONS[self.word(j + 2)], j + 3
        if self.word(j) == "point" and self.joined(j) and value == int(value):
            decimal = self.decimal(j)
            if decimal is not None:
                return int(value) + decimal[0], decimal[1]
        return value, j

    def decimal(self, point: int) -> tuple[float, int] | None:
        """The digits said after "point" at token ``point``: ("five" -> 0.5, next index)."""
        digits, k = "", point + 1
        while self.word(k) in UNITS and UNITS[self.word(k)] < 10 and self.joined(k):
            digits += str(UNITS[self.word(k)])
            k += 1
        return (float(f"0.{digits}"), k) if digits else None


def _scan(text: str) -> list[NumberSpan]:
    toks = _tokenize(text)
    parser = _Parser(text, toks)
    spans: list[NumberSpan] = []
    i = 0
    while i < len(toks):
        if not toks[i].digits and toks[i].word not in _STARTERS:
            i += 1
            continue
        parsed = parser.parse(i)
        if parsed is None:
            i += 1
            continue
        value, j, ordinal = parsed
        spans.append(NumberSpan(value, toks[i].start, toks[j - 1].end, ordinal))
        i = j
    return spans


def find_numbers(text: str, *, ordinals: bool = False) -> list[NumberSpan]:
    """Every number said in ``text``, in order; ordinals too when ``ordinals`` is set."""
    return [n for n in _scan(text) if ordinals or not n.ordinal]


def words_to_number(text: str) -> float | None:
    """The value of ``text`` when all of it is one number ("twenty-one" -> 21.0), else None."""
    stripped = text.strip().rstrip(".,!?")
    spans = _scan(stripped)
    if len(spans) != 1 or spans[0].ordinal:
        return None
    only = spans[0]
    return only.value if only.start == 0 and only.end == len(stripped) else None
