"""Standardized measures, 0-to-N ratings and self-reported amounts in one sentence."""

from __future__ import annotations

import pytest

from note_builder.measures import Measure, find_measures

# (sentence, name, value, scale_max, severity, quote)
FOUND = [
    ("PHQ-9 score of 14", "PHQ-9", 14, 27, "moderate", "PHQ-9 score of 14"),
    ("your phq nine came back at fourteen", "PHQ-9", 14, 27, "moderate",
     "phq nine came back at fourteen"),
    ("p h q 9 was twenty two", "PHQ-9", 22, 27, "severe", "p h q 9 was twenty two"),
    ("PHQ9 was 8", "PHQ-9", 8, 27, "mild", "PHQ9 was 8"),
    ("her PHQ today is 17", "PHQ-9", 17, 27, "moderately severe", "PHQ today is 17"),
    ("PHQ 9 is 14 out of 27", "PHQ-9", 14, 27, "moderate", "PHQ 9 is 14 out of 27"),
    ("the phq two was a 4", "PHQ-2", 4, 6, "positive screen", "phq two was a 4"),
    ("I got a 12 on the gad 7", "GAD-7", 12, 21, "moderate", "12 on the gad 7"),
    ("the gad seven was 16 today", "GAD-7", 16, 21, "severe", "gad seven was 16"),
    ("GAD-7: 3", "GAD-7", 3, 21, "minimal", "GAD-7: 3"),
    ("pcl five score was 45", "PCL-5", 45, 80, "probable PTSD", "pcl five score was 45"),
    ("PCL-5 of 20", "PCL-5", 20, 80, "below cutoff", "PCL-5 of 20"),
    ("BDI-II was 30", "BDI-II", 30, 63, "severe", "BDI-II was 30"),
    ("the beck depression inventory score of 22", "BDI-II", 22, 63, "moderate",
     "beck depression inventory score of 22"),
    ("BAI was 9", "BAI", 9, 63, "mild", "BAI was 9"),
    ("her AUDIT score was 19", "AUDIT", 19, 40, "harmful", "AUDIT score was 19"),
    ("audit c of 5", "AUDIT-C", 5, 12, "positive screen", "audit c of 5"),
    ("my DAST 10 score is 4", "DAST-10", 4, 10, "moderate", "DAST 10 score is 4"),
    ("ORS was 22.5 today", "ORS", 22.5, 40, "clinical range", "ORS was 22.5"),
    ("the SRS came in at 38", "SRS", 38, 40, "no alliance concern", "SRS came in at 38"),
    ("the columbia screen was negative", "C-SSRS", 0, 1, "negative",
     "columbia screen was negative"),
    ("C-SSRS positive, high risk", "C-SSRS", 1, 1, "positive", "C-SSRS positive"),
    ("on a scale of one to ten my anxiety is about a seven", "anxiety rating", 7, 10, None,
     "scale of one to ten my anxiety is about a seven"),
    ("I'd say my mood is a 4 out of 10", "mood rating", 4, 10, None, "mood is a 4 out of 10"),
    ("i'd say my mood is a four out of ten", "mood rating", 4, 10, None,
     "mood is a four out of ten"),
    ("I'd give it an eight on a ten point scale", "rating", 8, 10, None,
     "eight on a ten point scale"),
    ("sleeping about five hours a night", "sleep hours", 5, None, None,
     "sleeping about five hours a night"),
    ("I've had three drinks a day", "drinks per day", 3, None, None, "three drinks a day"),
    ("So I'm already at the week limit. And then I have four beers a night.", "drinks per day",
     4, None, None, "four beers a night"),
    ("I've-I've gone up to maybe two drinks a day max, you know.", "drinks per day", 2, None,
     None, "two drinks a day"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "name", "value", "top", "severity", "quote"), FOUND)
def test_finds_measure_with_its_quote(
    text: str, name: str, value: float, top: float | None, severity: str | None, quote: str
) -> None:
    (m,) = find_measures(text)
    assert (m.name, m.value, m.scale_max, m.severity) == (name, value, top, severity)
    assert text[m.start : m.end] == quote


@pytest.mark.parametrize(
    "text",
    [
        "I have nine siblings",
        "PHQ-9 of 31",  # out of range
        "gad seven of 22",
        "PHQ-9 was 14.5",  # whole points only
        "what was your PHQ nine",
        "my GAD is really bad today",  # the diagnosis, not the scale
        "the audit at work took 3 days",
        "three out of five days I drink",
        "men can drink up to 14 drinks a week",
        "I'm ready to cut down to seven drinks a week",
        "I haven't slept in 48 hours",
        "I work 12 hours a night",
        "how would you rate your anxiety on a scale of one to ten",
        "If you did decide to quit on a scale of 1 to 10, where 1 is not at all confident, "
        "and 10 is you feel pretty certain that you could, where do you think you fall?",
        "You'd say an eight. Okay. And on a scale of 1 to 10, how confident are you?",
        "see you in two weeks",
    ],
)
def test_says_nothing_the_sentence_does_not(text: str) -> None:
    assert find_measures(text) == []


def test_score_change_gives_both_scores_in_order() -> None:
    text = "her PCL-5 went from 48 to 35"
    first, second = find_measures(text)
    assert (first.value, second.value) == (48, 35)
    assert text[first.start : first.end] == "PCL-5 went from 48"
    assert text[second.start : second.end] == "PCL-5 went from 48 to 35"


def test_two_instruments_in_one_sentence() -> None:
    text = "phq nine was fourteen and gad seven was twelve"
    found = find_measures(text)
    assert [(m.name, m.value) for m in found] == [("PHQ-9", 14), ("GAD-7", 12)]
    assert [text[m.start : m.end] for m in found] == [
        "phq nine was fourteen",
        "gad seven was twelve",
    ]


def test_ranges_keep_both_ends() -> None:
    text = "my anxiety is like a six or seven out of ten"
    (m,) = find_measures(text)
    assert (m.name, m.value, m.value_high, m.scale_max) == ("anxiety rating", 6, 7, 10)
    assert text[m.start : m.end] == "anxiety is like a six or seven out of ten"
    text = "I only get four or five hours of sleep"
    (m,) = find_measures(text)
    assert (m.name, m.value, m.value_high) == ("sleep hours", 4, 5)
    assert text[m.start : m.end] == "four or five hours of sleep"


def test_bare_answer_needs_the_question_scale() -> None:
    assert find_measures("I'd say an eight.") == []
    (m,) = find_measures("I'd say an eight.", rating_scale=10)
    assert (m.name, m.value, m.scale_max) == ("rating", 8, 10)


def test_severity_bands_at_their_edges() -> None:
    def severity(text: str) -> str | None:
        return find_measures(text)[0].severity

    assert [severity(f"PHQ-9 of {v}") for v in (4, 5, 9, 10, 14, 15, 19, 20, 27)] == [
        "minimal", "mild", "mild", "moderate", "moderate", "moderately severe",
        "moderately severe", "severe", "severe",
    ]  # fmt: skip
    assert [severity(f"GAD-7 of {v}") for v in (4, 5, 10, 15, 21)] == [
        "minimal", "mild", "moderate", "severe", "severe",
    ]  # fmt: skip
    assert [severity(f"PCL-5 of {v}") for v in (30, 31)] == ["below cutoff", "probable PTSD"]


def test_measure_is_frozen() -> None:
    m = Measure("PHQ-9", 1.0, 27.0, "minimal", 0, 5)
    with pytest.raises(AttributeError):
        m.value = 2.0  # type: ignore[misc]
