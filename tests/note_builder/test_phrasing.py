"""How a quote becomes a note's words: fillers go, the person changes, negations stay."""

from __future__ import annotations

import pytest

from note_builder.phrasing import clean, reported, tidy

FILLER_CASES = [
    ("Uhm, a few times a month.", "a few times a month."),
    ("Um, I think so.", "I think so."),
    ("Umm it was, uh, fine.", "it was, fine."),
    ("Hmm, maybe.", "maybe."),
]


@pytest.mark.parametrize(("quote", "expected"), FILLER_CASES)
def test_fillers_go(quote: str, expected: str) -> None:
    assert clean(quote) == expected


def test_words_that_start_like_fillers_stay() -> None:
    assert clean("My umbrella broke, uh, twice.") == "My umbrella broke, twice."
    assert clean("The humming stopped.") == "The humming stopped."


def test_reported_speech() -> None:
    assert reported("Uhm, a few times a month.") == "Client reported: a few times a month."
    assert reported("I can't sleep at night.") == "Client reported they can't sleep at night."


def test_tidy_keeps_a_repeated_negation() -> None:
    assert tidy("I don't, I don't want to go.").count("don't") == 2
