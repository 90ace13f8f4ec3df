"""InProcessBus fan-out and its overflow policy (drop partials, then lag), no event loop."""

from __future__ import annotations

from typing import Any

from session_server.bus import InProcessBus


def ev(seq: int, type_: str = "transcript.final") -> dict[str, Any]:
    return {"seq": seq, "type": type_}


def drain(queue: Any) -> list[int]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait()["seq"])
    return out


def test_every_subscriber_of_a_session_gets_each_event() -> None:
    bus = InProcessBus(queue_size=8)
    a, b = bus.subscribe("s1"), bus.subscribe("s1")
    other = bus.subscribe("s2")
    for seq in (1, 2, 3):
        bus.publish("s1", ev(seq))
    assert drain(a.queue) == drain(b.queue) == [1, 2, 3]
    assert other.queue.empty()
    assert bus.subscribers("s1") == 2


def test_a_partial_that_does_not_fit_is_dropped_and_counted() -> None:
    bus = InProcessBus(queue_size=2)
    sub = bus.subscribe("s")
    bus.publish("s", ev(1))
    bus.publish("s", ev(2, "transcript.partial"))
    bus.publish("s", ev(3, "transcript.partial"))
    bus.publish("s", ev(4, "transcript.partial"))
    assert sub.dropped_partials == 2
    assert not sub.lagged
    assert drain(sub.queue) == [1, 2]
    bus.publish("s", ev(5))  # room again: delivered
    assert drain(sub.queue) == [5]


def test_a_final_that_does_not_fit_marks_the_subscriber_lagged() -> None:
    bus = InProcessBus(queue_size=2)
    slow, fast = bus.subscribe("s"), bus.subscribe("s")
    bus.publish("s", ev(1))
    bus.publish("s", ev(2, "session.state"))
    assert drain(fast.queue) == [1, 2]
    bus.publish("s", ev(3))
    assert slow.lagged
    assert not fast.lagged
    assert slow.dropped_partials == 0
    # A lagged subscriber gets nothing more (its consumer catches up from the store).
    drain(slow.queue)
    bus.publish("s", ev(4))
    assert slow.queue.empty()
    assert drain(fast.queue) == [3, 4]


def test_unsubscribe_stops_delivery_and_forgets_the_session() -> None:
    bus = InProcessBus(queue_size=4)
    a, b = bus.subscribe("s"), bus.subscribe("s")
    bus.unsubscribe(a)
    bus.publish("s", ev(1))
    assert a.queue.empty()
    assert drain(b.queue) == [1]
    bus.unsubscribe(b)
    bus.unsubscribe(b)  # twice is harmless
    assert bus.subscribers("s") == 0
    bus.publish("s", ev(2))  # nobody listening: no error
