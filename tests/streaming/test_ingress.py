"""AudioIngress: bounded in seconds of audio, backpressure, close and discard."""

from __future__ import annotations

import asyncio

import numpy as np

from streaming.ingress import AudioIngress


def samples(n: int, value: float = 0.0) -> np.ndarray:
    return np.full(n, value, dtype=np.float32)


async def test_get_returns_everything_buffered_in_order() -> None:
    ing = AudioIngress(max_seconds=1.0)
    await ing.put(samples(160, 0.1))
    await ing.put(samples(320, 0.2))
    assert ing.buffered_seconds == 480 / 16000
    out = await ing.get()
    assert out is not None
    np.testing.assert_array_equal(out, np.concatenate([samples(160, 0.1), samples(320, 0.2)]))
    assert ing.buffered_seconds == 0
    assert ing.waits == 0


async def test_put_blocks_when_full_until_get_makes_room() -> None:
    ing = AudioIngress(max_seconds=0.1)  # 1600 samples
    assert ing.max_samples == 1600
    await asyncio.wait_for(ing.put(samples(1600, 0.5)), 1)  # exactly full still fits
    blocked = asyncio.create_task(ing.put(samples(160, 0.25)))
    await asyncio.sleep(0.05)
    assert not blocked.done(), "put must wait while the buffer is full"
    assert ing.waits == 1
    assert ing.buffered_seconds == 0.1
    first = await ing.get()
    await asyncio.wait_for(blocked, 1)
    assert first is not None and len(first) == 1600 and float(first[0]) == 0.5
    second = await ing.get()
    assert second is not None and len(second) == 160 and float(second[0]) == 0.25


async def test_get_waits_for_audio() -> None:
    ing = AudioIngress(max_seconds=1.0)
    getter = asyncio.create_task(ing.get())
    await asyncio.sleep(0.02)
    assert not getter.done()
    await ing.put(samples(160, 0.3))
    out = await asyncio.wait_for(getter, 1)
    assert out is not None and len(out) == 160


async def test_close_drains_then_ends() -> None:
    ing = AudioIngress(max_seconds=1.0)
    await ing.put(samples(160))
    await ing.close()
    out = await ing.get()
    assert out is not None and len(out) == 160
    assert await asyncio.wait_for(ing.get(), 1) is None


async def test_close_with_discard_drops_buffered_audio() -> None:
    ing = AudioIngress(max_seconds=1.0)
    await ing.put(samples(1600))
    await ing.close(discard=True)
    assert ing.buffered_seconds == 0
    assert await asyncio.wait_for(ing.get(), 1) is None


async def test_close_releases_a_blocked_producer_and_a_waiting_consumer() -> None:
    ing = AudioIngress(max_seconds=0.1)
    await ing.put(samples(1600))
    producer = asyncio.create_task(ing.put(samples(1600)))
    await asyncio.sleep(0.02)
    assert not producer.done()
    await ing.close(discard=True)
    await asyncio.wait_for(producer, 1)  # returns without adding its audio
    assert ing.buffered_seconds == 0
    assert await ing.get() is None

    idle = AudioIngress(max_seconds=1.0)
    consumer = asyncio.create_task(idle.get())
    await asyncio.sleep(0.02)
    await idle.close()
    assert await asyncio.wait_for(consumer, 1) is None


async def test_put_after_close_is_ignored() -> None:
    ing = AudioIngress(max_seconds=1.0)
    await ing.close()
    await asyncio.wait_for(ing.put(samples(160)), 1)
    assert ing.buffered_seconds == 0
    assert await ing.get() is None
