"""The grounding invariant, item by item: evidence must exist, resolve and say it."""

from __future__ import annotations

import pytest

import note_builder.extract  # noqa: F401 - registers the structured kinds' re-derivation
from companion.errors import UngroundedError
from note_builder.events import apply_event, fold_events
from note_builder.grounding import SegmentText, check_item, is_grounded
from note_builder.model import Evidence, Item, NoteDraft
from note_builder.phrasing import reported, sentences, third_person

SEGMENTS = {
    "s1": SegmentText("I haven't been sleeping well since my mom got sick.", 10.0, 13.0),
    "s2": SegmentText("My PHQ nine score was fourteen last week.", 20.0, 22.5),
    "s3": SegmentText("Have you had any thoughts of killing yourself?", 30.0, 32.0),
    "s4": SegmentText("No, never.", 32.5, 33.0),
}


def ev(seg: str, quote: str | None = None, role: str = "client") -> Evidence:
    s = SEGMENTS[seg]
    return Evidence(seg, s.start, s.end, role, quote if quote is not None else s.text)


def item(text: str, *evidence: Evidence, kind: str = "report", **kw: object) -> Item:
    return Item(id="i1", kind=kind, text=text, evidence=evidence, **kw)  # type: ignore[arg-type]


def test_an_item_without_evidence_cannot_exist() -> None:
    with pytest.raises(UngroundedError):
        item("Client reported poor sleep.")


def test_a_clinician_item_needs_no_evidence() -> None:
    own = item("Client appeared tired.", author="clinician", status="accepted")
    check_item(own, SEGMENTS)


def test_a_faithful_report_is_grounded() -> None:
    text = reported(SEGMENTS["s1"].text)
    assert text == "Client reported they haven't been sleeping well since their mom got sick."
    check_item(item(text, ev("s1")), SEGMENTS)


@pytest.mark.parametrize(
    "text",
    [
        "Client reported they haven't been sleeping well since their dad got sick.",
        "Client reported they have been sleeping well.",  # drops the negation: "haven't"
        "Client reported no suicidal thoughts.",  # invents a denial
        "Client reported insomnia.",
    ],
)
def test_words_the_evidence_does_not_say_are_refused(text: str) -> None:
    with pytest.raises(UngroundedError):
        check_item(item(text, ev("s1")), SEGMENTS)


def test_an_added_negation_is_refused() -> None:
    seg = {"s": SegmentText("I feel safe at home.", 0.0, 1.0)}
    bad = Item(
        "x",
        "report",
        "Client reported they feel not safe at home.",
        (Evidence("s", 0.0, 1.0, "client", "I feel safe at home."),),
    )
    with pytest.raises(UngroundedError):
        check_item(bad, seg)


def test_evidence_must_resolve() -> None:
    with pytest.raises(UngroundedError, match="unknown segment"):
        check_item(
            item("Client reported: sleeping.", Evidence("nope", 0, 1, "client", "x")), SEGMENTS
        )
    with pytest.raises(UngroundedError, match="quote not in segment"):
        check_item(item("Client reported sleeping.", ev("s1", "sleeping badly")), SEGMENTS)
    late = Evidence("s1", 50.0, 51.0, "client", "sleeping")
    with pytest.raises(UngroundedError, match="outside segment"):
        check_item(item("Client reported sleeping.", late), SEGMENTS)


def test_errors_carry_no_transcript_words() -> None:
    with pytest.raises(UngroundedError) as info:
        check_item(item("Client reported their dad got sick.", ev("s1")), SEGMENTS)
    assert "dad" not in str(info.value) and "sick" not in str(info.value)


def test_a_measure_must_be_rederived_from_its_quote() -> None:
    good = item(
        "PHQ-9: 14 out of 27 (moderate).",
        ev("s2"),
        kind="measure",
        detail={"name": "PHQ-9", "value": 14.0, "scale_max": 27.0, "severity": "moderate"},
    )
    assert is_grounded(good, SEGMENTS), "the extractor should find PHQ-9 = 14 in the quote"
    drifted = item(
        "PHQ-9: 19 out of 27 (moderately severe).",
        ev("s2"),
        kind="measure",
        detail={"name": "PHQ-9", "value": 19.0, "scale_max": 27.0, "severity": "moderately severe"},
    )
    assert not is_grounded(drifted, SEGMENTS)


def test_a_screening_item_cites_question_and_answer() -> None:
    good = item(
        'Screened for suicidal ideation; client answered: "No, never".',
        ev("s3", role="therapist"),
        ev("s4"),
        kind="risk",
        detail={"screen": "suicidal_ideation", "answer": "denied"},
    )
    check_item(good, SEGMENTS)
    unasked = item(
        'Screened for suicidal ideation; client answered: "No, never".',
        ev("s4"),
        kind="risk",
        detail={"screen": "suicidal_ideation", "answer": "denied"},
    )
    with pytest.raises(UngroundedError):
        check_item(unasked, SEGMENTS)


def test_an_edited_item_keeps_evidence_but_the_text_is_the_clinicians() -> None:
    edited = item("Client reports insomnia (2 wk).", ev("s1"), status="edited")
    check_item(edited, SEGMENTS)


def test_third_person_changes_only_pronouns_and_agreement() -> None:
    assert third_person("I'm tired and I was angry at myself.") == (
        "they are tired and they were angry at themselves."
    )
    assert third_person("Um, my boss yells at me.") == "their boss yells at them."


def test_sentences_split_on_end_punctuation() -> None:
    text = "I slept badly. Work is hard! Is it me?"
    assert [text[a:b] for a, b in sentences(text)] == [
        "I slept badly.",
        "Work is hard!",
        "Is it me?",
    ]


def test_patches_fold_idempotently_and_never_roll_back() -> None:
    v1 = item(
        "Client reported they haven't been sleeping well.", ev("s1", "I haven't been sleeping well")
    )
    v2 = v1.bumped(status="accepted")
    events = [
        {"type": "note.patch", "section": "subjective", "items": [v1.to_dict()]},
        {"type": "note.patch", "section": "subjective", "items": [v2.to_dict()]},
    ]
    once = fold_events(events)
    twice = fold_events(events + events)
    assert once.items == twice.items
    assert once.items["i1"].status == "accepted"
    draft = NoteDraft()
    assert apply_event(draft, events[1])
    assert not apply_event(draft, events[0]), "an older version must not replace a newer"
    assert draft.items["i1"].version == 2


QA = {
    "q": SegmentText("Do you have any chest pain?", 0.0, 2.0),
    "a": SegmentText("No.", 2.5, 3.0),
    "y": SegmentText("Yeah.", 2.5, 3.0),
}


def qa_item(text: str, answer: str = "a") -> Item:
    evidence = tuple(Evidence(k, QA[k].start, QA[k].end, None, QA[k].text) for k in ("q", answer))
    return Item(id="qa", kind="report", text=text, evidence=evidence)


def test_a_question_and_its_no_may_be_reported_as_a_denial() -> None:
    check_item(qa_item("Client reported no chest pain."), QA)
    with pytest.raises(UngroundedError):  # the denial must be kept
        check_item(qa_item("Client reported chest pain."), QA)
    with pytest.raises(UngroundedError):  # "no" only for a no
        check_item(qa_item("Client reported no chest pain.", "y"), QA)
    with pytest.raises(UngroundedError):  # "denied" is the risk items' word
        check_item(qa_item("Client denied chest pain."), QA)
    check_item(qa_item("Client reported chest pain.", "y"), QA)
    with pytest.raises(UngroundedError):  # nothing the question did not ask
        check_item(qa_item("Client reported no chest pain or fever."), QA)
    # Nor may a "no" be added to a plain report.
    with pytest.raises(UngroundedError):
        check_item(item("Client reported no sleeping well.", ev("s1")), SEGMENTS)


def test_answers_and_clinician_lines_are_phrased_from_their_words() -> None:
    from note_builder.phrasing import answer_polarity, answered, clinician

    assert answer_polarity("No, not really.") == "no"
    assert answer_polarity("Mm-hmm.") == "yes"
    assert answer_polarity("No, but I do get headaches every single morning now.") is None
    assert (
        answered("Any swelling in your legs?", "No.")
        == "Client reported no swelling in their legs."
    )
    assert answered("How are you?", "Yes.") is None
    assert answered("Have you been taking your medication?", "Yes, I have.") == (
        "Client reported they have been taking their medication."
    )
    assert clinician("Um, I'd like to refer you to physical therapy.") == (
        "Refer them to physical therapy."
    )
