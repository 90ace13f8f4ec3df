"""Each live session's note draft: fed by its transcript, published as events.

A :class:`SessionNotes` owns the session's :class:`NoteEngine` and the one task that
feeds it. Every final segment goes through a bounded queue to that task, which runs
the engine on the hub's note thread (one thread: engine steps and clinician edits of
all sessions run in order, never two at once) and emits ``note.patch`` (the items that
changed, by section) and ``note.required`` (the required elements, when one changed).

Risk alerts do not wait for that queue: ``quick_alerts`` runs the rule-based risk
detector on the final as it is published (and the risk classifier on it when the rules
found something, to rule out figures of speech and the like) and emits ``risk.alert`` at
once. The classifier's own second opinion on a client's segment (kinds the rules did not
find) is read after that segment's patch has gone out, by a second task with its own
bounded queue, on a worker thread: the next final's patch never waits for it.
A failure in one step is logged (ids only) and the next step goes on; it never
reaches the transcript path or another session.
"""

from __future__ import annotations

import asyncio
import copy as copy_module
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from note_builder.engine import NoteEngine, NoteUpdate, Segment, SessionContext, quick_alerts
from note_builder.events import fold_events
from note_builder.model import SECTIONS, Item, NoteDraft
from session_server.signed_notes import note_signed
from session_server.store import SessionInfo

log = logging.getLogger(__name__)

NOTE_QUEUE = 1024  # finals waiting for the note engine (about an hour of speech)
Emit = Callable[[str, dict[str, Any]], Awaitable[Any]]
Step = tuple[str, Any]


class SessionNotes:
    def __init__(
        self,
        session_id: str,
        emit: Emit,
        context: SessionContext,
        executor: ThreadPoolExecutor,
        engine_factory: Callable[[SessionContext], NoteEngine] = NoteEngine,
    ) -> None:
        self.session_id = session_id
        self._emit = emit
        self._context = context
        self._executor = executor
        self._factory = engine_factory
        self._engine: NoteEngine | None = None
        self._queue: asyncio.Queue[Step | None] = asyncio.Queue(maxsize=NOTE_QUEUE)
        self._task: asyncio.Task[None] | None = None
        self._checks: asyncio.Queue[Segment | None] = asyncio.Queue(maxsize=NOTE_QUEUE)
        self._check_task: asyncio.Task[None] | None = None
        self._restore: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None
        self.lost = 0  # finals (or second opinions) a full queue could not take
        self.failed = 0  # steps that raised
        self.locked = False  # signed: the draft takes no more edits
        self._alerted: set[str] = set()  # second-opinion alerts already sent

    def restore(self, events: list[dict[str, Any]], segments: list[dict[str, Any]]) -> None:
        """The draft and transcript so far (a session reopened after a restart)."""
        self._restore = (events, segments)

    def set_started(self, wall: dt.datetime, *, two_track: bool) -> None:
        """The wall clock of session time 0 (the first track's connect)."""
        self._context = replace(
            self._context, date=wall.date(), started_at=wall, two_track=two_track
        )
        if self._engine is not None:
            self._engine.context = self._context

    def set_consent(self, info: Any) -> None:
        self._context = replace(self._context, consent=_consent_records(info))
        if self._engine is not None:
            self._engine.context = self._context

    # -- input ---------------------------------------------------------------------

    def observe(self, event: dict[str, Any]) -> None:
        """An event the session just published; the ones the note needs are queued."""
        kind = event.get("type")
        if kind == "transcript.final":
            self._put(("segment", Segment.from_event(event)))
        elif kind == "speaker.roles":
            self._put(("roles", dict(event.get("roles") or {})))
        elif kind == "transcript.refined":
            for seg in event.get("segments") or []:
                self._put(("segment", Segment.from_event(seg)))

    def _put(self, step: Step) -> None:
        self._ensure_task()
        try:
            self._queue.put_nowait(step)
        except asyncio.QueueFull:
            self.lost += 1
            log.warning("note queue full for session %s: a step was skipped", self.session_id)

    def _ensure_task(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"notes:{self.session_id}")

    # -- the engine ----------------------------------------------------------------

    async def engine(self) -> NoteEngine:
        """The engine, built (and restored) on the note thread on first use."""
        if self._engine is None:
            loop = asyncio.get_running_loop()
            self._engine = await loop.run_in_executor(self._executor, self._build)
        return self._engine

    def _build(self) -> NoteEngine:
        engine = self._factory(self._context)
        if self._restore is not None:
            events, segments = self._restore
            engine.restore(fold_events(events), [Segment.from_event(s) for s in segments])
            self._restore = None
        return engine

    async def _run(self) -> None:
        while (step := await self._queue.get()) is not None:
            try:
                await self._step(step)
            except Exception:
                self.failed += 1
                log.exception("note step %s failed for session %s", step[0], self.session_id)

    async def _step(self, step: Step) -> None:
        engine = await self.engine()
        loop = asyncio.get_running_loop()
        what, arg = step
        if what == "segment":
            update = await loop.run_in_executor(self._executor, engine.add_segment, arg)
        else:
            update = await loop.run_in_executor(self._executor, engine.set_roles, arg)
        await self.publish(update, source=arg.segment_id if what == "segment" else None)
        for seg in update.to_check:
            self._check(seg)

    # -- the risk classifier's second opinion ----------------------------------------

    def _check(self, seg: Segment) -> None:
        if self._check_task is None or self._check_task.done():
            self._check_task = asyncio.create_task(
                self._run_checks(), name=f"risk-checks:{self.session_id}"
            )
        try:
            self._checks.put_nowait(seg)
        except asyncio.QueueFull:
            self.lost += 1
            log.warning(
                "risk check queue full for session %s: a segment was skipped", self.session_id
            )

    async def _run_checks(self) -> None:
        loop = asyncio.get_running_loop()
        while (seg := await self._checks.get()) is not None:
            try:
                engine = await self.engine()
                for alert in await loop.run_in_executor(None, engine.second_opinion, seg):
                    if alert["id"] not in self._alerted:  # a re-read segment alerts once
                        self._alerted.add(alert["id"])
                        await self._emit("risk.alert", alert)
            except Exception:
                self.failed += 1
                log.exception(
                    "risk second opinion failed for segment %s of session %s",
                    seg.segment_id,
                    self.session_id,
                )

    async def publish(self, update: NoteUpdate, source: str | None = None) -> None:
        """Emit the items that changed (one ``note.patch`` per section, in order) and the
        required elements when they changed."""
        extra = {"source_segment": source} if source else {}
        for section in SECTIONS:
            items = [i.to_dict() for i in update.items if i.section == section]
            if items:
                await self._emit("note.patch", {"section": section, "items": items, **extra})
        if update.elements is not None:
            engine = await self.engine()
            await self._emit(
                "note.required",
                {
                    "elements": [e.to_dict() for e in update.elements],
                    "missing": [e.label for e in update.elements if not e.present],
                    "facts": engine.draft.facts,
                    **extra,
                },
            )

    async def alerts(self, final: dict[str, Any]) -> None:
        """Risk alerts for a final, straight away: the rules, checked by the risk
        classifier when they found something (on a worker thread, not the note thread's
        queue). A failure here is logged and never reaches the transcript path."""
        try:
            seg = Segment.from_event(final)
            found = await asyncio.get_running_loop().run_in_executor(None, quick_alerts, seg)
            for alert in found:
                await self._emit("risk.alert", alert)
        except Exception:
            log.exception("risk alerts failed for session %s", self.session_id)

    # -- clinician actions ---------------------------------------------------------

    def _check_open(self) -> None:
        if self.locked:
            raise note_signed(self.session_id)

    async def edit(self, item_id: str, status: str | None, text: str | None) -> Item:
        self._check_open()
        engine = await self.engine()
        loop = asyncio.get_running_loop()
        item: Item = await loop.run_in_executor(
            self._executor, lambda: engine.edit(item_id, status=status, text=text)
        )
        await self.publish(NoteUpdate(items=[item], elements=engine.elements_now()))
        return item

    async def author(self, kind: str, text: str, section: str | None) -> Item:
        self._check_open()
        engine = await self.engine()
        loop = asyncio.get_running_loop()
        item: Item = await loop.run_in_executor(
            self._executor, lambda: engine.author(kind, text, section)
        )
        await self.publish(NoteUpdate(items=[item], elements=engine.elements_now()))
        return item

    async def snapshot(self) -> NoteDraft:
        """A copy of the draft, taken on the note thread after every step queued before
        it (what signing stores)."""
        engine = await self.engine()
        loop = asyncio.get_running_loop()

        def copy() -> NoteDraft:
            d = engine.draft
            return NoteDraft(dict(d.items), dict(d.elements), copy_module.deepcopy(d.facts))

        return await loop.run_in_executor(self._executor, copy)

    # -- lifetime ------------------------------------------------------------------

    async def finish(self) -> None:
        """Every queued final is in the draft and has had its second opinion (the session
        is ending)."""
        if self._task is not None and not self._task.done():
            await self._queue.put(None)
            await self._task
        if self._check_task is not None and not self._check_task.done():
            await self._checks.put(None)
            await self._check_task

    async def abort(self) -> None:
        for task in (self._task, self._check_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for queue in (self._queue, self._checks):
            while not queue.empty():
                queue.get_nowait()


def session_context(info: SessionInfo) -> SessionContext:
    """The note's view of a stored session: its date and consent records."""
    return SessionContext(date=info.created_at.date(), consent=_consent_records(info))


def _consent_records(info: SessionInfo) -> tuple[dict[str, Any], ...]:
    """Party, state and method of each consent; who recorded it stays in the store."""
    return tuple(
        {"party": party, "state": c.get("state"), "method": c.get("method") or "recorded"}
        for party, c in sorted(info.consents.items())
    )
