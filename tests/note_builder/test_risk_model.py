"""The learned risk second opinion (note_builder.risk_model): gating, marking, weights."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from note_builder.embeddings import WEIGHTS_DIR, SentenceEncoder, shared_encoder
from note_builder.risk import KINDS, detect_risk
from note_builder.risk_model import (
    CLASSES,
    MODEL_MARK,
    NAME,
    PROBES,
    Example,
    RiskModel,
    _expand_also,
    _fit,
    detect_risk_with_model,
    is_model_finding,
    second_opinion,
)


class _Sure(RiskModel):
    """A stub head that is certain of every kind: only the gating decides."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._settings = settings or {"defer_all": False, "cue_gate": False, "cues": False}

    @property
    def thresholds(self) -> dict[str, float]:
        return dict.fromkeys(KINDS, 0.5)

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self._settings)

    def predict(
        self, texts: Sequence[str], roles: Sequence[str | None], embeddings: Any = None
    ) -> list[dict[str, float]]:
        return [{"none": 0.0, **dict.fromkeys(KINDS, 1.0)} for _ in texts]


def test_a_therapist_question_never_counts() -> None:
    assert second_opinion("Have you thought about ending things?", "therapist", model=_Sure()) == []
    assert second_opinion("   ", "client", model=_Sure()) == []


def test_model_findings_are_marked_and_quote_the_sentence() -> None:
    text = "  Lately everything feels pointless.  "
    found = second_opinion(text, "client", model=_Sure())
    assert {f.kind for f in found} == set(KINDS)
    for f in found:
        assert f.modifiers == (MODEL_MARK,) and is_model_finding(f)
        assert f.current and f.status == "current" and f.severity == "moderate"
        assert text[f.span[0] : f.span[1]] == f.cue == text.strip()


def test_the_rules_context_wins_for_their_kind() -> None:
    text = "My cousin tried to kill herself last month."
    rules = detect_risk(text, "client")
    assert any(f.kind == "suicidal_ideation" and not f.current for f in rules)
    kinds = {f.kind for f in second_opinion(text, "client", model=_Sure())}
    assert "suicidal_ideation" not in kinds
    deferring = _Sure({"defer_all": True, "cue_gate": False, "cues": False})
    assert second_opinion(text, "client", model=deferring) == []


def test_a_current_rule_finding_is_not_duplicated() -> None:
    text = "I want to kill myself."
    union = detect_risk_with_model(text, "client", model=_Sure())
    si = [f for f in union if f.kind == "suicidal_ideation"]
    assert len(si) == 1 and not is_model_finding(si[0])


def test_the_other_gate_silences_someone_elses_sentence() -> None:
    gated = _Sure({"defer_all": False, "cue_gate": False, "other_gate": True, "cues": False})
    assert second_opinion("My brother keeps snorting way too much.", "client", model=gated) == []
    # the speaker as the object is the speaker's own risk: the gate stays open
    assert second_opinion("My husband keeps pinning me to the floor.", "client", model=gated)


def test_the_cue_gate_silences_a_negated_sentence() -> None:
    gated = _Sure({"defer_all": True, "cue_gate": True, "cues": False})
    assert second_opinion("I never feel that way.", "client", model=gated) == []


def test_also_kinds_become_extra_positive_rows() -> None:
    ex = [
        Example("a", "t", "client", "self_harm", ("suicidal_ideation",), "g", "set"),
        Example("b", "t", "client", "none", ("abuse_neglect",), "g", "set"),
        Example("c", "t", "client", "none", (), "g", "set"),
    ]
    x, y = _expand_also(ex, np.eye(3, dtype=np.float32))
    assert list(y) == ["self_harm", "abuse_neglect", "none", "suicidal_ideation"]
    assert x.shape == (4, 3) and x[3, 0] == 1.0


def test_fitting_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 8)).astype(np.float32)
    y = np.array([CLASSES[i % len(CLASSES)] for i in range(120)])
    a, b = _fit(x, y, 4.0), _fit(x, y, 4.0)
    assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)


# --- the trained head (loads MiniLM) ------------------------------------------------------


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return shared_encoder()


@pytest.fixture(scope="module")
def model(encoder: SentenceEncoder) -> RiskModel:
    return RiskModel(encoder)


def test_weights_are_small_and_load(model: RiskModel) -> None:
    assert (WEIGHTS_DIR / f"{NAME}.npz").stat().st_size < 1_000_000
    assert set(model.thresholds) == set(KINDS)
    assert all(0.0 < t < 1.0 for t in model.thresholds.values())
    assert {"C", "cues", "defer_all", "cue_gate", "threshold"} <= set(model.settings)


def test_stored_probe_probabilities_are_reproduced(model: RiskModel) -> None:
    meta = json.loads((WEIGHTS_DIR / f"{NAME}.json").read_text())
    assert [(p["text"], p["role"]) for p in meta["probes"]] == PROBES
    got = model.predict([p["text"] for p in meta["probes"]], [p["role"] for p in meta["probes"]])
    for probe, proba in zip(meta["probes"], got, strict=True):
        assert [proba[c] for c in meta["classes"]] == pytest.approx(probe["proba"], abs=1e-4)
        assert sum(proba.values()) == pytest.approx(1.0)


def test_given_embeddings_match_computed_ones(model: RiskModel, encoder: SentenceEncoder) -> None:
    texts, roles = ["I feel like disappearing for good."], ["client"]
    a = model.predict(texts, roles, encoder.encode(texts))[0]
    b = model.predict(texts, roles)[0]
    assert a == pytest.approx(b)


# Novel first-person phrasings the rules do not know, and their negated / someone else's
# versions (written for this test, not taken from any labelled set).
NOVEL_CURRENT = [
    ("Honestly the world would keep spinning fine without me in it.", "suicidal_ideation"),
    ("I've been researching ways to just stop existing.", "suicidal_ideation"),
    ("I've been punishing my body with a lighter when I mess up.", "self_harm"),
    ("I woke up on the bathroom floor after snorting way too much.", "substance_danger"),
]
# Someone else as the subject of a phrase the rules do not know: the model's
# other-subject cue (feature and gate) keeps it from firing.
NOT_CURRENT = [
    ("My sister has been researching ways to just stop existing.", "suicidal_ideation"),
    ("My roommate woke up on the bathroom floor after snorting way too much.", "substance_danger"),
    ("I'm not punishing my body with a lighter anymore, that stopped years ago.", "self_harm"),
    ("I'm not tired of being alive, I'm just tired of work.", "suicidal_ideation"),
]


@pytest.mark.parametrize(("text", "kind"), NOVEL_CURRENT)
def test_novel_current_phrasings_are_caught(model: RiskModel, text: str, kind: str) -> None:
    assert kind not in {f.kind for f in detect_risk(text, "client") if f.current}
    found = second_opinion(text, "client", model=model)
    assert kind in {f.kind for f in found}
    assert all(is_model_finding(f) for f in found)


@pytest.mark.parametrize(("text", "kind"), NOT_CURRENT)
def test_negated_and_other_person_versions_are_not(model: RiskModel, text: str, kind: str) -> None:
    union = detect_risk_with_model(text, "client", model=model)
    assert kind not in {f.kind for f in union if f.current}
