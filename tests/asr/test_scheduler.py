"""InferenceScheduler with the real model: coalescing, cancelling, batching, ordering.

Each test builds its own scheduler on the shared recognizer and queues jobs *before*
starting it, so what is pending when the worker begins is known exactly.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest

from asr.recognizer import DecodeJob, Recognition, WhisperRecognizer
from asr.scheduler import InferenceScheduler
from streaming.audio import Samples
from tests.conftest import JFK_TEXT, wer

SR = 16000


@pytest.fixture
def fresh(recognizer: WhisperRecognizer) -> Iterator[InferenceScheduler]:
    sched = InferenceScheduler(recognizer, max_batch=4)
    yield sched
    sched.stop()


def pieces(jfk: Samples) -> list[Samples]:
    """JFK in four phrases (cut in its pauses)."""
    cuts = [0.0, 2.4, 4.5, 7.9, 11.0]
    return [jfk[int(a * SR) : int(b * SR)] for a, b in itertools.pairwise(cuts)]


async def test_partials_of_a_stream_are_coalesced_to_the_latest(
    fresh: InferenceScheduler, jfk: Samples
) -> None:
    p = pieces(jfk)
    old1 = fresh.submit("s", DecodeJob(p[0], final=False))
    old2 = fresh.submit("s", DecodeJob(p[1], final=False))
    latest = fresh.submit("s", DecodeJob(jfk[: 3 * SR], final=False))
    other = fresh.submit("t", DecodeJob(p[2], final=False))  # another stream keeps its own
    assert fresh.stats.partials_coalesced == 2
    assert fresh.backlog == 2
    assert await asyncio.wait_for(old1, 5) is None
    assert await asyncio.wait_for(old2, 5) is None
    fresh.start()
    rec = await asyncio.wait_for(latest, 60)
    assert isinstance(rec, Recognition)
    assert "fellow" in rec.text.lower()
    assert rec.words == ()  # partials skip word alignment
    other_rec = await asyncio.wait_for(other, 60)
    assert isinstance(other_rec, Recognition) and other_rec.text
    assert fresh.stats.jobs == 2
    assert fresh.stats.by_kind == {"partial": 2}


async def test_finals_are_never_coalesced_and_all_are_answered(
    fresh: InferenceScheduler, jfk: Samples
) -> None:
    p = pieces(jfk)
    futures = [fresh.submit(("sess", "mixed"), DecodeJob(x, final=True)) for x in p]
    futures += [fresh.submit(("sess", "client"), DecodeJob(x, final=True)) for x in p[:2]]
    assert fresh.backlog == 6
    fresh.start()
    results = await asyncio.wait_for(asyncio.gather(*futures), 120)
    assert all(isinstance(r, Recognition) and r.text and r.words for r in results)
    assert wer(JFK_TEXT, " ".join(r.text for r in results[:4] if r)) <= 0.15
    st = fresh.stats
    assert st.jobs == 6 and st.partials_coalesced == 0 and st.errors == 0
    assert st.batches >= 2 and st.max_batch_seen == 4  # max_batch bounds a batch
    assert st.by_kind == {"final-grade": 6}
    assert st.audio_s == pytest.approx(sum(len(x) for x in p + p[:2]) / SR)
    assert fresh.backlog == 0


async def test_finals_are_taken_before_partials(
    recognizer: WhisperRecognizer, jfk: Samples
) -> None:
    sched = InferenceScheduler(recognizer, max_batch=1)
    try:
        p = pieces(jfk)
        order: list[str] = []
        partial = sched.submit("a", DecodeJob(p[0], final=False))
        final = sched.submit("b", DecodeJob(p[1], final=True))
        partial.add_done_callback(lambda _: order.append("partial"))
        final.add_done_callback(lambda _: order.append("final"))
        sched.start()
        await asyncio.wait_for(asyncio.gather(partial, final), 60)
        assert order == ["final", "partial"]
        assert sched.stats.batches == 2
    finally:
        sched.stop()


async def test_cancel_drops_the_pending_jobs_of_those_streams(
    fresh: InferenceScheduler, jfk: Samples
) -> None:
    p = pieces(jfk)
    gone = [
        fresh.submit("revoked", DecodeJob(p[0], final=True)),
        fresh.submit("revoked", DecodeJob(p[1], final=True)),
        fresh.submit("revoked", DecodeJob(p[2], final=False)),
    ]
    kept = fresh.submit("kept", DecodeJob(p[3], final=True))
    assert fresh.cancel({"revoked"}) == 3
    assert fresh.cancel({"revoked"}) == 0
    await asyncio.sleep(0.01)  # cancellation is delivered through the loop
    assert all(f.cancelled() for f in gone)
    assert fresh.backlog == 1
    fresh.start()
    rec = await asyncio.wait_for(kept, 60)
    assert rec is not None and "country" in rec.text.lower()
    assert fresh.stats.jobs == 1


async def test_a_failing_batch_fails_its_futures_and_the_worker_survives(
    fresh: InferenceScheduler, jfk: Samples
) -> None:
    from companion.errors import RecognitionError

    fresh.start()
    # A 2-D array is not audio: the recognizer fails on it.
    bad = fresh.submit("x", DecodeJob(jfk[:SR].reshape(2, -1), final=True))
    with pytest.raises(RecognitionError) as exc:
        await asyncio.wait_for(bad, 60)
    assert "decode failed" in str(exc.value)
    assert fresh.stats.errors == 1
    good = await asyncio.wait_for(fresh.submit("x", DecodeJob(pieces(jfk)[3])), 60)
    assert good is not None and "country" in good.text.lower()


def test_stop_is_idempotent(recognizer: WhisperRecognizer) -> None:
    sched = InferenceScheduler(recognizer)
    sched.start()
    sched.stop()
    sched.stop()
    assert sched.backlog == 0
