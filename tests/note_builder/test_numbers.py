"""Spoken-number normalisation: words and digits as faster-whisper writes them."""

from __future__ import annotations

import pytest

from note_builder.numbers import NumberSpan, find_numbers, words_to_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("fourteen", 14),
        ("twenty one", 21),
        ("twenty-one", 21),
        ("Twenty-One", 21),
        ("a hundred and five", 105),
        ("one hundred twenty", 120),
        ("seven and a half", 7.5),
        ("2 and a half", 2.5),
        ("seven point five", 7.5),
        ("point five", 0.5),
        ("two point two five", 2.25),
        ("7.5", 7.5),
        ("1,000", 1000),
        ("zero", 0),
        ("a dozen", 12),
        ("two dozen", 24),
        ("three thousand two hundred", 3200),
        ("fifty.", 50),
        # not one number
        ("one oh five", None),
        ("five six", None),
        ("a", None),
        ("hundred", None),
        ("the fourteenth", None),
        ("fourteen days", None),
        ("", None),
    ],
)
def test_words_to_number(text: str, value: float | None) -> None:
    assert words_to_number(text) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("about twenty one or 22", [(21, "twenty one"), (22, "22")]),
        ("i take fifty milligrams", [(50, "fifty")]),
        ("50mg twice", [(50, "50")]),
        ("five or six beers", [(5, "five"), (6, "six")]),
        ("5-6 hours", [(5, "5"), (6, "6")]),
        ("10, 20, and 40 milligrams", [(10, "10"), (20, "20"), (40, "40")]),
        ("half a pack a day", [(0.5, "half")]),
        ("a hundred and twenty five pounds", [(125, "a hundred and twenty five")]),
        ("a hundred and then some", [(100, "a hundred")]),
        # digits glued to a name are the name's, and "no one" is nobody
        ("my PHQ9 was fine", []),
        ("no one came", []),
        ("someone said hi", []),
        ("I have nine siblings", [(9, "nine")]),
        ("the 14th", []),
    ],
)
def test_find_numbers_values_and_spans(text: str, expected: list[tuple[float, str]]) -> None:
    found = find_numbers(text)
    assert [(n.value, text[n.start : n.end]) for n in found] == expected


@pytest.mark.parametrize(
    ("text", "value", "quote"),
    [
        ("on the 14th", 14, "14th"),
        ("December 3rd", 3, "3rd"),
        ("the twenty first", 21, "twenty first"),
        ("the fourteenth", 14, "fourteenth"),
        ("the first", 1, "first"),
    ],
)
def test_ordinals_only_when_asked(text: str, value: float, quote: str) -> None:
    assert find_numbers(text) == []
    (n,) = find_numbers(text, ordinals=True)
    assert (n.value, n.ordinal, text[n.start : n.end]) == (value, True, quote)


def test_number_span_is_frozen() -> None:
    n = NumberSpan(1.0, 0, 3)
    with pytest.raises(AttributeError):
        n.value = 2.0  # type: ignore[misc]
