"""Next appointments and symptom durations, resolved against the session date."""

from __future__ import annotations

import datetime as dt

import pytest

from note_builder.dates import Appointment, add_months, find_appointments, find_durations

WEDNESDAY = dt.date(2025, 3, 5)


def d(month: int, day: int, year: int = 2025) -> dt.date:
    return dt.date(year, month, day)


# (sentence, date, time, relative, quote)
APPOINTMENTS = [
    ("see you next week", d(3, 12), None, "next week", "see you next week"),
    ("Okay see you next week then.", d(3, 12), None, "next week", "see you next week"),
    ("same time next Tuesday?", d(3, 11), None, "same time next tuesday",
     "same time next Tuesday"),
    ("I'll see you in two weeks.", d(3, 19), None, "in 2 weeks", "see you in two weeks"),
    ("i wan na see you again in a couple weeks , okay ?", d(3, 19), None, "in 2 weeks",
     "see you again in a couple weeks"),
    ("can you come back on the 14th", d(3, 14), None, "the 14th", "come back on the 14th"),
    ("your next appointment is December 3rd at 2 pm", d(12, 3), dt.time(14), "december 3",
     "appointment is December 3rd at 2 pm"),
    ("how about Monday at three thirty for our next session", d(3, 10), dt.time(15, 30),
     "monday", "Monday at three thirty for our next session"),
    ("let's meet again Thursday", d(3, 6), None, "thursday", "let's meet again Thursday"),
    ("we'll follow up in a month", d(4, 5), None, "in 1 month", "follow up in a month"),
    ("see you tomorrow at 10 in the morning", d(3, 6), dt.time(10), "tomorrow",
     "see you tomorrow at 10 in the morning"),
    ("next session is on the fourteenth at noon", d(3, 14), dt.time(12), "the fourteenth",
     "session is on the fourteenth at noon"),
    ("see you on march 20th", d(3, 20), None, "march 20", "see you on march 20th"),
    ("see you on march 1st", d(3, 1, 2026), None, "march 1", "see you on march 1st"),
    ("next session: the 3rd of April at quarter to four", d(4, 3), dt.time(15, 45),
     "april 3", "session: the 3rd of April at quarter to four"),
    ("See you Wednesday", d(3, 12), None, "wednesday", "See you Wednesday"),
    ("we will see you back here in three months .", d(6, 5), None, "in 3 months",
     "see you back here in three months"),
    ("let's schedule a follow up appointment in six weeks", d(4, 16), None, "in 6 weeks",
     "appointment in six weeks"),
    ("see you at 3", None, dt.time(15), "at 15:00", "see you at 3"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "when", "time", "relative", "quote"), APPOINTMENTS)
def test_finds_appointment(
    text: str, when: dt.date | None, time: dt.time | None, relative: str, quote: str
) -> None:
    (a,) = find_appointments(text, WEDNESDAY)
    assert (a.when, a.time, a.relative) == (when, time, relative)
    assert text[a.start : a.end] == quote


@pytest.mark.parametrize(
    "text",
    [
        "I'll call my mom next week",
        "I had an appointment on Monday",
        "when I came in on Monday I was nervous",
        "we met last week",
        "Okay, great. See you next time.",
        "I'm here Monday through Thursday if you need to talk before our next appointment",
        "if you continue to have pain after this week, call the clinic to book a session",
        "i see you're scheduled on the 24th for surgery",
        "I'm meeting my friends next week",
        "at one point i had a session with someone else",
    ],
)
def test_no_appointment(text: str) -> None:
    assert find_appointments(text, WEDNESDAY) == []


def test_meeting_words_belong_to_the_nearest_date() -> None:
    text = "see you in two weeks. congratulations on the baby, and we're excited about next monday"
    found = find_appointments(text, WEDNESDAY)
    assert [(a.relative, text[a.start : a.end]) for a in found] == [
        ("in 2 weeks", "see you in two weeks")
    ]
    text = "i'll see you in two weeks and we're excited about next monday that's your quit date"
    assert [a.relative for a in find_appointments(text, WEDNESDAY)] == ["in 2 weeks"]


def test_alternatives_share_the_meeting_words() -> None:
    text = "I'd love to set up an appointment if you can come in later this week or early next week"
    found = find_appointments(text, WEDNESDAY)
    assert [(a.when, a.relative) for a in found] == [
        (None, "later this week"),
        (None, "early next week"),
    ]
    assert all(text[a.start : a.end].startswith("come in") for a in found)


@pytest.mark.parametrize(
    ("today", "said", "expected"),
    [
        (d(3, 3), "see you next Tuesday", d(3, 11)),  # Monday: Tuesday of next week
        (d(3, 3), "see you Tuesday", d(3, 4)),
        (d(3, 7), "see you next Tuesday", d(3, 11)),  # Friday: the nearest is next week's
        (d(1, 31), "follow up in a month", d(2, 28)),
        (d(12, 20), "see you on the 3rd", d(1, 3, 2026)),
    ],
)
def test_relative_dates_resolve_against_today(today: dt.date, said: str, expected: dt.date) -> None:
    (a,) = find_appointments(said, today)
    assert a.when == expected


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(d(1, 31), 1) == d(2, 28)
    assert add_months(d(11, 30), 3) == d(2, 28, 2026)
    assert add_months(d(5, 15), 12) == d(5, 15, 2026)


# (sentence, days, approximate, quote)
DURATIONS = [
    ("i've felt like this for two weeks", 14, False, "for two weeks"),
    ("about three months", 90, True, "about three months"),
    ("since March", 4, True, "since March"),
    ("since march i can't sleep", 4, True, "since march"),
    ("for the past week", 7, False, "for the past week"),
    ("over the last couple of months", 60, True, "over the last couple of months"),
    ("for about a year and a half", 547.5, True, "for about a year and a half"),
    ("it started two weeks ago", 14, False, "two weeks ago"),
    ("since last week", 7, True, "since last week"),
    ("since Monday", 2, False, "since Monday"),
    ("the last two nights", 2, False, "the last two nights"),
    ("for years", None, True, "for years"),
    ("for a few weeks", None, True, "for a few weeks"),
]


@pytest.mark.parametrize(("text", "days", "approximate", "quote"), DURATIONS)
def test_finds_duration(text: str, days: float | None, approximate: bool, quote: str) -> None:
    (found,) = find_durations(text, WEDNESDAY)
    assert (found.days, found.approximate) == (days, approximate)
    assert text[found.start : found.end] == quote


@pytest.mark.parametrize(
    "text",
    [
        "three drinks a week",
        "see you in two weeks",
        "my son is two years old",
        "I work five days a week",
        "last night i couldn't sleep",
        "since may i ask you something",
        "I have nine siblings",
    ],
)
def test_no_duration(text: str) -> None:
    assert find_durations(text, WEDNESDAY) == []


def test_since_a_month_needs_today() -> None:
    (found,) = find_durations("since March")
    assert found.days is None


def test_appointment_is_frozen() -> None:
    a = Appointment(None, None, "next week", 0, 9)
    with pytest.raises(AttributeError):
        a.relative = "x"  # type: ignore[misc]
