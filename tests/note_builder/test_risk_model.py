"""The risk classifier's second opinion (note_builder.risk_model, risk_classifier): gating,
marking, and the trained weights on phrasings the rules do not know."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from note_builder import risk_classifier
from note_builder.embeddings import WEIGHTS_DIR
from note_builder.risk import KINDS, detect_risk
from note_builder.risk_classifier import NAME, RiskClassifier, loaded, pack, stored, unpack
from note_builder.risk_model import (
    MODEL_MARK,
    UNCONFIRMED,
    detect_risk_with_model,
    is_model_finding,
    rule_out,
    second_opinion,
    unconfirmed,
    vetted,
)
from note_builder.risk_tuning import PROBES


class _Sure(RiskClassifier):
    """A stand-in that gives every kind the same probability (1 unless told): only the
    gating decides."""

    def __init__(self, settings: dict[str, Any] | None = None, p: float = 1.0) -> None:
        super().__init__()
        self._settings = settings or {}
        self._p = p

    @property
    def thresholds(self) -> dict[str, float]:
        return dict.fromkeys(KINDS, 0.5)

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self._settings)

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [dict.fromkeys(KINDS, self._p) for _ in texts]


def test_a_therapist_question_never_counts() -> None:
    assert second_opinion("Have you thought about ending things?", "therapist", model=_Sure()) == []
    assert second_opinion("   ", "client", model=_Sure()) == []


def test_model_findings_are_marked_and_quote_the_utterance() -> None:
    text = "  Lately everything feels pointless.  "
    found = second_opinion(text, "client", model=_Sure())
    assert {f.kind for f in found} == set(KINDS)
    for f in found:
        assert f.modifiers == (MODEL_MARK,) and is_model_finding(f)
        assert f.current and f.status == "current" and f.severity == "moderate"
        assert text[f.span[0] : f.span[1]] == f.cue == text.strip()


def test_a_current_rule_finding_is_not_duplicated() -> None:
    text = "I want to kill myself."
    union = detect_risk_with_model(text, "client", model=_Sure())
    si = [f for f in union if f.kind == "suicidal_ideation"]
    assert len(si) == 1 and not is_model_finding(si[0])


def test_a_rule_finding_out_of_context_leaves_the_kind_to_the_classifier() -> None:
    """The rules read the opening denial as covering the turn; the classifier reads it
    whole."""
    text = "I would never hurt anyone, but I keep the gun in my car now in case I see him."
    assert not [f for f in detect_risk(text, "client") if f.current]
    kinds = {f.kind for f in second_opinion(text, "client", model=_Sure())}
    assert "homicidal_ideation" in kinds


def test_overruling_the_rules_reading_of_context_takes_the_override_bar() -> None:
    text = "My cousin tried to kill herself last month."
    assert {f.kind for f in detect_risk(text, "client")} == {"suicidal_ideation"}

    def kinds(model: RiskClassifier) -> set[str]:
        return {f.kind for f in second_opinion(text, "client", model=model)}

    assert "suicidal_ideation" in kinds(_Sure(p=0.8))
    assert "suicidal_ideation" not in kinds(_Sure({"override": 0.9}, p=0.8))
    assert "suicidal_ideation" in kinds(_Sure({"override": 0.9}, p=0.95))
    # kinds the rules did not mention keep the plain threshold
    assert "self_harm" in kinds(_Sure({"override": 0.9}, p=0.8))


class _Rates(_Sure):
    """A stand-in with a probability per kind (0 for the kinds not named)."""

    def __init__(self, rates: dict[str, float], settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        self._rates = {**dict.fromkeys(KINDS, 0.0), **rates}

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        return [dict(self._rates) for _ in texts]


def test_a_second_kind_takes_the_secondary_bar() -> None:
    text = "I've been doing the lighter thing on my arm again, most nights."
    rates = {"self_harm": 0.9, "suicidal_ideation": 0.6}

    def kinds(settings: dict[str, Any]) -> set[str]:
        return {f.kind for f in second_opinion(text, "client", model=_Rates(rates, settings))}

    assert kinds({}) == {"self_harm", "suicidal_ideation"}
    assert kinds({"secondary": 0.7}) == {"self_harm"}
    assert kinds({"secondary": 0.55}) == {"self_harm", "suicidal_ideation"}
    # the most probable kind keeps the plain threshold however high the secondary bar
    assert kinds({"secondary": 0.99}) == {"self_harm"}


def test_the_classifier_rules_out_a_rule_finding_it_rates_below_the_confirmation_bar() -> None:
    text = "I want to kill myself."

    def current(model: RiskClassifier, role: str = "client") -> set[str]:
        return {f.kind for f in detect_risk_with_model(text, role, model=model) if f.current}

    assert current(_Rates({"suicidal_ideation": 0.01})) == {"suicidal_ideation"}  # no bar
    assert current(_Rates({"suicidal_ideation": 0.01}, {"confirm": 0.005})) == {"suicidal_ideation"}
    assert not current(_Rates({"suicidal_ideation": 0.01}, {"confirm": 0.02}))
    ruled = detect_risk_with_model(text, "client", model=_Rates({}, {"confirm": 0.02}))
    assert [(f.kind, f.status, f.current) for f in ruled] == [
        ("suicidal_ideation", UNCONFIRMED, False)
    ]
    assert vetted(detect_risk(text, "client"), {"self_harm"}) == detect_risk(text, "client")
    assert unconfirmed(["suicidal_ideation"], {"suicidal_ideation": 0.01}, None) == frozenset()


def test_ruling_out_reads_only_what_the_rules_found_in_a_clients_words() -> None:
    class _Counting(_Rates):
        calls = 0

        def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
            self.calls += 1
            return super().predict(texts)

    model = _Counting({}, {"confirm": 0.05})
    assert rule_out("I want to kill myself.", "client", [], model) == frozenset()
    assert rule_out("Do you want to kill yourself?", "therapist", ["x"], model) == frozenset()
    assert model.calls == 0
    assert rule_out("I want to kill myself.", None, ["suicidal_ideation"], model) == {
        "suicidal_ideation"
    }
    assert model.calls == 1
    no_bar = _Counting({})
    assert rule_out("I want to kill myself.", "client", ["suicidal_ideation"], no_bar) == set()


def test_weights_pack_into_one_vector_and_back() -> None:
    arrays = {
        "b.lora_a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "a.lora_b": np.ones((3, 2), dtype=np.float32),
        "head.bias": np.zeros(5, dtype=np.float32),
    }
    flat, layout = pack(arrays)
    assert flat.shape == (17,) and [n for n, _ in layout] == sorted(arrays)
    back = unpack(flat, layout)
    assert all(np.array_equal(back[k], v) for k, v in arrays.items())
    with pytest.raises(ValueError):
        unpack(flat[:-1], layout)
    with pytest.raises(ValueError):
        unpack(np.concatenate([flat, flat[:1]]), layout)


def test_the_stored_vector_is_half_precision_and_loads_back_close() -> None:
    flat = np.random.default_rng(0).normal(0.0, 0.05, 1000).astype(np.float32)
    kept = stored(flat)
    assert kept.dtype == np.float16 and kept.nbytes == flat.nbytes // 2
    back = loaded(kept)
    assert back.dtype == np.float32
    assert np.allclose(back, flat, rtol=1e-3, atol=1e-6)
    with np.load(WEIGHTS_DIR / f"{NAME}.npz", allow_pickle=False) as npz:
        assert npz["params"].dtype == np.float16


# --- the trained classifier (loads MiniLM and the LoRA weights) ---------------------------


@pytest.fixture(scope="module")
def model() -> RiskClassifier:
    return RiskClassifier()


def test_weights_are_small_and_load(model: RiskClassifier) -> None:
    assert (WEIGHTS_DIR / f"{NAME}.npz").stat().st_size < 5_000_000
    assert set(model.thresholds) == set(KINDS)
    assert all(0.0 < t < 1.0 for t in model.thresholds.values())
    meta = json.loads((WEIGHTS_DIR / f"{NAME}.json").read_text())
    assert meta["kinds"] == list(KINDS)
    assert meta["members"] and all(m["n_examples"] > 5000 for m in meta["members"])


def test_stored_probe_probabilities_are_reproduced(model: RiskClassifier) -> None:
    meta = json.loads((WEIGHTS_DIR / f"{NAME}.json").read_text())
    assert [p["text"] for p in meta["probes"]] == list(PROBES)
    got = model.predict(list(PROBES))
    for probe, proba in zip(meta["probes"], got, strict=True):
        assert [proba[k] for k in KINDS] == pytest.approx(probe["proba"], abs=1e-3)


def test_members_average(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Weights with several members (one row each) give the mean of their probabilities."""
    meta = json.loads((WEIGHTS_DIR / f"{NAME}.json").read_text())
    with np.load(WEIGHTS_DIR / f"{NAME}.npz", allow_pickle=False) as npz:
        first = np.atleast_2d(npz["params"])[0]
    arrays = unpack(loaded(first), meta["layout"])
    arrays["head.bias"] = arrays["head.bias"] + 2.0  # every kind more probable
    second = stored(pack(arrays)[0])
    files = {"first": [first], "second": [second], "both": [first, second]}
    for name, rows in files.items():
        np.savez_compressed(tmp_path / f"{name}.npz", params=np.stack(rows))
        (tmp_path / f"{name}.json").write_text(json.dumps(meta))
    monkeypatch.setattr("note_builder.risk_classifier.WEIGHTS_DIR", tmp_path)
    texts = ["I feel like disappearing for good.", "We had pizza."]
    one, other, both = (RiskClassifier(name).predict(texts) for name in files)
    for a, b, mean in zip(one, other, both, strict=True):
        assert all(b[k] > a[k] for k in KINDS)
        halfway = [(a[k] + b[k]) / 2 for k in KINDS]
        assert [mean[k] for k in KINDS] == pytest.approx(halfway, abs=1e-4)


def test_a_batch_equals_one_by_one(model: RiskClassifier) -> None:
    texts = ["I feel like disappearing for good.", "We had pizza.", "He hits me when he drinks."]
    batch = model.predict(texts)
    fresh = RiskClassifier()  # nothing read yet: each text on its own
    for text, row in zip(texts, batch, strict=True):
        assert fresh.predict([text])[0] == pytest.approx(row, abs=1e-4)


def test_a_text_read_recently_is_not_read_again(
    model: RiskClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["He pins me against the bench.", "We walked the dog."]
    first = model.predict(texts)
    reads: list[Sequence[str]] = []
    real = risk_classifier.merged_probabilities

    def counted(nets: Any, tok: Any, batch: Sequence[str]) -> Any:
        reads.append(list(batch))
        return real(nets, tok, batch)

    monkeypatch.setattr(risk_classifier, "merged_probabilities", counted)
    assert model.predict([texts[1], "Something new.", texts[1]])[0] == first[1]
    assert reads == [["Something new."]]
    many = [f"line {i}" for i in range(RiskClassifier.CACHED + 10)]
    model.predict(many)
    model.predict([texts[0]])  # pushed out by the newer texts: read again
    assert reads[-1] == [texts[0]]


def test_concurrent_predictions_agree(model: RiskClassifier) -> None:
    text = "I've been giving my things away to my friends."
    expected = model.predict([text])[0]
    got: list[dict[str, float]] = []

    def run() -> None:
        got.append(model.predict([text])[0])

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(g == pytest.approx(expected, abs=1e-5) for g in got)


# Novel first-person phrasings the rules do not know, and their negated / past / someone
# else's versions (written for this test, not taken from any labelled set).
NOVEL_CURRENT = [
    ("Honestly the world would keep spinning fine without me in it.", "suicidal_ideation"),
    (
        "so um i wrote letters to my kids and put them in the drawer with the pills",
        "suicidal_ideation",
    ),
    ("I've been punishing my body with a lighter when I mess up.", "self_harm"),
    ("I woke up on the bathroom floor after snorting way too much.", "substance_danger"),
    ("my stepdad locks the fridge at night and I go to bed hungry most days", "abuse_neglect"),
]
NOT_CURRENT = [
    ("My sister has been researching ways to just stop existing.", "suicidal_ideation"),
    ("My roommate woke up on the bathroom floor after snorting way too much.", "substance_danger"),
    ("I'm not punishing my body with a lighter anymore, that stopped years ago.", "self_harm"),
    ("This commute is honestly killing me, I swear.", "suicidal_ideation"),
]


@pytest.mark.parametrize(("text", "kind"), NOVEL_CURRENT)
def test_novel_current_phrasings_are_caught(model: RiskClassifier, text: str, kind: str) -> None:
    assert kind not in {f.kind for f in detect_risk(text, "client") if f.current}
    found = second_opinion(text, "client", model=model)
    assert kind in {f.kind for f in found}
    assert all(is_model_finding(f) for f in found)


@pytest.mark.parametrize(("text", "kind"), NOT_CURRENT)
def test_negated_past_and_other_person_versions_are_not(
    model: RiskClassifier, text: str, kind: str
) -> None:
    union = detect_risk_with_model(text, "client", model=model)
    assert kind not in {f.kind for f in union if f.current}
