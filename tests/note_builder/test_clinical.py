"""Medications, substance use and the client's location in one sentence."""

from __future__ import annotations

import datetime as dt

import pytest

from note_builder.clinical import find_location, find_medications, find_substances
from note_builder.dates import find_appointments, find_durations
from note_builder.lexicons import MEDICATIONS
from note_builder.measures import find_measures

# (sentence, generic, dose, frequency, adherence, quote)
MEDICATIONS_SAID = [
    ("zoloft 50 mg twice a day", "sertraline", "50 mg", "twice daily", None,
     "zoloft 50 mg twice a day"),
    ("fifty milligrams of sertraline every morning", "sertraline", "50 mg", "every morning",
     None, "fifty milligrams of sertraline every morning"),
    ("I stopped taking my Zoloft", "sertraline", None, None, "stopped",
     "stopped taking my Zoloft"),
    ("I ran out of my lexapro last week", "escitalopram", None, None, "ran out",
     "ran out of my lexapro"),
    ("i have been missing doses of my seroquel", "quetiapine", None, None, "missed doses",
     "missing doses of my seroquel"),
    ("I haven't been taking the Wellbutrin", "bupropion", None, None, "not taking",
     "haven't been taking the Wellbutrin"),
    ("the Wellbutrin XL, I stopped taking it", "bupropion", None, None, "stopped",
     "Wellbutrin XL, I stopped taking it"),
    ("I'm not on Zoloft anymore", "sertraline", None, None, "stopped", "not on Zoloft anymore"),
    ("I've never taken Xanax", "alprazolam", None, None, "never taken", "never taken Xanax"),
    ("prescribe ultram 50 milligrams every six hours as needed", "tramadol", "50 mg",
     "every 6 hours as needed", None, "ultram 50 milligrams every six hours as needed"),
    ("increase your metformin to 1,000 milligrams twice daily", "metformin", "1000 mg",
     "twice daily", None, "metformin to 1,000 milligrams twice daily"),
    ("we have you on the protonix , 40 milligrams , once a day", "pantoprazole", "40 mg",
     "daily", None, "protonix , 40 milligrams , once a day"),
    ("klonopin point five mg at bedtime", "clonazepam", "0.5 mg", "at bedtime", None,
     "klonopin point five mg at bedtime"),
    ("I'm on Suboxone", "buprenorphine-naloxone", None, None, None, "Suboxone"),
    ("the nicotine patch helps", "nicotine replacement", None, None, None, "nicotine patch"),
    ("I stopped my meds", "unspecified medication", None, None, "stopped", "stopped my meds"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "name", "dose", "frequency", "adherence", "quote"),
                         MEDICATIONS_SAID)  # fmt: skip
def test_finds_medication(
    text: str, name: str, dose: str | None, frequency: str | None, adherence: str | None,
    quote: str,
) -> None:  # fmt: skip
    (m,) = find_medications(text)
    assert (m.name, m.dose, m.frequency, m.adherence) == (name, dose, frequency, adherence)
    assert text[m.start : m.end] == quote


@pytest.mark.parametrize(
    "text",
    [
        "I take the bus",
        "the medication is ready",  # a class word without an adherence cue
        "I'm not on any medication",
        "she has a lot of energy",
        "we talked about my focus",
    ],
)
def test_no_medication(text: str) -> None:
    assert find_medications(text) == []


def test_several_medications_keep_their_own_details() -> None:
    text = "i take lithium 300 mg twice a day and lamictal 100 mg at night"
    found = find_medications(text)
    assert [(m.name, m.dose, m.frequency) for m in found] == [
        ("lithium", "300 mg", "twice daily"),
        ("lamotrigine", "100 mg", "at bedtime"),
    ]
    assert [text[m.start : m.end] for m in found] == [
        "lithium 300 mg twice a day",
        "lamictal 100 mg at night",
    ]


def test_intention_is_not_adherence() -> None:
    (m,) = find_medications("I want to stop taking the Xanax")
    assert m.adherence is None


def test_lexicon_size_and_brands() -> None:
    assert len({d.generic for d in MEDICATIONS.values()}) >= 150
    assert MEDICATIONS["prozac"].generic == "fluoxetine"
    assert MEDICATIONS["abilify"].drug_class == "antipsychotic"


# (sentence, category, quantity, frequency, negated, quote)
SUBSTANCES_SAID = [
    ("I have five or six beers when I go out with friends", "alcohol", "5-6 beers", None,
     False, "five or six beers"),
    ("I smoke barely a pack a day", "nicotine", "1 pack", "daily", False,
     "smoke barely a pack a day"),
    ("i smoke weed every night", "cannabis", None, "nightly", False, "smoke weed every night"),
    ("I have a bottle of wine every night", "alcohol", "1 bottle", "nightly", False,
     "a bottle of wine every night"),
    ("I smoke like two joints a day", "cannabis", "2 joints", "daily", False,
     "smoke like two joints a day"),
    ("I used to do coke on weekends", "stimulants", None, "weekends", False,
     "do coke on weekends"),
    ("I drink like 6 beers a night", "alcohol", "6 beers", "nightly", False,
     "drink like 6 beers a night"),
    ("I don't drink", "alcohol", None, None, True, "don't drink"),
    ("I quit smoking last year", "nicotine", None, None, True, "quit smoking"),
    ("I'm trying to quit smoking", "nicotine", None, None, False, "smoking"),
    ("I don't drink much anyway", "alcohol", None, None, False, "drink"),
    ("been popping pills again", "opioids", None, None, False, "popping pills"),
    ("he's using heroin and fentanyl", "opioids", None, None, False, "heroin"),
    ("I vape THC carts", "cannabis", None, None, False, "vape THC"),
    ("two shots of tequila", "alcohol", "2 shots of tequila", None, False,
     "two shots of tequila"),
    ("It's not really a lot of cigarettes", "nicotine", None, None, False, "cigarettes"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "quantity", "frequency", "negated", "quote"),
                         SUBSTANCES_SAID)  # fmt: skip
def test_finds_substance(
    text: str, kind: str, quantity: str | None, frequency: str | None, negated: bool, quote: str
) -> None:
    s = find_substances(text)[0]
    assert (s.substance, s.quantity, s.frequency, s.negated) == (kind, quantity, frequency, negated)
    assert text[s.start : s.end] == quote


@pytest.mark.parametrize(
    "text",
    [
        "I drink water every day",
        "a diet coke please",
        "my joints hurt",
        "I take pills for my blood pressure",
        "the smoke detector went off",
        "we can do the shot today",  # a vaccine
        "i tried ice and heat",
        "to be blunt, I'm tired",
        "she made a pot of coffee",
        "I have acid reflux",
    ],
)
def test_no_substance(text: str) -> None:
    assert find_substances(text) == []


def test_several_substances() -> None:
    text = "I smoke weed and drink on weekends"
    found = find_substances(text)
    assert [(s.substance, s.frequency, text[s.start : s.end]) for s in found] == [
        ("cannabis", None, "smoke weed"),
        ("alcohol", "weekends", "drink on weekends"),
    ]


# (sentence, location, quote)
LOCATIONS = [
    ("I'm at home", "home", "I'm at home"),
    ("im in my car right now", "car", "im in my car"),
    ("I'm at work in a conference room", "work", "I'm at work in a conference room"),
    ("I'm at my parents place this week", "parents' home", "I'm at my parents place"),
    ("I'm at my mom's", "parent's home", "I'm at my mom's"),
    ("i m home", "home", "i m home"),
    ("yeah I'm just sitting in my car outside the office", "car", "I'm just sitting in my car"),
    ("I'm driving right now", "car (driving)", "I'm driving"),
    ("I'm on the bus", "transit", "I'm on the bus"),
    ("I'm actually in school", "school", "I'm actually in school"),
]


@pytest.mark.parametrize(("text", "location", "quote"), LOCATIONS)
def test_finds_location(text: str, location: str, quote: str) -> None:
    (loc,) = find_location(text)
    assert loc.location == location
    assert text[loc.start : loc.end] == quote


@pytest.mark.parametrize(
    "text",
    [
        "I usually drink when I'm at home",
        "generally, I'm at home",
        "I was at home",
        "I'll be at home tomorrow",
        "we were in the hospital",
        "I'm in a lot of pain",
        "I'm supposed to be at work right now",
        "I take the bus",
        "I'm at home a lot these days",
    ],
)
def test_no_location(text: str) -> None:
    assert find_location(text) == []


ODD_INPUTS = [
    "",
    " ",
    "...",
    "Z-PAK zpak z pack",
    "PHQ PHQ PHQ 9 9 9 out of of",
    "on the 31st of February at 25:99",
    "since may i, since 1899, since march 2099",
    "ñandú café 50 mg — “Zoloft” – 10/10",
    "uh uh um " * 200,
    "I'm " * 100 + "at home",
]


@pytest.mark.parametrize("text", ODD_INPUTS)
def test_extractors_never_raise_and_spans_stay_inside(text: str) -> None:
    """Nothing raises on odd input, so no sentence text can reach an exception message."""
    today = dt.date(2025, 3, 5)
    spans = [
        (r.start, r.end)
        for found in (
            find_medications(text), find_substances(text), find_location(text),
            find_measures(text), find_appointments(text, today), find_durations(text, today),
        )
        for r in found
    ]  # fmt: skip
    assert all(0 <= start < end <= len(text) for start, end in spans)
