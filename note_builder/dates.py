"""Next appointments and symptom durations said in one transcript sentence.

:func:`find_appointments` reads a date and/or time relative to ``today`` (the session
date), only in a sentence about meeting again ("see you", "come back", "follow up",
"appointment", "session", "let's meet again"):

    >>> [(a.when, a.relative) for a in find_appointments("see you next week", dt.date(2025, 3, 3))]
    [(datetime.date(2025, 3, 10), 'next week')]

:func:`find_durations` reads how long something has lasted ("for two weeks", "about
three months", "since March") as a number of days.

Decisions: "next week" is today + 7 days and "in a month" the same day next month.
A bare weekday ("Monday", "this Monday") is its next occurrence after today; "next
Monday" is the Monday of next week (Monday-first weeks), which is the same day when
that is also the nearest one. "the 14th" is the next 14th after today; "December 3rd"
the next December 3rd from today. A time without am/pm is read as office hours: 1-7 is
afternoon, 8-11 morning. Past expressions ("last week", "yesterday") never make an
appointment, nor does a weekday or date in a clause told in the past tense ("I had an
appointment on Monday"). A month is 30 days and a year 365 for durations; "a few" and
"several" give no number; "since March" needs ``today``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from note_builder.numbers import ORDINAL_TENS, ORDINAL_UNITS, TENS, UNITS, find_numbers

__all__ = ["Appointment", "Duration", "find_appointments", "find_durations"]


@dataclass(frozen=True, slots=True)
class Appointment:
    """A next meeting; ``text[start:end]`` quotes the words that say it.

    ``relative`` is the date as said, normalised ("next week", "in 2 weeks",
    "next tuesday", "december 3"); ``when`` is None when the words name no day
    ("later this week", or a time alone).
    """

    when: dt.date | None
    time: dt.time | None
    relative: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Duration:
    """How long something has lasted; ``days`` is None when no number was said."""

    days: float | None
    approximate: bool
    start: int
    end: int


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_CARD = (
    rf"(?:\d+(?:\.\d+)?|(?:{_alt(TENS)})(?:[\s-](?:{_alt(w for w in UNITS if UNITS[w] < 10)}))?"
    rf"|{_alt(UNITS)})"
)
_ORD_WORD = (
    rf"(?:(?:{_alt(TENS)})[\s-](?:{_alt(ORDINAL_UNITS)})"
    rf"|{_alt(ORDINAL_TENS)}|{_alt(ORDINAL_UNITS)})"
)
_ORD_DIGIT = r"\d{1,2}(?:st|nd|rd|th)"
_QTY = (
    rf"(?P<qty>{_CARD}|an?|a\s+couple(?:\s+of)?|couple(?:\s+of)?|a\s+few|few|several)"
    r"(?P<half>\s+and\s+a\s+half)?"
)
WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ALIASES: Final = {"tues": 1, "weds": 2, "thurs": 3}
_WEEKDAY = rf"(?:{_alt(WEEKDAYS)}|tues|weds|thurs)"
MONTHS: Final = (
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
)  # fmt: skip
_MONTH_ABBR: Final = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_MONTH = rf"(?:{_alt(MONTHS)}|(?:{_alt(_MONTH_ABBR)})\.?)"
_DAY_NUM = rf"(?:{_ORD_DIGIT}|\d{{1,2}}(?!\d)|{_ORD_WORD}|{_CARD})"
_MONTH_DAY = rf"(?:{_ORD_DIGIT}|\d{{1,2}}(?!\d)|{_ORD_WORD})"  # no cardinal words: "may one day"

_FLAGS = re.IGNORECASE
_END = r"(?!\w)"
_DATE_PATTERNS: Final[tuple[tuple[str, str], ...]] = (
    ("day_after", r"(?:the\s+)?day\s+after\s+tomorrow"),
    ("tomorrow", r"tomorrow"),
    ("next_week", r"(?:(?:same|this)\s+time\s+)?(?:(?:early|later|late|end\s+of)\s+)?next\s+week"),
    ("next_month", r"(?:(?:same|this)\s+time\s+)?next\s+month"),
    ("this_week", r"(?:(?:later|early|end\s+of)\s+)?this\s+week"),
    ("weekday", rf"(?:(?:same|this)\s+time\s+)?(?:(?P<wmod>next|this\s+coming|this|coming|on)\s+)?"
                rf"(?P<wd>{_WEEKDAY})(?:\s+(?:the\s+)?(?P<wday>{_ORD_DIGIT}|{_ORD_WORD}))?"),
    ("in_n", rf"in\s+(?:(?:about|around|like|roughly|another|maybe|approximately)\s+)?{_QTY}"
             r"\s+(?P<unit>days?|weeks?|months?)(?:'?\s*time)?"),
    ("n_from_now", rf"{_QTY}\s+(?P<unit>days?|weeks?|months?)\s+from\s+(?:now|today)"),
    ("fortnight", r"in\s+a\s+fortnight"),
    ("month_day", rf"(?P<mon>{_MONTH})\s+(?:the\s+)?(?P<mday>{_MONTH_DAY})"
                  r"(?:,?\s+(?P<year>20\d\d))?"),
    ("day_of_month", rf"(?:the\s+)?(?P<mday>{_ORD_DIGIT}|{_ORD_WORD})\s+of\s+(?P<mon>{_MONTH})"
                     r"(?:,?\s+(?P<year>20\d\d))?"),
    ("ordinal_day", rf"(?:on\s+)?the\s+(?P<mday>{_ORD_DIGIT})|on\s+the\s+(?P<oday>{_ORD_WORD})"),
)  # fmt: skip
_DATES = [(kind, re.compile(rf"(?<!\w)(?:{p}){_END}", _FLAGS)) for kind, p in _DATE_PATTERNS]

_HOUR = r"(?:1[0-2]|0?[1-9]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_TIME = re.compile(
    r"(?<!\w)(?:at|around|by)\s+(?:about\s+|like\s+|around\s+)?"
    r"(?:(?P<noon>noon|midday)|half\s+past\s+(?P<hh>" + _HOUR + r")"
    r"|quarter\s+(?P<qdir>past|after|to|till|of)\s+(?P<qh>" + _HOUR + r")"
    r"|(?P<h>" + _HOUR + r")(?::(?P<mm>[0-5]\d)|[\s-](?P<mw>forty[\s-]five|fourty[\s-]five"
    r"|fifteen|thirty|forty|fifty|twenty|ten|[0-5]\d))?"
    r"(?:\s*(?P<mer>a\.?\s?m\b\.?|p\.?\s?m\b\.?|o'?\s?clock))?)"
    r"(?:\s+in\s+the\s+(?P<part>morning|afternoon|evening))?"
    r"(?![\w:])(?!\s*(?:(?:to|or|-)\s*\w+\s+)?(?:weeks?|days?|months?|years?|hours?|minutes?"
    r"|people|times?|of|percent|point|over|a\s+time|in\s+a\s+row)\b)",
    _FLAGS,
)
_MEETING = re.compile(
    r"\b(?:see\s+(?:you|ya|me|each\s+other|us)(?!')|meet\s+again|meeting\s+again|let'?s\s+meet"
    r"|(?:we|i)\s+(?:can|could|will|'ll|should|would)\s+meet|(?:our|next)\s+meeting"
    r"|come\s+(?:back|in|see)|coming\s+(?:back|in)|back\s+in|follow[\s-]?up|following\s+up"
    r"|appointments?|appt|sessions?|check[\s-]?in\s+(?:with|again)|touch\s+base"
    r"|(?:re)?schedul(?:e|ed|ing)\s+(?:you|a|an|another|your|our|the|next|for)"
    r"|book\s+(?:you|a|an|another)|talk\s+(?:to\s+you|again)|catch\s+up|same\s+time"
    r"|get\s+together|video\s+call)\b",
    _FLAGS,
)
_PAST = re.compile(r"\b(?:had|missed|was|were|came|saw|met|went|did|ago|yesterday|earlier)\b",
                   _FLAGS)  # fmt: skip
_FUTURE = re.compile(
    r"(?:\b(?:will|going\s+to|gonna|let'?s|can|could|should|want|wanna|would|plan|need"
    r"|have\s+to|gotta|see\s+you|next|schedule|book|come\s+back|come\s+in)\b|'ll\b|'d\b)",
    _FLAGS,
)
_SENTENCE_END = re.compile(r"[.?!](?=\s|$)")


def _number(words: str) -> float | None:
    w = " ".join(words.lower().split())
    if w in ("a", "an"):
        return 1.0
    if "couple" in w:
        return 2.0
    if w in ("a few", "few", "several"):
        return None
    nums = find_numbers(w, ordinals=True)
    return nums[0].value if len(nums) == 1 else None


def _month(word: str) -> int:
    w = word.lower().rstrip(".")
    return MONTHS.index(w) + 1 if w in MONTHS else _MONTH_ABBR[w[:4] if w == "sept" else w[:3]]


def _weekday(word: str) -> int:
    w = word.lower()
    return WEEKDAYS.index(w) if w in WEEKDAYS else _WEEKDAY_ALIASES[w]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for dom in range(day.day, 27, -1):
        try:
            return dt.date(year, month, dom)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def _next_weekday(today: dt.date, weekday: int, modifier: str) -> dt.date:
    nearest = today + dt.timedelta(days=(weekday - today.weekday()) % 7 or 7)
    if modifier == "next" and nearest.weekday() > today.weekday():
        return nearest + dt.timedelta(days=7)  # nearest is still this week
    return nearest


def _next_day_of_month(today: dt.date, dom: int) -> dt.date | None:
    for ahead in range(13):
        first = add_months(today.replace(day=1), ahead)
        try:
            candidate = first.replace(day=dom)
        except ValueError:
            continue
        if candidate > today:
            return candidate
    return None


def _month_day(today: dt.date, month: int, dom: int, year: str | None) -> dt.date | None:
    try:
        if year:
            return dt.date(int(year), month, dom)
        candidate = dt.date(today.year, month, dom)
        return candidate if candidate >= today else dt.date(today.year + 1, month, dom)
    except ValueError:
        return None


def _said(m: re.Match[str]) -> str:
    return " ".join(m.group(0).lower().split())


def _resolve(kind: str, m: re.Match[str], today: dt.date) -> tuple[dt.date | None, str] | None:
    """The date and the normalised words of one date expression."""
    said = _said(m)
    if kind == "day_after":
        return today + dt.timedelta(days=2), "day after tomorrow"
    if kind == "tomorrow":
        return today + dt.timedelta(days=1), "tomorrow"
    if kind == "next_week":
        exact = said.endswith("next week") and not re.search(r"early|late|end", said)
        return (today + dt.timedelta(days=7) if exact else None), said
    if kind == "next_month":
        return add_months(today, 1), said
    if kind == "this_week":
        return None, said
    if kind in ("in_n", "n_from_now"):
        return _in_n(m, today)
    if kind == "fortnight":
        return today + dt.timedelta(days=14), "in 2 weeks"
    if kind == "weekday":
        if m.group("wday"):
            dom = _number(m.group("wday"))
            when = _next_day_of_month(today, int(dom)) if dom else None
            same = when is not None and when.weekday() == _weekday(m.group("wd"))
            return (when, said.removeprefix("on ")) if same else None
        modifier = (m.group("wmod") or "").lower()
        when = _next_weekday(today, _weekday(m.group("wd")), modifier)
        return when, said.removeprefix("on ")
    dom_word = str(m.group("mday") or m.groupdict().get("oday") or "")
    dom = _number(dom_word)
    if dom is None or dom != int(dom) or not 1 <= dom <= 31:
        return None
    if kind == "ordinal_day":
        return _next_day_of_month(today, int(dom)), "the " + dom_word.lower()
    when = _month_day(today, _month(m.group("mon")), int(dom), m.group("year"))
    return (when, f"{MONTHS[_month(m.group('mon')) - 1]} {int(dom)}") if when else None


def _in_n(m: re.Match[str], today: dt.date) -> tuple[dt.date | None, str]:
    qty = _number(m.group("qty"))
    unit = m.group("unit").lower().rstrip("s")
    if qty is None:
        return None, _said(m)
    if m.group("half"):
        qty += 0.5
    n = f"{qty:g}"
    relative = f"in {n} {unit}{'' if qty == 1 else 's'}"
    if unit == "month":
        return (add_months(today, int(qty)) if qty == int(qty) else None), relative
    days = qty * (7 if unit == "week" else 1)
    return (today + dt.timedelta(days=days) if days == int(days) else None), relative


def _time(m: re.Match[str]) -> dt.time | None:
    if m.group("noon"):
        return dt.time(12, 0)
    minute = 0
    if m.group("hh"):
        hour_words, minute = m.group("hh"), 30
    elif m.group("qh"):
        hour_words, minute = m.group("qh"), 15
    else:
        hour_words = m.group("h")
        minute_words = m.group("mm") or m.group("mw")
        minute = int(_number(minute_words.replace("-", " ")) or 0) if minute_words else 0
    hour = int(_number(hour_words) or 0)
    if m.group("qdir") and m.group("qdir").lower() in ("to", "till", "of"):
        hour, minute = (hour - 1) % 12 or 12, 45
    mer = (m.group("mer") or "").lower().replace(".", "").replace(" ", "")
    part = (m.group("part") or "").lower()
    if mer == "am":
        hour %= 12
    elif mer == "pm" or part in ("afternoon", "evening") or (not part and 1 <= hour <= 7):
        hour = hour % 12 + 12
    return dt.time(hour, minute) if 0 <= hour < 24 and 0 <= minute < 60 else None


def _sentence(text: str, pos: int) -> tuple[int, int]:
    start = 0
    for end_mark in _SENTENCE_END.finditer(text):
        if end_mark.end() <= pos:
            start = end_mark.end()
        else:
            return start, end_mark.end()
    return start, len(text)


@dataclass(frozen=True, slots=True)
class _Found:
    kind: str
    when: dt.date | None
    relative: str
    start: int
    end: int


def _dates(text: str, today: dt.date) -> list[_Found]:
    found: list[_Found] = []
    for kind, pattern in _DATES:
        for m in pattern.finditer(text):
            resolved = _resolve(kind, m, today)
            if resolved is not None:
                found.append(_Found(kind, *resolved, m.start(), m.end()))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[_Found] = []
    for f in found:
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


def _told_in_past(text: str, f: _Found) -> bool:
    """A weekday or a date in a clause told in the past ("I had an appointment on Monday")."""
    if f.kind not in ("weekday", "month_day", "day_of_month", "ordinal_day"):
        return False
    lo, hi = _sentence(text, f.start)
    return bool(_PAST.search(text, lo, hi)) and not _FUTURE.search(text, lo, hi)


_ADJACENT_AFTER = re.compile(r"\s*,?\s*")
_ADJACENT_BEFORE = re.compile(r"\s*,?\s*(?:on\s+)?")
_NOT_WHEN_BEFORE = re.compile(
    r"\b(?:after|until|till|since|before|over|during|through)\s+$", _FLAGS
)
_WEEKDAY_RANGE = re.compile(rf"\s*(?:through|thru|to|-)\s*{_WEEKDAY}\b", _FLAGS)
_RANGE_TO = re.compile(r"(?:through|thru|to|-)\s*$", _FLAGS)
_ALTERNATIVES = re.compile(r"\s*,?\s*(?:or|and|or\s+maybe)?\s*", _FLAGS)
_CUE_REACH = 50  # characters between a date and the words about meeting


def find_appointments(text: str, today: dt.date) -> list[Appointment]:
    """Next meetings said in ``text``, with dates resolved against ``today``."""
    if not _MEETING.search(text):
        return []
    times = [t for t in _TIME.finditer(text) if _time(t) is not None]
    dates = [f for f in _dates(text, today) if _may_be_next_meeting(text, f)]
    out: list[Appointment | None] = []
    used: set[int] = set()
    for f in dates:
        start, end, time = f.start, f.end, None
        for t in times:
            if t.start() not in used and (
                _ADJACENT_AFTER.fullmatch(text, f.end, t.start())
                or _ADJACENT_BEFORE.fullmatch(text, t.end(), f.start)
            ):
                start, end, time = min(start, t.start()), max(end, t.end()), _time(t)
                used.add(t.start())
                break
        # A meeting cue belongs to the nearest date: "see you in two weeks ... next Monday
        # is your quit date"; alternatives share it: "later this week or early next week".
        others = [
            (d.start, d.end)
            for d in dates
            if d is not f
            and not _ALTERNATIVES.fullmatch(text, min(d.end, f.end), max(d.start, f.start))
        ]
        out.append(_appointment(text, f.when, time, f.relative, (start, end), others))
    spans = [(d.start, d.end) for d in dates]
    for t in times:
        if t.start() not in used:
            out.append(_appointment(text, None, _time(t), "", (t.start(), t.end()), spans))
    return [a for a in out if a is not None]


def _may_be_next_meeting(text: str, f: _Found) -> bool:
    if _told_in_past(text, f) or _NOT_WHEN_BEFORE.search(text, max(0, f.start - 12), f.start):
        return False  # "I had an appointment on Monday", "after this week"
    return f.kind != "weekday" or not (
        _WEEKDAY_RANGE.match(text, f.end) or _RANGE_TO.search(text, max(0, f.start - 10), f.start)
    )  # "I'm here Monday through Thursday"


def _appointment(
    text: str,
    when: dt.date | None,
    time: dt.time | None,
    relative: str,
    span: tuple[int, int],
    others: list[tuple[int, int]],
) -> Appointment | None:
    """The appointment, its quote widened to the nearest words about meeting; None when
    no such words are near, or another date stands between."""
    start, end = span
    lo, hi = _sentence(text, start)
    cues = [
        c
        for c in _MEETING.finditer(text, lo, hi)
        if max(c.start() - end, start - c.end()) <= _CUE_REACH
        and not any(
            (c.end() <= s and e <= start) or (end <= s and e <= c.start()) for s, e in others
        )
    ]
    if not cues:
        return None
    cue = min(cues, key=lambda c: max(c.start() - end, start - c.end()))
    start, end = min(start, cue.start()), max(end, cue.end())
    return Appointment(when, time, relative or (f"at {time:%H:%M}" if time else ""), start, end)


_UNIT_DAYS: Final = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1.0, "night": 1.0, "week": 7.0,
                     "fortnight": 14.0, "month": 30.0, "year": 365.0}  # fmt: skip
_APPROX = (
    r"(?:about|around|almost|nearly|over|more\s+than|less\s+than|at\s+least|roughly|like"
    r"|maybe|probably|approximately|a\s+good|close\s+to)"
)
_DURATION = re.compile(
    r"(?<!\w)(?P<lead>(?:(?:for|over|during|within|in)\s+)?"
    r"(?P<the>the|this)\s+(?:past|last|previous)\s+"
    r"|(?:past|last|previous)\s+(?=\S+\s+\w)"
    rf"|for\s+(?:{_APPROX}\s+)*|{_APPROX}\s+(?:{_APPROX}\s+)*)?"
    rf"(?:{_QTY}\s+)?(?P<unit>minutes?|hours?|days?|nights?|weeks?|months?|years?|fortnights?)"
    r"(?P<half2>\s+and\s+a\s+half)?(?:\s+ago)?(?!\w)",
    _FLAGS,
)
_NOT_DURATION_BEFORE = re.compile(r"\b(?:in|every|each|per|next|within|a|an|the)\s+$", _FLAGS)
_NOT_DURATION_AFTER = re.compile(
    r"\s+(?:from\s+now|later|old|of\s+age|(?:a|per|each|every)\s+(?:day|night|week|month|year))\b",
    _FLAGS,
)
_SINCE = re.compile(
    rf"(?<!\w)since\s+(?:(?P<mon>{_MONTH})(?:\s+(?P<year>(?:19|20)\d\d))?"
    r"|(?P<yr>(?:19|20)\d\d)|last\s+(?P<last>week|month|year)|(?P<yesterday>yesterday)"
    rf"|(?:last\s+)?(?P<wd>{_WEEKDAY}))(?!\w)",
    _FLAGS,
)


def _since(m: re.Match[str], today: dt.date | None) -> Duration:
    if m.group("last"):
        return Duration(_UNIT_DAYS[m.group("last").lower()], True, m.start(), m.end())
    if m.group("yesterday"):
        return Duration(1.0, False, m.start(), m.end())
    if today is None:
        return Duration(None, True, m.start(), m.end())
    if m.group("wd"):
        back = (today.weekday() - _weekday(m.group("wd"))) % 7 or 7
        return Duration(float(back), False, m.start(), m.end())
    if m.group("yr"):
        began = dt.date(int(m.group("yr")), 1, 1)
    else:
        month = _month(m.group("mon"))
        year = int(m.group("year")) if m.group("year") else today.year
        if not m.group("year") and month > today.month:
            year -= 1
        began = dt.date(year, month, 1)
    days = (today - began).days
    return Duration(float(days) if days >= 0 else None, True, m.start(), m.end())


def _duration(text: str, m: re.Match[str]) -> Duration | None:
    lead = " ".join((m.group("lead") or "").lower().split())
    qty_words = m.group("qty")
    unit = m.group("unit").lower()
    if qty_words is None:
        if m.group("the") and not unit.endswith("s") and unit != "night":
            qty: float | None = 1.0  # "the past week"
        elif lead == "for" and unit.endswith("s"):
            qty = None  # "for years"
        else:
            return None
    else:
        qty = _number(qty_words)
        if qty_words.lower() in ("a", "an") and not lead:
            return None  # "three drinks a week"
    if not lead and _NOT_DURATION_BEFORE.search(text, max(0, m.start() - 10), m.start()):
        return None  # "in two weeks", "every two days"
    if _NOT_DURATION_AFTER.match(text, m.end()):
        return None  # "two years old", "five days a week"
    if qty is not None and (m.group("half") or m.group("half2")):
        qty += 0.5
    approximate = bool(re.search(_APPROX, lead)) or qty is None or "couple" in (qty_words or "")
    days = qty * _UNIT_DAYS[unit.rstrip("s")] if qty is not None else None
    return Duration(days, approximate, m.start(), m.end())


_MAY_VERB = re.compile(r"\s+(?:be|have|i|you|we|he|she|they|not)\b", _FLAGS)


def find_durations(text: str, today: dt.date | None = None) -> list[Duration]:
    """How long things have lasted, in days ("for two weeks" -> 14.0), in order."""
    found = [d for m in _DURATION.finditer(text) if (d := _duration(text, m)) is not None]
    for m in _SINCE.finditer(text):
        if (m.group("mon") or "").lower() == "may" and _MAY_VERB.match(text, m.end()):
            continue  # "since may I ask"
        found.append(_since(m, today))
    return sorted(found, key=lambda d: d.start)
