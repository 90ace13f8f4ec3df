"""ConText on spoken sentences: triggers, scopes, terminators and the resolved status."""

from __future__ import annotations

import pytest

from note_builder.context import (
    CURRENT,
    HISTORICAL,
    HYPOTHETICAL,
    NEGATED,
    OTHER_EXPERIENCER,
    POSSIBLE,
    Assertion,
    ContextConfig,
    Modifier,
    assess,
    modifiers_for,
    normalize_phrase,
    tokenize,
)


def span_of(text: str, target: str) -> tuple[int, int]:
    start = text.index(target)
    return start, start + len(target)


def categories(text: str, target: str) -> list[str]:
    return [m.category for m in modifiers_for(text, span_of(text, target))]


def status(text: str, target: str, config: ContextConfig | None = None) -> str:
    return assess(text, span_of(text, target), config or ContextConfig()).status


def test_tokens_are_lower_case_words_with_offsets() -> None:
    text = "Um, I DON’T want to—"
    tokens = tokenize(text)
    assert [t.norm for t in tokens] == ["um", "i", "dont", "want", "to"]
    for tok in tokens:
        assert normalize_phrase(text[tok.start : tok.end]) == tok.norm
    assert tokens[1].after_comma and not tokens[2].after_comma


def test_sentence_numbers_follow_final_punctuation() -> None:
    tokens = tokenize("No. I want to die? yes")
    assert [t.sentence for t in tokens] == [0, 1, 1, 1, 1, 2]


def test_modifier_points_at_its_phrase() -> None:
    text = "Years ago I cut myself, but not since"
    mods = modifiers_for(text, span_of(text, "cut myself"))
    assert mods == [
        Modifier(HISTORICAL, 0, 9, "Years ago"),
        Modifier(NEGATED, 24, 37, "but not since"),
    ]
    for m in mods:
        assert text[m.start : m.end] == m.phrase


# (text, target, expected categories in text order)
CATEGORY_CASES = [
    # negation: forward, contractions with and without apostrophes, therapist summaries
    ("I'm not suicidal", "suicidal", [NEGATED]),
    ("im not suicidal", "suicidal", [NEGATED]),
    ("I dont want to die", "want to die", [NEGATED]),
    ("I would never hurt myself", "hurt myself", [NEGATED]),
    ("no thoughts of killing myself", "killing myself", [NEGATED]),
    ("no way I'd hurt myself", "hurt myself", [NEGATED]),
    ("client denies suicidal ideation", "suicidal", [NEGATED]),
    ("suicidal ideation: denied", "suicidal", [NEGATED]),
    ("I haven't had thoughts of suicide", "suicide", [NEGATED]),
    # pseudo-negations are not modifiers
    ("not only did I cut myself", "cut myself", []),
    ("I can't stop thinking about dying", "dying", []),
    ("not gonna lie, I want to die", "want to die", []),
    ("I don't know, I want to die", "want to die", []),
    ("no one knows I cut myself", "cut myself", []),
    ("my mom doesn't know I cut myself", "cut myself", []),
    ("no, I've been thinking about suicide", "suicide", []),
    ("I want to die, no increase in pain meds though", "want to die", []),
    # scope ends at a terminator, a new clause, or the sentence
    ("I'm not suicidal but I want to die", "want to die", []),
    ("I'm not okay I want to die", "want to die", []),
    ("I don't sleep and I want to die", "want to die", []),
    ("I don't think I want to die", "want to die", [NEGATED]),
    ("I never said I wanted to die", "wanted to die", [NEGATED]),
    ("No. I want to die.", "want to die", []),
    # hypotheticals and conditionals
    ("what if I hurt myself", "hurt myself", [HYPOTHETICAL]),
    ("if I ever hurt myself I'll call", "hurt myself", [HYPOTHETICAL]),
    ("if I lost my job I'd kill myself", "kill myself", [HYPOTHETICAL]),
    ("I'd kill myself if she left", "kill myself", [HYPOTHETICAL]),
    ("I cut myself if I get upset", "cut myself", []),
    ("would you ever hurt yourself", "hurt yourself", [HYPOTHETICAL]),
    ("if I'm honest, I want to die", "want to die", []),
    # past and present
    ("years ago I cut myself", "cut myself", [HISTORICAL]),
    ("I cut myself years ago", "cut myself", [HISTORICAL]),
    ("I used to cut myself", "cut myself", [HISTORICAL]),
    ("when I was a teenager I cut myself", "cut myself", [HISTORICAL]),
    ("when I was like fifteen I cut myself", "cut myself", [HISTORICAL]),
    ("I cut myself again", "cut myself", [CURRENT]),
    ("lately I've been cutting", "cutting", [CURRENT]),
    ("I used to cut and lately I've started again", "cut", [HISTORICAL, CURRENT]),
    # other experiencers
    ("my brother attempted suicide", "suicide", [OTHER_EXPERIENCER]),
    ("she wants to die", "wants to die", [OTHER_EXPERIENCER]),
    ("a friend of mine is suicidal", "suicidal", [OTHER_EXPERIENCER]),
    ("someone I know is suicidal", "suicidal", [OTHER_EXPERIENCER]),
    ("suicide runs in my family", "suicide", [OTHER_EXPERIENCER]),
    ("my teenage daughter wants to die", "wants to die", [OTHER_EXPERIENCER]),
    ("my mom thinks I'm suicidal", "suicidal", []),
    # uncertainty is recorded but does not change the status
    ("maybe I want to die", "want to die", [POSSIBLE]),
]


@pytest.mark.parametrize(("text", "target", "expected"), CATEGORY_CASES)
def test_categories(text: str, target: str, expected: list[str]) -> None:
    assert categories(text, target) == expected


STATUS_CASES = [
    ("I'm not suicidal", "suicidal", "negated"),
    ("what if I hurt myself", "hurt myself", "hypothetical"),
    ("my brother attempted suicide last year", "suicide", "other_person"),
    ("years ago I cut myself, but not since", "cut myself", "historical"),
    ("I used to cut but not anymore", "cut", "historical"),
    ("I haven't cut myself since high school", "cut myself", "historical"),
    ("I haven't thought about suicide in years", "suicide", "historical"),
    ("I don't cut myself anymore", "cut myself", "negated"),
    ("I cut myself again last night", "cut myself", "current"),
    ("I used to cut and lately I've started again", "cut", "current"),
    ("I used to cut myself but I started again this week", "cut myself", "current"),
    ("I used to cut myself, but lately I've been doing better", "cut myself", "historical"),
    ("I've been suicidal since last year", "suicidal", "current"),
    ("I haven't been suicidal since last year", "suicidal", "historical"),
    ("I still have scars from when I used to cut", "cut", "historical"),
    ("I cut myself two weeks ago", "cut myself", "current"),
    ("I cut myself three months ago", "cut myself", "historical"),
    ("I cut myself last week", "cut myself", "current"),
    ("I cut myself last year", "cut myself", "historical"),
    ("I cut myself in 2015", "cut myself", "historical"),
    ("I want to die", "want to die", "current"),
    # a closing clause dates the whole utterance
    ("I'd drink till I blacked out, but that was years ago", "blacked out", "historical"),
    ("I took pills every day back then, but I've been clean since", "took pills", "historical"),
    # negation after its target
    ("overdosing isn't something I worry about", "overdosing", "negated"),
    # "if I ever" reaches into a modal consequent like "if" does
    ("if I ever used again, I'd be scared of an overdose", "overdose", "hypothetical"),
    # an old place naming people, not a time
    ("I think about hurting them at my old job", "hurting them", "current"),
    # ideation verbs are not hypothetical
    ("I keep imagining hurting him", "hurting him", "current"),
    # "before" with an object is not "before now"
    ("I drink before work", "drink", "current"),
    ("I've done that before", "done that", "historical"),
]


@pytest.mark.parametrize(("text", "target", "expected"), STATUS_CASES)
def test_status(text: str, target: str, expected: str) -> None:
    assert status(text, target) == expected


def test_dated_phrases_follow_the_configured_threshold() -> None:
    text = "I cut myself two weeks ago"
    assert status(text, "cut myself") == "current"
    assert status(text, "cut myself", ContextConfig(historical_after_days=7)) == "historical"
    text = "I cut myself two months ago"
    assert status(text, "cut myself", ContextConfig(historical_after_days=90)) == "current"


def test_status_precedence() -> None:
    assert Assertion(negated=True, hypothetical=True).status == "negated"
    assert Assertion(hypothetical=True, other_experiencer=True).status == "hypothetical"
    assert Assertion(other_experiencer=True, historical=True).status == "other_person"
    assert Assertion(historical=True, current=True).status == "current"
    assert Assertion(negated=True, ceased=True, historical=True).status == "historical"
    assert Assertion(negated=True, ceased=True).status == "negated"
    assert Assertion().status == "current"


def test_spans_outside_the_text_have_no_modifiers() -> None:
    assert modifiers_for("I'm not suicidal", (100, 120)) == []
    assert modifiers_for("", (0, 0)) == []


def test_trigger_inside_the_target_does_not_modify_it() -> None:
    text = "I don't want to live anymore"
    assert categories(text, "don't want to live anymore") == []
