"""The section classifiers with their shipped weights, on real data (MTS-Dialog, ACI-Bench)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from note_builder.embeddings import WEIGHTS_DIR, SentenceEncoder, load_weights, shared_encoder
from note_builder.sections import (
    MTS_HEADERS,
    SOAP_CLASSES,
    SOAP_OF_HEADER,
    HeaderClassifier,
    SoapSentenceClassifier,
    Turn,
    parse_dialogue,
)
from note_builder.train import load_aci, load_mts, note_divisions, soap_examples


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    enc = shared_encoder()
    enc.warm_up()
    return enc


@pytest.fixture(scope="module")
def soap(encoder: SentenceEncoder) -> SoapSentenceClassifier:
    return SoapSentenceClassifier(encoder)


def test_encoder_gives_unit_vectors(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["The plan is to start sertraline.", "How was the traffic?"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_header_map_covers_the_twenty_headers() -> None:
    assert len(MTS_HEADERS) == 20 == len(set(MTS_HEADERS))
    assert set(SOAP_OF_HEADER) == set(MTS_HEADERS)
    assert set(SOAP_OF_HEADER.values()) == set(SOAP_CLASSES) - {"none"}
    assert SOAP_OF_HEADER["EXAM"] == "objective" and SOAP_OF_HEADER["PLAN"] == "plan"


def test_note_divisions_follow_the_note_headers() -> None:
    note = (
        "CHIEF COMPLAINT\n\nBack pain.\n\nPHYSICAL EXAM\n\nTenderness of the lumbar spine.\n\n"
        "ASSESSMENT AND PLAN\n\nAcute lumbar strain.\n"
        "• Medical Reasoning: He felt a pop while golfing.\n"
        "• Medical Treatment: Initiate meloxicam 15 mg once daily."
    )
    assert note_divisions(note) == [
        ("subjective", "Back pain."),
        ("objective", "Tenderness of the lumbar spine."),
        ("assessment", "Acute lumbar strain."),
        ("assessment", "He felt a pop while golfing."),
        ("plan", "Initiate meloxicam 15 mg once daily."),
    ]


def test_parse_dialogue_reads_both_corpora_formats() -> None:
    mts = parse_dialogue("Doctor: Any allergies?\nPatient: No.\nGuest_family_1: None.\nmore")
    assert mts == [
        Turn("clinician", "Any allergies?"),
        Turn("patient", "No."),
        Turn("patient", "None. more"),
    ]
    aci = parse_dialogue("[doctor] hi , martha .\n[patient] hi .")
    assert [t.role for t in aci] == ["clinician", "patient"]


def test_header_model_beats_the_published_svm_on_mts_validation(encoder: SentenceEncoder) -> None:
    valid = load_mts("valid")
    predicted = HeaderClassifier(encoder).classify([d.turns for d in valid])
    accuracy = np.mean([p == d.header for p, d in zip(predicted, valid, strict=True)])
    assert accuracy >= 0.70  # TF-IDF + linear SVM: 0.695 on test set 1


@pytest.mark.parametrize(
    ("sentence", "role", "expected"),
    [
        ("The plan is to start sertraline 50 mg.", "clinician", "plan"),
        ("On exam your lungs are clear.", "clinician", "objective"),
        ("How was the traffic?", "clinician", "none"),
        ("I've been having headaches almost every day for two weeks.", "patient", "subjective"),
    ],
)
def test_soap_classifier_on_clear_examples(
    soap: SoapSentenceClassifier, sentence: str, role: str, expected: str
) -> None:
    (probs,) = soap.predict([sentence], [role])
    assert set(probs) == set(SOAP_CLASSES)
    assert sum(probs.values()) == pytest.approx(1.0)
    assert max(probs, key=probs.__getitem__) == expected


def test_soap_classifier_beats_majority_on_aci_valid_dialogue(
    encoder: SentenceEncoder, soap: SoapSentenceClassifier
) -> None:
    # Dialogue sentences of held-out encounters, weakly labelled as in training.
    ex = soap_examples(load_aci("valid")[:8], encoder)
    predicted = soap.classify(ex.texts, ex.roles)
    accuracy = np.mean([p == g for p, g in zip(predicted, ex.labels, strict=True)])
    majority = ex.labels.count("none") / len(ex.labels)
    assert majority > 0.6
    assert accuracy >= majority + 0.05
    assert {"subjective", "objective", "plan", "none"} <= set(predicted)


def test_soap_classifier_checks_its_inputs(soap: SoapSentenceClassifier) -> None:
    with pytest.raises(ValueError):
        soap.predict(["one", "two"], ["clinician"])
    with pytest.raises(ValueError):
        soap.predict(["one", "two"], ["clinician", "patient"], np.zeros((1, 384), np.float32))


def test_soap_classifier_reuses_the_callers_embeddings(
    encoder: SentenceEncoder, soap: SoapSentenceClassifier
) -> None:
    texts, roles = ["On exam your lungs are clear.", "We'll see you in two weeks."], [None, None]
    given = soap.predict(texts, roles, embeddings=encoder.encode(texts))
    for a, b in zip(given, soap.predict(texts, roles), strict=True):
        assert a == pytest.approx(b, abs=1e-6)


@pytest.mark.parametrize("name", ["headers", "soap"])
def test_numpy_inference_equals_scikit_learn_at_training(
    encoder: SentenceEncoder, name: str
) -> None:
    _, meta = load_weights(name)
    probes = meta["probes"]
    if name == "headers":
        got = HeaderClassifier(encoder).predict([parse_dialogue(p["dialogue"]) for p in probes])
    else:
        got = SoapSentenceClassifier(encoder).predict(
            [p["text"] for p in probes], [p["role"] for p in probes]
        )
    for probe, probs in zip(probes, got, strict=True):
        assert [probs[c] for c in meta["classes"]] == pytest.approx(probe["proba"], abs=1e-4)


def test_shipped_weights_are_small_and_free_of_pickles() -> None:
    files = sorted(WEIGHTS_DIR.iterdir())
    assert {f.suffix for f in files} == {".npz", ".json"}
    # the linear heads and TF-IDF blocks (~2.3 MB) and the risk classifier's LoRA factors
    # and heads (three members in float16, ~1.9 MB) with its development table (~0.4 MB)
    assert sum(f.stat().st_size for f in files) <= 5 * 1024 * 1024
    for f in files:
        if f.suffix == ".npz":
            with np.load(Path(f), allow_pickle=False) as npz:
                if f.stem == "risk_lora":
                    assert npz.files == ["params"]  # one array: see risk_classifier.pack
                else:
                    assert {"coef", "intercept"} <= set(npz.files)


def test_no_text_reaches_the_logs(
    soap: SoapSentenceClassifier, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    soap.predict(["My sister Jane Roe drinks every night."], ["patient"])
    assert "Jane" not in caplog.text
