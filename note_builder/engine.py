"""The live note engine: each final transcript segment updates the draft.

``add_segment`` runs the extractors and classifiers on the segment's sentences and
returns the items it created or changed; every item cites the words it came from,
and the grounding check runs on each before it leaves (a candidate that fails it is
dropped and counted, never shown). Item ids derive from segment ids, so feeding the
same segment again changes nothing. CPU-bound: call it off the event loop.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from companion.errors import NoteItemNotFoundError, UngroundedError
from diarization.analytics import Utterance, compute_talk_analytics
from note_builder import extract
from note_builder.embeddings import SentenceEncoder, shared_encoder
from note_builder.grounding import SegmentText, check_item, is_grounded
from note_builder.interventions import TherapistBehaviourClassifier, intervention_name
from note_builder.kinds import MIN_WORDS, KindClassifier, KindGuess, cue_kind
from note_builder.model import KIND_SECTION, Element, Evidence, Item, NoteDraft
from note_builder.phrasing import answer_polarity, answered, clinician, reported, sentences
from note_builder.required import required_elements
from note_builder.risk import screening_kind
from note_builder.risk import warm_up as compile_risk_rules
from note_builder.risk_classifier import RiskClassifier, shared_risk_classifier
from note_builder.risk_model import rule_out, second_opinion
from note_builder.sections import SoapSentenceClassifier

log = logging.getLogger(__name__)

CLIENT, THERAPIST = "client", "therapist"
# A note-worthy sentence no cue or prototype claims: a client's is a report; a
# therapist's takes its kind from the section the classifier gives it.
THERAPIST_GENERIC = {
    "subjective": "report",  # the clinician restating the history ("so it began Monday")
    "objective": "observation",
    "assessment": "assessment",
    "plan": "plan",
}
MERGE_SIMILARITY = 0.85  # a new sentence this close to an item of its kind adds evidence
MAX_EVIDENCE = 6
# At most this many items of a kind; later sentences of that kind add evidence to the
# closest one instead (a draft the therapist can read, not the transcript again).
PER_KIND = {
    "report": 24,
    "substance_use": 12,
    "symptom": 18,
    "mood": 12,
    "stressor": 15,
    "presenting_concern": 6,
    "progress": 12,
    "client_response": 12,
    "observation": 18,
    "assessment": 18,
    "plan": 18,
    "homework": 9,
    "referral": 9,
}
SCREEN_WINDOW_S = 45.0  # a client answer this soon after a screening question answers it
QA_MAX = 30  # at most this many question-and-answer reports
NOTE_WORTHY = 0.8  # the section classifier's P(none) must stay below this
# How sure a kind guess or the section classifier must be before a sentence becomes an
# item: the therapist's own sentences need more (most are questions and reflections,
# which the intervention items already cover).
# Tuned on ACI-Bench train (ROUGE against the clinicians' notes), never on valid.
CLIENT_KIND_MIN, THERAPIST_KIND_MIN = 0.35, 0.45
CLIENT_SECTION_MIN, THERAPIST_SECTION_MIN = 0.4, 0.35
SCREENED = frozenset({"suicidal_ideation", "homicidal_ideation", "self_harm", "abuse_neglect"})


@dataclass(frozen=True)
class Segment:
    """A final transcript segment as the engine sees it."""

    segment_id: str
    text: str
    start: float
    end: float
    role: str | None = None
    speaker: str | None = None

    @classmethod
    def from_event(cls, payload: Mapping[str, Any]) -> Segment:
        return cls(
            segment_id=str(payload["segment_id"]),
            text=str(payload.get("text") or ""),
            start=float(payload["start"]),
            end=float(payload["end"]),
            role=payload.get("role") or payload.get("track"),
            speaker=payload.get("speaker"),
        )

    @property
    def side(self) -> str | None:
        """Whose words: client (any non-therapist participant), therapist, or unknown."""
        if self.role == THERAPIST:
            return THERAPIST
        if self.role in (None, "unknown", "mixed"):
            return None
        return CLIENT


@dataclass(frozen=True)
class SessionContext:
    """What the note knows about the session besides the transcript."""

    date: dt.date
    started_at: dt.datetime | None = None  # wall clock of session time 0
    modality: str = "telehealth (audio and video)"
    consent: tuple[Mapping[str, Any], ...] = ()
    two_track: bool = False


@dataclass
class NoteUpdate:
    """What one step changed: items (new versions), the required elements when any of
    them changed, and the client segments it read, on which the risk classifier gives its
    second opinion after the patch has gone out (:meth:`NoteEngine.second_opinion`). (The
    rules' risk alerts do not wait for a step: see :func:`quick_alerts`.)"""

    items: list[Item] = field(default_factory=list)
    elements: list[Element] | None = None
    dropped: int = 0  # candidates that failed the grounding check
    to_check: list[Segment] = field(default_factory=list)

    def extend(self, other: NoteUpdate) -> None:
        self.items.extend(other.items)
        self.to_check.extend(other.to_check)
        self.elements = other.elements if other.elements is not None else self.elements
        self.dropped += other.dropped


@dataclass
class _Sentence:
    seg: Segment
    start: int
    end: int
    side: str | None

    @property
    def text(self) -> str:
        return self.seg.text[self.start : self.end]

    def evidence(self, lo: int = 0, hi: int | None = None) -> Evidence:
        """Evidence for the sentence, or for its words [lo, hi) (offsets in the sentence).
        Times are interpolated by characters within the segment: the segment's own
        times bound them, which is all the grounding check relies on."""
        a, b = self.start + lo, self.start + (len(self.text) if hi is None else hi)
        seg = self.seg
        span = max(seg.end - seg.start, 0.0)
        n = max(len(seg.text), 1)
        return Evidence(
            segment_id=seg.segment_id,
            start=round(seg.start + span * a / n, 3),
            end=round(seg.start + span * b / n, 3),
            role=seg.role,
            quote=seg.text[a:b],
        )


class NoteEngine:
    """One session's draft, built incrementally from its final segments."""

    def __init__(
        self,
        context: SessionContext,
        *,
        encoder: SentenceEncoder | None = None,
        soap: SoapSentenceClassifier | None = None,
        behaviours: TherapistBehaviourClassifier | None = None,
        kinds: KindClassifier | None = None,
        risk: RiskClassifier | None = None,
    ) -> None:
        self.context = context
        self.draft = NoteDraft()
        self._encoder = encoder or shared_encoder()
        self._soap = soap or shared_soap()
        self._behaviours = behaviours or shared_behaviours()
        self._kinds = kinds or KindClassifier.shared(self._encoder)
        self._risk = risk or shared_risk_classifier()
        self.segments: dict[str, Segment] = {}
        self._texts: dict[str, SegmentText] = {}
        self._vectors: dict[str, np.ndarray] = {}  # item id → embedding of its first quote
        self._by_segment: dict[str, set[str]] = {}  # segment id → ids of items citing it
        self._screen: tuple[str, _Sentence] | None = None  # the last screening question
        self._question: _Sentence | None = None  # the therapist's last question, unanswered
        self._claimed: set[tuple[str, int]] = set()  # sentences an extractor reported
        self._elements: dict[str, Element] = {}
        self.dropped = 0

    # -- the transcript ------------------------------------------------------------

    def add_segment(self, seg: Segment) -> NoteUpdate:
        """Fold one final segment into the draft (again: a no-op)."""
        update = NoteUpdate()
        if not seg.text.strip():
            return update
        if seg.segment_id in self.segments:
            if self.segments[seg.segment_id] == seg:
                return update
            update.extend(self.retract_segment(seg.segment_id))
        self.segments[seg.segment_id] = seg
        self._texts[seg.segment_id] = SegmentText(seg.text, seg.start, seg.end)
        parts = [_Sentence(seg, a, b, seg.side) for a, b in sentences(seg.text)]
        # One encoding per sentence whose speaker is known, shared by every model below.
        known = [p for p in parts if p.side is not None]
        vectors = self._encoder.encode([p.text for p in known])
        vector_of = {id(p): vectors[i] for i, p in enumerate(known)}
        day = self.context.date
        found = [(p, extract.structured(p.text, p.side or "unknown", day)) for p in parts]
        alerted = [c.detail["risk"] for _, cands in found for c in cands if c.alert]
        ruled_out = checked_by_model(seg, alerted, self._risk)
        for sent, cands in found:
            self._structured(sent, cands, vector_of.get(id(sent)), update, ruled_out)
        if seg.side == CLIENT:
            update.to_check.append(seg)
        self._answer(parts, update)
        self._classified(known, vectors, update)
        update.elements = self._refresh_elements()
        return update

    def second_opinion(self, seg: Segment) -> list[dict[str, Any]]:
        """The risk classifier's lower-confidence alerts on a client segment
        (:func:`model_alerts`). It reads no draft state, so it can run off the note
        thread, after the segment's patch."""
        if seg.side != CLIENT or not seg.text.strip():
            return []
        parts = [_Sentence(seg, a, b, seg.side) for a, b in sentences(seg.text)]
        return model_alerts(seg, parts, self._risk)

    def retract_segment(self, segment_id: str) -> NoteUpdate:
        """A segment withdrawn or re-attributed: take its evidence out of every item;
        an item left without evidence is retracted."""
        update = NoteUpdate()
        self.segments.pop(segment_id, None)
        self._texts.pop(segment_id, None)
        for item_id in sorted(self._by_segment.pop(segment_id, set())):
            item = self.draft.items.get(item_id)
            if item is None or item.author == "clinician":
                continue
            kept = tuple(e for e in item.evidence if e.segment_id != segment_id)
            changed = item.bumped(evidence=kept, status=item.status if kept else "retracted")
            if kept and not is_grounded(changed, self._texts):
                # e.g. a question whose answer was withdrawn: its report goes too
                changed = replace(changed, status="retracted")
            self.draft.apply(changed)
            update.items.append(changed)
        update.elements = self._refresh_elements()
        return update

    def set_roles(self, roles: Mapping[str, str]) -> NoteUpdate:
        """Speakers (S1..) got roles: re-read the segments whose role changed."""
        update = NoteUpdate()
        for seg in sorted(self.segments.values(), key=lambda s: s.start):
            role = roles.get(seg.speaker or "")
            if role is not None and role != seg.role:
                update.extend(self.add_segment(_with_role(seg, role)))
        return update

    def restore(self, draft: NoteDraft, segments: Sequence[Segment]) -> None:
        """Resume from a stored draft and transcript (no re-extraction: ids and
        versions go on from where they were)."""
        self.draft = draft
        for seg in segments:
            self.segments[seg.segment_id] = seg
            self._texts[seg.segment_id] = SegmentText(seg.text, seg.start, seg.end)
        for item in draft.items.values():
            for ev in item.evidence:
                self._by_segment.setdefault(ev.segment_id, set()).add(item.id)
        self._elements = dict(draft.elements)

    def elements_now(self) -> list[Element] | None:
        """The required elements if they changed since last reported."""
        return self._refresh_elements()

    # -- clinician actions ---------------------------------------------------------

    def edit(self, item_id: str, *, status: str | None = None, text: str | None = None) -> Item:
        item = self.draft.items.get(item_id)
        if item is None or item.status == "retracted":
            raise NoteItemNotFoundError(f"no note item {item_id[:64]!r}")
        changes: dict[str, Any] = {}
        if text is not None and text != item.text:
            changes.update(text=text, status="edited")
        if status is not None and "status" not in changes:
            changes["status"] = status
        changed = item.bumped(**changes)
        self.draft.apply(changed)
        return changed

    def author(self, kind: str, text: str, section: str | None = None) -> Item:
        n = sum(1 for i in self.draft.items.values() if i.author == "clinician") + 1
        item = Item(
            id=f"clinician-{n}",
            kind=kind,
            section=section or KIND_SECTION[kind],
            text=text,
            evidence=(),
            status="accepted",
            author="clinician",
        )
        self.draft.apply(item)
        return item

    # -- the parts -----------------------------------------------------------------

    def _structured(
        self,
        sent: _Sentence,
        cands: Sequence[extract.Candidate],
        vector: np.ndarray | None,
        update: NoteUpdate,
        ruled_out: frozenset[str],
    ) -> None:
        """The rules' candidates of one sentence (risk, screening, measures, appointments,
        medication, substances, the client's location), less the current risks that the
        classifier rules out (``ruled_out``)."""
        text, side = sent.text, sent.side or "unknown"
        responds = sent.side == CLIENT and cue_kind(text, CLIENT) == "client_response"
        for cand in cands:
            if cand.alert and cand.detail.get("risk") in ruled_out:
                continue
            if cand.kind == "substance_use":
                if responds:
                    continue  # change or sustain talk: the client's response, below
                self._claimed.add((sent.seg.segment_id, sent.start))
            ev = sent.evidence(cand.start, cand.end)
            item = Item(
                id=f"{cand.kind}-{sent.seg.segment_id}-{sent.start + cand.start}",
                kind=cand.kind,
                text=cand.text,
                detail=cand.detail,
                evidence=(ev,),
            )
            if cand.kind in PER_KIND and vector is not None:
                self._offer_or_merge(item, vector, update)
            else:
                self._offer(item, update)
        screen = screening_kind(text) if side == THERAPIST else None
        if screen is not None and screen in SCREENED:
            self._screen = (screen, sent)
        elif side == CLIENT and self._screen is not None:
            screen, question = self._screen
            self._screen = None
            if sent.seg.start - question.seg.end <= SCREEN_WINDOW_S:
                answer = extract.screen_answer(screen, text)
                if answer is not None:
                    item = Item(
                        id=f"risk-screen-{question.seg.segment_id}-{question.start}",
                        kind="risk",
                        text=answer.text,
                        detail=answer.detail,
                        evidence=(question.evidence(), sent.evidence(answer.start, answer.end)),
                    )
                    self._offer(item, update)

    def _answer(self, parts: Sequence[_Sentence], update: NoteUpdate) -> None:
        """A therapist's yes/no question and the client's short answer to it: one report
        citing both ("Any chest pain?" + "No." → "Client reported no chest pain.")."""
        side = parts[0].side if parts else None
        if side == THERAPIST:
            asked = [p for p in parts[-2:] if p.text.rstrip().endswith("?")]
            self._question = asked[-1] if asked else None
            return
        if side != CLIENT or self._question is None:
            return
        question, self._question = self._question, None
        answer = parts[0]
        if answer.seg.start - question.seg.end > SCREEN_WINDOW_S:
            return
        if screening_kind(question.text) in SCREENED:
            return  # a risk screening question: the screening item answers it
        text = answered(question.text, answer.text)
        if text is None:
            return
        if sum(1 for i in self.draft.live_items() if i.detail.get("question_answer")) >= QA_MAX:
            return
        item = Item(
            id=f"report-qa-{question.seg.segment_id}-{question.start}",
            kind="report",
            text=text,
            detail={"question_answer": answer_polarity(answer.text)},
            evidence=(question.evidence(), answer.evidence()),
        )
        self._offer(item, update)

    def _classified(
        self, parts: Sequence[_Sentence], vectors: np.ndarray, update: NoteUpdate
    ) -> None:
        """Model-based: note-worthiness and section, interventions, kinds, merging."""
        if not parts:
            return
        texts = [p.text for p in parts]
        roles = [p.side for p in parts]
        soap = self._soap.predict(texts, roles, embeddings=vectors)
        therapist = [i for i, p in enumerate(parts) if p.side == THERAPIST]
        behaviours: dict[int, tuple[str, float]] = {}
        if therapist:
            got = self._behaviours.predict(
                [texts[i] for i in therapist], embeddings=vectors[therapist]
            )
            behaviours = dict(zip(therapist, got, strict=True))
        guesses = {side: self._kinds.classify(vectors, side) for side in (CLIENT, THERAPIST)}
        for i, sent in enumerate(parts):
            side = sent.side or CLIENT
            if i in behaviours:
                self._intervention(sent, *behaviours[i], update)
            if (sent.seg.segment_id, sent.start) in self._claimed:
                continue  # an extractor already reported this sentence
            kind = self._kind(sent, side, soap[i], guesses[side][i])
            if kind is None:
                continue
            text = reported(sent.text) if side == CLIENT else clinician(sent.text)
            if not text:
                continue
            self._offer_or_merge(
                Item(
                    id=f"{kind}-{sent.seg.segment_id}-{sent.start}",
                    kind=kind,
                    text=text,
                    evidence=(sent.evidence(),),
                ),
                vectors[i],
                update,
            )

    def _kind(
        self, sent: _Sentence, side: str, soap: Mapping[str, float], guess: KindGuess | None
    ) -> str | None:
        """The kind of item a sentence makes, or None when it is not note-worthy: cue
        words first, then the nearest kind prototype, then (confidently) the section
        classifier's section."""
        if len(sent.text.split()) < MIN_WORDS:
            return None
        kind = cue_kind(sent.text, side)
        if kind is not None:
            return kind
        if side == THERAPIST and sent.text.rstrip().endswith("?"):
            return None  # a question: the client's answer says what the note needs
        threshold = CLIENT_KIND_MIN if side == CLIENT else THERAPIST_KIND_MIN
        if guess is not None and guess.score >= threshold:
            return guess.kind
        if soap.get("none", 0.0) >= NOTE_WORTHY:
            return None
        best = max((c for c in soap if c != "none"), key=lambda c: soap[c])
        if soap[best] < (CLIENT_SECTION_MIN if side == CLIENT else THERAPIST_SECTION_MIN):
            return None
        return "report" if side == CLIENT else THERAPIST_GENERIC[best]

    def _intervention(self, sent: _Sentence, label: str, prob: float, update: NoteUpdate) -> None:
        technique = intervention_name(label, sent.text)
        if technique is None or prob < 0.5:
            return
        item_id = "intervention-" + re.sub(r"[^a-z]+", "-", technique).strip("-")
        ev = sent.evidence()
        old = self.draft.items.get(item_id)
        if old is not None and old.live:
            count = int(old.detail.get("count", 1)) + 1
            evidence = (*old.evidence, ev)[-MAX_EVIDENCE:]
            item = old.bumped(evidence=evidence, detail={**old.detail, "count": count})
        else:
            item = Item(
                id=item_id,
                kind="intervention",
                text=technique[0].upper() + technique[1:],
                detail={"technique": technique, "behaviour": label, "count": 1},
                evidence=(ev,),
            )
        self._offer(item, update)

    def _offer_or_merge(self, item: Item, vector: np.ndarray, update: NoteUpdate) -> None:
        """A new item, or more evidence for the item of its kind it repeats: one that
        says nearly the same, or, once the kind has its share of items, the closest."""
        same = [
            (float(vector @ vec), other)
            for other_id, vec in self._vectors.items()
            if (other := self.draft.items.get(other_id)) is not None
            and other.live
            and other.kind == item.kind
        ]
        if same:
            score, other = max(same, key=lambda s: s[0])
            if score >= MERGE_SIMILARITY or len(same) >= PER_KIND.get(item.kind, 10**6):
                if len(other.evidence) < MAX_EVIDENCE:
                    merged = other.bumped(evidence=(*other.evidence, *item.evidence))
                    self._offer(merged, update)
                return
        if self._offer(item, update):
            self._vectors[item.id] = vector

    def _offer(self, item: Item, update: NoteUpdate) -> bool:
        """Check grounding; apply; record which segments it cites."""
        try:
            check_item(item, self._texts)
        except UngroundedError:
            self.dropped += 1
            update.dropped += 1
            log.warning("dropped an ungrounded %s candidate", item.kind)
            return False
        old = self.draft.items.get(item.id)
        if old is not None and old.version >= item.version and old != item:
            # Rebuilt after a retraction or re-attribution: a newer version of the id.
            item = replace(item, version=old.version + 1)
        if not self.draft.apply(item):
            return False
        for ev in item.evidence:
            self._by_segment.setdefault(ev.segment_id, set()).add(item.id)
        update.items.append(item)
        return True

    # -- required elements and session facts -----------------------------------------

    def facts(self) -> dict[str, Any]:
        """Measured facts for Objective: times, duration, modality, participants, talk."""
        segs = sorted(self.segments.values(), key=lambda s: s.start)
        facts: dict[str, Any] = {
            "date": self.context.date.isoformat(),
            "modality": self.context.modality,
        }
        if segs:
            start, end = segs[0].start, max(s.end for s in segs)
            facts["audio_start_s"] = round(start, 2)
            facts["audio_end_s"] = round(end, 2)
            facts["duration_min"] = round((end - start) / 60.0, 1)
            if self.context.started_at is not None:
                t0 = self.context.started_at
                facts["start_time"] = (t0 + dt.timedelta(seconds=start)).strftime("%H:%M")
                facts["stop_time"] = (t0 + dt.timedelta(seconds=end)).strftime("%H:%M")
            roles = sorted({s.role for s in segs if s.role and s.role != "unknown"})
            facts["participants"] = roles
            talk = compute_talk_analytics(
                [Utterance(s.start, s.end, s.role or "unknown", len(s.text.split())) for s in segs]
            ).to_dict()
            facts["talk"] = {
                role: {"share": t["share"], "words_per_minute": t["words_per_minute"]}
                for role, t in talk["roles"].items()
            }
        return facts

    def _refresh_elements(self) -> list[Element] | None:
        """The required elements; returned only when one of them changed."""
        self.draft.facts = self.facts()
        elements = required_elements(self.draft, self.context, self.segments.values())
        new = {e.name: e for e in elements}
        if new == self._elements:
            return None
        self._elements = new
        self.draft.elements = dict(new)
        return elements


def _with_role(seg: Segment, role: str) -> Segment:
    return Segment(seg.segment_id, seg.text, seg.start, seg.end, role, seg.speaker)


def checked_by_model(
    seg: Segment, kinds: Sequence[str], model: RiskClassifier | None = None
) -> frozenset[str]:
    """Of the kinds the rules found current in ``seg``, the ones the risk classifier rules
    out (:func:`note_builder.risk_model.rule_out`). When the classifier cannot run, none:
    the rules' alerts stand."""
    if not kinds:
        return frozenset()
    try:
        return rule_out(seg.text, seg.side, kinds, model)
    except Exception:
        log.exception("the risk classifier could not check segment %s", seg.segment_id)
        return frozenset()


def quick_alerts(seg: Segment, model: RiskClassifier | None = None) -> list[dict[str, Any]]:
    """Risk alerts for one final segment, without waiting for the note's queue: the
    rule-based detector's, less those the risk classifier rules out (``model``: the
    shared one by default; it reads the segment only when the rules found something).
    Ids match the risk items the engine makes."""
    if not seg.text.strip():
        return []
    texts = {seg.segment_id: SegmentText(seg.text, seg.start, seg.end)}
    alerts = []
    for a, b in sentences(seg.text):
        sent = _Sentence(seg, a, b, seg.side)
        for cand in extract.structured(sent.text, sent.side or "unknown", None, risk_only=True):
            if not cand.alert:
                continue
            item = Item(
                id=f"{cand.kind}-{seg.segment_id}-{a + cand.start}",
                kind=cand.kind,
                text=cand.text,
                detail=cand.detail,
                evidence=(sent.evidence(cand.start, cand.end),),
            )
            check_item(item, texts)
            alerts.append(_alert(item))
    ruled_out = checked_by_model(seg, [a["kind"] for a in alerts], model)
    return [a for a in alerts if a["kind"] not in ruled_out]


def model_alerts(
    seg: Segment, parts: Sequence[_Sentence], model: RiskClassifier
) -> list[dict[str, Any]]:
    """The risk classifier's second opinion on a client's segment (read whole, as it was
    said): kinds the rules did not find in it, said to be lower confidence. The quote is
    the sentence the classifier rates highest for the kind. These are alerts only, never
    note items: a risk statement in the note needs a rule that the grounding check can
    re-run."""
    found = second_opinion(seg.text, CLIENT, model=model)
    if not found:
        return []
    said = [p for p in parts if p.text.strip()]
    proba = model.predict([p.text for p in said]) if len(said) > 1 else None
    alerts = []
    for f in found:
        if proba:
            sent = said[max(range(len(said)), key=lambda i: proba[i][f.kind])]
        else:
            sent = _Sentence(seg, f.span[0], f.span[1], seg.side)
        label = extract.RISK_LABEL.get(f.kind, f.kind)
        ev = sent.evidence()
        alerts.append(
            {
                "id": f"model-{f.kind}-{seg.segment_id}",
                "item_id": None,
                "kind": f.kind,
                "severity": f.severity,
                "status": "current",
                "source": "model",
                "text": f"Possible {label} (lower confidence: a model, not a rule); "
                f'client said: "{ev.quote}".',
                "evidence": [ev.to_dict()],
            }
        )
    return alerts


def _alert(item: Item) -> dict[str, Any]:
    """A risk alert says what was detected and where; the clinician decides."""
    return {
        "id": item.id,
        "item_id": item.id,
        "kind": item.detail.get("risk"),
        "severity": item.detail.get("severity"),
        "status": item.detail.get("status"),
        "source": "rules",
        "text": item.text,
        "evidence": [e.to_dict() for e in item.evidence],
    }


@functools.cache
def shared_soap() -> SoapSentenceClassifier:
    return SoapSentenceClassifier(shared_encoder())


@functools.cache
def shared_behaviours() -> TherapistBehaviourClassifier:
    return TherapistBehaviourClassifier(shared_encoder())


# What the warm-up reads: a screening question and a client's answer that reaches the
# rules, the measures, the dates, the classifiers and the second opinion.
_WARM_UP = (
    ("How have you been sleeping, and any thoughts of hurting yourself?", THERAPIST),
    (
        "Not great. I had six drinks on Friday and some days I wish I was dead. "
        "My PHQ-9 was 14 on March 3rd and I see Dr. Lee next Tuesday at 3.",
        CLIENT,
    ),
)


def warm_up() -> None:
    """Load the sentence encoder and the classifiers, compile the risk rules, and run the
    whole path once on a throwaway engine: the first session's first segment then waits
    for none of it (on a slow machine the rules' patterns alone take seconds)."""
    encoder = shared_encoder()
    encoder.warm_up()
    shared_soap().predict(["warm up"], ["client"])
    shared_behaviours().predict(["warm up"])
    KindClassifier.shared(encoder).warm_up()
    shared_risk_classifier().warm_up()
    compile_risk_rules()
    engine = NoteEngine(SessionContext(date=dt.date(2026, 1, 5)))
    at = 0.0
    for n, (text, role) in enumerate(_WARM_UP):
        seg = Segment(f"warm-up-{n}", text, at, at + 6.0, role)
        quick_alerts(seg)
        engine.add_segment(seg)
        engine.second_opinion(seg)
        at += 6.0
