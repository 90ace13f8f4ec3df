"""The risk classifier's second opinion beside the rules (:func:`note_builder.risk.detect_risk`).

The rules are precise on the phrasings they know and miss novel ones ("offing myself", "I
wouldn't mind not waking up", "we did lines till six and I drove the kids to school").
:mod:`note_builder.risk_classifier` (a fine-tuned MiniLM) reads the whole utterance and
gives each kind a probability that it is the speaker's current risk.
:func:`second_opinion` turns that into findings the rules did not make:

* a therapist's turn never yields a finding (screening questions are not risk);
* a kind the rules already report as current is theirs (their finding quotes the cue);
* otherwise each kind whose probability reaches its threshold becomes a finding that quotes
  the whole utterance (``cue`` / ``span``), ``modifiers == ("model",)``, severity
  ``moderate``: the alert says it is a model's reading, and the clinician decides;
* a kind the rules found only out of context (denied, hypothetical, past, someone else's)
  needs the higher probability ``override`` (a setting chosen with the threshold): the
  classifier may overrule the rules' reading of the context, but only when it is sure;
* a kind other than the one the classifier rates highest needs ``secondary`` (also chosen
  with the threshold): one risk often carries a trace of a neighbouring one (self-harm
  reads a little like suicidal ideation), and a second kind alerts only when it is
  clearly there too.

The classifier also checks the rules (:func:`vetted`): a rule finding whose kind the
classifier rates below ``confirm`` (a setting chosen with the threshold, far below it) is
not alerted. The rules match words, and words of risk are everywhere in figures of speech
("I could strangle him", "shot myself in the foot"), in the past ("I overdosed back in
2015") and in ordinary talk (a first-aid course, a kitchen job): the classifier, which
reads the whole turn, rates those near zero, and rates the rules' true findings well above
the bar.

:func:`detect_risk_with_model` is what the service alerts on: the rules' findings that the
classifier does not rule out, plus the second opinion. Training and the choice of the
settings: :mod:`note_builder.risk_tuning`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from note_builder.risk import KINDS, RiskFinding, detect_risk, is_therapist
from note_builder.risk_classifier import RiskClassifier, shared_risk_classifier

MODEL_MARK = "model"  # the one modifier of a model finding: its source
UNCONFIRMED = "unconfirmed"  # the status of a rule finding the classifier rules out
SEVERITY = "moderate"  # a model finding is never "high"


def _evidence(text: str) -> tuple[str, tuple[int, int]]:
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return text[start:end], (start, end)


def model_kinds(
    text: str,
    role: str | None,
    proba: Mapping[str, float],
    thresholds: Mapping[str, float],
    rule_findings: Sequence[RiskFinding],
    override: float | None = None,
    secondary: float | None = None,
) -> list[str]:
    """The kinds the classifier adds to the rules' current findings for one utterance.

    ``override``: the probability the classifier needs for a kind that the rules found
    only out of context (denied, hypothetical, past, someone else's); ``secondary``: the
    probability it needs for any kind but its most probable one. None: the kind's
    threshold, as for any other kind."""
    if is_therapist(role) or not text.strip():
        return []
    current = {f.kind for f in rule_findings if f.current}
    contested = {f.kind for f in rule_findings if not f.current} - current
    top = max(KINDS, key=lambda k: proba.get(k, 0.0))
    out = []
    for k in KINDS:
        if k in current:
            continue
        bar = thresholds[k]
        if k in contested and override is not None:
            bar = max(bar, override)
        if k != top and secondary is not None:
            bar = max(bar, secondary)
        if proba.get(k, 0.0) >= bar:
            out.append(k)
    return out


def unconfirmed(
    kinds: Sequence[str], proba: Mapping[str, float], confirm: float | None
) -> frozenset[str]:
    """The kinds (of the rules' current findings) the classifier rates below ``confirm``
    (None: it rules out none)."""
    if confirm is None:
        return frozenset()
    return frozenset(k for k in kinds if proba.get(k, 0.0) < confirm)


def vetted(findings: Sequence[RiskFinding], ruled_out: Collection[str]) -> list[RiskFinding]:
    """The rules' findings with each current one of a ruled-out kind marked
    :data:`UNCONFIRMED` (not current)."""
    return [
        replace(f, current=False, status=UNCONFIRMED) if f.current and f.kind in ruled_out else f
        for f in findings
    ]


def rule_out(
    text: str, role: str | None, kinds: Sequence[str], model: RiskClassifier | None = None
) -> frozenset[str]:
    """Of ``kinds`` (what the rules found current in ``text``), the ones the classifier
    rules out. A therapist's turn is never checked (the rules do not alert on it)."""
    if not kinds or is_therapist(role) or not text.strip():
        return frozenset()
    model = model or shared_risk_classifier()
    confirm = model.settings.get("confirm")
    if confirm is None:
        return frozenset()
    return unconfirmed(kinds, model.predict([text])[0], float(confirm))


def second_opinion(
    text: str,
    role: str | None = "client",
    *,
    model: RiskClassifier | None = None,
    rule_findings: Sequence[RiskFinding] | None = None,
) -> list[RiskFinding]:
    """The classifier's findings for one utterance that the rules do not already make.

    ``rule_findings``: ``detect_risk(text, role)`` if the caller has already run it.
    Each finding quotes the whole utterance and is marked ``modifiers == ("model",)``.
    """
    if is_therapist(role) or not text.strip():
        return []
    model = model or shared_risk_classifier()
    rules = detect_risk(text, role) if rule_findings is None else rule_findings
    proba = model.predict([text])[0]
    settings = model.settings
    kinds = model_kinds(
        text,
        role,
        proba,
        model.thresholds,
        rules,
        settings.get("override"),
        settings.get("secondary"),
    )
    cue, span = _evidence(text)
    return [
        RiskFinding(
            kind=k,
            severity=SEVERITY,
            current=True,
            status="current",
            cue=cue,
            span=span,
            modifiers=(MODEL_MARK,),
        )
        for k in kinds
    ]


def detect_risk_with_model(
    text: str, role: str | None = "client", *, model: RiskClassifier | None = None
) -> list[RiskFinding]:
    """The rules' findings (those the classifier rules out marked :data:`UNCONFIRMED`) plus
    the classifier's second opinion, in text order."""
    model = model or shared_risk_classifier()
    rules = detect_risk(text, role)
    rules = vetted(rules, rule_out(text, role, [f.kind for f in rules if f.current], model))
    extra = second_opinion(text, role, model=model, rule_findings=rules)
    return sorted([*rules, *extra], key=lambda f: (f.span, f.kind))


def is_model_finding(finding: RiskFinding) -> bool:
    return MODEL_MARK in finding.modifiers
