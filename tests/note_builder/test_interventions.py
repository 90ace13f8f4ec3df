"""The therapist-behaviour classifier with its shipped weights, and the note's names."""

from __future__ import annotations

import pytest

from note_builder.embeddings import load_weights, shared_encoder
from note_builder.interventions import (
    BEHAVIOURS,
    TherapistBehaviourClassifier,
    intervention_name,
)


@pytest.fixture(scope="module")
def classifier() -> TherapistBehaviourClassifier:
    return TherapistBehaviourClassifier(shared_encoder())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("So you're feeling stuck between wanting to quit and needing it to cope.", "reflection"),
        ("It sounds like the drinking has started to scare you a little.", "reflection"),
        ("What brings you in today?", "question"),
        ("How many drinks do you have on a typical night?", "question"),
        (
            "Drinking more than four drinks a day raises your risk of liver disease.",
            "therapist_input",
        ),
    ],
)
def test_clear_examples(classifier: TherapistBehaviourClassifier, text: str, expected: str) -> None:
    ((label, prob),) = classifier.predict([text])
    assert label == expected
    assert 0.25 < prob <= 1.0


def test_probabilities_cover_the_four_behaviours(classifier: TherapistBehaviourClassifier) -> None:
    (probs,) = classifier.predict_proba(["Mm-hmm."])
    assert set(probs) == set(BEHAVIOURS)
    assert sum(probs.values()) == pytest.approx(1.0)


def test_numpy_inference_equals_scikit_learn_at_training(
    classifier: TherapistBehaviourClassifier,
) -> None:
    _, meta = load_weights("interventions")
    probes = meta["probes"]
    got = classifier.predict_proba([p["text"] for p in probes])
    for probe, probs in zip(probes, got, strict=True):
        assert [probs[c] for c in meta["classes"]] == pytest.approx(probe["proba"], abs=1e-4)


@pytest.mark.parametrize(
    ("label", "text", "name"),
    [
        ("reflection", "You're worried about your job.", "reflective listening"),
        ("question", "What brings you in today?", "open-ended questions"),
        ("question", "So, how has the week been?", "open-ended questions"),
        ("question", "Tell me more about that.", "open-ended questions"),
        ("question", "Do you drink every day?", "closed questions"),
        ("question", "Is it okay if I share some information?", "closed questions"),
        ("therapist_input", "Many people find that.", "psychoeducation / information / advice"),
        ("other", "Hi, nice to meet you.", None),
    ],
)
def test_intervention_names(label: str, text: str, name: str | None) -> None:
    assert intervention_name(label, text) == name


def test_interventions_name_each_utterance(classifier: TherapistBehaviourClassifier) -> None:
    names = classifier.interventions(["What brings you in today?", "Do you smoke?"])
    assert names == ["open-ended questions", "closed questions"]
