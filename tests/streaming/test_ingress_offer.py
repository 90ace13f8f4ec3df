"""AudioIngress.offer: the real-time path drops (and counts) audio when full, never waits."""

from __future__ import annotations

import asyncio

import numpy as np

from streaming.ingress import AudioIngress


def samples(n: int, value: float = 0.0) -> np.ndarray:
    return np.full(n, value, dtype=np.float32)


async def test_offer_accepts_up_to_the_limit_then_refuses_and_counts() -> None:
    ing = AudioIngress(max_seconds=0.1)  # 1600 samples
    assert await asyncio.wait_for(ing.offer(samples(1000, 0.1)), 1) is True
    assert await asyncio.wait_for(ing.offer(samples(600, 0.2)), 1) is True  # exactly full
    assert ing.buffered_seconds == 0.1
    assert ing.dropped_samples == 0
    assert await asyncio.wait_for(ing.offer(samples(1, 0.9)), 1) is False
    assert await asyncio.wait_for(ing.offer(samples(160, 0.9)), 1) is False
    assert ing.dropped_samples == 161
    assert ing.buffered_seconds == 0.1
    assert ing.waits == 0, "offer must never count as a producer waiting"
    out = await ing.get()
    assert out is not None
    np.testing.assert_array_equal(out, np.concatenate([samples(1000, 0.1), samples(600, 0.2)]))
    assert not np.any(out == np.float32(0.9)), "refused audio must not be buffered"


async def test_offer_accepts_again_once_get_drains() -> None:
    ing = AudioIngress(max_seconds=0.1)
    assert await ing.offer(samples(1600, 0.1))
    assert not await ing.offer(samples(320, 0.5))
    assert await ing.get() is not None
    assert await ing.offer(samples(320, 0.3)) is True
    assert ing.dropped_samples == 320  # unchanged by the accepted offer
    out = await ing.get()
    assert out is not None and len(out) == 320 and float(out[0]) == np.float32(0.3)


async def test_a_single_chunk_larger_than_the_buffer_is_refused_whole() -> None:
    ing = AudioIngress(max_seconds=0.1)
    assert await ing.offer(samples(1601)) is False
    assert ing.dropped_samples == 1601
    assert ing.buffered_seconds == 0


async def test_a_chunk_that_does_not_fit_is_refused_and_the_buffer_kept() -> None:
    ing = AudioIngress(max_seconds=0.1)
    assert await ing.offer(samples(1500, 0.1))
    assert await ing.offer(samples(160, 0.2)) is False  # 1660 > 1600: nothing of it taken
    assert await ing.offer(samples(100, 0.3)) is True  # a smaller one still fits
    assert ing.dropped_samples == 160
    out = await ing.get()
    assert out is not None and len(out) == 1600
    assert float(out[-1]) == np.float32(0.3)


async def test_offer_wakes_a_waiting_get() -> None:
    ing = AudioIngress(max_seconds=1.0)
    getter = asyncio.create_task(ing.get())
    await asyncio.sleep(0.02)
    assert not getter.done()
    assert await ing.offer(samples(160, 0.4))
    out = await asyncio.wait_for(getter, 1)
    assert out is not None and len(out) == 160


async def test_offer_does_not_wait_while_a_put_is_blocked() -> None:
    ing = AudioIngress(max_seconds=0.1)
    await ing.put(samples(1600))
    blocked = asyncio.create_task(ing.put(samples(160)))
    await asyncio.sleep(0.02)
    assert not blocked.done()
    assert await asyncio.wait_for(ing.offer(samples(160)), 0.5) is False
    await ing.close(discard=True)
    await asyncio.wait_for(blocked, 1)


async def test_offer_on_a_closed_ingress_returns_true_and_stores_nothing() -> None:
    ing = AudioIngress(max_seconds=0.1)
    await ing.close()
    assert await asyncio.wait_for(ing.offer(samples(160)), 1) is True
    assert await ing.offer(samples(5000)) is True  # even beyond the limit: not an overrun
    assert ing.buffered_seconds == 0
    assert ing.dropped_samples == 0
    assert await asyncio.wait_for(ing.get(), 1) is None


async def test_offer_after_close_keeps_what_was_buffered_before() -> None:
    ing = AudioIngress(max_seconds=0.1)
    assert await ing.offer(samples(160, 0.1))
    await ing.close()
    assert await ing.offer(samples(160, 0.7))
    out = await ing.get()
    assert out is not None and len(out) == 160 and float(out[0]) == np.float32(0.1)
    assert await ing.get() is None
