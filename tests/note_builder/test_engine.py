"""The note engine over whole replayed sessions: the grounding invariant, required
elements, risk alerts, idempotent updates, retraction. Real models, real transcripts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from benchmarks.transcripts import aci_encounters, annomi_sessions
from companion.errors import ConfigError
from note_builder import risk
from note_builder.engine import NoteEngine, Segment, SessionContext, quick_alerts, warm_up
from note_builder.events import fold_events
from note_builder.grounding import SegmentText, check_all
from note_builder.model import SECTIONS
from note_builder.render import render
from note_builder.risk import KINDS
from note_builder.risk_classifier import RiskClassifier

DAY = dt.date(2026, 11, 27)
# Whole sessions: alcohol (0), self-harm (95), smoking (2), and more topics.
ANNOMI = ("0", "2", "95", "107")
CONSENT = (
    {"party": "client", "state": "granted", "method": "verbal"},
    {"party": "therapist", "state": "granted", "method": "verbal"},
)


def context(**kw: object) -> SessionContext:
    return SessionContext(date=DAY, consent=CONSENT, **kw)  # type: ignore[arg-type]


def replay(segments: list[Segment]) -> tuple[NoteEngine, list[dict[str, object]]]:
    """Feed every final; return the engine and the note events it would publish."""
    engine = NoteEngine(context())
    events: list[dict[str, object]] = []
    for seg in segments:
        update = engine.add_segment(seg)
        for section in SECTIONS:
            items = [i.to_dict() for i in update.items if i.section == section]
            if items:
                events.append({"type": "note.patch", "section": section, "items": items})
    return engine, events


def texts_of(engine: NoteEngine) -> dict[str, SegmentText]:
    return {s.segment_id: SegmentText(s.text, s.start, s.end) for s in engine.segments.values()}


@pytest.fixture(scope="module")
def annomi(testdata: Path) -> dict[str, list[Segment]]:
    return annomi_sessions(testdata)


@pytest.mark.parametrize("tid", ANNOMI)
def test_every_item_of_a_whole_annomi_session_is_grounded(
    annomi: dict[str, list[Segment]], tid: str
) -> None:
    engine, events = replay(annomi[tid])
    items = engine.draft.live_items()
    assert items, "a whole session must yield a draft"
    assert all(i.evidence for i in items), "an item without evidence"
    check_all(items, texts_of(engine))  # raises on any ungrounded item
    assert engine.dropped == 0, "the engine built a candidate that its own check refused"
    # The published patches fold to the same draft, once or twice over.
    assert fold_events(events).items == engine.draft.items
    assert fold_events(events + events).items == engine.draft.items


def test_every_item_of_aci_bench_encounters_is_grounded(testdata: Path) -> None:
    for enc in aci_encounters(testdata, "valid")[:4]:
        engine, _ = replay(enc.segments)
        items = engine.draft.live_items()
        assert len(items) >= 5
        check_all(items, texts_of(engine))
        assert engine.dropped == 0
        assert "subjective" in {i.section for i in items}
        assert len({i.section for i in items}) >= 3


def test_a_self_harm_session_raises_alerts_and_assesses_risk(
    annomi: dict[str, list[Segment]],
) -> None:
    engine, _ = replay(annomi["95"])
    risks = [i for i in engine.draft.live_items() if i.kind == "risk"]
    assert {"self_harm", "suicidal_ideation"} <= {i.detail.get("risk") for i in risks}
    alerts = [a for seg in annomi["95"] for a in quick_alerts(seg)]
    assert {a["kind"] for a in alerts} >= {"self_harm", "suicidal_ideation"}
    assert {a["id"] for a in alerts} <= {i.id for i in risks}, "alert ids match the items"
    assert all(a["evidence"][0]["quote"] for a in alerts)
    assert engine.draft.elements["risk_assessment"].present


def test_no_risk_is_invented_in_a_session_without_any(
    annomi: dict[str, list[Segment]],
) -> None:
    """Smoking cessation (session 2): no risk item, no alert, and the draft says risk
    was not assessed instead of a default "denies SI"."""
    engine, _ = replay(annomi["2"])
    assert not [i for i in engine.draft.live_items() if i.kind == "risk"]
    assert not [a for seg in annomi["2"] for a in quick_alerts(seg)]
    assert not engine.draft.elements["risk_assessment"].present
    note = render(engine.draft)
    assert "Risk assessment: not assessed." in note
    assert "denie" not in note.lower()


def test_required_elements_track_what_the_session_said() -> None:
    engine = NoteEngine(context(started_at=dt.datetime(2026, 11, 27, 14, 0), two_track=True))
    assert not engine.elements_now() or True
    said = [
        ("t1", "therapist", "Before we start, where are you joining from today?"),
        ("c1", "client", "I'm at home in my bedroom."),
        ("t2", "therapist", "Have you had any thoughts of killing yourself this week?"),
        ("c2", "client", "No, not at all."),
        ("t3", "therapist", "Let's meet again next Tuesday at 3 pm."),
    ]
    for n, (sid, role, text) in enumerate(said):
        engine.add_segment(Segment(sid, text, n * 5.0, n * 5.0 + 4.0, role))
    elements = engine.draft.elements
    for name in ("date", "times", "modality", "patient_location", "participants", "consent"):
        assert elements[name].present, name
    assert elements["patient_location"].evidence[0].segment_id == "c1"
    assert elements["times"].value.startswith("14:00–14:00")
    assert elements["risk_assessment"].present
    screen = next(i for i in engine.draft.live_items() if i.kind == "risk")
    assert screen.detail == {"screen": "suicidal_ideation", "answer": "denied"}
    assert [e.segment_id for e in screen.evidence] == ["t2", "c2"]
    assert elements["next_appointment"].present
    appt = next(i for i in engine.draft.live_items() if i.kind == "next_appointment")
    assert appt.detail["date"] == "2026-12-01"
    assert not elements["progress"].present
    missing = {e.label for e in elements.values() if not e.present}
    assert "Progress toward goals" in missing


def test_a_denial_without_a_question_is_not_a_risk_assessment() -> None:
    engine = NoteEngine(context())
    engine.add_segment(Segment("c1", "I've been sleeping badly for two weeks.", 0.0, 3.0, "client"))
    assert not engine.draft.elements["risk_assessment"].present
    assert not [i for i in engine.draft.live_items() if i.kind == "risk"]


def test_the_same_final_twice_changes_nothing() -> None:
    engine = NoteEngine(context())
    seg = Segment("c1", "I've been feeling really down and hopeless lately.", 0.0, 3.0, "client")
    first = engine.add_segment(seg)
    assert first.items
    again = engine.add_segment(seg)
    assert not again.items and again.elements is None


def test_a_reattributed_segment_is_read_again() -> None:
    """Unknown speaker → no client report; once its speaker is the client, it is."""
    engine = NoteEngine(context())
    text = "I've been feeling really down and hopeless lately."
    engine.add_segment(Segment("m1", text, 0.0, 3.0, "unknown", "S1"))
    assert not [i for i in engine.draft.live_items() if i.kind == "mood"]
    update = engine.set_roles({"S1": "client"})
    assert [i for i in update.items if i.kind in ("mood", "report")]
    back = engine.set_roles({"S1": "unknown"})
    assert back.items and all(not i.live for i in back.items)
    again = engine.set_roles({"S1": "client"})
    assert again.items and all(i.live for i in again.items), "a re-read item comes back"
    retracted = engine.retract_segment("m1")
    assert retracted.items and all(i.status == "retracted" for i in retracted.items)
    assert not engine.draft.live_items()


def test_current_risk_alerts_and_context_does_not() -> None:
    def kinds(text: str, role: str = "client") -> set[object]:
        return {a["kind"] for a in quick_alerts(Segment("x", text, 0.0, 2.0, role))}

    assert kinds("Lately I've been thinking about killing myself.") == {"suicidal_ideation"}
    assert kinds("I'm not suicidal, I just feel stuck.") == set()
    assert kinds("My brother attempted suicide last year.") == set()
    assert kinds("If I ever felt that way I would call you.") == set()
    assert kinds("Years ago I cut myself, but not since.") == set()
    assert kinds("Have you had thoughts of killing yourself?", "therapist") == set()


def test_clinician_edits_and_items() -> None:
    engine = NoteEngine(context())
    engine.add_segment(
        Segment("c1", "I've been feeling really down and hopeless lately.", 0.0, 3.0, "client")
    )
    item = engine.draft.live_items()[0]
    edited = engine.edit(item.id, text="Client reports low mood and hopelessness.")
    assert edited.status == "edited" and edited.version == item.version + 1
    assert edited.evidence == item.evidence
    rejected = engine.edit(item.id, status="rejected")
    assert not rejected.live and rejected.text == edited.text
    own = engine.author("plan", "Continue weekly CBT.")
    assert own.author == "clinician" and own.status == "accepted" and not own.evidence
    changed = engine.elements_now()
    assert changed is not None and engine.draft.elements["plan"].present
    for fmt in ("soap", "dap", "birp"):
        assert "Continue weekly CBT." in render(engine.draft, fmt)


def qa_engine(said: list[tuple[str, str, str]]) -> NoteEngine:
    engine = NoteEngine(context())
    for n, (sid, role, text) in enumerate(said):
        engine.add_segment(Segment(sid, text, n * 5.0, n * 5.0 + 4.0, role))
    return engine


def test_a_question_and_a_short_no_become_one_grounded_report() -> None:
    engine = qa_engine(
        [
            ("t1", "therapist", "Okay. And any chest pain or shortness of breath?"),
            ("c1", "client", "No."),
        ]
    )
    qa = [i for i in engine.draft.live_items() if i.detail.get("question_answer")]
    assert [i.text for i in qa] == ["Client reported no chest pain or shortness of breath."]
    assert qa[0].kind == "report" and qa[0].section == "subjective"
    assert qa[0].detail["question_answer"] == "no"
    assert [e.segment_id for e in qa[0].evidence] == ["t1", "c1"]
    assert [e.quote for e in qa[0].evidence] == [
        "And any chest pain or shortness of breath?",
        "No.",
    ]
    check_all(qa, texts_of(engine))
    assert engine.dropped == 0
    # The question alone is not an item: the answer says what the note needs.
    others = [i for i in engine.draft.live_items() if i.kind != "intervention" and i not in qa]
    assert not others


def test_a_question_and_a_short_yes_report_in_the_clients_voice() -> None:
    engine = qa_engine(
        [
            ("t1", "therapist", "So you're avoiding the salty foods like we talked about?"),
            ("c1", "client", "Yes."),
            ("t2", "therapist", "Do you smoke?"),
            ("c2", "client", "No, I don't."),
        ]
    )
    texts = sorted(i.text for i in engine.draft.live_items() if i.detail.get("question_answer"))
    # A "no" to a question about what the client does is left out: "they do not smoke"
    # would need a "not" the client never said.
    assert texts == ["Client reported they are avoiding the salty foods like we talked about."]
    check_all(engine.draft.live_items(), texts_of(engine))
    assert engine.dropped == 0


def test_no_question_answer_report_for_open_questions_long_answers_or_screening() -> None:
    engine = qa_engine(
        [
            ("t1", "therapist", "How are you feeling today?"),
            ("c1", "client", "Good."),
            ("t2", "therapist", "Any headaches?"),
            ("c2", "client", "Yes, I get them every morning when I wake up and they last hours."),
            ("t3", "therapist", "Have you had any thoughts of killing yourself?"),
            ("c3", "client", "No."),
            ("t4", "therapist", "Can you lift your arm for me?"),
            ("c4", "client", "Yes."),
        ]
    )
    assert not [i for i in engine.draft.live_items() if i.detail.get("question_answer")]
    risks = [i for i in engine.draft.live_items() if i.kind == "risk"]
    assert [i.detail.get("question_answer") for i in risks] == [None]  # the screening item, only
    assert risks[0].detail["screen"] == "suicidal_ideation"


def test_withdrawing_the_answer_retracts_the_question_answer_report() -> None:
    engine = qa_engine([("t1", "therapist", "Any fever or chills?"), ("c1", "client", "Nope.")])
    item = next(i for i in engine.draft.live_items() if i.detail.get("question_answer"))
    assert item.text == "Client reported no fever or chills."
    update = engine.retract_segment("c1")
    assert [i.status for i in update.items if i.id == item.id] == ["retracted"]
    assert not engine.draft.items[item.id].live


def test_clinician_statements_are_note_lines_without_filler_or_second_person() -> None:
    engine = NoteEngine(context())
    text = "Okay, so I want to go ahead and prescribe you meloxicam 15 milligrams once a day."
    engine.add_segment(Segment("t1", text, 0.0, 5.0, "therapist"))
    items = [i for i in engine.draft.live_items() if i.kind != "intervention"]
    assert [i.text for i in items] == ["Prescribe them meloxicam 15 milligrams once a day."]
    assert items[0].section == "plan"
    check_all(items, texts_of(engine))


def test_the_risk_model_adds_alerts_but_no_risk_items() -> None:
    """A phrasing the rules do not know raises a lower-confidence alert from the model,
    quoting the sentence; the note gets no risk statement from it (only a rule, which the
    grounding check can re-run, makes one), and the therapist's words never alert."""
    text = "Honestly the world would keep spinning fine without me in it."
    assert not quick_alerts(Segment("c1", text, 0.0, 4.0, "client"))
    engine = NoteEngine(context())
    seg = Segment("c1", text, 0.0, 4.0, "client")
    assert engine.add_segment(seg).to_check == [seg]  # read after the patch, not in it
    alerts = engine.second_opinion(seg)
    assert [a["kind"] for a in alerts] == ["suicidal_ideation"]
    alert = alerts[0]
    assert alert["source"] == "model" and alert["severity"] == "moderate"
    assert "lower confidence" in alert["text"]
    assert alert["evidence"][0]["quote"] in text and alert["evidence"][0]["segment_id"] == "c1"
    assert not [i for i in engine.draft.live_items() if i.kind == "risk"]
    therapist = Segment("t1", text, 5.0, 9.0, "therapist")
    assert engine.add_segment(therapist).to_check == []
    assert engine.second_opinion(therapist) == []


def test_a_model_alert_quotes_the_sentence_that_carries_the_risk() -> None:
    """The classifier reads the whole client segment (a buried statement keeps its
    context) and the alert quotes the sentence it rates highest for the kind."""
    risky = "Honestly the world would keep spinning fine without me in it."
    text = f"Work has been okay, I guess. {risky} Anyway, the kids start school on Monday."
    engine = NoteEngine(context())
    seg = Segment("c7", text, 10.0, 22.0, "client")
    engine.add_segment(seg)
    alerts = [a for a in engine.second_opinion(seg) if a["source"] == "model"]
    assert [a["kind"] for a in alerts] == ["suicidal_ideation"]
    (evidence,) = alerts[0]["evidence"]
    assert evidence["quote"] == risky and evidence["segment_id"] == "c7"
    assert 10.0 <= evidence["start"] < evidence["end"] <= 22.0
    assert alerts[0]["id"] == "model-suicidal_ideation-c7"
    # the same segment again changes nothing and is not read again
    assert engine.add_segment(Segment("c7", text, 10.0, 22.0, "client")).to_check == []


class _Rates(RiskClassifier):
    """A stand-in risk classifier: the given probability per kind (0 for the others) and
    a confirmation bar; counts its reads. Only the gating decides."""

    def __init__(self, rates: dict[str, float], confirm: float | None = 0.05) -> None:
        super().__init__()
        self._rates = {**dict.fromkeys(KINDS, 0.0), **rates}
        self._confirm = confirm
        self.reads = 0

    @property
    def thresholds(self) -> dict[str, float]:
        return dict.fromkeys(KINDS, 0.5)

    @property
    def settings(self) -> dict[str, Any]:
        return {"confirm": self._confirm}

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        self.reads += 1
        return [dict(self._rates) for _ in texts]


class _Broken(_Rates):
    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        raise ConfigError("cannot read the risk_lora weights: OSError")


def test_a_rule_alert_the_classifier_rules_out_is_not_raised_nor_noted() -> None:
    """A rule's current finding that the classifier rates below the confirmation bar
    makes neither an alert nor a risk item; rated above it (or with no bar), both stand."""
    text = "I want to kill myself. Anyway, we went to the coast on Sunday."
    seg = Segment("c1", text, 0.0, 4.0, "client")
    assert [a["kind"] for a in quick_alerts(seg, _Rates({"suicidal_ideation": 0.9}))] == [
        "suicidal_ideation"
    ]
    assert quick_alerts(seg, _Rates({"suicidal_ideation": 0.01})) == []
    assert quick_alerts(seg, _Rates({"suicidal_ideation": 0.01}, confirm=None))

    def risks(model: RiskClassifier) -> list[object]:
        engine = NoteEngine(context(), risk=model)
        engine.add_segment(seg)
        assert not engine.second_opinion(seg)  # the model's own opinion adds nothing here
        return [i.detail.get("risk") for i in engine.draft.live_items() if i.kind == "risk"]

    assert risks(_Rates({"suicidal_ideation": 0.9})) == ["suicidal_ideation"]
    assert risks(_Rates({"suicidal_ideation": 0.01})) == []


def test_the_classifier_reads_only_turns_where_the_rules_found_risk() -> None:
    model = _Rates({})
    assert quick_alerts(Segment("c1", "We went to the coast.", 0.0, 2.0, "client"), model) == []
    question = Segment("t1", "Do you want to kill yourself?", 0.0, 2.0, "therapist")
    assert quick_alerts(question, model) == []
    assert model.reads == 0


def test_rule_alerts_stand_when_the_classifier_cannot_run() -> None:
    seg = Segment("c1", "I want to kill myself.", 0.0, 2.0, "client")
    assert [a["kind"] for a in quick_alerts(seg, _Broken({}))] == ["suicidal_ideation"]


def test_the_warm_up_leaves_nothing_to_compile_for_the_first_segment() -> None:
    """After the warm-up, a session's first risk statement compiles no rule pattern (on a
    slow machine compiling them took seconds, and the first alert waited for it)."""
    risk._compile.cache_clear()
    warm_up()
    compiled = risk._compile.cache_info().misses
    assert compiled > 100
    seg = Segment("c1", "I cut my arms last night and I keep wishing I was dead.", 0, 5, "client")
    assert {a["kind"] for a in quick_alerts(seg)} >= {"self_harm"}
    NoteEngine(context()).add_segment(seg)
    assert risk._compile.cache_info().misses == compiled
